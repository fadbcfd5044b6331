"""颁证名单: the certificates issued for a certificate, level, 院系/班级 and period, for the college's files.

Declared once (ROSTER_SHEET) like the import sheets, so the .xlsx, the screen and the print view show the
same columns. The screen masks the ID numbers; the .xlsx and the print view carry them in full and are
audited, like every other hand-out of full numbers.
"""
import re
from collections import Counter
from datetime import timedelta

from peewee import SQL, fn

from sheets.spec import Column, SheetSpec

from . import audit
from .award import ISSUED, AwardRecord
from .candidate import Candidate
from .catalog import LEVELS, Certificate
from .normalise import day_or_none, whole_number
from .pilot import level_rank
from .privacy import mask_id
from .user import REVIEWER

FILTERS = ("certificate", "level", "department", "class_name", "date_from", "date_to", "sort")
# The orders a roster is listed in: by number for the college's files (the default), or class by class
# for the class teachers who hand the certificates out.
BY_CLASS = "class"
SORTS = [{"value": BY_CLASS, "label": "按院系、班级、姓名"}]

audit.ACTION_LABELS.update({
    "award.roster_export": "导出颁证名单",
    "award.roster_print": "打印颁证名单",
})

ROSTER_SHEET = SheetSpec(
    kind="roster", title="颁证名单", template_name="颁证名单", noun="证书", unit="张",
    columns=(
        Column("seq", "序号"),
        Column("name", "姓名"),
        Column("id_type", "证件类型"),
        Column("id_number", "证件号码", as_text=True, mask=mask_id),
        Column("department", "院系"),
        Column("class_name", "班级"),
        Column("certificate_name", "证书名称"),
        Column("level", "证书等级"),
        Column("certificate_number", "证书编号", as_text=True),
        Column("exam_date", "考核日期"),
        Column("issued_on", "颁证日期"),
        Column("site_name", "考核站点"),
    ),
)


def issued(user, **filters):
    """The issued records `user` may see of a certificate, level, 院系, 班级 and 颁证日期 range (unreadable
    filters left out), with their candidate, certificate and site, in the roster's order: what the .xlsx and
    the print view read whole."""
    return _ordered(AwardRecord.visible_to(user).where(*_conditions(user, **filters)), filters.get("sort"))


def page_query(user, **filters):
    """The ids of the same records in the same order, joined only to what the order reads: a page of
    33,000 certificates joined to their candidates and sites made the database join all of them to sort
    them (PostgreSQL 79 ms; joined to the certificate alone, 14 ms). Without a date filter, a reader of them
    group by group instead (Groups). Read a page's records with records()."""
    if (groups := Groups.of(user, **filters)) is not None:
        return groups
    query = AwardRecord.select(AwardRecord.id)
    query = query.join(Candidate) if filters.get("sort") == BY_CLASS else query.join(Certificate)
    return _ordered(query.where(*_conditions(user, **filters)), filters.get("sort"))


def listed(user, **filters):
    """(page_query(), total()) of a roster; one read group by group is counted by its groups (no COUNT more)."""
    query = page_query(user, **filters)
    return query, sum(count for _, count in query.counts) if isinstance(query, Groups) else total(user, **filters)


def records(user, ids):
    """The records of `ids` (a page of page_query()) with their candidate, certificate and site, in that order."""
    found = {record.id: record for record in AwardRecord.visible_to(user).where(AwardRecord.id.in_(ids))}
    return [found[record_id] for record_id in ids if record_id in found]


def total(user, **filters):
    """How many records the roster lists: of a certificate and level alone, the database's count (TALLY);
    else counted on the record table (a 院系 and 班级 along its index), without the joins the rows need."""
    if not _narrowed(filters):
        counts = AwardRecord.counts_seen_by(user, certificate=filters.get("certificate", ""),
                                            level=filters.get("level", ""))
        return counts[ISSUED]
    return AwardRecord.select(fn.COUNT(SQL("*"))).where(*_conditions(user, **filters)).scalar()


class Groups:
    """The ids of the roster read a group at a time: the whole order joined and sorted every record it lists
    to give a page of it (of 50,000: page 1 took SQLite 26–36 ms a request, the middle page 57–91 ms;
    PostgreSQL 27–41 and 131–138 ms; a 院系's 8,300 50–70 ms, class by class 70–220 ms), where a group's
    records are found along an index and only its few hundred or thousand sorted (any page 9–20 ms a
    request, docs/benchmarks.md).

    In the default order a group is a (certificate, level), its records sorted by number; 按院系、班级、姓名 it
    is a (院系, 班级), its records sorted by name. `counts`: the groups in the roster's order, each with its
    records; `read(key)`: the query of a group's ids in the roster's order."""

    def __init__(self, counts, read):
        self.counts, self.read = counts, read

    @classmethod
    def of(cls, user, **filters):
        """The groups of the roster; None for a roster narrowed by a date (read whole), or when the groups
        would not list it in its order: a level not in LEVELS, which level_rank sorts together with every
        other such level, number by number."""
        if any(filters.get(name) for name in ("date_from", "date_to")):
            return None
        if filters.get("sort") == BY_CLASS:
            return cls._by_class(user, filters)
        if _narrowed(filters):
            counted = _counted(user, filters, AwardRecord.certificate, AwardRecord.level)
        else:
            counted = AwardRecord.issued_counts_seen_by(user, certificate=filters.get("certificate", ""),
                                                        level=filters.get("level", ""))
        if any(level not in LEVELS for _, level in counted):
            return None
        # In the database's order of the names, as the roster's ORDER BY has it: PostgreSQL's collation is
        # not Python's.
        by_name = Certificate.select(Certificate.id).order_by(Certificate.name).tuples()
        placed = _placed(filters)

        def read(key):
            certificate_id, level = key
            return (AwardRecord
                    .select(AwardRecord.id)
                    .where(AwardRecord.status == ISSUED, AwardRecord.certificate == certificate_id,
                           AwardRecord.level == level, *placed)
                    .order_by(AwardRecord.certificate_number, AwardRecord.id))
        return cls([((certificate_id, level), counted[certificate_id, level])
                    for (certificate_id,) in by_name for level in LEVELS if (certificate_id, level) in counted], read)

    @classmethod
    def _by_class(cls, user, filters):
        """The roster 按院系、班级、姓名, a class at a time: the classes in the database's order, as the whole order
        sorts them, each class's records by name."""
        conditions = _conditions(user, **filters)
        counted = _counted(user, filters, AwardRecord.department, AwardRecord.class_name)

        def read(key):
            department, class_name = key
            return (AwardRecord
                    .select(AwardRecord.id)
                    .join(Candidate)
                    .where(*conditions, AwardRecord.department == department, AwardRecord.class_name == class_name)
                    .order_by(Candidate.name_sort, AwardRecord.certificate_number, AwardRecord.id))
        return cls(list(counted.items()), read)

    def rows(self, start, stop):
        """The records from position `start` to `stop` (not included), each with its id alone."""
        found = []
        if stop <= start:
            return found  # PostgreSQL refuses a negative LIMIT
        for key, count in self.counts:
            if start < count and stop > 0:
                first = max(start, 0)
                found.extend(self.read(key).limit(min(stop, count) - first).offset(first))
            start, stop = start - count, stop - count
        return found


def _counted(user, filters, *by):
    """{(values of `by`): records} of the roster's filters, in the order of `by` (the database's)."""
    query = (AwardRecord
             .select(*by, fn.COUNT(SQL("*")))
             .where(*_conditions(user, **filters))
             .group_by(*by)
             .order_by(*by))
    return {tuple(row[:-1]): row[-1] for row in query.tuples()}


def _narrowed(filters):
    """Whether filters other than the certificate and level narrow the roster (a 院系, 班级 or date)."""
    return any(filters.get(name) for name in FILTERS if name not in ("certificate", "level", "sort"))


def _placed(filters):
    """The 院系 and 班级 filters as conditions on the record's own copy of them (models/award_class.py)."""
    department, class_name = filters.get("department"), filters.get("class_name")
    conditions = [AwardRecord.class_name == class_name] if class_name else []
    if department:
        conditions.append(AwardRecord.department == department)
    elif class_name:
        # A 班级 alone: the 院系 of its candidates (their records' too) lead the search along the (状态, 院系, 班级)
        # index, which SQLite otherwise read whole for the class's 400 records (counted in 3 ms, grouped in 23).
        # As values, not a subquery, whose size SQLite cannot tell: it grouped and sorted along other indexes
        # instead (170 and 25 ms).
        departments = Candidate.select(Candidate.department).where(Candidate.class_name == class_name).distinct()
        conditions.append(AwardRecord.department.in_([department for (department,) in departments.tuples()]))
    return conditions


def _conditions(user, certificate="", level="", department="", class_name="", date_from="", date_to="", sort=""):
    """The filters as conditions on the record table alone (the 院系 and 班级 its copy of the candidate's)."""
    conditions = [AwardRecord.status == ISSUED]
    if user.role == REVIEWER:
        conditions.append(AwardRecord.certificate.in_(
            Certificate.select(Certificate.id).where(Certificate.organisation == user.organisation_id)))
    if (certificate_id := whole_number(certificate)) is not None:
        conditions.append(AwardRecord.certificate == certificate_id)
    if level:
        conditions.append(AwardRecord.level == level)
    conditions += _placed({"department": department, "class_name": class_name})
    if (first := day_or_none(date_from)) is not None:
        conditions.append(AwardRecord.issued_at >= first)
    if (last := day_or_none(date_to)) is not None:
        conditions.append(AwardRecord.issued_at < last + timedelta(days=1))
    return conditions


def _ordered(query, sort):
    """By certificate, level and number, or (`sort=class`) by 院系, 班级 and 姓名 (in pinyin order, as 考生管理
    sorts names); the id last, so that a page read from the end is the exact reverse."""
    if sort == BY_CLASS:
        return query.order_by(AwardRecord.department, AwardRecord.class_name, Candidate.name_sort,
                              AwardRecord.certificate_number, AwardRecord.id)
    return query.order_by(Certificate.name, level_rank(AwardRecord.level), AwardRecord.certificate_number,
                          AwardRecord.id)


def rows(records, start=1):
    """The roster's rows for `records`, numbered (序号) from `start`."""
    return (dict(record.export_values(), seq=seq, department=record.candidate.department,
                 class_name=record.candidate.class_name)
            for seq, record in enumerate(records, start=start))


def class_sizes(rows):
    """{(院系, 班级): certificates} of a roster's rows: the print view heads each class with its count."""
    return Counter((row["department"], row["class_name"]) for row in rows)


def describe(filters):
    """What a roster covers, in words, for its title: Web前端开发 中级 · 信息工程学院 · 颁证日期 2026-01-01 至 2026-06-30."""
    certificate, first, last = _covered(filters)
    period = ""
    if first or last:
        period = f"颁证日期 {first or '…'} 至 {last or '…'}"
    parts = [" ".join(p for p in (certificate.name if certificate else "全部证书", filters.get("level")) if p),
             " ".join(p for p in (filters.get("department"), filters.get("class_name")) if p), period]
    return " · ".join(p for p in parts if p)


# What Windows refuses in a file name (and control characters): a 院系 or 班级 typed into a link may hold any.
NOT_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f]')
FILE_NAME_FILTERS = 150  # characters at most for the filters' part, well within Windows' 255 for a name


def file_name(filters, today):
    """The .xlsx's name after what it covers, safe for Windows:
    颁证名单-Web前端开发-中级-信息工程学院-计应2301-颁证日期2026-01-01至2026-06-30-2026-11-30.xlsx (the last date the
    day it is made); 颁证名单-2026-11-30.xlsx for every certificate."""
    certificate, first, last = _covered(filters)
    period = (f"颁证日期{first}至{last}" if first and last else f"颁证日期{first}起" if first
              else f"颁证日期至{last}" if last else "")
    parts = [certificate.name if certificate else "", filters.get("level"), filters.get("department"),
             filters.get("class_name"), period]
    named = "-".join(part for part in (NOT_IN_FILE_NAMES.sub("", (p or "")).strip() for p in parts) if part)
    return "-".join(part for part in ("颁证名单", named[:FILE_NAME_FILTERS], today.isoformat()) if part) + ".xlsx"


def _covered(filters):
    """The certificate (or None) and the first and last 颁证日期 (or None) a roster's filters name."""
    certificate = Certificate.get_or_none(Certificate.id == whole_number(filters.get("certificate")))
    return certificate, day_or_none(filters.get("date_from")), day_or_none(filters.get("date_to"))

