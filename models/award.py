"""待颁证记录 and their status machine: 待审核 → 颁证 (已颁证, with a certificate number) or 退回 (已退回).

A returned record can be corrected by staff and resubmitted (back to 待审核). 已颁证 records are read-only.
"""
from dataclasses import dataclass
from datetime import timedelta

from peewee import (JOIN, SQL, Case, CharField, DateField, DateTimeField, FloatField, ForeignKeyField, IntegerField,
                    TextField, fn)

from sheets.spec import Column, Form

from . import audit, award_class, name_index, numbering
from .candidate import Candidate
from .catalog import Certificate
from .db import (BaseModel, TimestampField, db, in_ids, is_sqlite, now, read_once, select_in,
                 starts, unindexed, unordered, where_all)
from .normalise import FieldError, day_or_none, whole_number
from .site import Site
from .tally import Counted, Tally
from .user import REVIEWER, User

SUBMITTED, ISSUED, RETURNED = "待审核", "已颁证", "已退回"
STATUSES = (SUBMITTED, ISSUED, RETURNED)
STATUS_COLORS = {SUBMITTED: "orange", ISSUED: "green", RETURNED: "red"}
# Records a search hands on by id; a broader search stays a subquery.
SEARCH_LIST = 1000
# A search that found at most this many has its page read by id and sorted: PostgreSQL walked 25,000 entries of
# the created_at index to find the newest 50 of 200 records found (5 ms; sorted, 2 ms). More lie closer together
# along the index than sorting them costs (1,000 spread evenly: 2 ms walked, 12 ms sorted).
SORTED_SEARCH = 250
# 待颁证记录 on SQLite: entries of the newest-first index walked and tested (~0.1 µs each) that cost as much as one
# record found through the 证书 and 等级's index and sorted (~1–2 µs: 1,700 records 1.9 ms, 6,700 records 16 ms).
WALKED_PER_SORTED = 12
# A candidate may hold one record per certificate and level while it is pending or issued.
HOLDING = (SUBMITTED, ISSUED)
DATE_FILTERS = ("date_from", "date_to", "issued_from", "issued_to")  # 待颁证记录's filters by a day

audit.DELETIONS["awardrecord"] = "award.delete"
audit.ACTION_LABELS.update({
    "award.create": "导入待颁证记录",
    "award.issue": "颁证",
    "award.return": "退回",
    "award.resubmit": "修改后重新提交",
    "award.delete": "撤销导入的记录",
    "award.export": "导出待颁证记录",
})


# 退回's one field: why the reviewer sends the record back to the college.
RETURN_FORM = Form((Column("reason", "退回原因", lambda raw: (raw or "").strip(), required=True, max_length=500,
                           input="textarea"),))


class AwardError(FieldError):
    """A refused action on a record, with a message for the user."""


@dataclass
class IssueGroup:
    """Records of one certificate level about to be issued, and the numbers they would get."""
    certificate: Certificate
    level: str
    records: list
    numbers: list

    @property
    def span(self):
        return numbering.span(self.numbers)


def typed_score(value):
    """A score as it was typed: 85 for the 85.0 stored, 85.5 as it is, "" for none."""
    return "" if value is None else f"{value:g}"


# The records per (status, certificate, level, site), kept by the database (models/tally.py): 待颁证记录's status
# line and the navigation counted a third of 100,000 records' index entries for each status (11.6 ms of a
# page on PostgreSQL).
TALLY = Tally("award_tally", "award_record",
              {"status": "VARCHAR(255)", "certificate_id": "INTEGER", "level": "VARCHAR(255)", "site_id": "INTEGER"},
              lambda row, sqlite: f"{row}.status, {row}.certificate_id, {row}.level, {row}.site_id",
              watched=("status", "certificate_id", "level", "site_id"))


class AwardRecord(Counted, BaseModel):
    tally = TALLY
    candidate = ForeignKeyField(Candidate, backref="awards", on_delete="RESTRICT")
    certificate = ForeignKeyField(Certificate, on_delete="RESTRICT")
    level = CharField()
    site = ForeignKeyField(Site, backref="awards", on_delete="RESTRICT", index=False)  # (site, created_at, status)
    exam_date = DateField(index=True)
    theory_score = FloatField(null=True)
    practical_score = FloatField(null=True)
    result = CharField(default="通过")
    status = CharField(default=SUBMITTED, index=True)
    certificate_number = CharField(null=True, unique=True)
    issued_at = DateTimeField(null=True, index=True)
    issued_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="issued_awards")
    return_reason = TextField(default="")
    batch_id = IntegerField(null=True)
    created_at = TimestampField()  # (created_at, id, status, certificate, level): the list's order
    updated_at = TimestampField()
    # The candidate's 院系 and 班级, copied by the database (models/award_class.py) for 颁证名单 to read along
    # the indexes below.
    department = CharField(default="")
    class_name = CharField(default="")

    class Meta:
        indexes = ((("candidate", "certificate", "level"), False),
                   # 待颁证记录 newest first, with the columns its 状态, 证书 and 等级 filters (and a reviewer's
                   # certificates) test: a page deep in the list, filtered or not, is found along the index alone
                   # (the middle of a level's 33,000 records: SQLite read 50,000 records' rows, 13–20 ms; 2 ms).
                   (("created_at", "id", "status", "certificate", "level"), False),
                   # The exam date and candidate: 颁证前检查 counts a year's 省厅指标 use and who holds a record of
                   # a level from the index alone.
                   (("certificate", "level", "status", "exam_date", "candidate"), False),
                   # 导入记录 counts each batch's touched records (undo_blockers) from the index alone.
                   (("batch_id", "status", "created_at", "updated_at"), False),
                   # A site's records newest first and counted per status without reading the table.
                   (("site", "created_at", "status"), False),
                   # 颁证名单 of a 院系 or 班级: its classes and its (certificate, level) groups counted from the index
                   # alone, and (ROSTER_ORDER, below) a group's page read from it in the order of the numbers.
                   (("status", "department", "class_name", "certificate", "level"), False))

    @classmethod
    def added(cls, first_id):
        """Rows inserted from id `first_id` on: counted (Counted) and given their candidate's 院系 and 班级."""
        super().added(first_id)
        award_class.place_new(first_id)

    def __str__(self):
        return self.label(self.candidate.name, self.certificate.name, self.level)

    @staticmethod
    def label(candidate_name, certificate_name, level):
        """How a record is named in the audit log: 张三 Web前端开发 中级."""
        return f"{candidate_name} {certificate_name} {level}"

    @classmethod
    def label_sql(cls):
        """label() as an SQL expression over the record joined to its candidate and certificate, for audit
        events the database writes (audit.record_same)."""
        return Candidate.name.concat(" ").concat(Certificate.name).concat(" ").concat(cls.level)

    @property
    def status_color(self):
        return STATUS_COLORS[self.status]

    @property
    def can_issue(self):
        """颁证 and 退回 take a record waiting for review (待审核)."""
        return self.status == SUBMITTED

    can_return = can_issue

    @property
    def is_returned(self):
        """A returned record shows its reason and may be corrected and resubmitted by staff."""
        return self.status == RETURNED

    def export_values(self):
        """The record as a row of the import template (so an export can be corrected and imported), then
        what became of it: 状态, 证书编号, 颁证日期, and 退回原因 while it is returned."""
        return {"name": self.candidate.name, "id_type": self.candidate.id_type, "id_number": self.candidate.id_number,
                "certificate_name": self.certificate.name, "level": self.level, "site_name": self.site.name,
                "exam_date": self.exam_date, "theory_score": self.theory_score,
                "practical_score": self.practical_score, "result": self.result,
                "status": self.status, "certificate_number": self.certificate_number, "issued_on": self.issued_on,
                "return_reason": self.return_reason if self.is_returned else ""}

    @property
    def issued_on(self):
        """颁证日期: the day of issue, or None."""
        return self.issued_at.date() if self.issued_at else None

    # ---- transitions -----------------------------------------------------------------------------
    @staticmethod
    def _by_level(records):
        """{(certificate id, level): records}: each certificate level counts its own numbers."""
        groups = {}
        for record in records:
            groups.setdefault((record.certificate_id, record.level), []).append(record)
        return groups

    @staticmethod
    def check_waiting(records, action):
        """颁证 and 退回 take records waiting for review (待审核) only: the others refuse the lot."""
        refused = [r for r in records if r.status != SUBMITTED]
        if refused:
            raise AwardError(f"只有待审核的记录可以{action}（{len(refused)} 条记录状态不是待审核）")

    @classmethod
    def issue_preview(cls, records):
        """What 颁证's confirmation names: per certificate and level, its records and the numbers they would
        get now (none reserved). Refused as issue_many() would refuse."""
        cls.check_waiting(records, "颁证")
        year = now().year
        return [IssueGroup(members[0].certificate, level, members,
                           numbering.peek(members[0].certificate, level, year, len(members)))
                for (_, level), members in cls._by_level(records).items()]

    @classmethod
    def issue_many(cls, records, by):
        """颁证: give each 待审核 record a unique certificate number, all in one transaction.

        Returns the issued records; records in other states are refused as a whole with a message.
        """
        cls.check_waiting(records, "颁证")
        at = now()
        with db.atomic():
            for (_, level), members in cls._by_level(records).items():
                numbers = numbering.allocate(members[0].certificate, level, at.year, len(members))
                # Possible only after the number format changed: refuse rather than fail on the unique index.
                taken = list(select_in(cls, ["certificate_number"], "certificate_number", numbers))
                if taken:
                    raise AwardError(f"证书编号 {taken[0][0]} 已颁发给另一条记录（证书编号格式或序号位数改过），"
                                     "请院校管理员在 系统管理 → 院校设置 中调整证书编号格式后再颁证")
                for record, number in zip(members, numbers):
                    record.status, record.certificate_number = ISSUED, number
                    record.issued_at, record.issued_by, record.updated_at = at, by, at
                    record.save()
                audit.record_many("award.issue", [(r, {"状态": (SUBMITTED, ISSUED), "证书编号": (None, r.certificate_number)})
                                                  for r in members], user=by)
        return records

    def resubmit_values(self):
        """What 修改后重新提交's form shows before anything is changed."""
        return {"site": str(self.site_id), "exam_date": self.exam_date.isoformat() if self.exam_date else "",
                "theory_score": typed_score(self.theory_score), "practical_score": typed_score(self.practical_score)}

    def check_resubmittable(self):
        """Only a returned record may be corrected and submitted again."""
        if not self.is_returned:
            raise AwardError(f"记录状态为「{self.status}」，只有已退回的记录可以修改后重新提交")

    @classmethod
    def return_many(cls, records, reason, by):
        """退回 with one required reason: every record in one transaction, an audit event each."""
        reason = (reason or "").strip()
        if not reason:
            raise AwardError("请填写退回原因", key="reason")
        cls.check_waiting(records, "退回")
        at = now()
        with db.atomic():
            for record in records:
                record.status, record.return_reason, record.updated_at = RETURNED, reason, at
                record.save()
            audit.record_many("award.return", [(r, {"状态": (SUBMITTED, RETURNED), "原因": (None, reason)})
                                               for r in records], user=by)
        return records

    def return_to_college(self, reason, by):
        """退回 this record with a required reason."""
        self.return_many([self], reason, by)

    def resubmit(self, site, exam_date, theory_score, practical_score, by):
        """A returned record, corrected by staff, goes back to 待审核. The correction must pass the import's
        checks, which read other records: views go through models.award_checks.resubmit."""
        self.check_resubmittable()
        before = {"考核站点": self.site.name, "考核日期": self.exam_date, "理论成绩": typed_score(self.theory_score),
                  "实操成绩": typed_score(self.practical_score)}
        after = {"考核站点": site.name, "考核日期": exam_date, "理论成绩": typed_score(theory_score),
                 "实操成绩": typed_score(practical_score)}
        with db.atomic():
            self.site, self.exam_date = site, exam_date
            self.theory_score, self.practical_score = theory_score, practical_score
            self.status, self.updated_at = SUBMITTED, now()
            self.save()
            audit.record("award.resubmit", self, {**audit.diff(before, after), "状态": (RETURNED, SUBMITTED)},
                         user=by)

    # ---- queries -------------------------------------------------------------------------------
    @classmethod
    def visible_to(cls, user):
        """Staff and admins see every record; a reviewer only its own organisation's certificates."""
        return where_all(cls._named(), cls._visible(user))

    @classmethod
    def _named(cls):
        """Every record with its candidate, certificate and site. Joined as LEFT OUTER JOINs: every record has
        all three (NOT NULL foreign keys), so the rows are the same, but a query of it that reads none of
        their columns, such as the ids of a page deep in 待颁证记录 (views._rows_at), has them left out by
        both databases' planners, where SQLite looked up the candidate, certificate and site of each record
        it skipped (the middle of 100,000: 30 ms)."""
        return (cls
                .select(cls, Candidate, Certificate, Site)
                .join(Candidate, JOIN.LEFT_OUTER)
                .switch(cls)
                .join(Certificate, JOIN.LEFT_OUTER)
                .switch(cls)
                .join(Site, JOIN.LEFT_OUTER))

    @classmethod
    def _visible(cls, user):
        """What narrows the records to those a user may see, on the record table alone: a reviewer's are of
        its organisation's few certificates, named as a list (given a subquery, SQLite cannot tell how few
        rows it names and counted through the status index instead of the certificate's)."""
        return [cls.certificate.in_(cls._certificates_of(user))] if user.role == REVIEWER else []

    @classmethod
    def of_candidate(cls, candidate):
        """A candidate's records and certificates, the latest first: what its page lists."""
        return (cls
                .select(cls, Certificate)
                .join(Certificate)
                .where(cls.candidate == candidate)
                .order_by(cls.created_at.desc(), cls.id.desc()))

    @classmethod
    def filtered(cls, user, walk=False, **filters):
        """待颁证记录's list: filters by 证书, 等级, 站点, 状态, 考核日期 and 颁证日期 (an unreadable date is left
        out), search by name or ID. `walk` (walks()): the 证书 and 等级 tested record by record along the
        newest-first index, not looked for through their own."""
        newest = cls.created_at
        if cls._found_few(user, filters.get("q", ""), SORTED_SEARCH):
            newest = unordered(newest)  # the records found are sorted, not looked for along the index
        # The conditions hold what the user may see (_visible).
        conditions = cls._conditions(user, walk=walk, **filters)
        return where_all(cls._named(), conditions).order_by(newest.desc(), cls.id.desc())

    @classmethod
    def walks(cls, user, q, matching, through):
        """Whether SQLite is to read a page of 待颁证记录, `through` records into the order of the `matching`
        ones, by walking the newest-first index and testing each record (about through × all / matching
        entries read), rather than by finding every matching record through the 证书 and 等级's index and
        sorting them, which SQLite does whatever the page (the 6,700 records of one level: 30 ms for page 1,
        where the walk reads ~1,500 records: 3 ms). The walk tests the index's own columns, and a record
        sorted (its table row read for its time) costs about as much as WALKED_PER_SORTED entries walked.
        PostgreSQL weighs the LIMIT itself."""
        if not is_sqlite() or q:
            return False
        return through * sum(cls.counts_seen_by(user).values()) < WALKED_PER_SORTED * matching * matching

    @classmethod
    def filtered_counts(cls, user, **filters):
        """{status: records} of the list's filters, the status filter left out (the line above the table).

        Read from TALLY unless a search or a date narrows the list; else counted on the record table alone:
        the joins of the list's rows made SQLite look up every candidate, certificate and site of 100,000
        records."""
        if not filters.get("q") and all(day_or_none(filters.get(name, "")) is None for name in DATE_FILTERS):
            return cls.counts_seen_by(user, **{name: filters.get(name, "") for name in ("certificate", "level", "site")})
        conditions = cls._conditions(user, **dict(filters, status=""))
        if cls._found_few(user, filters.get("q", ""), SEARCH_LIST):
            # The records a search found, looked up once and grouped by status: a COUNT per status looked each
            # up three times (200 records on PostgreSQL: 1.8 ms, grouped 0.5 ms).
            grouped = where_all(cls.select(cls.status, fn.COUNT(cls.id)), conditions).group_by(cls.status)
            counted = dict(grouped.tuples())
            return {status: counted.get(status, 0) for status in STATUSES}
        # Every status counted in one pass over the records the conditions leave (a COUNT of a CASE each). Grouped
        # by status, SQLite walked the status index whole; a COUNT per status walked them three times (a
        # reviewer's date filter: 20,000 index entries looked up three times, 29 ms; once, 9 ms).
        per_status = [fn.COUNT(Case(None, [(cls.status == status, 1)])) for status in STATUSES]
        return dict(zip(STATUSES, where_all(cls.select(*per_status), conditions).tuples().get()))

    @classmethod
    def counts_seen_by(cls, user, certificate="", level="", site=""):
        """{status: records} a user may see (a reviewer: its organisation's), of one certificate, level and
        site if given, from TALLY."""
        counted = TALLY.counts(**cls._seen(user, certificate, level, site))
        return {status: counted.get(status, 0) for status in STATUSES}

    @classmethod
    def issued_counts_seen_by(cls, user, certificate="", level=""):
        """{(certificate id, level): issued records} a user may see, of one certificate and level if given,
        from TALLY."""
        return TALLY.counts(by=("certificate_id", "level"), status=ISSUED, **cls._seen(user, certificate, level))

    @classmethod
    def _seen(cls, user, certificate="", level="", site=""):
        """The TALLY key values of the records a user may see of one certificate, level and site if given."""
        chosen = {}
        seen = cls._certificates_of(user) if user.role == REVIEWER else None
        if (certificate_id := whole_number(certificate)) is not None:
            seen = [certificate_id] if seen is None or certificate_id in seen else []
        if seen is not None:
            chosen["certificate_id"] = seen
        if level:
            chosen["level"] = level
        if (site_id := whole_number(site)) is not None:
            chosen["site_id"] = site_id
        return chosen

    @staticmethod
    def certificates_seen_by(user):
        """The certificates 待颁证记录's 证书 filter offers a user: a reviewer's organisation's, or every one."""
        certificates = Certificate.ordered()
        if user.role == REVIEWER:
            return certificates.where(Certificate.organisation == user.organisation_id)
        return certificates

    @staticmethod
    def _certificates_of(user):
        """The ids of a reviewer's organisation's few certificates (read once a request: the list's counts,
        its page and the navigation ask)."""
        return read_once(("organisation certificates", user.organisation_id), lambda: [
            certificate_id for (certificate_id,) in (Certificate.select(Certificate.id)
                                                     .where(Certificate.organisation == user.organisation_id)
                                                     .tuples())])

    @classmethod
    def _conditions(cls, user, q="", certificate="", level="", site="", status="", date_from="", date_to="",
                    issued_from="", issued_to="", walk=False):
        """The list's filters as conditions on the record table alone (subqueries, no joins); with `walk`, the
        证书 and 等级 through expressions, so that SQLite does not pick their index (filtered())."""
        conditions = cls._visible(user)
        certificate_of, level_of = cls.certificate, cls.level
        if walk:
            certificate_of, level_of = unindexed(certificate_of), unindexed(level_of)
        if q:
            conditions.append(cls._search(user, q))
        if (certificate_id := whole_number(certificate)) is not None:
            conditions.append(certificate_of == certificate_id)
        if level:
            conditions.append(level_of == level)
        if (site_id := whole_number(site)) is not None:
            conditions.append(cls.site == site_id)
        if status in STATUSES:
            conditions.append(cls.status == status)
        if (day := day_or_none(date_from)) is not None:
            conditions.append(cls.exam_date >= day)
        if (day := day_or_none(date_to)) is not None:
            conditions.append(cls.exam_date <= day)
        if (day := day_or_none(issued_from)) is not None:
            conditions.append(cls.issued_at >= day)
        if (day := day_or_none(issued_to)) is not None:
            conditions.append(cls.issued_at < day + timedelta(days=1))
        return conditions

    @classmethod
    def _search(cls, user, q):
        """The search box: records whose candidate's name contains `q` or whose ID number starts or ends with it,
        or whose certificate number starts with it. Each part is its own SELECT (a UNION) that can scan one
        index, where their OR read every row; and the ids found are handed on as a list, so the counts
        and the page do not search again (unless the search is so broad that a list would be long)."""
        found = cls._found(user, q)
        return in_ids(cls.id, found) if isinstance(found, list) else cls.id.in_(found)

    @classmethod
    def _found(cls, user, q):
        """The ids of the records a search finds, or the query that finds them when they are more than
        SEARCH_LIST. Found once a request: the counts and the page ask for the same search."""
        return read_once(("award search", user.id, user.role, q), lambda: cls._find(user, q))

    @classmethod
    def _found_few(cls, user, q, most):
        """Whether there is a search and it found at most `most` records (handed on as a list of ids)."""
        found = cls._found(user, q) if q else None
        return isinstance(found, list) and len(found) <= most

    @classmethod
    def _find(cls, user, q):
        number = q.upper()
        # A reviewer sees ID numbers masked, so it finds a record only by the whole number: prefix and
        # suffix probes would let it recover the hidden digits one search at a time.
        id_numbers = ([Candidate.id_number == number] if user.role == REVIEWER
                      else [starts(Candidate.id_number, number), starts(Candidate.id_number_reversed, number[::-1])])
        # The name through its full-text index, as 考生管理 searches it (models/name_index.py).
        named = Candidate.select(Candidate.id).where(name_index.name_contains(Candidate, q))
        for condition in id_numbers:
            named = named | Candidate.select(Candidate.id).where(condition)
        found = cls.select(cls.id).where(cls.candidate.in_(named))
        for prefix in {q, number}:  # as typed, and in capitals as numbers are made (web26 finds WEB26…)
            found = found | cls.select(cls.id).where(starts(cls.certificate_number, prefix))
        ids = [record_id for (record_id,) in found.limit(SEARCH_LIST + 1).tuples()]
        return ids if len(ids) <= SEARCH_LIST else found

    @classmethod
    def used_by_quota(cls, years, certificate=None, level=None):
        """{(certificate_id, level, year): records counting against that 省厅指标} for the given years, of one
        certificate and level if given.

        Pending and issued records count, by the year of their exam date; returned ones do not.
        """
        used = {}
        for year in years:
            conditions = [cls.status.in_(HOLDING)]
            exam_date = cls.exam_date
            if certificate is not None:
                # One certificate level's records through their index: a year's exam dates are most of the
                # table, and SQLite picked that index instead (28 ms at 100,000 records; this way 7).
                conditions += [cls.certificate == certificate, cls.level == level]
                exam_date = unindexed(exam_date)
            # As ISO text, which is how SQLite keeps dates (the unindexed column is text there).
            conditions.append(exam_date.between(f"{year:04d}-01-01", f"{year:04d}-12-31"))
            rows = (cls
                    .select(cls.certificate, cls.level, fn.COUNT(SQL("*")))
                    .where(*conditions)
                    .group_by(cls.certificate, cls.level)
                    .tuples())
            used.update({(certificate_id, level, year): n for certificate_id, level, n in rows})
        return used


# 颁证名单 of a 院系 in its default order: a (certificate, level) group's page read from the index alone, in the
# order of the numbers. Named: its columns' names make a name longer than PostgreSQL keeps.
ROSTER_ORDER = "award_record_roster_order"
AwardRecord.add_index(AwardRecord.index(AwardRecord.status, AwardRecord.department, AwardRecord.certificate,
                                        AwardRecord.level, AwardRecord.certificate_number, name=ROSTER_ORDER))


# What a row of 待颁证记录 shows (templates/awards/_row.html), its candidate's, certificate's and site's too:
# every column of the four tables made ~110 attributes a row to convert and set, half the list's CPU time.
LISTED = (AwardRecord.id, AwardRecord.candidate, AwardRecord.certificate, AwardRecord.site, AwardRecord.level,
          AwardRecord.exam_date, AwardRecord.theory_score, AwardRecord.practical_score, AwardRecord.status,
          AwardRecord.return_reason, AwardRecord.certificate_number,
          Candidate.id, Candidate.name, Candidate.id_number, Certificate.id, Certificate.name, Site.id, Site.name)
