"""修改密码 from the header: the current password, the new one twice, the rules of 用户管理; the user's
other sessions end and this one stays logged in; both outcomes are audited."""
import pytest
from werkzeug.security import check_password_hash, generate_password_hash

from models.audit import AuditEvent
from models.user import MIN_PASSWORD_LENGTH, REVIEWER, STAFF, User, password_problem
from tests.conftest import PASSWORD

HX = {"HX-Request": "true"}
NEW = "a-new-password-7"


def log_in(client, username, password=PASSWORD):
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 303, response.get_data(as_text=True)


def change(client, current=PASSWORD, password=NEW, again=NEW, headers=HX):
    return client.post("/account/password", data={"current": current, "password": password, "password2": again},
                       headers=headers)


@pytest.mark.parametrize("role", [STAFF, REVIEWER, "admin"])
def test_every_role_finds_the_dialog_in_the_header(client, login, role):
    login(role)
    assert 'hx-get="/account/password"' in client.get("/").get_data(as_text=True)
    dialog = client.get("/account/password", headers=HX).get_data(as_text=True)
    assert "<html" not in dialog and "当前密码" in dialog and "再次输入新密码" in dialog


@pytest.mark.parametrize("current, password, again, message", [
    ("wrong-password", NEW, NEW, "当前密码不正确"),
    (PASSWORD, NEW, NEW + "x", "两次输入的新密码不一致"),
    (PASSWORD, "short", "short", f"密码至少 {MIN_PASSWORD_LENGTH} 位"),
    (PASSWORD, PASSWORD, PASSWORD, "新密码不能与当前密码相同"),
    (PASSWORD, "20030105123", "20030105123", "密码不能全是数字"),
    (PASSWORD, "aaaaaaaaaa", "aaaaaaaaaa", "密码不能是同一个字符重复"),
    (PASSWORD, "LiXiaoMing", "LiXiaoMing", "密码不能包含用户名"),
    (PASSWORD, "lixiaoming2026!", "lixiaoming2026!", "密码不能包含用户名"),
    (PASSWORD, "Password", "Password", "这个密码太常见，容易被猜中"),
])
def test_a_refused_change_says_why_and_keeps_the_old_password(app, client, make_user, current, password, again,
                                                              message):
    make_user(STAFF, username="lixiaoming")
    log_in(client, "lixiaoming")
    response = change(client, current, password, again)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert check_password_hash(User.by_username("lixiaoming").password_hash, PASSWORD)


def test_a_wrong_current_password_is_audited(client, make_user):
    make_user(STAFF, username="li")
    log_in(client, "li")
    change(client, current="wrong-password")
    assert AuditEvent.select().where(AuditEvent.action == "user.password_change_failed").count() == 1


def test_the_change_ends_other_sessions_and_keeps_this_one(app, make_user):
    make_user(STAFF, username="li")
    here, elsewhere = app.test_client(), app.test_client()
    log_in(here, "li")
    log_in(elsewhere, "li")
    response = change(here)
    assert response.status_code == 204 and "closeDialog" in response.headers["HX-Trigger"]
    assert here.get("/candidates/").status_code == 200
    assert elsewhere.get("/candidates/").status_code == 302
    assert AuditEvent.select().where(AuditEvent.action == "user.password_change").count() == 1
    here.post("/logout")
    log_in(here, "li", NEW)


def test_without_htmx_the_form_page_says_the_password_was_changed(client, make_user):
    make_user(STAFF, username="li")
    log_in(client, "li")
    body = client.get("/account/password").get_data(as_text=True)
    assert "当前密码" in body and "密码已修改" not in body
    response = change(client, headers={})
    assert response.status_code == 303 and response.headers["Location"] == "/account/password?changed=1"
    body = client.get(response.headers["Location"]).get_data(as_text=True)
    assert '<p class="alert alert-ok" role="status">密码已修改；在其他浏览器或设备上的登录已退出</p>' in body


def test_opened_directly_it_is_a_page_posting_to_itself_and_an_error_stays_on_it(client, make_user):
    make_user(STAFF, username="li")
    log_in(client, "li")
    body = client.get("/account/password").get_data(as_text=True)
    # A page of its own: a heading, a plain form, no dialog title bar or 取消 that closes nothing.
    assert "<h1>修改密码</h1>" in body and 'id="dialog-title"' not in body and "data-close-dialog" not in body
    form = body[body.index('<form class="panel page-form password-page"'):]
    assert 'hx-post' not in form[:form.index(">")] and 'action="/account/password"' in form[:form.index(">")]
    response = change(client, current="wrong-password", headers={})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "<h1>修改密码</h1>" in body and "当前密码不正确" in body
    # Through the header's dialog, the error comes back as the dialog's content alone.
    dialog = change(client, current="wrong-password").get_data(as_text=True)
    assert "<html" not in dialog and 'id="dialog-title"' in dialog and "当前密码不正确" in dialog


@pytest.mark.parametrize("password, problem", [
    ("short1", "密码至少 8 位"), ("13812345678", "密码不能全是数字"), ("--------", "密码不能是同一个字符重复"),
    (" Wang.Fang ", "密码不能包含用户名"), ("wang.fang", "密码不能包含用户名"),
    ("wang.fangwang.fang", "密码不能包含用户名"), ("password", "这个密码太常见，容易被猜中"),
    ("1QAZ2wsx", "这个密码太常见，容易被猜中"), ("abababab", "这个密码太常见，容易被猜中"),
    ("wang.fang1", "密码不能包含用户名"), ("        x", "这个密码太常见，容易被猜中")])
def test_the_password_rule_names_the_problem_and_the_fix(password, problem):
    found = password_problem(password, "wang.fang")
    assert found[0] == problem and found[1].startswith("请")



@pytest.mark.parametrize("password", ["correct-horse-42", "2003abcd", "１２３４５６７８a", "Blue.Sky.2026", "教务处-ok-88",
                                      "fang-2026-wang"])
def test_the_password_rule_accepts_a_password_hard_enough_to_guess(password):
    assert password_problem(password, "wang.fang") is None


def test_an_account_whose_older_password_breaks_the_rule_still_logs_in(client, make_user):
    user = make_user(STAFF, username="old")
    User.update(password_hash=generate_password_hash("12345678")).where(User.id == user.id).execute()
    log_in(client, "old", "12345678")
    assert client.get("/candidates/").status_code == 200
