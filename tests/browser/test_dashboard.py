"""首页 in Chromium: lazy panels, a 院系 opening to its 班级, the navigation's counts after row actions on the
lists, 修改密码 from the header, and how 首页 looks at three widths (screenshots to look at)."""
from datetime import date

import pytest
from playwright.sync_api import expect

from models.award import AwardRecord
from models.site import PENDING, Site
from models.user import REVIEWER, STAFF, User
from tests.browser.conftest import confirm_action, load_every_panel, log_in, screenshot
from tests.browser.test_awards import bulk_button
from tests.conftest import PASSWORD, other_candidates

SIZES = [(1366, 768), (1024, 768), (400, 800)]


def nav_link(page, label):
    return page.get_by_role("navigation", name="主导航").get_by_role("link", name=label)


def test_panels_load_and_a_department_opens_to_its_classes_and_closes(page, login_as, demo):
    login_as(STAFF)
    expect(page.get_by_role("heading", name="待办事项")).to_be_visible()
    load_every_panel(page)
    expect(page.locator("#certificates-panel figure").first).to_be_visible()
    expect(page.locator("#issued-panel svg[role=img]")).to_be_visible()
    toggle = page.locator("#departments-panel .group-toggle").first
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    rows = page.locator("#departments-panel .class-row")
    expect(rows.first).to_be_visible()
    expect(page.locator("#departments-panel .group-toggle").first).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#departments-panel .group-toggle").first).to_be_focused()
    page.locator("#departments-panel .group-toggle").first.click()
    expect(rows).to_have_count(0)
    assert page.js_errors == []


def test_a_todo_line_leads_to_its_filtered_list(page, login_as, demo):
    login_as(STAFF)
    line = page.locator(".todo-line").filter(has_text="认证未通过").first
    count = line.locator(".todo-count").inner_text()
    line.get_by_role("link").click()
    expect(page.get_by_role("heading", name="考生管理")).to_be_visible()
    expect(page.locator(".pager")).to_contain_text(f"共 {count} 名考生")


def test_reviewer_issues_a_record_on_the_list_and_the_badge_drops(page, login_as, world):
    for candidate in other_candidates(2):
        AwardRecord.create(candidate=candidate, certificate=world["cert"], level="中级", site=world["site"],
                           exam_date=date(date.today().year, 1, 2), theory_score=80, practical_score=70)
    login_as(REVIEWER)
    expect(nav_link(page, "待颁证记录")).to_contain_text("2 待审核")
    nav_link(page, "待颁证记录").click()
    page.locator("#award-results .row-check").first.check()
    bulk_button(page, "为勾选的记录颁证", "above").click()
    page.get_by_role("dialog").get_by_role("button", name="颁证").click()
    expect(nav_link(page, "待颁证记录")).to_contain_text("1 待审核")
    # Tick only once the list has refreshed: a box ticked in the old table is replaced, unticked.
    expect(page.locator("#award-results .row-check")).to_have_count(1)
    page.locator("#award-results .row-check").first.check()
    bulk_button(page, "为勾选的记录颁证", "above").click()
    page.get_by_role("dialog").get_by_role("button", name="颁证").click()
    expect(page.locator("#nav-badge-awards")).to_be_empty()
    expect(page.locator("#nav-badge-awards")).to_be_hidden()
    assert page.js_errors == []


def test_reviewer_approves_a_site_on_the_list_and_the_badge_drops(page, login_as, world):
    Site.create(name="新机房", certificate=world["cert"], levels="中级", region="郑州", address="文化路",
                contact="王", phone="13800000000", seats=30, review_status=PENDING)
    login_as(REVIEWER)
    expect(nav_link(page, "考核站点")).to_contain_text("1 待审核")
    nav_link(page, "考核站点").click()
    page.locator("#results").get_by_role("row").filter(has_text="新机房").get_by_role("button", name="审核通过").click()
    confirm_action(page, "审核通过", "新机房")
    expect(page.locator("#results").get_by_role("row").filter(has_text="新机房")).to_contain_text("已启用")
    expect(page.locator("#nav-badge-sites")).to_be_empty()
    assert page.js_errors == []


def test_change_password_from_the_header_keeps_this_session(page, make_user):
    make_user(STAFF, username="li")
    log_in(page, "li")
    page.get_by_role("link", name="修改密码").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("当前密码").fill("wrong-password")
    dialog.get_by_label("新密码", exact=True).fill("a-new-password-7")
    dialog.get_by_label("再次输入新密码").fill("a-new-password-7")
    dialog.get_by_role("button", name="保存").click()
    expect(dialog.get_by_role("alert")).to_contain_text("有 1 项需要修改")
    expect(dialog.locator("#msg-current")).to_contain_text("当前密码不正确")
    expect(page.get_by_role("dialog")).to_have_count(1)  # the error in the same dialog, not a second one
    # The rule of every password: not only digits (a birthday, a phone number).
    dialog.get_by_label("当前密码").fill(PASSWORD)
    dialog.get_by_label("新密码", exact=True).fill("13812345678")
    dialog.get_by_label("再次输入新密码").fill("13812345678")
    dialog.get_by_role("button", name="保存").click()
    expect(dialog.locator("#msg-password")).to_contain_text("密码不能全是数字")
    expect(dialog.locator("#msg-current")).not_to_contain_text("当前密码不正确")
    dialog.get_by_label("当前密码").fill(PASSWORD)
    dialog.get_by_label("新密码", exact=True).fill("a-new-password-7")
    dialog.get_by_label("再次输入新密码").fill("a-new-password-7")
    dialog.get_by_role("button", name="保存").click()
    expect(page.locator("#notice")).to_contain_text("密码已修改")
    expect(dialog).to_be_hidden()
    nav_link(page, "考生管理").click()
    expect(page.get_by_role("heading", name="考生管理")).to_be_visible()  # still logged in
    page.get_by_role("button", name="退出").click()
    page.get_by_label("用户名").fill("li")
    page.get_by_label("密码").fill("a-new-password-7")
    page.get_by_role("button", name="登录").click()
    expect(nav_link(page, "首页")).to_be_visible()
    assert page.js_errors == []


def test_change_password_opened_directly_is_a_page_that_keeps_its_errors_on_it(page, make_user):
    make_user(STAFF, username="li")
    log_in(page, "li")
    page.goto("/account/password")
    expect(page.get_by_role("heading", name="修改密码", level=1)).to_be_visible()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_role("button", name="取消")).to_have_count(0)  # nothing to close: it is not a dialog
    page.get_by_label("当前密码").fill("wrong-password")
    page.get_by_label("新密码", exact=True).fill("a-new-password-7")
    page.get_by_label("再次输入新密码").fill("a-new-password-7")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#msg-current")).to_contain_text("当前密码不正确")
    expect(page.get_by_role("heading", name="修改密码", level=1)).to_be_visible()
    expect(page.get_by_role("dialog")).to_have_count(0)  # the error is on the page, not in a modal over it
    screenshot(page, "password-page-error")
    page.get_by_label("当前密码").fill(PASSWORD)
    page.get_by_label("新密码", exact=True).fill("a-new-password-7")
    page.get_by_label("再次输入新密码").fill("a-new-password-7")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("status")).to_have_text("密码已修改；在其他浏览器或设备上的登录已退出")
    screenshot(page, "password-page-changed")
    page.get_by_role("link", name="返回首页").click()
    expect(nav_link(page, "首页")).to_have_attribute("aria-current", "page")
    assert page.js_errors == []


@pytest.mark.parametrize("role", [STAFF, REVIEWER])
def test_home_fits_each_width(page, demo, password_hash, role):
    username = {STAFF: "staff", REVIEWER: "reviewer"}[role]  # demo users: 李老师, 赵审核
    User.update(password_hash=password_hash).where(User.username == username).execute()
    log_in(page, username)
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.goto("/")
        load_every_panel(page)
        # The content never needs a sideways scroll; wide tables scroll inside their own panel.
        overflow = page.evaluate("() => [...document.querySelectorAll('main .panel')]"
                                 ".filter(p => p.getBoundingClientRect().right > window.innerWidth + 1).length")
        assert overflow == 0, (width, overflow)
        screenshot(page, f"home-{username}-{width}x{height}")
    assert page.js_errors == []
