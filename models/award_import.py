"""导入待颁证记录: the second importer of the shared engine (models/importing.py).

The sheet's rows are cleaned by the award column spec, then vetted by the manual's eight checks
(models/award_checks.py) against a context loaded once for the whole file; the rows that pass become
待审核 records in one transaction. Re-planning at 仅导入正确的 N 行 runs the checks again, so a quota
used up in between is never exceeded.
"""
from datetime import date

from sheets.spec import AWARDS
from sheets.validate import Issue

from . import audit
from .award import SUBMITTED, AwardRecord
from .award_checks import Row, check_row, load_context
from .catalog import Certificate
from .db import bulk_insert, now
from .importing import Plan
from .site import Site


def _rows(entries):
    """(entry, Row) for kept entries {"row", "values"}: certificate and site names resolved in two queries."""
    certificates = {c.name: c for c in Certificate.select()}
    sites = {}
    for site in Site.select():
        sites.setdefault(site.name, []).append(site)
    pairs = []
    for entry in entries:
        v = entry["values"]
        certificate = certificates.get(v.get("certificate_name"))
        named = sites.get(v.get("site_name"), [])
        # Two sites may share a name: prefer the one for this certificate and level that is usable.
        site = next((s for s in named if certificate and s.certificate_id == certificate.id and s.covers(v.get("level"))
                     and s.is_usable()), None) or next(
            (s for s in named if certificate and s.certificate_id == certificate.id), named[0] if named else None)
        pairs.append((entry, Row(name=v.get("name", ""), id_type=v.get("id_type", ""), id_number=v.get("id_number", ""),
                                 certificate=certificate, certificate_name=v.get("certificate_name", ""),
                                 level=v.get("level", ""), site=site, site_name=v.get("site_name", ""),
                                 exam_date=v.get("exam_date"), theory_score=v.get("theory_score"),
                                 practical_score=v.get("practical_score"), result=v.get("result", ""),
                                 row_number=entry["row"])))
    return pairs


class AwardImporter:
    """导入待颁证记录: every row passing the eight checks becomes a 待审核 record."""
    spec = AWARDS
    noun = "条记录"

    def restore(self, values):
        # Rows kept for 仅导入正确的 N 行 are checked again when confirmed: drop the earlier verdict.
        values.pop("_checked", None)
        if isinstance(values.get("exam_date"), str) and len(values["exam_date"]) == 10:
            try:
                values["exam_date"] = date.fromisoformat(values["exam_date"])
            except ValueError:
                pass
        return values

    def vet(self, checked):
        """Add each failing precondition to its row's issues (the rows the column spec already passed)."""
        good = [c for c in checked if c.ok]
        pairs = _rows([{"row": c.row, "values": c.values} for c in good])
        ctx = load_context([row for _, row in pairs])
        headers = {c.header: c.key for c in self.spec.columns}
        for (entry, row), item in zip(pairs, good):
            problems = check_row(row, ctx)
            for problem in problems:
                key = headers.get(problem.column, "")
                item.issues.append(Issue(item.row, key, problem.column, item.raw.get(key, ""), problem.message,
                                         problem.fix))
            if not problems:
                # The verdict for plan() in the same check: a second context load would only repeat it.
                item.values["_checked"] = (row.candidate.id, row.certificate.id, row.site.id)

    def plan(self, rows, update_existing):
        """Check the kept rows again against the database as it is now; those still passing are created.

        Rows vetted a moment ago in the same check carry their verdict and are not loaded again.
        """
        plan = Plan()
        for entry in rows:
            if "_checked" in entry["values"]:
                entry["resolved"] = entry["values"]["_checked"]
                plan.create.append(entry)
        pairs = _rows([entry for entry in rows if "_checked" not in entry["values"]])
        ctx = load_context([row for _, row in pairs])
        for entry, row in pairs:
            if check_row(row, ctx):
                plan.existing.append(entry["row"])  # refused now: counted, never written
            else:
                entry["resolved"] = (row.candidate.id, row.certificate.id, row.site.id)
                plan.create.append(entry)
        return plan

    def warnings(self, good):
        return []

    def save(self, batch, plan, by):
        at = now()
        rows = []
        for entry in plan.create:
            v = entry["values"]
            candidate_id, certificate_id, site_id = entry["resolved"]
            rows.append({"candidate": candidate_id, "certificate": certificate_id, "site": site_id,
                         "level": v["level"], "exam_date": v["exam_date"], "theory_score": v.get("theory_score"),
                         "practical_score": v.get("practical_score"), "result": v["result"], "status": SUBMITTED,
                         "batch_id": batch.id, "created_at": at, "updated_at": at})
        bulk_insert(AwardRecord, rows)
        created = list(AwardRecord.select().where(AwardRecord.batch_id == batch.id))
        audit.record_many("award.create", [(r, {"状态": (None, SUBMITTED), "导入批次": (None, f"#{batch.id}")})
                                           for r in created], user=by)
        return len(created), 0

    def undo_blockers(self, batch):
        created = AwardRecord.select().where(AwardRecord.batch_id == batch.id)
        if not created.exists():
            return ["本批次没有导入的记录（或已全部删除）"]
        touched = created.where((AwardRecord.status != SUBMITTED) | (AwardRecord.updated_at != AwardRecord.created_at))
        count = touched.count()
        return [f"本批次中 {count} 条记录已颁证、已退回或被修改，不能整体撤销"] if count else []

    def undo(self, batch, by):
        created = list(AwardRecord.select().where(AwardRecord.batch_id == batch.id))
        audit.record_many("award.delete", [(r, {"状态": (r.status, None), "原因": (None, f"撤销导入批次 #{batch.id}")})
                                           for r in created], user=by)
        AwardRecord.delete().where(AwardRecord.batch_id == batch.id).execute()
        return len(created)

