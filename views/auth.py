"""登录, 退出 and the one-time creation of the first administrator."""
from urllib.parse import urlsplit

from flask import Blueprint, redirect, request, url_for
from flask_login import current_user, login_user, logout_user

from models import login_throttle, setting
from models.user import ROLE_LABELS, User, UserError

from . import hx_events, me, public, render, roles

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
    error, status, username = None, 200, request.form.get("username", "").strip()
    if request.method == "POST":
        user, address = User.by_username(username), request.remote_addr
        if login_throttle.is_throttled(address):
            login_throttle.count_failure(address)
            error, status = "登录尝试过于频繁，请一分钟后再试", 429
        elif user is not None and user.active and user.attempt_login(request.form.get("password")):
            login_user(user)
            return redirect(_safe_next(request.args.get("next")), 303)
        else:
            if user is None or not user.active:
                User.decoy_check(request.form.get("password"))
            login_throttle.count_failure(address)
            # One answer for a wrong name, a wrong password and a locked account: no name can be probed.
            error, status = (f"用户名或密码错误。连续输错 {setting.get('login_max_failures')} 次，账号将锁定 "
                             f"{setting.get('login_lock_minutes')} 分钟，请稍后再试或联系院校管理员"), 401
    if request.args.get("expired") and not error:
        error = "长时间未操作，已自动退出，请重新登录"
    return render("auth/login.html", error=error, username=username, status=status)


@bp.route("/logout", methods=["POST"])
@roles(*ROLE_LABELS)
def logout():
    """End the session, and every other session of the same user."""
    me().log_out()
    logout_user()
    return redirect(url_for("auth.login"), 303)


@bp.route("/account/password", methods=["GET", "POST"])
@roles(*ROLE_LABELS)
def password():
    """修改密码: the current password and the new one twice; other sessions end, this one stays logged in."""
    error = None
    if request.method == "POST":
        user = me()
        try:
            user.change_password(request.form.get("current"), request.form.get("password"),
                                 request.form.get("password2"))
        except UserError as exc:
            error = str(exc)
        else:
            login_user(user)  # this session again, under the new session version
            if not request.htmx:
                return redirect(url_for("dashboard.index"), 303)
            return "", 204, hx_events(closeDialog=True, notice=("密码已修改；在其他浏览器或设备上的登录已退出", "ok"))
    return render("auth/password.html", block="dialog", error=error, status=422 if error else 200)


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
