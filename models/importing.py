"""批量导入: each upload is an ImportBatch that is checked whole before anything is written.

upload → receive() stores the file and its fingerprint under <DATA_DIR>/imports → check() (a Job) reads
it with the sheet's column spec, validates every row with the area's own validator, vets the valid rows
against the database and compares them with what is stored → all rows valid: saved at once, in the
transaction that compared them; otherwise only the failing rows are kept (the error table and report)
and the batch waits for 仅导入正确的 N 行 (commit()), which reads the stored file again, checks it again
and writes the rows that passed before and still pass, in one transaction. The upload is deleted once
no step will read it again. A saved batch can be undone whole (撤销本次导入) while none of its records
has been touched since.

An area plugs in with an importer (see CandidateImporter): its spec, its checks against the database
(vet), how rows compare with stored records (plan), how a plan is written (save) and how a batch is
undone. The pending-certificate import adds a second importer; the batch, the job, the preview and the
history are shared.
"""
import gc
import hashlib
import json
import time
import zlib
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from sheets import readers
from sheets.readers import SheetError
from sheets.report import build_report
from sheets.spec import CANDIDATES
from sheets.validate import check_rows

from . import audit
from .award_import import AwardImporter
from .batch import CHECKING, IMPORTED, REFUSED, REVIEW, SAVING, ImportBatch, ImportRefused, limits
from .candidate import PENDING, Candidate
from .db import bulk_insert, db, is_sqlite, now, select_in
from .identity import identity_problems
from .import_plan import Plan
from .job import Job, start


# ---- upload and check ------------------------------------------------------------------------------
def receive(kind, stream, filename, update_existing, by):
    """Store an upload under the data directory while hashing it; returns the new batch.

    A file over the size limit or of a refused type becomes a 未导入 batch with the message why.
    """
    max_bytes, _ = limits()
    batch = ImportBatch.create(kind=kind, file_name=Path(filename or "未命名").name[:200],
                               update_existing=update_existing, created_by=by)
    try:
        readers.check_extension(batch.file_name, IMPORTERS[kind].spec)
    except SheetError as exc:
        batch._set(status=REFUSED, message=str(exc))
        return batch
    digest, size = hashlib.sha256(), 0
    with batch.upload_path.open("wb") as out:
        while chunk := stream.read(1024 * 1024):
            size += len(chunk)
            if size > max_bytes:
                break
            digest.update(chunk)
            out.write(chunk)
    if size > max_bytes:
        batch.upload_path.unlink(missing_ok=True)
        batch._set(status=REFUSED, file_size=size,
                   message=f"文件超过 {max_bytes // (1024 * 1024)} MB 的上限，请拆分为多个文件分批导入")
        return batch
    batch._set(fingerprint=digest.hexdigest(), file_size=size)
    return batch


def start_check(batch, force=False):
    """Check the batch's file in a background job (inline in tests); returns the batch as it is now."""
    job = Job.create(kind=f"import.{batch.kind}", file_path=str(batch.upload_path), created_by=batch.created_by)
    batch._set(job_id=job.id, status=CHECKING, message="", duplicate_of=None)
    start(job, lambda job: check(batch.id, job, force))
    return ImportBatch.get_by_id(batch.id)


def check(batch_id, job, force=False):
    """The job: read, validate, compare with what is stored; save at once when every row is fine."""
    started = time.perf_counter()
    batch = ImportBatch.get_by_id(batch_id)
    if not force:
        earlier = batch.earlier_import()
        if earlier is not None:
            batch._set(status=REVIEW, duplicate_of=earlier.id,
                       message=f"此文件已于 {earlier.created_at.month}月{earlier.created_at.day}日 "
                               f"{earlier.created_at:%H:%M} 导入，批次 #{earlier.id}")
            return {"batch": batch.id}
    try:
        table = _read(batch, job)
    except SheetError as exc:
        batch._set(status=REFUSED, message=str(exc), duration=round(time.perf_counter() - started, 3))
        batch.discard_upload()
        audit.record("import.check", batch, {"结果": (None, str(exc))}, user=batch.created_by)
        return {"batch": batch.id}
    details = _describe(table, batch.importer.spec)
    batch.total = len(table.rows)
    with _paused_gc():
        good, bad = _validate(batch, table, job)
        del table  # the rows live on in good and bad only: a big file is not held twice
        # What is stored is compared, and an all-valid file written, in one transaction: the plan
        # cannot go stale between the comparison and the write.
        with db.atomic():
            plan, bad = _plan(batch, good, bad)
            details.update(groups=_groups(bad), warnings=batch.importer.warnings(plan))
            _count(batch, plan, bad)
            batch._set(details=json.dumps(details, ensure_ascii=False))
            if not bad and not plan.existing:
                _save(batch, plan, started)
        if batch.status == IMPORTED:
            batch.discard_upload()
            return {"batch": batch.id}
    # Only the failing rows are kept (for the error table and report); 仅导入正确的 N 行 reads the
    # stored upload again, so the valid rows' personal data is not copied anywhere else on disk.
    batch._keep("-errors.json", bad)
    batch._set(status=REVIEW, duration=round(time.perf_counter() - started, 3))
    audit.record("import.check", batch, {"总行数": (None, batch.total), "有错误": (None, batch.errors),
                                         "已存在": (None, batch.existing)}, user=batch.created_by)
    return {"batch": batch.id}


def confirm(batch):
    """仅导入正确的 N 行: write the rows that passed the check, in a job (checked again first)."""
    claimed = (ImportBatch
               .update(status=SAVING, message="")
               .where((ImportBatch.id == batch.id) & (ImportBatch.status == REVIEW) & ImportBatch.duplicate_of.is_null())
               .execute())
    if not claimed:
        raise ImportRefused("这个批次不能再导入（可能已经导入或正在导入），请查看导入记录")
    job = Job.create(kind=f"import.{batch.kind}.save", created_by=batch.created_by)
    batch._set(job_id=job.id, status=SAVING)
    start(job, lambda job: commit(batch.id, job))
    return ImportBatch.get_by_id(batch.id)


def commit(batch_id, job):
    """The job behind 仅导入正确的 N 行: the stored upload is read and checked again, and of the rows that
    passed before, those that still pass are written. A row that fails now (its ID stored meanwhile, a
    quota used up) joins the error report; a row that failed before is never written, even if it would
    pass now: the user confirmed the rows the table showed."""
    started = time.perf_counter()
    batch = ImportBatch.get_by_id(batch_id)
    before = batch._load("-errors.json")
    refused = {row["row"] for row in before}
    try:
        # No row limit this time: the file passed the limit in force when it was checked.
        table = _read(batch, job, limited=False)
    except SheetError as exc:
        # Final: the stored file is gone or damaged, so no later attempt can do better.
        message = f"无法再次读取上传的文件（{exc}），未写入任何数据，请重新上传"
        batch._set(status=REFUSED, message=message)
        batch.discard_upload()
        audit.record("import.save", batch, {"结果": (None, message)}, user=batch.created_by)
        return {"batch": batch.id}
    with _paused_gc():
        good, bad = _validate(batch, table, job, skip=refused)
        del table
        with db.atomic():
            plan, bad = _plan(batch, good, bad)
            _count(batch, plan, bad, refused=len(before))
            _save(batch, plan, started, extra=batch.duration)
    if bad:
        batch._keep("-errors.json", sorted(before + bad, key=lambda row: row["row"]))
        batch.path("-errors.xlsx").unlink(missing_ok=True)
    batch.discard_upload()
    return {"batch": batch.id}


def _read(batch, job, limited=True):
    """The batch's upload as a Table (SheetError when it cannot be read); the job learns the row count.
    `limited`: refused over the row limit setting."""
    if not batch.upload_path.exists():
        raise SheetError("上传的文件已不在服务器上")
    max_rows = limits()[1] if limited else None
    table = readers.read(batch.upload_path, batch.importer.spec, filename=batch.file_name, max_rows=max_rows)
    job.report(0, total=len(table.rows))
    return table


def _validate(batch, table, job, skip=()):
    """Every row through the column spec: (good Checked rows, bad rows as kept for the report).

    Rows numbered in `skip` are left out altogether (the rows refused before 仅导入正确的 N 行).
    """
    checked = check_rows(batch.importer.spec, table, progress=job.report, skip=skip)
    good = [row for row in checked if row.ok]
    return good, [row.as_error() for row in checked if not row.ok]


def _plan(batch, good, bad):
    """The area's own checks against the database, then the comparison with what is stored:
    (plan, bad rows including those the checks refused). Call inside the transaction that saves."""
    if not is_sqlite():
        # SQLite's BEGIN IMMEDIATE already runs one saving transaction at a time; PostgreSQL's READ
        # COMMITTED would let two imports of one kind both count the same quota left and both write.
        db.execute_sql("SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(batch.kind.encode())])
    batch.importer.vet(good)
    bad = bad + [row.as_error() for row in good if not row.ok]
    return batch.importer.plan([row for row in good if row.ok], batch.update_existing), bad


def _count(batch, plan, bad, refused=0):
    """Set the batch's row counts from a check, the one place they are counted: each checked row is in
    exactly one of the plan's lists or `bad` (which holds the rows the importer's vet refused too), so
    可导入 + 有错误 + 已存在 + 未变化 add up to 总行数. `refused`: rows an earlier check refused and
    this one skipped."""
    batch.valid, batch.errors = plan.writes, refused + len(bad)
    batch.existing, batch.unchanged = len(plan.existing), len(plan.unchanged)


@contextmanager
def _paused_gc():
    # Tens of thousands of small objects are made during a check and none is garbage: pausing the
    # cyclic collector meanwhile saves a tenth of the time on big files.
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _save(batch, plan, started, extra=0.0):
    """Write a plan and mark the batch 已导入, all in one transaction."""
    by = batch.created_by
    with db.atomic():
        created, updated = batch.importer.save(batch, plan, by)
        batch._set(status=IMPORTED, imported=created, updated=updated, saved_at=now(),
                   duration=round(extra + time.perf_counter() - started, 3))
        audit.record("import.save", batch, {"新增": (None, created), "更新": (None, updated),
                                            "未变化": (None, batch.unchanged), "已存在": (None, batch.existing),
                                            "有错误": (None, batch.errors)}, user=by)


def report_file(batch):
    """The batch's error report (.xlsx), written on first download and kept."""
    path = batch.path("-errors.xlsx")
    if not path.exists():
        build_report(batch.importer.spec, batch._load("-errors.json"), path)
    return path


def _describe(table, spec):
    """What the preview says about how the file was read: format, encoding with a sample row, extras."""
    sample = []
    if table.rows:
        number, raw = table.rows[0]
        sample = [number, [[c.header, c.mask(raw[c.key]) if c.sensitive else raw[c.key]] for c in table.columns]]
    return {"file_kind": table.file_kind, "sheet": table.sheet, "encoding": table.encoding, "sample": sample,
            "unknown": table.unknown, "notes": readers.outdated(table.marker, spec)}


def _groups(bad):
    """Problems grouped by column and fix, most frequent first, for files with hundreds of errors."""
    groups = {}
    for row in bad:
        for issue in row["issues"]:
            group = groups.setdefault((issue["header"], issue["fix"]), {"header": issue["header"], "fix": issue["fix"],
                                                                       "problem": issue["problem"], "rows": []})
            group["rows"].append(issue["row"])
    ordered = sorted(groups.values(), key=lambda g: -len(g["rows"]))
    for group in ordered:
        group["count"], group["rows"] = len(group["rows"]), group["rows"][:12]
    return ordered


# ---- importers -------------------------------------------------------------------------------------
def _identity(values):
    return (values.get("name"), values["id_type"], values["id_number"], values.get("gender"), values.get("birth_date"))


class CandidateImporter:
    """批量导入学生信息: new candidates are inserted in 待认证; 更新已有考生 edits through the model."""
    spec = CANDIDATES
    noun = "考生"

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
        """Rows that are valid to store but will fail 认证 (check character, birth date, gender)."""
        rows, today = plan.create + [row for row, _, _ in plan.update], date.today()
        failing = sum(1 for row in rows if identity_problems(*_identity(row.values), today=today))
        return [f"{failing} 行可以导入，但认证时将不通过（如证件号码校验位、出生日期或性别不符），导入后可在考生管理中按原因修改"] if failing else []

    def save(self, batch, plan, by):
        """Insert the new candidates in chunks and update the changed ones; audited. Returns (created, updated)."""
        at = now()
        bulk_insert(Candidate, (dict(row.values, status=PENDING, batch_id=batch.id, created_at=at, updated_at=at)
                                for row in plan.create))
        # The audit rows need only each new candidate's id and label: plain rows from the cursor, not a
        # model instance (or even peewee's converted tuple) each.
        created = db.execute(Candidate
                             .select(Candidate.id, Candidate.name, Candidate.id_number)
                             .where(Candidate.batch_id == batch.id))
        count = audit.record_same("candidate.create", Candidate,
                                  ((id_, Candidate.label(name, number)) for id_, name, number in created),
                                  {"状态": (None, PENDING), "导入批次": (None, f"#{batch.id}")}, user=by)
        for _, candidate, changes in plan.update:
            candidate.edit(changes, by)
        return count, len(plan.update)

    def _created(self, batch):
        return Candidate.select().where(Candidate.batch_id == batch.id)

    def undo_blockers(self, batch):
        if batch.updated:
            return [f"本批次更新了 {batch.updated} 名已有考生的信息，更新无法整体撤销"]
        created = self._created(batch)
        if not created.exists():
            return ["本批次没有新增的考生（或已全部删除）"]
        reasons = []
        checks = ((created.where(Candidate.status != PENDING), "已认证或已人工确认"),
                  (created.where(Candidate.updated_at != Candidate.created_at), "导入后被修改过"),
                  (created.where(Candidate.photo.is_null(False)), "已上传照片"))
        for query, what in checks:
            count = query.count()
            if count:
                reasons.append(f"{count} 名考生{what}")
        return ["本批次中" + "，".join(reasons) + "，不能整体撤销"] if reasons else []

    def undo(self, batch, by):
        # undo_blockers has made sure every candidate of the batch is still 待认证.
        created = self._created(batch).select(Candidate.id, Candidate.name, Candidate.id_number).tuples()
        removed = audit.record_same("candidate.delete", Candidate,
                                    ((id_, Candidate.label(name, number)) for id_, name, number in created),
                                    {"状态": (PENDING, None), "原因": (None, f"撤销导入批次 #{batch.id}")}, user=by)
        Candidate.delete().where(Candidate.batch_id == batch.id).execute()
        return removed


# Every importer by kind, so that a batch finds its own; the pending-certificate importer lives with
# its area (models/award_import.py).
IMPORTERS = {CANDIDATES.kind: CandidateImporter(), AwardImporter.spec.kind: AwardImporter()}
