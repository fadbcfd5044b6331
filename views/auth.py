"""登录, 退出 and the one-time creation of the first administrator."""
from urllib.parse import urlsplit

from flask import Blueprint, redirect, request, url_for
from flask_login import current_user, login_user, logout_user

from models.user import ROLE_LABELS, User, UserError

from . import me, public, render, roles

bp = Blueprint("auth", __name__)


def _safe_next(target):
    """Only follow a `next` that stays on this server."""
    if target and not urlsplit(target).netloc and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("dashboard.index")


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """The login form; with no user yet it points to the first-run setup."""
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    if not User.select().exists():
        return redirect(url_for("auth.setup"))
    error, username = None, request.form.get("username", "").strip()
    if request.method == "POST":
        user = User.by_username(username)
        if user is not None and user.active and user.attempt_login(request.form.get("password")):
            login_user(user)
            return redirect(_safe_next(request.args.get("next")), 303)
        if user is not None and user.is_locked():
            error = f"连续输错密码次数过多，账号已锁定至 {user.locked_until:%H:%M}，请稍后再试或联系院校管理员"
        else:
            error = "用户名或密码错误"
    return render("auth/login.html", error=error, username=username,
                  status=401 if error else 200)


@bp.route("/logout", methods=["POST"])
@roles(*ROLE_LABELS)
def logout():
    """End the session."""
    me().record_logout()
    logout_user()
    return redirect(url_for("auth.login"), 303)


@bp.route("/setup", methods=["GET", "POST"])
@public
def setup():
    """Create the first administrator; works only while no user exists."""
    if User.select().exists():
        return redirect(url_for("auth.login"))
    error = None
    if request.method == "POST":
        password = request.form.get("password", "")
        if password != request.form.get("password2", ""):
            error = "两次输入的密码不一致"
        else:
            try:
                user = User.create_first_admin(request.form.get("username"), password,
                                               request.form.get("display_name"))
            except UserError as exc:
                error = str(exc)
            else:
                login_user(user)
                return redirect(url_for("dashboard.index"), 303)
    return render("auth/setup.html", error=error, form=request.form, status=422 if error else 200)
