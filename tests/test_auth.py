"""登录, 退出, the login lock and first-run setup."""
from datetime import timedelta

from models import setting
from models.audit import AuditEvent
from models.db import now
from models.user import ADMIN, STAFF, User

from .conftest import PASSWORD


def actions():
    return [e.action for e in AuditEvent.select().order_by(AuditEvent.id)]


def test_anonymous_user_is_sent_to_login_with_next(client, make_user):
    make_user(STAFF)
    response = client.get("/admin/audit?user=x")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/admin/audit")


def test_anonymous_htmx_request_is_redirected_by_header(client, make_user):
    make_user(STAFF)
    response = client.get("/", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login"


def test_login_with_right_password_opens_home_and_is_audited(client, make_user):
    make_user(STAFF, username="li")
    response = client.post("/login", data={"username": "li", "password": PASSWORD})
    assert response.status_code == 303
    home = client.get("/")
    assert "院校工作人员" in home.get_data(as_text=True)
    assert actions() == ["auth.login"]


def test_login_follows_only_local_next(client, make_user):
    make_user(STAFF, username="li")
    response = client.post("/login?next=//evil.example/x", data={"username": "li", "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_wrong_password_says_so_in_chinese(client, make_user):
    make_user(STAFF, username="li")
    response = client.post("/login", data={"username": "li", "password": "nope"})
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)
    assert actions() == ["auth.login_failed"]


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(client, make_user):
    user = make_user(STAFF, username="li")
    for _ in range(5):
        client.post("/login", data={"username": "li", "password": "nope"})
    locked = User.get_by_id(user.id)
    assert locked.locked_until is not None and locked.locked_until > now() + timedelta(minutes=14)
    response = client.post("/login", data={"username": "li", "password": PASSWORD})
    assert response.status_code == 401
    # The same answer as for an unknown name: a locked account does not tell anyone the name exists.
    assert _message(response) == _message(client.post("/login", data={"username": "nobody", "password": "x"}))
    assert "账号将锁定 15 分钟" in _message(response)
    assert "auth.locked" in actions()


def _message(response):
    body = response.get_data(as_text=True)
    return body[body.index('role="alert"'):][:200]


def test_lock_is_stored_and_expires(client, make_user):
    user = make_user(STAFF, username="li")
    User.update(locked_until=now() - timedelta(minutes=1)).where(User.id == user.id).execute()
    response = client.post("/login", data={"username": "li", "password": PASSWORD})
    assert response.status_code == 303


def test_lock_threshold_is_a_setting(client, make_user):
    setting.put("login_max_failures", "2")
    make_user(STAFF, username="li")
    for _ in range(2):
        client.post("/login", data={"username": "li", "password": "nope"})
    response = client.post("/login", data={"username": "li", "password": PASSWORD})
    assert response.status_code == 401 and "连续输错 2 次" in _message(response)
    assert User.by_username("li").is_locked()


def test_disabled_user_cannot_log_in(client, make_user):
    user = make_user(STAFF, username="li")
    User.update(active=False).where(User.id == user.id).execute()
    response = client.post("/login", data={"username": "li", "password": PASSWORD})
    assert response.status_code == 401


def test_logout_ends_the_session_and_is_audited(client, login):
    login(STAFF)
    response = client.post("/logout")
    assert response.status_code == 303
    assert client.get("/").status_code == 302
    assert actions() == ["auth.logout"]


def test_login_page_offers_setup_when_no_user_exists(client):
    response = client.get("/login")
    assert response.headers["Location"] == "/setup"
    page = client.get("/setup").get_data(as_text=True)
    assert "院校管理员" in page and "create-user" in page


def test_setup_creates_first_admin_once(client):
    response = client.post("/setup", data={"username": "boss", "display_name": "校长", "password": "longenough1",
                                           "password2": "longenough1"})
    assert response.status_code == 303
    boss = User.by_username("boss")
    assert boss.role == ADMIN and boss.password_hash != "longenough1"
    assert actions() == ["user.create", "auth.setup"]
    client.post("/logout")
    again = client.post("/setup", data={"username": "eve", "password": "longenough1", "password2": "longenough1"})
    assert again.status_code == 302
    assert User.by_username("eve") is None


def test_setup_refuses_short_or_mismatched_passwords(client):
    short = client.post("/setup", data={"username": "boss", "password": "short", "password2": "short"})
    assert short.status_code == 422 and "密码至少 8 位" in short.get_data(as_text=True)
    mismatch = client.post("/setup", data={"username": "boss", "password": "longenough1", "password2": "other-one1"})
    assert "两次输入的密码不一致" in mismatch.get_data(as_text=True)
    assert User.select().count() == 0


def test_home_shows_the_staff_to_do_and_the_manuals_notes(client, login):
    login(STAFF)
    page = client.get("/").get_data(as_text=True)
    assert "待办事项" in page and "已退回的待颁证记录" in page and "操作手册注意事项" in page


def test_reviewer_home_has_its_queue_and_no_candidate_counts(client, login):
    login("reviewer")
    page = client.get("/").get_data(as_text=True)
    assert "待我审核" in page and "认证未通过" not in page and "待办事项" not in page



def test_the_user_a_session_names_is_read_as_a_plain_select_reads_it(app, make_user):
    import logging

    from models.catalog import Organisation
    from models.user import REVIEWER
    reviewer = make_user(REVIEWER, username="shen", organisation=Organisation.create(name="工信部教育与考试中心"))
    staff = make_user(STAFF, username="li")
    for user in (reviewer, staff):
        read, plain = User.from_token(user.get_id()), User.get_by_id(user.id)
        assert read.__data__ == plain.__data__ and type(read.created_at) is type(plain.created_at)
        assert type(read.active) is bool
    queries = []

    class Count(logging.Handler):
        def emit(self, record):
            queries.append(str(record.msg))
    read = User.from_token(reviewer.get_id())
    peewee_log = logging.getLogger("peewee")
    peewee_log.addHandler(handler := Count())
    level = peewee_log.level
    peewee_log.setLevel(logging.DEBUG)
    try:
        assert read.organisation.name == "工信部教育与考试中心"  # read with the user: the header asks on every page
    finally:
        peewee_log.removeHandler(handler)
        peewee_log.setLevel(level)
    assert queries == []
    assert User.from_token(staff.get_id()).organisation is None
