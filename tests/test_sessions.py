"""Sessions that end: logout, a password reset and idleness end them; the login lock holds under a race."""
import threading
import time

from models.audit import AuditEvent
from models.login_throttle import ADDRESS_LIMIT
from models.user import ADMIN, STAFF, User
from tests.conftest import PASSWORD


def _log_in(client, username):
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 303
    return client.get_cookie("session").value


def test_a_session_cookie_replayed_after_logout_opens_nothing(app, make_user):
    make_user(STAFF, username="li")
    client = app.test_client()
    cookie = _log_in(client, "li")
    assert client.get("/candidates/").status_code == 200
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    assert thief.get("/candidates/").status_code == 302


def test_logout_ends_the_users_sessions_in_other_browsers_too(app, make_user):
    make_user(STAFF, username="li")
    office, home = app.test_client(), app.test_client()
    _log_in(office, "li")
    _log_in(home, "li")
    home.post("/logout")
    assert office.get("/candidates/").status_code == 302


def test_a_password_reset_ends_every_session_of_that_user(app, make_user, login, client):
    staff = make_user(STAFF, username="li")
    browser = app.test_client()
    _log_in(browser, "li")
    login(ADMIN)
    response = client.post(f"/admin/users/{staff.id}/password", data={"password": "new-password-1", "password2": "new-password-1"})
    assert response.status_code in (200, 204, 303)
    assert browser.get("/candidates/").status_code == 302


def test_disabling_a_user_ends_the_session(app, make_user):
    staff = make_user(STAFF, username="li")
    browser = app.test_client()
    _log_in(browser, "li")
    User.get_by_id(staff.id).set_active(False, by=None)
    assert browser.get("/candidates/").status_code == 302


def test_an_idle_session_ends_after_the_setting(app, make_user, monkeypatch):
    from models import setting
    setting.put("session_idle_minutes", "30")
    make_user(STAFF, username="li")
    browser = app.test_client()
    _log_in(browser, "li")
    assert browser.get("/candidates/").status_code == 200
    later = time.time() + 31 * 60
    monkeypatch.setattr(time, "time", lambda: later)
    response = browser.get("/candidates/")
    assert response.status_code == 302 and response.headers["Location"] == "/login?next=/candidates/"
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "长时间未操作（超过 30 分钟），登录已过期" in page
    assert browser.get("/candidates/").status_code == 302  # the session is gone, not just refused once


def test_an_old_login_token_without_a_version_is_not_accepted(app, make_user):
    staff = make_user(STAFF, username="li")
    browser = app.test_client()
    with browser.session_transaction() as session:
        session["_user_id"] = str(staff.id)
    assert browser.get("/candidates/").status_code == 302
    for token in (f"{staff.id}.x", "9" * 40 + ".0", f"{staff.id}.{'9' * 40}", ""):
        assert User.from_token(token) is None


def test_concurrent_wrong_passwords_check_no_more_passwords_than_the_limit(app, make_user, monkeypatch):
    from models import user as user_module
    user = make_user(STAFF, username="li")
    checks = []
    real_check = user_module.check_password_hash
    monkeypatch.setattr(user_module, "check_password_hash",
                        lambda h, p: checks.append(h) or real_check(h, p))
    barrier = threading.Barrier(12)

    def guess():
        with app.test_request_context():
            fresh = User.get_by_id(user.id)
            barrier.wait()
            fresh.attempt_login("wrong guess")

    threads = [threading.Thread(target=guess) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    real_checks = [h for h in checks if h == user.password_hash]
    assert len(real_checks) <= 5
    assert User.get_by_id(user.id).is_locked()


def test_unknown_names_and_known_names_get_the_same_answer(client, make_user):
    make_user(STAFF, username="zhangsan01")
    known = client.post("/login", data={"username": "zhangsan01", "password": "wrong"})
    unknown = client.post("/login", data={"username": "zhangsan02", "password": "wrong"})
    assert known.status_code == unknown.status_code == 401
    # The pages differ only by the name typed back into the form and the CSRF token's timestamp.
    alert = 'role="alert"'
    assert (known.get_data(as_text=True).split(alert)[1].split("</p>")[0]
            == unknown.get_data(as_text=True).split(alert)[1].split("</p>")[0])


def test_a_flood_from_one_address_is_refused_and_logged_once_not_per_try(client, make_user):
    make_user(STAFF, username="li")
    for i in range(ADDRESS_LIMIT + 30):
        response = client.post("/login", data={"username": f"x{i}", "password": "wrong"})
    assert response.status_code == 429
    assert "登录尝试过于频繁" in response.get_data(as_text=True)
    assert client.post("/login", data={"username": "li", "password": PASSWORD}).status_code == 429
    events = [e.action for e in AuditEvent.select()]
    assert events.count("auth.throttled") == 1
    assert len(events) <= 3


def test_the_session_cookie_is_secure_when_served_over_https(app_config, monkeypatch):
    from app import create_app
    monkeypatch.setenv("CERTDESK_HTTPS", "1")
    assert create_app(app_config).config["SESSION_COOKIE_SECURE"] is True


def test_the_data_directory_is_private(app):
    import os
    import stat
    from pathlib import Path
    mode = stat.S_IMODE(os.stat(Path(app.config["DATA_DIR"])).st_mode)
    assert mode == 0o700


def test_behind_a_proxy_the_throttle_counts_each_client_address_apart(app, app_config, monkeypatch, make_user):
    from app import create_app
    make_user(STAFF, username="li")
    monkeypatch.setenv("CERTDESK_PROXY", "1")
    client = create_app(app_config).test_client()
    proxied = {"REMOTE_ADDR": "127.0.0.1"}
    for i in range(ADDRESS_LIMIT + 1):
        client.post("/login", data={"username": f"x{i}", "password": "wrong"}, environ_base=proxied,
                    headers={"X-Forwarded-For": "10.0.0.66"})
    attacker = client.post("/login", data={"username": "x", "password": "wrong"}, environ_base=proxied,
                           headers={"X-Forwarded-For": "10.0.0.66"})
    colleague = client.post("/login", data={"username": "li", "password": "wrong"}, environ_base=proxied,
                            headers={"X-Forwarded-For": "10.0.0.7"})
    assert (attacker.status_code, colleague.status_code) == (429, 401)
    assert "10.0.0.66" in {e.object_label for e in AuditEvent.select().where(AuditEvent.action == "auth.throttled")}


def test_without_the_proxy_setting_a_forwarded_address_is_not_believed(client, make_user):
    make_user(STAFF, username="li")
    for i in range(ADDRESS_LIMIT + 1):
        client.post("/login", data={"username": f"x{i}", "password": "wrong"},
                    headers={"X-Forwarded-For": f"10.0.1.{i}"})
    assert client.post("/login", data={"username": "x", "password": "wrong"},
                       headers={"X-Forwarded-For": "10.0.2.1"}).status_code == 429
