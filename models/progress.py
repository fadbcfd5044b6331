"""The office's progress figures: what waits for whom, and how far each certificate and group has come.

首页 and the navigation read these. Each figure is one grouped query (or one statement of scalar
subqueries), never a loop over rows, so 首页 stays fast at 100,000 candidates (bench/dashboard.py).
"""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from peewee import SQL, fn

from . import setting, unchanged
from .award import HOLDING, ISSUED, RETURNED, SUBMITTED, AwardRecord
from .import_batch import REVIEW, ImportBatch
from .candidate import ACCURATE, PENDING, REJECTED, STATUSES, VERIFIED, Candidate
from .catalog import Certificate
from .db import count_of, is_sqlite, one_row
from .pilot import PilotCertificate, level_order
from .pinyin import text_order
from .quota import Quota
from .site import PENDING as SITE_PENDING, REJECTED as SITE_REJECTED, Site
from .user import REVIEWER


def _year(year):
    return date(year, 1, 1), date(year, 12, 31)


# ---- what waits for the user ---------------------------------------------------------------------
def college_todo(today=None):
    """The college's to-do on 首页: {line: count}, each the total the list it links to shows."""
    keep_days = setting.get("import_keep_days")
    # A batch older than import_keep_days expires when 导入记录 opens (ImportBatch.reconcile): not counted.
    fresh = datetime.combine(today or date.today(), datetime.min.time()) - timedelta(days=keep_days)
    statuses = Candidate.status_counts()
    return dict(pending=statuses[PENDING], rejected=statuses[REJECTED], verified=statuses[VERIFIED],
                without_photo=sum(Candidate.list_counts({"has_photo": "0"}).values()), **one_row(
        returned=count_of(AwardRecord.select().where(AwardRecord.status == RETURNED)),
        rejected_sites=count_of(Site.select().where(Site.review_status == SITE_REJECTED)),
        waiting_imports=count_of(ImportBatch.select().where((ImportBatch.status == REVIEW)
                                                          & (ImportBatch.created_at >= fresh))),
    ))


def reviewer_queue(user, today=None):
    """A reviewer's queue: its organisation's 待审核 sites and records, and the certificates issued this month."""
    start, end = month_bounds(today or date.today())
    return one_row(
        sites=count_of(_org_sites(user).where(Site.review_status == SITE_PENDING)),
        records=count_of(_org_records(user).where(AwardRecord.status == SUBMITTED)),
        issued=count_of(_org_records(user).where((AwardRecord.status == ISSUED)
                                               & (AwardRecord.issued_at >= start)
                                               & (AwardRecord.issued_at < end))),
    )


def waiting_for(user):
    """The navigation's counts: {nav endpoint: (count, what waits)}, each kept by the database but the sites'
    (a few hundred rows); the whole kept by the server process until the database changes (every page
    draws them). What a user sees depends on its role and, for a reviewer, its organisation."""
    return unchanged.kept("navigation counts", (user.role, user.organisation_id), lambda: _waiting_for(user))


def _waiting_for(user):
    records = AwardRecord.counts_seen_by(user)
    if user.role == REVIEWER:
        sites = _org_sites(user).where(Site.review_status == SITE_PENDING).count()
        return {"sites.index": (sites, SITE_PENDING), "awards.index": (records[SUBMITTED], SUBMITTED)}
    sites = Site.select().where(Site.review_status == SITE_REJECTED).count()
    return {"candidates.index": (Candidate.status_counts()[VERIFIED], "待人工确认"),
            "sites.index": (sites, SITE_REJECTED),
            "awards.index": (records[RETURNED], RETURNED)}


def _org_sites(user):
    return Site.select().join(Certificate).where(Certificate.organisation == user.organisation_id)


def _org_records(user):
    return AwardRecord.select().join(Certificate).where(Certificate.organisation == user.organisation_id)


def month_bounds(day):
    """(first day of the month, first day of the next month)."""
    start = day.replace(day=1)
    return start, (start + timedelta(days=32)).replace(day=1)


# ---- how far each certificate level has come -------------------------------------------------------
@dataclass
class LevelProgress:
    """One 试点证书 level in a year: the funnel 考生 → 信息准确 → 已导入 → 已颁证 and its 省厅指标."""
    certificate_id: int
    certificate: str
    level: str
    candidates: int
    accurate: int
    submitted: int = 0
    issued: int = 0
    quota: int | None = None
    document_no: str = ""

    @property
    def imported(self):
        """Records imported and not returned (待审核 + 已颁证): what the 省厅指标 counts as used."""
        return self.submitted + self.issued

    @property
    def remaining(self):
        return None if self.quota is None else self.quota - self.imported


def certificate_progress(year):
    """Per 试点证书 level (and any level with a quota that year), in catalogue order, for one year.

    Candidates are not tied to a certificate until a record is imported, so 考生 and 信息准确 are the
    college's totals; 已导入 and 已颁证 count the level's records by exam year, as the quota does.
    """
    college = one_row(candidates=count_of(Candidate.select()),
                       accurate=count_of(Candidate.select().where(Candidate.status == ACCURATE)))
    names = dict(Certificate.select(Certificate.id, Certificate.name).tuples())
    keys = set(PilotCertificate.select(PilotCertificate.certificate, PilotCertificate.level).tuples())
    quotas = {(c, lv): (amount, no) for c, lv, amount, no in (Quota
                                                             .select(Quota.certificate, Quota.level,
                                                                     Quota.amount, Quota.document_no)
                                                             .where(Quota.year == year)
                                                             .tuples())}
    records = (AwardRecord
               .select(AwardRecord.certificate, AwardRecord.level, AwardRecord.status, fn.COUNT(AwardRecord.id))
               .where(AwardRecord.status.in_(HOLDING) & AwardRecord.exam_date.between(*_year(year)))
               .group_by(AwardRecord.certificate, AwardRecord.level, AwardRecord.status)
               .tuples())
    levels = {key: LevelProgress(key[0], names[key[0]], key[1], college["candidates"], college["accurate"])
              for key in keys | set(quotas)}
    for key, (amount, document_no) in quotas.items():
        levels[key].quota, levels[key].document_no = amount, document_no
    for certificate_id, level, status, n in records:
        if (certificate_id, level) in levels:
            setattr(levels[(certificate_id, level)], "issued" if status == ISSUED else "submitted", n)
    return sorted(levels.values(), key=lambda p: (p.certificate, level_order(p.level)))


# ---- how far each 院系 (or each 班级 of one 院系) has come ------------------------------------------
@dataclass
class GroupProgress:
    """A 院系 or 班级: its candidates by status and its records of the year (imported, issued)."""
    name: str
    statuses: dict = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    imported: int = 0
    issued: int = 0

    @property
    def total(self):
        return sum(self.statuses.values())

    @classmethod
    def sum_of(cls, name, groups):
        """One group adding up others (a 院系 from its 班级)."""
        whole = cls(name)
        for group in groups:
            for status, n in group.statuses.items():
                whole.statuses[status] += n
            whole.imported += group.imported
            whole.issued += group.issued
        return whole


def group_progress(year, department=None):
    """Per 院系, or per 班级 when a 院系 is given ("" for candidates without one), in pinyin order as the
    filters offer them."""
    column = Candidate.department if department is None else Candidate.class_name
    # Grouped by status first, the order of the (status, department, class_name) index, and counting rows
    # rather than ids: both databases count from the index alone, without hashing or sorting every row.
    candidates = (Candidate
                  .select(Candidate.status, column, fn.COUNT(SQL("*")))
                  .group_by(Candidate.status, column))
    records = (AwardRecord
               .select(column, AwardRecord.status, fn.COUNT(AwardRecord.id))
               .join(Candidate)
               .where(AwardRecord.status.in_(HOLDING) & AwardRecord.exam_date.between(*_year(year)))
               .group_by(column, AwardRecord.status))
    if department is not None:
        # Naming every status lets the index be searched per status for the one 院系, not read whole.
        candidates = candidates.where(Candidate.status.in_(STATUSES) & (Candidate.department == department))
        records = records.where(Candidate.department == department)
    groups = {}
    for status, name, n in candidates.tuples():
        groups.setdefault(name, GroupProgress(name)).statuses[status] = n
    for name, status, n in records.tuples():
        group = groups.setdefault(name, GroupProgress(name))
        group.imported += n
        group.issued += n if status == ISSUED else 0
    # Unnamed groups last: they are what staff still have to fill in.
    return sorted(groups.values(), key=lambda g: (not g.name, text_order(g.name or "")))


# ---- certificates issued per month ---------------------------------------------------------------
def issued_per_month(user, months=12, today=None):
    """[(first day of month, certificates issued)] for the last `months` months, oldest first; a reviewer
    counts its own organisation's certificates only."""
    first = month_bounds(today or date.today())[0]
    starts = [first]
    for _ in range(months - 1):
        starts.insert(0, (starts[0] - timedelta(days=1)).replace(day=1))
    month = (fn.strftime("%Y-%m", AwardRecord.issued_at) if is_sqlite()
             else fn.to_char(AwardRecord.issued_at, "YYYY-MM"))
    query = _org_records(user) if user.role == REVIEWER else AwardRecord.select()
    counts = dict(query
                  .select(month, fn.COUNT(AwardRecord.id))
                  .where((AwardRecord.status == ISSUED) & (AwardRecord.issued_at >= starts[0]))
                  .group_by(month)
                  .tuples())
    return [(start, counts.get(f"{start:%Y-%m}", 0)) for start in starts]
