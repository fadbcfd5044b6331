"""系统管理 → 用户管理: create users, change role and organisation, 停用 / 启用, reset a password."""
from flask import Blueprint, request

from models.catalog import Organisation
from models.normalise import whole_number
from models.user import ADMIN, REVIEWER, User, UserError

from . import get_or_404, hx_events, me, refused, render, roles

bp = Blueprint("users", __name__, url_prefix="/admin/users")


@bp.route("/")
@roles(ADMIN)
def index():
    """用户管理: every account with its role, organisation and state."""
    return render("users/index.html", block="results", users=list(User.ordered()))


@bp.route("/new", methods=["GET", "POST"])
@roles(ADMIN)
def new():
    """新增用户: username, display name, role, organisation for a reviewer, first password."""
    raw, error = request.form.to_dict(), None
    if request.method == "POST":
        try:
            if raw.get("password", "") != raw.get("password2", ""):
                raise UserError("两次输入的密码不一致")
            user = User.create_user(raw.get("username"), raw.get("password"), raw.get("role"),
                                    _organisation(raw), raw.get("display_name"), by=me())
        except UserError as exc:
            error = str(exc)
        else:
            return "", 204, hx_events(notice=(f"已创建用户 {user.username}（{user.role_label}）", "ok"), closeDialog=True, usersChanged=True)
    return _dialog("users/form.html", None, raw, error)


@bp.route("/<int:user_id>/edit", methods=["GET", "POST"])
@roles(ADMIN)
def edit(user_id):
    """修改 a user's display name, role and (for a reviewer) organisation."""
    user = _get(user_id)
    raw = request.form.to_dict() if request.method == "POST" else {
        "display_name": user.display_name, "role": user.role, "organisation": str(user.organisation_id or "")}
    error = None
    if request.method == "POST":
        try:
            user.change(raw.get("role"), _organisation(raw), raw.get("display_name"), by=me())
        except UserError as exc:
            error = str(exc)
        else:
            return "", 204, hx_events(notice=(f"已保存用户 {user.username}", "ok"), closeDialog=True, usersChanged=True)
    return _dialog("users/form.html", user, raw, error)


@bp.route("/<int:user_id>/password", methods=["GET", "POST"])
@roles(ADMIN)
def password(user_id):
    """重置密码: the administrator sets a new password and tells the user."""
    user, raw, error = _get(user_id), request.form.to_dict(), None
    if request.method == "POST":
        try:
            if raw.get("password", "") != raw.get("password2", ""):
                raise UserError("两次输入的密码不一致")
            user.reset_password(raw.get("password"), by=me())
        except UserError as exc:
            error = str(exc)
        else:
            return "", 204, hx_events(notice=(f"已重置 {user.username} 的密码", "ok"), closeDialog=True)
    return _dialog("users/password.html", user, {}, error)


@bp.route("/<int:user_id>/active", methods=["POST"])
@roles(ADMIN)
def active(user_id):
    """停用 or 启用 an account (the row comes back)."""
    user = _get(user_id)
    try:
        user.set_active(request.form.get("active") == "1", by=me())
    except UserError as exc:
        return refused(exc)
    word = "启用" if user.active else "停用"
    return render("users/index.html", block="row", user=user, headers=hx_events(notice=(f"已{word}用户 {user.username}", "ok")))


def _get(user_id):
    return get_or_404(User, user_id)


def _organisation(raw):
    if raw.get("role") != REVIEWER:
        return None
    return Organisation.get_or_none(Organisation.id == whole_number(raw.get("organisation")))


def _dialog(template, user, raw, error):
    return render(template, block="dialog", status=422 if error else 200, user=user, raw=raw, error=error,
                  organisations=list(Organisation.ordered()), ADMIN=ADMIN, REVIEWER=REVIEWER)
