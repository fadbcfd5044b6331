"""首页: what waits for each role, how far each certificate and group has come, and the navigation's counts."""
from datetime import date, timedelta

from flask import Blueprint, redirect, request, url_for

from models import progress, setting
from models.user import ADMIN, REVIEWER, ROLE_LABELS, STAFF

from . import me, render, roles, wants_partial

bp = Blueprint("dashboard", __name__)
PAGE = "dashboard/index.html"


@bp.app_context_processor
def navigation_counts():
    """The navigation's badges: counted only when a whole page draws them (one statement)."""
    return {"nav_waiting": lambda: progress.waiting_for(me())}


@bp.route("/")
@roles(*ROLE_LABELS)
def index():
    """首页: the role's to-do list (each line a count linking to its list); heavier panels load lazily."""
    reviewer = me().role == REVIEWER
    today = date.today()
    first, after = progress.month_bounds(today)
    return render(PAGE, college_name=setting.get("college_name"), today=today, month=(first, after - timedelta(days=1)),
                  queue=progress.reviewer_queue(me(), today) if reviewer else None,
                  todo=None if reviewer else progress.college_todo(today))


@bp.route("/home/certificates")
@roles(ADMIN, STAFF)
def certificates():
    """The year's funnel and 省厅指标 per 试点证书 level (a lazy panel of 首页)."""
    year = date.today().year
    return _panel("certificates", year=year, levels=progress.certificate_progress(year))


@bp.route("/home/departments")
@roles(ADMIN, STAFF)
def departments():
    """Candidates by status and the year's records per 院系 (a lazy panel of 首页)."""
    year = date.today().year
    return _panel("departments", year=year, groups=progress.group_progress(year))


@bp.route("/home/departments/classes")
@roles(ADMIN, STAFF)
def classes():
    """One 院系's row, opened to show its 班级 (or closed again): the 院系 is the sum of its classes."""
    department, opened = request.args.get("department", ""), request.args.get("open") == "1"
    rows = progress.group_progress(date.today().year, department)
    return _panel("department", g=progress.GroupProgress.sum_of(department, rows), classes=rows if opened else [],
                  opened=opened, index=request.args.get("i", 0, type=int))


@bp.route("/home/issued")
@roles(*ROLE_LABELS)
def issued():
    """Certificates issued per month over the last 12 months (a lazy panel of 首页)."""
    return _panel("issued", months=progress.issued_per_month(me()))


@bp.route("/home/waiting")
@roles(*ROLE_LABELS)
def waiting():
    """The navigation's counts again, swapped out of band after a row action changed them."""
    return _panel("badges", template="dashboard/_waiting.html", waiting=progress.waiting_for(me()))


def _panel(block, template=PAGE, **context):
    """A lazily loaded part of 首页; opened directly (not by htmx) it sends the browser to 首页."""
    if not wants_partial():
        return redirect(url_for(".index"), 303)
    return render(template, block=block, **context)
