"""登录, 退出 and the one-time creation of the first administrator."""
from flask import Blueprint, redirect, request, url_for
from flask_login import current_user, login_user

from models import login_throttle, setting
from models.user import CHANGE_PASSWORD_FORM, LOGIN_FORM, ROLE_LABELS, SETUP_FORM, User

from . import hx_events, me, posted, public, render, roles, session_end

bp = Blueprint("auth", __name__)


def _next_page():
    """Where a login goes: the `next` page when it is one of this app (session_end.safe_next), else 首页."""
    target = session_end.safe_next(request.args.get("next"))
    return request.script_root + target if target else url_for("dashboard.index")


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """The login form; with no user yet it points to the first-run setup."""
    if current_user.is_authenticated:  # logged in again in another tab: on to this tab's page
        return redirect(_next_page())
    if not User.select().exists():
        return redirect(url_for("auth.setup"))
    error, status, username = None, 200, request.form.get("username", "").strip()
    if request.method == "POST":
        # A name or password no form could have stored (too long, control characters) names no one.
        _, refused_text = LOGIN_FORM.clean(request.form)
        user, address = None if refused_text else User.by_username(username), request.remote_addr
        if login_throttle.is_throttled(address):
            login_throttle.count_failure(address)
            error, status = "登录尝试过于频繁，请一分钟后再试", 429
        elif user is not None and user.active and user.attempt_login(request.form.get("password")):
            login_user(user)
            return redirect(_next_page(), 303)
        else:
            if user is None or not user.active:
                User.decoy_check(request.form.get("password"))
            login_throttle.count_failure(address)
            # One answer for a wrong name, a wrong password and a locked account: no name can be probed.
            error, status = (f"用户名或密码错误。连续输错 {setting.get('login_max_failures')} 次，账号将锁定 "
                             f"{setting.get('login_lock_minutes')} 分钟，请稍后再试或联系院校管理员"), 401
    return render("auth/login.html", error=error, ended=None if error else session_end.reason(), form=LOGIN_FORM,
                  username=username, status=status)


@bp.route("/logout", methods=["POST"])
@roles(*ROLE_LABELS)
def logout():
    """End the session, and every other session of the same user."""
    me().log_out()
    session_end.ended("logout")  # every other tab of this browser is logged out too: their login page says so
    return redirect(url_for("auth.login"), 303)


PASSWORD_CHANGED = "密码已修改；在其他浏览器或设备上的登录已退出"


@bp.route("/account/password", methods=["GET", "POST"])
@roles(*ROLE_LABELS)
def password():
    """修改密码: the current password and the new one twice; other sessions end, this one stays logged in."""
    user, errors = me(), {}
    if request.method == "POST":
        _, errors, _ = posted(CHANGE_PASSWORD_FORM, lambda values: user.change_password(
            values["current"], values["password"], values["password2"]))
        if not errors:
            login_user(user)  # this session again, under the new session version
            if not request.htmx:
                return redirect(url_for("auth.password", changed=1), 303)  # the page says so, once reloaded too
            return "", 204, hx_events(closeDialog=True, notice=(PASSWORD_CHANGED, "ok"))
    return render("auth/password.html", block="dialog", form=CHANGE_PASSWORD_FORM, errors=errors,
                  changed=PASSWORD_CHANGED if request.args.get("changed") and not errors else None,
                  status=422 if errors else 200)


@bp.route("/setup", methods=["GET", "POST"])
@public
def setup():
    """Create the first administrator; works only while no user exists."""
    if User.select().exists():
        return redirect(url_for("auth.login"))
    raw, errors = {}, {}
    if request.method == "POST":
        raw, errors, user = posted(SETUP_FORM, lambda values: User.create_first_admin(
            values["username"], values["password"], values["display_name"]))
        if not errors:
            login_user(user)
            return redirect(url_for("dashboard.index"), 303)
    return render("auth/setup.html", form=SETUP_FORM, raw=raw, errors=errors, status=422 if errors else 200)
