"""系统管理: the administrator's pages."""
from flask import Blueprint, request

from models import numbering, setting
from models.audit import ACTION_LABELS, AuditEvent
from models.normalise import day_or_none
from models.user import ADMIN, User

from . import list_filters, me, paged, render, roles

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
    filters = list_filters(("action", "user", "date_from", "date_to"), known={"action": ("操作", ACTION_LABELS)})
    users = User.actor_ids(filters["user"]) if filters["user"] else None
    log = AuditEvent.log(filters["action"], users, day_or_none(filters["date_from"]), day_or_none(filters["date_to"]))
    return render("admin/audit.html", block="results", page=paged(log, total=log.total), filters=filters,
                  actions=ACTION_LABELS)


@bp.route("/settings", methods=["GET", "POST"])
@roles(ADMIN)
def settings():
    """院校设置: every setting by group, a stored value that no longer passes marked; 保存 stores all or none."""
    posted = request.method == "POST"
    raw = request.form if posted else setting.stored()
    values, errors = setting.clean(raw)
    saved = setting.update(values, by=me()) if posted and not errors else None
    return render("admin/settings.html", block="form", status=422 if posted and errors else 200,
                  groups=setting.GROUPS, texts=setting.texts(raw, values), errors=errors, posted=posted,
                  saved=saved, preview=numbering.preview(raw), live=numbering.SETTINGS)


@bp.route("/settings/number-preview")
@roles(ADMIN)
def number_preview():
    """The next certificate number under the format being typed, or why the format is refused."""
    return render("admin/_number_preview.html", preview=numbering.preview(request.args))


