"""A request whose session has ended (or never began): the login page says why the session of this browser
ended, and logging in again returns to the page the user was on (`next`, a page of this site only)."""
import time
from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app, redirect, request, session, url_for
from flask_login import logout_user
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from models import setting
from models.user import User

# What the login page says, by the cause kept in the session (ended()). Each is said only to the browser
# whose session it was: the cause is kept in its signed session cookie, never read from the URL.
REASONS = {
    "idle": "长时间未操作（超过 {minutes} 分钟），登录已过期，请重新登录",
    "logout": "已在此浏览器中退出登录，所有页面均已退出，请重新登录",
    "logout_elsewhere": "此账号已在其他浏览器或设备上退出登录，本浏览器中的登录随之结束，请重新登录",
    "password_change": "此账号的密码已在其他浏览器或设备上修改，本浏览器中的登录随之结束，请用新密码重新登录",
    "password_reset": "此账号的密码已由院校管理员重置，本浏览器中的登录随之结束，请用管理员告知的新密码登录",
    "disabled": "此账号已被院校管理员停用，登录已结束。如有疑问，请联系院校管理员",
    "ended": "本次登录已结束，请重新登录",
}
# User.why_ended's codes, as the cause of a session ended from outside this browser.
ELSEWHERE = {"logout": "logout_elsewhere", "password_change": "password_change",
             "password_reset": "password_reset", "disabled": "disabled", None: "ended"}
MAX_NEXT = 2000  # characters: longer is no address a page of CertDesk has
NO_RETURN = ("auth.login", "auth.logout", "auth.setup")


def ended(cause):
    """End the session of this browser, keeping why for the login page until the next login."""
    logout_user()
    session["ended"] = cause


def idle_too_long():
    """End a session left idle longer than the `session_idle_minutes` setting; note activity otherwise."""
    seen, at = session.get("seen"), int(time.time())
    if isinstance(seen, int) and at - seen <= 60:
        return False  # seen within the minute: cannot have expired (the setting's minimum is 5 minutes)
    if isinstance(seen, int) and at - seen > setting.get("session_idle_minutes") * 60:
        session.clear()
        ended("idle")
        return True
    session["seen"] = at  # so written at most once a minute
    return False


def reason():
    """What the login page says about the session of this browser that ended, or None."""
    text = REASONS.get(session.get("ended"))
    return text and text.format(minutes=setting.get("session_idle_minutes"))


def to_login():
    """The answer to a request that needs a login it does not have: the login page, with `next` the page to
    come back to; htmx is told to send the browser there (HX-Redirect) rather than swap the page in. A login
    the server ended since (退出 or a password change elsewhere, the account disabled) is forgotten here, and
    its cause kept for the login page."""
    token = session.get("_user_id")
    if token is not None:
        seen = session.get("seen")
        ended(ELSEWHERE[User.why_ended(token, datetime.fromtimestamp(seen) if isinstance(seen, int) else None)])
    target = url_for("auth.login", next=None if request.endpoint == "auth.logout" else return_path())
    if request.htmx:
        return "", 401, {"HX-Redirect": target}
    return redirect(target)


def return_path():
    """The page the user was on, as a path of this app: the page htmx says the browser shows, the page asked
    for, or for a form sent without htmx the page it was sent from; None when none is a page here."""
    if request.htmx:
        return _this_site(request.headers.get("HX-Current-URL", ""))
    if request.method == "GET":
        return safe_next(request.full_path.rstrip("?"))
    return _this_site(request.headers.get("Referer", ""))


def _this_site(url):
    """The page an absolute URL names on this server (its host, under the place the app is mounted at), else None."""
    parts, here, root = _split(url), _split(f"//{request.host}"), request.script_root
    # The host's name only: behind nginx (`proxy_set_header Host $host`) the port the browser used is not said.
    if (parts is None or here is None or parts.scheme not in ("http", "https") or not parts.hostname
            or parts.hostname != here.hostname or not parts.path.startswith(root + "/")):
        return None
    return safe_next(parts.path[len(root):] + (f"?{parts.query}" if parts.query else ""))


def safe_next(target):
    """`target` when it is a page of this app that a browser may be sent to after logging in: a path (no
    scheme, no host, nothing a browser reads as one: `//`, `\\`, control characters), that a GET of this app
    answers (not 退出, not the login itself); else None."""
    parts = _split(target)
    if parts is None or parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    try:
        endpoint, _ = current_app.url_map.bind(request.host, request.script_root).match(parts.path, "GET")
    except RequestRedirect:
        return target  # /candidates for /candidates/: the page is there
    except HTTPException:
        return None
    return None if endpoint in NO_RETURN else target


def _split(url):
    """urlsplit() of a URL no browser could read as another (no `\\`, space or control character; of a length a
    page of CertDesk has), else None."""
    if not url or len(url) > MAX_NEXT or "\\" in url or " " in url or not url.isprintable():
        return None
    try:
        return urlsplit(url)
    except ValueError:  # a bracket left open where an IPv6 host would be
        return None
