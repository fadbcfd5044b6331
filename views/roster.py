"""颁证名单: the issued certificates of a certificate, level, 院系/班级 and period, on screen (ID numbers
masked), as .xlsx and as an A4 print view (full ID numbers, audited). For the college's staff only."""
from datetime import date

from flask import Blueprint, url_for

from models import audit, roster, setting
from models.catalog import LEVELS, Certificate
from models.user import ADMIN, STAFF
from sheets.export import build_export

from . import cascade, given, list_filters, me, paged, render, roles, wants_partial, xlsx_response

bp = Blueprint("roster", __name__, url_prefix="/awards/roster")
KNOWN = {"level": ("等级", LEVELS), "sort": ("排序", [sort["value"] for sort in roster.SORTS])}


@bp.route("/")
@roles(ADMIN, STAFF)
def index():
    """颁证名单 on screen: filters in the URL, ID numbers masked; htmx gets only the results block (and the
    班级 choices the 院系 chosen allows, out of band)."""
    filters = list_filters(roster.FILTERS, known=KNOWN)
    choices, cleared = cascade(filters)
    query, total = roster.listed(me(), **filters)
    page = paged(query, total=total)
    records = roster.records(me(), [record.id for record in page.items])
    headers = {"HX-Push-Url": url_for(".index", **given(filters), **page.size_arg)} if cleared else None
    return render("roster/index.html", block="results", headers=headers, filters=filters, given=given(filters),
                  page=page, rows=list(roster.rows(records, start=(page.page - 1) * page.per_page + 1)),
                  columns=roster.ROSTER_SHEET.columns, certificates=Certificate.ordered(), levels=LEVELS,
                  choices=choices, partial=wants_partial(), sorts=roster.SORTS)


@bp.route("/export")
@roles(ADMIN, STAFF)
def export():
    """颁证名单 as .xlsx, with full ID numbers (audited)."""
    filters = _filters()
    query = roster.issued(me(), **filters)
    body = build_export(roster.ROSTER_SHEET, roster.rows(query.iterator()))
    audit.record_download("award.roster_export", query.count(), filters=_asked(filters), by=me(), full_ids=True)
    return xlsx_response(body, roster.file_name(filters, date.today()))


@bp.route("/print")
@roles(ADMIN, STAFF)
def print_view():
    """颁证名单 for paper: A4 landscape, the header row on every page, full ID numbers (audited), no navigation."""
    filters = _filters()
    rows = list(roster.rows(roster.issued(me(), **filters).iterator()))
    audit.record_download("award.roster_print", len(rows), filters=_asked(filters), by=me(), full_ids=True)
    by_class = filters["sort"] == roster.BY_CLASS
    return render("roster/print.html", given=given(filters), rows=rows, columns=roster.ROSTER_SHEET.columns,
                  covers=roster.describe(filters), printed=date.today(), college=setting.get("college_name"),
                  class_sizes=roster.class_sizes(rows) if by_class else None)


def _filters():
    """The roster's filters from the URL, as they are: a download carries full ID numbers, so a 院系 with a
    班级 of another (an old or typed link) gives nobody, not the whole 院系 as the list on screen shows it
    with the 班级 cleared (its 导出 and 打印 links carry what it shows)."""
    return list_filters(roster.FILTERS, known=KNOWN)


def _asked(filters):
    """What a roster download covered, as the audit log shows it: in words, not the URL's names and ids."""
    order = "，按院系、班级、姓名排列" if filters["sort"] == roster.BY_CLASS else ""
    return roster.describe(filters) + order
