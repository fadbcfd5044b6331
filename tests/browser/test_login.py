"""Log in through the form, see the navigation for the role, log out."""
from playwright.sync_api import expect

from tests.browser.conftest import screenshot


def test_staff_logs_in_sees_navigation_and_logs_out(page, make_user):
    make_user("staff", username="li")
    page.goto("/")
    expect(page.get_by_role("heading", name="颁证工作台")).to_be_visible()
    screenshot(page, "login")
    page.get_by_label("用户名").fill("li")
    page.get_by_label("密码").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_contain_text("用户名或密码错误")
    from tests.conftest import PASSWORD
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    nav = page.get_by_role("navigation", name="主导航")
    expect(nav.get_by_role("link", name="首页")).to_be_visible()
    expect(nav.get_by_role("link", name="系统管理")).to_have_count(0)
    expect(page.get_by_text("院校工作人员").first).to_be_visible()
    screenshot(page, "home-staff")
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("button", name="登录")).to_be_visible()
    assert page.js_errors == []


def test_first_run_setup_creates_admin_who_sees_audit_log(page):
    page.goto("/")
    expect(page.get_by_role("heading", name="欢迎使用颁证工作台")).to_be_visible()
    page.get_by_label("用户名").fill("boss")
    page.get_by_label("姓名").fill("王校长")
    page.get_by_label("密码", exact=True).fill("longenough1")
    page.get_by_label("再次输入密码").fill("longenough1")
    page.get_by_role("button", name="创建管理员并登录").click()
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="系统管理").click()
    page.get_by_role("link", name="审计日志").click()
    expect(page.get_by_role("cell", name="创建首个管理员")).to_be_visible()
    page.wait_for_load_state()  # htmx listens to the filter from then on
    page.get_by_label("操作").select_option("user.create")
    expect(page.get_by_role("cell", name="创建首个管理员")).to_have_count(0)
    assert "action=user.create" in page.url
    screenshot(page, "audit-log")
    assert page.js_errors == []
