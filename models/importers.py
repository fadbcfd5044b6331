"""What differs between the kinds of import: one small importer per kind, and the table that names them.

An importer gives its sheet (the one declaration of its columns), the words its dialog uses, its checks
against the database (vet), how valid rows compare with what is stored (plan), how a plan is written
(save), and what keeps a saved batch from being undone (undo_blockers) and how it is undone (undo). The
rest of an import — the upload, the job, the preview, the history — is the ImportBatch's
(models/import_batch.py), the same for every kind.
"""
from dataclasses import dataclass, field
from datetime import date
from operator import attrgetter

from peewee import SQL, Case, fn

from sheets.validate import WARNING, Issue

from . import audit
from .award import SUBMITTED, AwardRecord
from .award_checks import Row, check_row, load_context
from .award_fields import AWARD_SHEET
from .candidate import PENDING, Candidate
from .candidate_fields import CANDIDATE_SHEET
from .catalog import Certificate
from .db import analyse_first_rows, now, refresh_statistics, select_in
from .identity import AREA_FIX, identity_findings, identity_notes
from .site import Site


@dataclass
class Plan:
    """How an importer's valid rows compare with what is stored."""
    create: list = field(default_factory=list)      # rows (sheets.validate.Checked) to insert
    update: list = field(default_factory=list)      # (row, stored record, {key: new value})
    existing: list = field(default_factory=list)    # row numbers already stored, not to be updated
    unchanged: list = field(default_factory=list)   # row numbers identical to what is stored

    @property
    def writes(self):
        return len(self.create) + len(self.update)


def _counted(model, batches, *conditions):
    """{batch id: (rows, rows meeting each condition)} of the `model` rows `batches` created, in one
    grouped query."""
    counts = [fn.SUM(Case(None, [(condition, 1)], 0)) for condition in conditions]
    rows = (model
            # COUNT(*), not of the id: PostgreSQL then counts from the (batch_id, status, ...) index alone
            # (30 batches of 1,000 records: 5.6 ms; with the id, it read the table, 20 ms).
            .select(model.batch_id, fn.COUNT(SQL("*")), *counts)
            .where(model.batch_id.in_([batch.id for batch in batches]))
            .group_by(model.batch_id)
            .tuples())
    return {batch_id: (total, *(int(n or 0) for n in met)) for batch_id, total, *met in rows}


# ---- 批量导入学生信息 ----------------------------------------------------------------------------------
HEADERS = {column.key: column.header for column in CANDIDATE_SHEET.columns}


def _identity(values):
    return (values.get("name"), values["id_type"], values["id_number"], values.get("gender"), values.get("birth_date"))


class CandidateImporter:
    """批量导入学生信息: new candidates are inserted in 待认证; 更新已有考生 edits through the model."""
    spec = CANDIDATE_SHEET
    title = "批量导入学生信息"
    area, area_endpoint = "考生管理", "candidates.index"  # where 导入记录 of this kind sits
    updates_existing = True  # the dialog offers 更新已有考生
    writes_ahead = True  # its rows may be inserted while the rest of the file is checked (models/write_ahead.py)
    rule = ("证件号码已存在的考生默认不导入；勾选「更新已有考生」则按文件更新有变化的信息（空白单元格不会清除已有信息；"
            "修改姓名、证件、性别或出生日期的考生需重新认证）。")
    saved_note = "新导入的考生状态为“待认证”。"

    def vet(self, rows):
        """Rules beyond the column spec that need the database: none for candidates (see plan)."""

    def plan(self, rows, update_existing):
        """Valid rows (sheets.validate.Checked) against the stored candidates."""
        stored = self._stored({row.values["id_number"] for row in rows}, load=update_existing)
        plan = Plan()
        for row in rows:
            values = row.values
            current = stored.get((values["id_type"], values["id_number"]))
            if current is None:
                plan.create.append(row)
            elif not update_existing:
                plan.existing.append(row.row)
            else:
                # A blank cell never clears a stored value; only what the file states is compared.
                changes = {k: values[k] for k in row.filled if k in values and getattr(current, k) != values[k]}
                if changes:
                    plan.update.append((row, current, changes))
                else:
                    plan.unchanged.append(row.row)
        return plan

    def _stored(self, numbers, load):
        """The stored candidates with these ID numbers by (证件类型, 证件号码), in a few IN queries: whole
        records when they are to be compared (`load`), else just their keys."""
        numbers = sorted(numbers)
        if not load:
            return dict.fromkeys(select_in(Candidate, ("id_type", "id_number"), "id_number", numbers), True)
        every = [f.name for f in Candidate._meta.sorted_fields]
        return {(c.id_type, c.id_number): c for c in select_in(Candidate, every, "id_number", numbers, instances=True)}

    def warnings(self, plan):
        """The rows to be written that will fail 认证 (check character, birth date, gender) or whose area code
        the offline table does not know, as the report keeps them, each issue a 提示 (WARNING), in row order."""
        today = date.today()
        for row in sorted(plan.create + [row for row, _, _ in plan.update], key=attrgetter("row")):
            found = self.row_warnings(row, today)
            if found:
                yield row.as_error(found)

    def row_warnings(self, row, today=None):
        """The 提示 of one checked row (Issues). A row with errors gets those of its cells without an error
        too, so whoever fixes the errors meets its 认证 problems in the same table, not after re-uploading."""
        values = row.values
        if "id_type" not in values or "id_number" not in values:
            return []  # the identity did not clean: its error says so
        found = identity_findings(*_identity(values), today=today or date.today()) + [
            ("id_number", note, AREA_FIX) for note in identity_notes(values["id_type"], values["id_number"])]
        if not found:
            return []  # nearly every row
        wrong = {issue.key for issue in row.issues}
        return [Issue(row.row, key, HEADERS[key], row.raw.get(key, ""), problem, fix, WARNING)
                for key, problem, fix in found if key not in wrong]

    def insert(self, batch, rows):
        """Insert new candidates (dicts of their values, e.g. a generator that never uses the database) as
        `batch`'s, in 待认证."""
        at = now()
        Candidate.bulk_add(rows, analyse=False, streamed=True,
                           same={"status": PENDING, "batch_id": batch.id, "created_at": at, "updated_at": at})

    def save(self, batch, plan, by, inserted=False):
        """Insert the new candidates in chunks (unless `inserted` already, models/write_ahead.py) and
        update the changed ones; audited. Returns (created, updated)."""
        if not inserted:
            self.insert(batch, (row.values for row in plan.create))
        count = audit.record_same("candidate.create", Candidate.select().where(Candidate.batch_id == batch.id),
                                  Candidate.label_sql(), {"状态": (None, PENDING), "导入批次": (None, f"#{batch.id}")},
                                  user=by)
        for _, candidate, changes in plan.update:
            candidate.edit(changes, by)
        return count, len(plan.update)

    def after_save(self):
        """Once a saved batch's result is stored, outside its transaction: the planner learns the table's new
        size (refresh_statistics: on SQLite when it has doubled, an ANALYZE that reads every index, ~0.2 s at
        100,000 candidates; on PostgreSQL its first rows)."""
        refresh_statistics([Candidate])

    def undo_blockers(self, batches):
        """{batch id: (its candidates still there, why it cannot be undone)} for saved batches, in one grouped
        query for all of them."""
        counts = _counted(Candidate, batches, Candidate.status != PENDING,
                          Candidate.updated_at != Candidate.created_at, Candidate.photo.is_null(False))
        blockers = {}
        for batch in batches:
            total, authenticated, edited, photographed = counts.get(batch.id, (0, 0, 0, 0))
            if batch.updated:
                blockers[batch.id] = [f"本批次更新了 {batch.updated} 名已有考生的信息，更新无法整体撤销"]
            elif not total:
                blockers[batch.id] = ["本批次没有新增的考生（或已全部删除）"]
            else:
                reasons = [f"{count} 名考生{what}" for count, what in ((authenticated, "已认证或已人工确认"),
                                                                   (edited, "导入后被修改过"),
                                                                   (photographed, "已上传照片")) if count]
                blockers[batch.id] = ["本批次中" + "，".join(reasons) + "，不能整体撤销"] if reasons else []
        return {batch.id: (counts.get(batch.id, (0,))[0], blockers[batch.id]) for batch in batches}

    def undo(self, batch, by):
        """Delete the batch's candidates, audited; undo_blockers has made sure each is still untouched."""
        removed = audit.record_same("candidate.delete", Candidate.select().where(Candidate.batch_id == batch.id),
                                    Candidate.label_sql(),
                                    {"状态": (PENDING, None), "原因": (None, f"撤销导入批次 #{batch.id}")}, user=by)
        Candidate.delete().where(Candidate.batch_id == batch.id).execute()
        return removed


# ---- 导入待颁证记录 -------------------------------------------------------------------------------------
def _claims(rows):
    """A check Row for each Checked row: certificate and site names resolved in two queries."""
    certificates = {c.name: c for c in Certificate.select()}
    sites = {}
    for site in Site.select():
        sites.setdefault(site.name, []).append(site)
    claims = []
    for item in rows:
        v = item.values
        certificate = certificates.get(v.get("certificate_name"))
        named = sites.get(v.get("site_name"), [])
        # Two sites may share a name: prefer the one for this certificate and level that is usable.
        site = next((s for s in named if certificate and s.certificate_id == certificate.id and s.covers(v.get("level"))
                     and s.is_usable()), None) or next(
            (s for s in named if certificate and s.certificate_id == certificate.id), named[0] if named else None)
        claims.append(Row(name=v.get("name", ""), id_type=v.get("id_type", ""), id_number=v.get("id_number", ""),
                          certificate=certificate, certificate_name=v.get("certificate_name", ""),
                          level=v.get("level", ""), site=site, site_name=v.get("site_name", ""),
                          exam_date=v.get("exam_date"), theory_score=v.get("theory_score"),
                          practical_score=v.get("practical_score"), result=v.get("result", ""),
                          row_number=item.row))
    return claims


def _records_of(batch):
    """The batch's award records, joined to what their audit label names (AwardRecord.label_sql)."""
    return (AwardRecord
            .select()
            .join(Candidate).switch(AwardRecord).join(Certificate)
            .where(AwardRecord.batch_id == batch.id))


class AwardImporter:
    """导入待颁证记录: every row passing the manual's eight checks becomes a 待审核 record.

    The rows are vetted against a context loaded once for the whole file (models/award_checks.py); an
    import button (导入没有错误的 N 行 …) reads and checks the file again inside the saving transaction, so a
    quota used up in between is never exceeded.
    """
    spec = AWARD_SHEET
    title = "导入待颁证记录"
    area, area_endpoint = "待颁证记录", "awards.index"
    updates_existing = False
    writes_ahead = False  # its vet needs every row of the file first (quotas, the whole file's checks)
    rule = ("每行逐项核对操作手册的注意事项：考生须为“信息准确”状态、证书须为本院校试点证书、考核站点须审核通过且已启用、"
            "考核结果须为通过、考核日期不能在未来、同一考生同一证书等级只能导入一次、不能超出当年省厅指标。")
    saved_note = "导入的记录状态为“待审核”，等待培训评价组织审核颁证。"

    def vet(self, rows):
        """Add each failing precondition to its row's issues; a passing row learns what it refers to."""
        claims = _claims(rows)
        ctx = load_context(claims)
        headers = {c.header: c.key for c in self.spec.columns}
        for item, claim in zip(rows, claims):
            problems = check_row(claim, ctx)
            for problem in problems:
                key = headers.get(problem.column, "")
                item.issues.append(Issue(item.row, key, problem.column, item.raw.get(key, ""), problem.message,
                                         problem.fix))
            if not problems:
                item.values["_resolved"] = (claim.candidate.id, claim.certificate.id, claim.site.id)

    def plan(self, rows, update_existing):
        """Every vetted row is created: the checks already compared it with what is stored."""
        return Plan(create=list(rows))

    def warnings(self, plan):
        """None: a record's candidate is 信息准确 already, so its identity passed 认证."""
        return []

    def row_warnings(self, row):
        return []

    def after_save(self):
        """Nothing: AwardRecord.bulk_add leaves SQLite's statistics to the next start."""

    def save(self, batch, plan, by, inserted=False):
        """Insert the plan's records (never `inserted` ahead: writes_ahead is False); audited."""
        at = now()

        def records():
            for item in plan.create:
                v = item.values
                candidate_id, certificate_id, site_id = v["_resolved"]
                yield {"candidate": candidate_id, "certificate": certificate_id, "site": site_id,
                       "level": v["level"], "exam_date": v["exam_date"], "theory_score": v.get("theory_score"),
                       "practical_score": v.get("practical_score"), "result": v["result"], "status": SUBMITTED,
                       "batch_id": batch.id, "created_at": at, "updated_at": at}
        AwardRecord.bulk_add(records())
        analyse_first_rows([AwardRecord, Candidate])  # before the INSERT … SELECT that joins them
        created = audit.record_same("award.create", _records_of(batch), AwardRecord.label_sql(),
                                    {"状态": (None, SUBMITTED), "导入批次": (None, f"#{batch.id}")}, user=by)
        return created, 0

    def undo_blockers(self, batches):
        """{batch id: (its records still there, why it cannot be undone)} for saved batches, in one grouped
        query for all of them."""
        counts = _counted(AwardRecord, batches,
                          (AwardRecord.status != SUBMITTED) | (AwardRecord.updated_at != AwardRecord.created_at))
        blockers = {}
        for batch in batches:
            total, touched = counts.get(batch.id, (0, 0))
            if not total:
                blockers[batch.id] = ["本批次没有导入的记录（或已全部删除）"]
            else:
                blockers[batch.id] = [f"本批次中 {touched} 条记录已颁证、已退回或被修改，不能整体撤销"] if touched else []
        return {batch.id: (counts.get(batch.id, (0,))[0], blockers[batch.id]) for batch in batches}

    def undo(self, batch, by):
        """Delete the batch's records, audited; undo_blockers has made sure each is still 待审核."""
        removed = audit.record_same("award.delete", _records_of(batch), AwardRecord.label_sql(),
                                    {"状态": (SUBMITTED, None), "原因": (None, f"撤销导入批次 #{batch.id}")}, user=by)
        AwardRecord.delete().where(AwardRecord.batch_id == batch.id).execute()
        return removed


# Every importer by kind: a batch finds its own here, and the views the dialog's words.
IMPORTERS = {importer.spec.kind: importer for importer in (CandidateImporter(), AwardImporter())}
