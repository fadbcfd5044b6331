"""A session that ended while 考生管理 was open, in Chromium: the next click (a row's 认证, a filter, a delete)
opens the login page, which says why; logging in again returns to the list as it was, filters and page."""
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect

from models.candidate import Candidate
from models.user import STAFF, User
from tests.browser.conftest import confirm_action, log_in, screenshot
from tests.browser.test_accessibility import violations
from tests.browser.test_candidates import valid_id
from tests.conftest import PASSWORD

LIST = "/candidates/?department=信息工程学院&per_page=20&page=2"


def college():
    """25 candidates of 信息工程学院 (two pages of 20) and 3 of 经济管理学院."""
    for n in range(28):
        department = "信息工程学院" if n < 25 else "经济管理学院"
        Candidate.create(name=f"学生{n:02d}", id_type="居民身份证", id_number=valid_id(f"41010220030105{n:03d}"),
                         gender="男", phone="13812345678", birth_date="2003-01-05", department=department,
                         major="软件技术", class_name=f"软件23{n % 3:02d}")


def log_in_here(page, username="li", password=PASSWORD):
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def arguments(url):
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def test_a_row_action_after_logging_out_on_another_computer_logs_in_again_back_to_the_page(
        page, browser, live_server, make_user):
    college()
    make_user(STAFF, username="li")
    log_in(page, "li")
    page.goto(LIST)
    expect(page.locator("#pager-total")).to_have_text("共 25 名考生，第 2 / 2 页")

    elsewhere = browser.new_context(base_url=live_server, locale="zh-CN")
    other = elsewhere.new_page()
    log_in(other, "li")
    other.get_by_role("button", name="退出").click()
    expect(other.get_by_role("button", name="登录")).to_be_visible()
    elsewhere.close()

    page.locator("#results").get_by_role("row").nth(1).get_by_role("button", name="认证").click()
    expect(page.get_by_role("alert")).to_have_text(
        "此账号已在其他浏览器或设备上退出登录，本浏览器中的登录随之结束，请重新登录")
    assert urlsplit(page.url).path == "/login"
    screenshot(page, "login-after-logout-elsewhere")
    found = violations(page)

    log_in_here(page)
    page.wait_for_url("**/candidates/**")
    assert arguments(page.url) == {"department": "信息工程学院", "per_page": "20", "page": "2"}
    expect(page.get_by_label("院系")).to_have_value("信息工程学院")
    expect(page.locator("#pager-total")).to_have_text("共 25 名考生，第 2 / 2 页")
    # The click was not replayed: every row is still 待认证.
    expect(page.locator("#counts")).to_contain_text("待认证 25")
    assert not found, "\n".join(found)
    assert page.js_errors == []


def test_a_filter_changed_after_logging_out_in_another_tab_returns_to_the_page_it_was_on(page, make_user):
    college()
    make_user(STAFF, username="li")
    log_in(page, "li")
    page.goto(LIST)
    tab = page.context.new_page()
    tab.goto("/")
    tab.get_by_role("button", name="退出").click()
    expect(tab.get_by_role("alert")).to_contain_text("已在此浏览器中退出登录")
    tab.close()

    page.get_by_label("院系").select_option("经济管理学院")
    expect(page.get_by_role("alert")).to_have_text(
        "已在此浏览器中退出登录，所有页面均已退出，请重新登录")
    screenshot(page, "login-after-logout-in-another-tab")
    log_in_here(page)
    page.wait_for_url("**/candidates/**")
    assert arguments(page.url) == {"department": "信息工程学院", "per_page": "20", "page": "2"}
    assert page.js_errors == []


def test_a_delete_after_the_admin_reset_the_password_asks_for_the_new_one_and_keeps_the_row(page, make_user):
    college()
    staff = make_user(STAFF, username="li")
    log_in(page, "li")
    page.goto(LIST)
    User.get_by_id(staff.id).reset_password("reset-by-admin-9", by=None)

    row = page.locator("#results").get_by_role("row").filter(has_text="学生00")
    row.get_by_role("button", name="删除").click()
    confirm_action(page, "删除", "学生00")
    expect(page.get_by_role("alert")).to_have_text(
        "此账号的密码已由院校管理员重置，本浏览器中的登录随之结束，请用管理员告知的新密码登录")
    screenshot(page, "login-after-password-reset")
    log_in_here(page)  # the old password
    expect(page.get_by_role("alert")).to_contain_text("用户名或密码错误")
    log_in_here(page, password="reset-by-admin-9")
    page.wait_for_url("**/candidates/**")
    assert arguments(page.url) == {"department": "信息工程学院", "per_page": "20", "page": "2"}
    expect(page.locator("#results").get_by_role("row").filter(has_text="学生00")).to_have_count(1)
    assert page.js_errors == []
