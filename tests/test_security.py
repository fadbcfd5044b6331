"""CSRF, security headers, ID masking in logs and the audit log viewer."""
import logging

import pytest
from peewee import Select, Value

from app import create_app
from models import audit
from models.audit import AuditEvent
from models.db import db
from models.privacy import mask_id, mask_id_sql, mask_ids_in_text, mask_phone
from models.user import User


def test_security_headers_on_every_page(client):
    response = client.get("/setup")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_pages_load_nothing_from_outside(client, login):
    login("admin")
    page = client.get("/").get_data(as_text=True)
    assert "http://" not in page and "https://" not in page and "<script>" not in page


def test_session_cookie_is_httponly_and_lax(client, make_user):
    from tests.conftest import PASSWORD
    make_user("staff", username="li")
    response = client.post("/login", data={"username": "li", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.fixture
def csrf_app(app_config):
    return create_app(dict(app_config, WTF_CSRF_ENABLED=True))


def test_post_without_csrf_token_is_refused(csrf_app, make_user):
    client = csrf_app.test_client()
    make_user("staff", username="li")
    response = client.post("/login", data={"username": "li", "password": "x"})
    assert response.status_code == 400
    assert "页面已过期" in response.get_data(as_text=True)


def test_htmx_post_with_header_token_passes_csrf(csrf_app, make_user):
    client = csrf_app.test_client()
    make_user("staff", username="li")
    page = client.get("/login").get_data(as_text=True)
    token = page.split('"X-CSRFToken": "')[1].split('"')[0]
    response = client.post("/login", data={"username": "li", "password": "x"},
                           headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert response.status_code == 401  # reached the view: wrong password, not a CSRF failure


def test_id_numbers_are_masked():
    assert mask_id("410102199001011234") == "410102********1234"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_ids_in_text("/candidates?q=41010219900101123X&p=2") == "/candidates?q=410102********123X&p=2"


def test_the_database_masks_an_id_number_as_mask_id_does(app):
    # The audit labels of an import are written by the database (audit.record_same): the same text.
    numbers = ["", "X", "1234", "12345", "H1234567", "E12345678", "12345678901234", "123456789012345",
               "410102199001011234", "41010219900101123X", "1" * 20, "香港身份証A123456（7）"]
    with app.app_context(), db.connection_context():
        masked = Select(columns=[mask_id_sql(Value(n)) for n in numbers]).bind(db).tuples().get()
    assert list(masked) == [mask_id(n) for n in numbers]


def test_request_log_masks_id_numbers_in_query_strings(client, login, caplog):
    login("admin")
    with caplog.at_level(logging.INFO, logger="certdesk.request"):
        client.get("/admin/audit?user=410102199001011234")
    assert "410102********1234" in caplog.text
    assert "410102199001011234" not in caplog.text


def test_audit_record_keeps_actor_changes_and_ip(app, client, login):
    admin = login("admin")
    with app.test_request_context(environ_base={"REMOTE_ADDR": "10.0.0.7"}):
        audit.record("user.update", admin, {"角色": ("院校工作人员", "院校管理员")}, user=admin)
    event = AuditEvent.get()
    assert (event.username, event.ip, event.object_type) == (admin.username, "10.0.0.7", "user")
    assert event.change_list == [("角色", "院校工作人员", "院校管理员")]


def test_audit_log_page_masks_ids_and_filters(client, login):
    admin = login("admin")
    audit.record("user.update", admin, {"证件号码": ("", "410102199001011234")}, user=admin)
    audit.record("auth.login", admin, user=admin)
    page = client.get("/admin/audit?action=user.update").get_data(as_text=True)
    assert "410102********1234" in page and "410102199001011234" not in page
    partial = client.get("/admin/audit?action=auth.login", headers={"HX-Request": "true"})
    body = partial.get_data(as_text=True)
    assert "<html" not in body and "登录" in body and "修改用户" not in body
    assert "HX-Request" in partial.headers["Vary"]


def test_the_log_and_timelines_name_people_by_display_name(app, client, login):
    admin = login("admin")
    audit.record("user.update", admin, {"角色": ("院校工作人员", "院校管理员")}, user=admin)
    audit.record("auth.login", None, user=None)
    gone = AuditEvent.create(action="auth.login", user_id=9999, username="former-clerk")
    page = client.get("/admin/audit").get_data(as_text=True)
    assert f"测试admin <span class=\"muted small\">{admin.username}</span>" in page  # who, and the login name
    assert "<td>系统</td>" in page and "<td>former-clerk</td>" in page  # a user deleted since keeps the name logged
    with app.test_request_context():
        assert [User.actor(e) for e in AuditEvent.select().order_by(AuditEvent.id)] == ["测试admin", "系统", "former-clerk"]
    for name in ("测试adm", admin.username):  # the filter finds a person by either name
        found = client.get("/admin/audit", query_string={"user": name}).get_data(as_text=True)
        assert "修改用户" in found and "former-clerk" not in found
    # The system's events by the name the log shows them by, as by the name it keeps.
    for name in ("系统", "system"):
        found = client.get("/admin/audit", query_string={"user": name}, headers={"HX-Request": "true"}).text
        assert "<td>系统</td>" in found and "former-clerk" not in found, name
        assert '"audit-action">修改用户' not in found and found.count('"audit-action">') == 1, name
    assert gone.id



@pytest.mark.parametrize("url", ["/candidates/?q=张%00三", "/candidates/?department=%00", "/awards/?q=%00",
                                 "/awards/roster/?department=%00", "/imports/?status=%00", "/sites/?q=%00"])
def test_a_control_character_in_a_filter_is_dropped_not_a_server_error(client, login, url):
    # PostgreSQL's driver refuses a NUL in a parameter with an error: filters drop control characters.
    login("staff")
    assert client.get(url).status_code == 200
