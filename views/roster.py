"""颁证名单: the issued certificates of a certificate, level, 院系/班级 and period, on screen (ID numbers
masked), as .xlsx and as an A4 print view (full ID numbers, audited). For the college's staff only."""
from datetime import date

from flask import Blueprint

from models import audit, roster, setting
from models.candidate import Candidate
from models.catalog import LEVELS, Certificate
from models.user import ADMIN, STAFF
from sheets.export import build_export

from . import xlsx_response, given, list_filters, me, paged, render, roles

bp = Blueprint("roster", __name__, url_prefix="/awards/roster")
KNOWN = {"level": ("等级", LEVELS), "sort": ("排序", [sort["value"] for sort in roster.SORTS])}


@bp.route("/")
@roles(ADMIN, STAFF)
def index():
    """颁证名单 on screen: filters in the URL, ID numbers masked; htmx gets only the results block."""
    filters = list_filters(roster.FILTERS, known=KNOWN)
    page = paged(roster.page_query(me(), **filters), total=roster.total(me(), **filters))
    records = roster.records(me(), [record.id for record in page.items])
    return render("roster/index.html", block="results", filters=filters, given=given(filters), page=page,
                  rows=list(roster.rows(records, start=(page.page - 1) * page.per_page + 1)),
                  columns=roster.ROSTER_SHEET.columns, certificates=Certificate.ordered(), levels=LEVELS,
                  departments=Candidate.distinct_values(Candidate.department),
                  classes=Candidate.distinct_values(Candidate.class_name), sorts=roster.SORTS)


@bp.route("/export")
@roles(ADMIN, STAFF)
def export():
    """颁证名单 as .xlsx, with full ID numbers (audited)."""
    filters = list_filters(roster.FILTERS, known=KNOWN)
    query = roster.issued(me(), **filters)
    body = build_export(roster.ROSTER_SHEET, roster.rows(query.iterator()))
    audit.record_download("award.roster_export", query.count(), filters=_asked(filters), by=me(), full_ids=True)
    return xlsx_response(body, f"颁证名单-{date.today():%Y%m%d}.xlsx")


@bp.route("/print")
@roles(ADMIN, STAFF)
def print_view():
    """颁证名单 for paper: A4 landscape, the header row on every page, full ID numbers (audited), no navigation."""
    filters = list_filters(roster.FILTERS, known=KNOWN)
    rows = list(roster.rows(roster.issued(me(), **filters).iterator()))
    audit.record_download("award.roster_print", len(rows), filters=_asked(filters), by=me(), full_ids=True)
    by_class = filters["sort"] == roster.BY_CLASS
    return render("roster/print.html", given=given(filters), rows=rows, columns=roster.ROSTER_SHEET.columns,
                  covers=roster.describe(filters), printed=date.today(), college=setting.get("college_name"),
                  class_sizes=roster.class_sizes(rows) if by_class else None)


def _asked(filters):
    """What a roster download covered, as the audit log shows it: in words, not the URL's names and ids."""
    order = "，按院系、班级、姓名排列" if filters["sort"] == roster.BY_CLASS else ""
    return roster.describe(filters) + order
