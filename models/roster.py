"""颁证名单: the certificates issued for a certificate, level, 院系/班级 and period, for the college's files.

Declared once (ROSTER_SHEET) like the import sheets, so the .xlsx, the screen and the print view show the
same columns. The screen masks the ID numbers; the .xlsx and the print view carry them in full and are
audited, like every other hand-out of full numbers.
"""
from collections import Counter
from datetime import timedelta

from sheets.spec import Column, SheetSpec

from . import audit
from .award import ISSUED, AwardRecord
from .candidate import Candidate
from .catalog import Certificate
from .normalise import day_or_none, whole_number
from .privacy import mask_id

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


def issued(user, certificate="", level="", department="", class_name="", date_from="", date_to="", sort=""):
    """The issued records `user` may see of a certificate, level, 院系, 班级 and 颁证日期 range (unreadable
    filters left out), by certificate, level and number, or (`sort=class`) by 院系, 班级 and 姓名."""
    query = AwardRecord.visible_to(user).where(AwardRecord.status == ISSUED)
    if (certificate_id := whole_number(certificate)) is not None:
        query = query.where(AwardRecord.certificate == certificate_id)
    if level:
        query = query.where(AwardRecord.level == level)
    if department:
        query = query.where(Candidate.department == department)
    if class_name:
        query = query.where(Candidate.class_name == class_name)
    if (first := day_or_none(date_from)) is not None:
        query = query.where(AwardRecord.issued_at >= first)
    if (last := day_or_none(date_to)) is not None:
        query = query.where(AwardRecord.issued_at < last + timedelta(days=1))
    if sort == BY_CLASS:
        return query.order_by(Candidate.department, Candidate.class_name, Candidate.name, AwardRecord.certificate_number)
    return query.order_by(Certificate.name, AwardRecord.level, AwardRecord.certificate_number)


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
    certificate = Certificate.get_or_none(Certificate.id == whole_number(filters.get("certificate")))
    first, last = day_or_none(filters.get("date_from")), day_or_none(filters.get("date_to"))
    period = ""
    if first or last:
        period = f"颁证日期 {first or '…'} 至 {last or '…'}"
    parts = [" ".join(p for p in (certificate.name if certificate else "全部证书", filters.get("level")) if p),
             " ".join(p for p in (filters.get("department"), filters.get("class_name")) if p), period]
    return " · ".join(p for p in parts if p)

