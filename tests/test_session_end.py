"""A session that ended: the login page says why, and logging in again returns to the page the user was on,
whether the request was a page, an htmx row action, a filter change or a form; `next` stays on this site."""
import time
from urllib.parse import parse_qs, quote, unquote, urlsplit

import pytest

from app import create_app
from models import setting
from models.user import ADMIN, STAFF, User
from tests.conftest import PASSWORD

LIST = "/candidates/?department=信息工程学院&page=2"
LIST_URL = "http://localhost" + quote(LIST, safe="/?=&")  # as a browser's location.href has it
NEW_PASSWORD = "another-horse-77"

# What the login page says, by what ended the session.
IDLE = "长时间未操作（超过 30 分钟），登录已过期，请重新登录"
LOGGED_OUT_HERE = "已在此浏览器中退出登录"
LOGGED_OUT_ELSEWHERE = "此账号已在其他浏览器或设备上退出登录"
PASSWORD_CHANGED = "此账号的密码已在其他浏览器或设备上修改"
PASSWORD_RESET = "此账号的密码已由院校管理员重置"
DISABLED = "此账号已被院校管理员停用"
ENDED = "本次登录已结束，请重新登录"
EVERY_REASON = (IDLE, LOGGED_OUT_HERE, LOGGED_OUT_ELSEWHERE, PASSWORD_CHANGED, PASSWORD_RESET, DISABLED, ENDED)


def log_in(client, username="li", password=PASSWORD, next_page=None):
    response = client.post("/login", query_string={"next": next_page} if next_page else None,
                           data={"username": username, "password": password})
    assert response.status_code == 303
    return response


def reasons_on(page):
    return [reason for reason in EVERY_REASON if reason in page]


def login_page(client, response):
    """The login page a refused request sends the browser to (Location or HX-Redirect), and its `next`."""
    target = response.headers.get("HX-Redirect") or response.headers["Location"]
    assert urlsplit(target).path == "/login"
    next_page = parse_qs(urlsplit(target).query).get("next", [None])[0]
    return client.get(target).get_data(as_text=True), next_page and unquote(next_page)


@pytest.fixture
def li(app, make_user):
    """Staff member li, logged in in a browser of their own."""
    user = make_user(STAFF, username="li")
    browser = app.test_client()
    log_in(browser)
    assert browser.get("/candidates/").status_code == 200
    return user, browser


def _logout_elsewhere(app, user, browser):
    other = app.test_client()
    log_in(other)
    other.post("/logout")


def _password_changed_elsewhere(app, user, browser):
    other = app.test_client()
    log_in(other)
    response = other.post("/account/password",
                          data={"current": PASSWORD, "password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 303


def _password_reset(app, user, browser):
    User.get_by_id(user.id).reset_password(NEW_PASSWORD, by=None)


def _disabled(app, user, browser):
    User.get_by_id(user.id).set_active(False, by=None)


def _logout_in_another_tab(app, user, browser):
    browser.post("/logout")  # another tab of the same browser: the same cookie


def _idle(app, user, browser, monkeypatch):
    setting.put("session_idle_minutes", "30")
    later = time.time() + 31 * 60
    monkeypatch.setattr(time, "time", lambda: later)


CAUSES = [(_logout_elsewhere, LOGGED_OUT_ELSEWHERE), (_password_changed_elsewhere, PASSWORD_CHANGED),
          (_password_reset, PASSWORD_RESET), (_disabled, DISABLED), (_logout_in_another_tab, LOGGED_OUT_HERE),
          (_idle, IDLE)]


def end(cause, app, li, monkeypatch):
    user, browser = li
    if cause is _idle:
        cause(app, user, browser, monkeypatch)
    else:
        cause(app, user, browser)


@pytest.mark.parametrize("cause, reason", CAUSES, ids=[cause.__name__.strip("_") for cause, _ in CAUSES])
def test_a_page_opened_after_the_session_ended_says_why_on_the_login_page(app, li, monkeypatch, cause, reason):
    end(cause, app, li, monkeypatch)
    _, browser = li
    response = browser.get(LIST)
    assert response.status_code == 302
    page, next_page = login_page(browser, response)
    assert reasons_on(page) == [reason]
    assert next_page == LIST
    # Every tab of the browser is told, not only the first to ask.
    assert reasons_on(login_page(browser, browser.get("/sites/"))[0]) == [reason]


@pytest.mark.parametrize("cause, reason", CAUSES, ids=[cause.__name__.strip("_") for cause, _ in CAUSES])
def test_an_htmx_row_action_after_the_session_ended_sends_the_browser_to_login_with_its_page(
        app, li, monkeypatch, cause, reason):
    end(cause, app, li, monkeypatch)
    _, browser = li
    # The row's candidate need not exist: the request is answered before its view runs.
    response = browser.post("/candidates/1/authenticate",
                            headers={"HX-Request": "true", "HX-Current-URL": LIST_URL})
    assert response.status_code == 401
    page, next_page = login_page(browser, response)
    assert reasons_on(page) == [reason]
    assert next_page == LIST


def test_logging_in_again_returns_to_the_page_and_the_reason_is_gone(app, li):
    user, browser = li
    _logout_elsewhere(app, user, browser)
    response = browser.get("/candidates/counts?status=待认证",
                           headers={"HX-Request": "true", "HX-Current-URL": LIST_URL})
    target = response.headers["HX-Redirect"]
    response = browser.post(target, data={"username": "li", "password": PASSWORD})
    assert response.status_code == 303 and unquote(response.headers["Location"]) == LIST
    assert browser.get(LIST).status_code == 200
    browser.post("/logout")
    # Logged out by hand in this browser: said once more, never the reason of the session before.
    assert reasons_on(browser.get("/login").get_data(as_text=True)) == [LOGGED_OUT_HERE]


def test_a_list_refresh_and_a_filter_change_keep_the_page_with_its_filters(app, li):
    user, browser = li
    _logout_elsewhere(app, user, browser)
    here = "/candidates/?q=张&status=认证未通过&per_page=20&page=3"
    for url in ("/candidates/?q=张&status=待认证", "/candidates/counts"):
        response = browser.get(url, headers={"HX-Request": "true",
                                             "HX-Current-URL": "http://localhost" + quote(here, safe="/?=&")})
        assert response.status_code == 401
        assert login_page(browser, response)[1] == here


def test_a_plain_form_post_after_the_session_ended_returns_to_the_page_it_was_sent_from(app, li):
    user, browser = li
    _logout_elsewhere(app, user, browser)
    response = browser.post("/candidates/bulk-authenticate", data={"scope": "all"},
                            headers={"Referer": LIST_URL})
    assert login_page(browser, response)[1] == LIST
    # 退出 clicked in a page whose session had ended already: to the login page, not back.
    response = browser.post("/logout", headers={"Referer": LIST_URL})
    assert login_page(browser, response)[1] is None


def test_an_anonymous_visitor_is_told_nothing_and_a_typed_reason_is_not_believed(app, client, make_user):
    make_user(STAFF, username="li")
    for url in ("/login", "/login?expired=1", "/login?ended=disabled", "/login?ended=logout"):
        assert reasons_on(client.get(url).get_data(as_text=True)) == []
    response = client.get(LIST)
    page, next_page = login_page(client, response)
    assert reasons_on(page) == [] and next_page == LIST


def test_a_stale_token_that_names_no_user_or_an_old_format_gets_the_plain_reason(app, li):
    user, browser = li
    for token in (f"{user.id}", "999999.0"):
        with browser.session_transaction() as session:
            session["_user_id"] = token
        page, _ = login_page(browser, browser.get("/sites/"))
        assert reasons_on(page) == [ENDED]


def test_a_wrong_password_after_a_session_ended_shows_the_error_only(app, li):
    user, browser = li
    _disabled(app, user, browser)
    browser.get(LIST)
    response = browser.post("/login", data={"username": "li", "password": "wrong-guess"})
    page = response.get_data(as_text=True)
    assert response.status_code == 401 and "用户名或密码错误" in page and reasons_on(page) == []


def test_an_expired_session_in_another_tab_is_not_a_csrf_error(app_config, make_user):
    csrf_app = create_app(dict(app_config, WTF_CSRF_ENABLED=True))
    make_user(STAFF, username="li")
    browser = csrf_app.test_client()
    page = browser.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    browser.post("/login", data={"username": "li", "password": PASSWORD, "csrf_token": token})
    page = browser.get("/candidates/").get_data(as_text=True)
    token = page.split('"X-CSRFToken": "')[1].split('"')[0]
    with browser.session_transaction() as session:
        session["seen"] -= 9 * 3600  # idle past the default 480 minutes
    assert browser.get("/sites/").status_code == 302  # one tab notices: the session, its CSRF secret too, ends
    response = browser.post("/candidates/bulk-authenticate", data={"scope": "all"},
                            headers={"X-CSRFToken": token, "HX-Request": "true",
                                     "HX-Current-URL": "http://localhost/candidates/?status=待认证"})
    assert response.status_code == 401
    page, next_page = login_page(browser, response)
    assert next_page == "/candidates/?status=待认证"
    assert "长时间未操作（超过 480 分钟），登录已过期，请重新登录" in page and "页面已过期" not in page


# ---- `next` is a page of this site, never another's --------------------------------------------------------
HOSTILE_NEXT = ["//evil.example/x", "https://evil.example/", "http:/evil.example", "/\\evil.example",
                "/\\/evil.example", "\\\\evil.example", "/\t/evil.example", "/\n/evil.example", " //evil.example",
                "javascript:alert(1)", "data:text/html,x", "/%2F%2Fevil.example", "evil.example",
                "/login?next=//evil.example", "/logout", "/candidates/1/authenticate", "/nowhere",
                "//[evil", "/[", "/candidates/?q=" + "x" * 3000]


@pytest.mark.parametrize("target", HOSTILE_NEXT, ids=[repr(target[:30]) for target in HOSTILE_NEXT])
def test_login_never_follows_a_next_off_this_site_or_to_no_page(client, make_user, target):
    make_user(STAFF, username="li")
    response = log_in(client, next_page=target)
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", ["/candidates/?department=信息工程学院&page=2", "/sites/", "/candidates",
                                    "/admin/audit?user=x&per_page=20"])
def test_login_follows_a_next_that_is_a_page_here(client, make_user, target):
    make_user(ADMIN, username="li")
    assert unquote(log_in(client, next_page=target).headers["Location"]) == target


@pytest.mark.parametrize("current", ["https://evil.example/candidates/", "//evil.example/candidates/",
                                     "javascript:alert(1)", "http://localhost\\@evil.example/", "/candidates/",
                                     "http://localhost/\\evil.example", "http://[::1/candidates/", "http://local host/",
                                     "not a url", ""])
def test_a_hostile_current_url_gives_no_next(app, li, current):
    user, browser = li
    _logout_elsewhere(app, user, browser)
    response = browser.post("/candidates/bulk-authenticate", data={"scope": "all"},
                            headers={"HX-Request": "true", "HX-Current-URL": current,
                                     "Referer": "https://evil.example/candidates/"})
    assert response.status_code == 401
    assert login_page(browser, response)[1] is None


def test_behind_a_proxy_the_page_is_known_whatever_port_the_browser_used(app, li):
    user, browser = li
    _logout_elsewhere(app, user, browser)
    response = browser.get("/candidates/counts", headers={"HX-Request": "true",
                                                          "HX-Current-URL": "https://localhost:8443/sites/?status=x"})
    assert login_page(browser, response)[1] == "/sites/?status=x"
