"""WCAG 2 AA: axe-core (vendored for the tests only) finds no violation on the pages staff use."""
from pathlib import Path

import pytest
from playwright.sync_api import expect

from models.catalog import Organisation
from models.user import ADMIN, REVIEWER, STAFF
from tests.browser.conftest import load_every_panel

AXE = (Path(__file__).parent / "vendor" / "axe-4.14.1.min.js").read_text(encoding="utf-8")
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

STAFF_PAGES = ["/", "/candidates/", "/candidates/?status=认证未通过",
               "/candidates/?department=信息工程学院&major=软件技术&per_page=20&page=2",
               "/candidates/?department=已撤销学院&status=乱写", "/candidates/?per_page=20&page=999", "/account/password",
               "/sites/", "/awards/", "/awards/readiness",
               "/imports/", "/imports/?kind=awards", "/awards/roster/", "/awards/roster/print",
               "/awards/roster/?sort=class", "/awards/roster/print?sort=class"]
ADMIN_PAGES = ["/", "/admin/", "/admin/audit", "/admin/audit?per_page=20&page=3", "/admin/settings", "/admin/certificates", "/admin/pilots",
               "/admin/quotas/", "/admin/users/"]
REVIEWER_PAGES = ["/", "/sites/", "/awards/"]


def violations(page):
    """axe's WCAG 2 A/AA violations on the page as it is now, one line each."""
    page.evaluate(AXE)  # evaluate, not a <script> tag: the app's CSP refuses inline scripts, as it should
    # resultTypes: only the violations get every node's selector worked out (the slow part on long tables).
    # Less the htmx indicators: one shows only while a request is out, fading in, and axe read its contrast mid-
    # fade (CI, once, right after htmx began readying swapped content at once).
    found = page.evaluate("tags => axe.run({exclude: [['.htmx-indicator']]}, {runOnly: {type: 'tag', values: tags},"
                          " resultTypes: ['violations']})"
                          ".then(r => r.violations.map(v => v.id + ': ' + v.nodes.slice(0, 3)"
                          ".map(n => n.target.join(' ')).join(' | ')))", TAGS)
    return [f"{page.url} {line}" for line in found]


def check_pages(page, paths):
    found = []
    for path in paths:
        assert page.goto(path).ok, path
        expect(page.locator("h1").first).to_be_visible()
        found += violations(page)
    return found


@pytest.mark.parametrize("role, paths", [(STAFF, STAFF_PAGES), (ADMIN, ADMIN_PAGES)])
def test_college_pages_have_no_wcag_violations(page, login_as, demo, role, paths):
    login_as(role)
    found = check_pages(page, paths)
    assert not found, "\n".join(found)


def test_reviewer_pages_have_no_wcag_violations(page, login_as, demo):
    login_as(REVIEWER, organisation=Organisation.get(Organisation.name == "工业和信息化部教育与考试中心"))
    found = check_pages(page, REVIEWER_PAGES)
    page.goto("/awards/?status=待审核")
    page.locator("#award-results").get_by_role("button", name="颁证", exact=True).first.click()
    expect(page.get_by_role("dialog")).to_be_visible()
    found += violations(page)
    page.goto("/awards/?status=待审核")
    page.locator("#award-results").get_by_role("link", name="详情").first.click()
    expect(page.get_by_role("img", name="的照片")).to_be_visible()
    found += violations(page)
    assert not found, "\n".join(found)


def test_readiness_with_a_selection_has_no_wcag_violations(page, login_as, demo):
    login_as(STAFF)
    page.goto("/candidates/")
    for box in page.locator("#results .row-check").all()[:3]:
        box.check()
    page.get_by_role("button", name="颁证前检查").click()
    expect(page.locator("#checks")).to_contain_text("勾选的 3 名考生")
    found = violations(page)  # the question: which certificate and level
    page.get_by_label("证书和等级").select_option(index=1)
    expect(page.locator("#checks table")).to_be_visible()
    found += violations(page)  # the summary and the table
    page.get_by_label("只看未就绪").check()
    expect(page.locator("#checks .showing")).to_be_visible()
    found += violations(page)
    assert not found, "\n".join(found)


def test_detail_pages_and_dialogs_have_no_wcag_violations(page, login_as, demo):
    login_as(STAFF)
    found = []
    page.goto("/candidates/")
    page.locator("#results .cand-name").first.click()
    expect(page.locator("h1")).to_be_visible()
    found += violations(page)
    page.goto("/candidates/")
    page.get_by_role("button", name="新增学生信息").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    found += violations(page)
    page.goto("/sites/")
    page.locator("#results .site-name").first.click()
    expect(page.locator("h1")).to_be_visible()
    found += violations(page)
    page.goto("/awards/")
    page.get_by_role("button", name="导入待颁证记录").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    found += violations(page)
    page.goto("/awards/?status=已颁证")
    page.locator("#award-results").get_by_role("link", name="详情").first.click()
    expect(page.locator("h1")).to_be_visible()
    found += violations(page)
    assert not found, "\n".join(found)


def test_confirm_queue_and_its_grid_have_no_wcag_violations(page, login_as, demo):
    login_as(STAFF)
    found = check_pages(page, ["/candidates/queue/start"])
    expect(page.locator(".queue-card")).to_be_visible()
    page.keyboard.press("ArrowRight")
    expect(page.locator("#queue-count")).to_be_visible()
    found += violations(page)
    page.get_by_role("link", name="网格浏览").click()
    expect(page.get_by_role("heading", name="批量人工确认（网格浏览）")).to_be_visible()
    found += violations(page)
    assert not found, "\n".join(found)


@pytest.mark.parametrize("role", [STAFF, ADMIN, REVIEWER])
def test_home_with_its_lazy_panels_loaded_has_no_wcag_violations(page, login_as, demo, role):
    organisation = Organisation.get(Organisation.name == "工业和信息化部教育与考试中心") if role == REVIEWER else None
    login_as(role, organisation=organisation)
    load_every_panel(page)
    if role != REVIEWER:
        page.locator("#departments-panel .group-toggle").first.click()
        expect(page.locator("#departments-panel .class-row").first).to_be_visible()
    found = violations(page)
    page.get_by_role("link", name="修改密码").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    found += violations(page)
    assert not found, "\n".join(found)


def test_phone_width_with_the_menu_open_and_a_confirmation_has_no_wcag_violations(page, login_as, demo):
    page.set_viewport_size({"width": 400, "height": 800})
    login_as(STAFF)
    found = check_pages(page, ["/candidates/", "/sites/", "/awards/"])
    page.get_by_role("button", name="菜单").click()
    expect(page.get_by_role("navigation", name="主导航")).to_be_visible()
    found += violations(page)
    page.goto("/candidates/")
    page.locator("#results").get_by_role("button", name="删除").first.click()
    expect(page.locator("#confirm-dialog")).to_be_visible()
    found += violations(page)
    assert not found, "\n".join(found)
