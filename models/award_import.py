"""导入待颁证记录: the second importer of the shared engine (models/importing.py).

The sheet's rows are cleaned by the award column spec, then vetted by the manual's eight checks
(models/award_checks.py) against a context loaded once for the whole file; the rows that pass become
待审核 records in one transaction. 仅导入正确的 N 行 reads and checks the file again inside the saving
transaction, so a quota used up in between is never exceeded.
"""
from sheets.validate import Issue

from . import audit
from .award import SUBMITTED, AwardRecord
from .award_checks import Row, check_row, load_context
from .award_fields import AWARD_SHEET
from .candidate import Candidate
from .catalog import Certificate
from .db import bulk_insert, now
from .import_plan import Plan
from .site import Site


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


def _labelled(query):
    """(id, label) of award records, in one joined query."""
    rows = (query
            .select(AwardRecord.id, Candidate.name, Certificate.name, AwardRecord.level)
            .join(Candidate).switch(AwardRecord).join(Certificate)
            .tuples())
    return ((id_, AwardRecord.label(name, certificate, level)) for id_, name, certificate, level in rows)


class AwardImporter:
    """导入待颁证记录: every row passing the eight checks becomes a 待审核 record."""
    spec = AWARD_SHEET

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
        return []

    def save(self, batch, plan, by):
        at = now()

        def records():
            for item in plan.create:
                v = item.values
                candidate_id, certificate_id, site_id = v["_resolved"]
                yield {"candidate": candidate_id, "certificate": certificate_id, "site": site_id,
                       "level": v["level"], "exam_date": v["exam_date"], "theory_score": v.get("theory_score"),
                       "practical_score": v.get("practical_score"), "result": v["result"], "status": SUBMITTED,
                       "batch_id": batch.id, "created_at": at, "updated_at": at}
        bulk_insert(AwardRecord, records())
        created = audit.record_same("award.create", AwardRecord,
                                    _labelled(AwardRecord.select().where(AwardRecord.batch_id == batch.id)),
                                    {"状态": (None, SUBMITTED), "导入批次": (None, f"#{batch.id}")}, user=by)
        return created, 0

    def undo_blockers(self, batch):
        created = AwardRecord.select().where(AwardRecord.batch_id == batch.id)
        if not created.exists():
            return ["本批次没有导入的记录（或已全部删除）"]
        touched = created.where((AwardRecord.status != SUBMITTED) | (AwardRecord.updated_at != AwardRecord.created_at))
        count = touched.count()
        return [f"本批次中 {count} 条记录已颁证、已退回或被修改，不能整体撤销"] if count else []

    def undo(self, batch, by):
        # undo_blockers has made sure every record of the batch is still 待审核.
        removed = audit.record_same("award.delete", AwardRecord,
                                    _labelled(AwardRecord.select().where(AwardRecord.batch_id == batch.id)),
                                    {"状态": (SUBMITTED, None), "原因": (None, f"撤销导入批次 #{batch.id}")}, user=by)
        AwardRecord.delete().where(AwardRecord.batch_id == batch.id).execute()
        return removed
