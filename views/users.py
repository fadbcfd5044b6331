"""系统管理 → 用户管理: create users, change role and organisation, 停用 / 启用, reset a password."""
from flask import Blueprint, request

from models.user import ADMIN, USER_FORM, User, UserError, password_form

from . import get_or_404, hx_events, me, posted, refused, render, roles

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
    def create(values):
        user = User.create_user(values["username"], values["password"], values["role"], values["organisation"],
                                values["display_name"], by=me())
        return f"已创建用户 {user.username}（{user.role_label}）"
    return _dialog("users/form.html", USER_FORM, None, {}, create)


@bp.route("/<int:user_id>/edit", methods=["GET", "POST"])
@roles(ADMIN)
def edit(user_id):
    """修改 a user's display name, role and (for a reviewer) organisation."""
    user = _get(user_id)

    def change(values):
        user.change(values["role"], values["organisation"], values["display_name"], by=me())
        return f"已保存用户 {user.username}"
    return _dialog("users/form.html", USER_FORM.only("display_name", "role", "organisation"), user,
                   user.form_values(), change)


@bp.route("/<int:user_id>/password", methods=["GET", "POST"])
@roles(ADMIN)
def password(user_id):
    """重置密码: the administrator sets a new password and tells the user."""
    user = _get(user_id)

    def reset(values):
        user.reset_password(values["password"], by=me())
        return f"已重置 {user.username} 的密码"
    return _dialog("users/password.html", password_form(), user, {}, reset)


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


def _dialog(template, form, user, raw, save):
    """A user dialog: the form, then `save(values)` through the model and its notice; 422 with each field's problem."""
    form, errors = form.resolved(), {}
    if request.method == "POST":
        raw, errors, notice = posted(form, save)
        if not errors:
            return "", 204, hx_events(notice=(notice, "ok"), closeDialog=True, usersChanged=True)
    return render(template, block="dialog", status=422 if errors else 200, user=user, form=form, raw=raw,
                  errors=errors)
