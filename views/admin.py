"""系统管理: the administrator's pages."""
from datetime import datetime, timedelta

from flask import Blueprint, request
from flask_login import current_user

from models import setting
from models.audit import ACTION_LABELS, AuditEvent
from models.user import ADMIN, User

from . import Page, page_arg, render, roles

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/")
@roles(ADMIN)
def index():
    """The administrator's overview of what can be managed."""
    return render("admin/index.html")


@bp.route("/audit")
@roles(ADMIN)
def audit_log():
    """审计日志: every state change, filterable by action, user and date."""
    filters = {k: request.args.get(k, "").strip() for k in ("action", "user", "date_from", "date_to")}
    query = AuditEvent.select().order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if filters["action"]:
        query = query.where(AuditEvent.action == filters["action"])
    if filters["user"]:
        query = query.where(User.events_by(filters["user"]))
    if day := _date(filters["date_from"]):
        query = query.where(AuditEvent.at >= day)
    if day := _date(filters["date_to"]):
        query = query.where(AuditEvent.at < day + timedelta(days=1))
    return render("admin/audit.html", block="results", page=Page(query, page_arg()),
                  filters=filters, actions=ACTION_LABELS)


@bp.route("/settings", methods=["GET", "POST"])
@roles(ADMIN)
def settings():
    """院校设置: every setting with its label; 保存 stores and audits the changed ones."""
    values, errors, saved = {key: setting.get(key) for key in setting.DEFAULTS}, {}, None
    if request.method == "POST":
        values, errors = setting.clean(request.form)
        if not errors:
            saved = setting.update(values, by=current_user._get_current_object())
    return render("admin/settings.html", block="form", status=422 if errors else 200, values=values,
                  errors=errors, saved=saved, labels={k: label for k, (_, label) in setting.DEFAULTS.items()})


def _date(text):
    try:
        return datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        return None
