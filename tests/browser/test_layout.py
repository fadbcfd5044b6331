"""Layout: 首页 and 考生管理 at an office screen, a 1024 px screen and a 400 px phone never scroll sideways (a wide
table scrolls inside its own box, the navigation folds behind 菜单); every list prints without navigation,
filters, buttons or pager, under a header naming the list, its filter and the date."""
from datetime import date

import pytest
from playwright.sync_api import expect

from models.award import RETURNED, SUBMITTED, AwardRecord
from models.candidate import Candidate
from models.site import Site
from models.user import REVIEWER, STAFF
from tests.browser.conftest import load_every_panel, screenshot
from tests.conftest import other_candidates

SIZES = [(1366, 768), (1024, 768), (400, 800)]


def page_scroll(page):
    """How far the page itself scrolls sideways (0: not at all)."""
    return page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")


@pytest.fixture
def college(world):
    for i, candidate in enumerate(other_candidates(24)):
        candidate.department = "信息工程学院" if i % 2 else "经济管理学院"
        candidate.major, candidate.class_name = "计算机应用技术（人工智能与大数据方向）", f"计应230{i % 4}"
        candidate.save()
    return world


@pytest.mark.parametrize("width, height", SIZES)
def test_home_and_candidates_never_scroll_sideways(page, login_as, college, width, height):
    page.set_viewport_size({"width": width, "height": height})
    login_as(STAFF)
    load_every_panel(page)
    assert page_scroll(page) == 0
    screenshot(page, f"layout-home-{width}")

    page.goto("/candidates/")
    expect(page.locator("#results").get_by_role("row").filter(has_text="张三")).to_be_visible()
    assert page_scroll(page) == 0
    screenshot(page, f"layout-candidates-{width}")
    page.get_by_role("button", name="新增学生信息").click()
    expect(page.locator("#dialog").get_by_label("姓名")).to_be_visible()
    assert page_scroll(page) == 0
    screenshot(page, f"layout-candidates-new-{width}")


@pytest.mark.parametrize("role", [STAFF, REVIEWER])
def test_the_record_list_fits_an_office_screen_with_its_row_buttons(page, login_as, college, role):
    """A long site name kept on one line pushed 操作 (颁证, 退回, 修改后重新提交) off a 1366 px screen."""
    from datetime import date as day
    Site.update(name="信息工程学院Web前端开发职业技能等级证书考核站点（实训楼三层机房）").execute()
    for i, candidate in enumerate(Candidate.select().where(Candidate.id != college["candidate"].id).limit(3)):
        AwardRecord.create(candidate=candidate, certificate=college["cert"], level="中级", site=college["site"],
                           exam_date=day(2026, 6, 1), theory_score=80, practical_score=70,
                           status=RETURNED if i == 0 else SUBMITTED, return_reason="成绩与考核站点上报的不一致" * 2)
    page.set_viewport_size({"width": 1366, "height": 768})
    login_as(role)
    page.goto("/awards/")
    table = page.locator(".award-table")
    expect(table.get_by_role("row").nth(1)).to_be_visible()
    assert table.evaluate("t => t.scrollWidth <= t.parentElement.clientWidth"), "the table is wider than its box"
    button = table.get_by_role("button", name="退回" if role == REVIEWER else "修改后重新提交").first
    box, width = button.bounding_box(), page.evaluate("window.innerWidth")
    assert box["x"] + box["width"] <= width
    screenshot(page, f"layout-awards-{role}-1366")


def test_on_a_phone_the_table_scrolls_in_its_box_and_the_navigation_folds_behind_a_menu(page, login_as, college):
    page.set_viewport_size({"width": 400, "height": 800})
    login_as(STAFF)
    page.goto("/candidates/")
    box = page.locator("#results")
    assert box.evaluate("el => el.scrollWidth > el.clientWidth"), "the wide table should scroll inside #results"
    assert page_scroll(page) == 0

    nav = page.get_by_role("navigation", name="主导航")
    menu = page.get_by_role("button", name="菜单")
    expect(nav).to_be_hidden()
    expect(menu).to_have_attribute("aria-expanded", "false")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(nav.get_by_role("link", name="考核站点")).to_be_visible()
    expect(page.get_by_role("button", name="退出")).to_be_visible()
    assert page_scroll(page) == 0
    screenshot(page, "layout-menu-400")
    page.keyboard.press("Escape")  # folds it again, the focus back on 菜单
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_focused()
    menu.click()
    nav.get_by_role("link", name="考核站点").click()
    expect(page.get_by_role("heading", name="考核站点", exact=True)).to_be_visible()
    expect(page.get_by_role("navigation", name="主导航")).to_be_hidden()

    # At 1024 px the navigation is a row again and 菜单 is gone.
    page.set_viewport_size({"width": 1024, "height": 768})
    expect(page.get_by_role("navigation", name="主导航")).to_be_visible()
    expect(page.get_by_role("button", name="菜单")).to_be_hidden()


def test_a_list_prints_its_whole_table_under_a_header_with_its_filter_and_date(page, login_as, college):
    login_as(STAFF)
    page.goto("/candidates/")
    page.get_by_label("院系").select_option("信息工程学院")
    expect(page.locator("#results").get_by_role("row").filter(has_text="经济管理学院")).to_have_count(0)
    page.emulate_media(media="print")
    head = page.locator(".print-head")
    expect(head).to_be_visible()
    expect(head).to_contain_text("考生管理")
    expect(head).to_contain_text("筛选：院系 信息工程学院")
    expect(head).to_contain_text("第 1 / 1 页")  # the pager's total: a page of a longer list says so
    expect(head).to_contain_text(f"打印日期 {date.today().isoformat()}")
    for hidden in (page.get_by_role("navigation", name="主导航"), page.locator("#filters"),
                   page.get_by_role("button", name="新增学生信息"), page.get_by_role("columnheader", name="操作"),
                   page.locator("#results").get_by_role("button", name="删除").first):
        expect(hidden).to_be_hidden()
    table = page.locator("table.candidate-table")
    expect(table.get_by_role("columnheader", name="证件号码")).to_be_visible()
    expect(table.get_by_role("row").filter(has_text="信息工程学院")).to_have_count(12)
    # Every column on the paper: nothing is cut off by the box that scrolls on screen.
    assert table.evaluate("t => t.scrollWidth <= t.parentElement.clientWidth")
    screenshot(page, "layout-candidates-print")
    page.emulate_media(media="screen")
    expect(head).to_be_hidden()


@pytest.mark.parametrize("path, title", [("/sites/", "考核站点"), ("/awards/", "待颁证记录"),
                                         ("/imports/", "导入记录"), ("/awards/roster/", "颁证名单")])
def test_every_list_prints_without_navigation_filters_or_buttons(page, login_as, college, path, title):
    login_as(STAFF)
    page.goto(path)
    page.emulate_media(media="print")
    expect(page.locator(".print-head")).to_contain_text(title)
    expect(page.locator(".print-head")).to_contain_text("筛选：全部")
    expect(page.locator(".topbar")).to_be_hidden()
    expect(page.locator("main .btn:visible")).to_have_count(0)
    expect(page.locator("main select:visible, main input:visible")).to_have_count(0)
    # What steers the screen (status counts, hints for choosing a filter) is not printed either.
    expect(page.locator("main .status-line:visible, main .screen-only:visible")).to_have_count(0)
    expect(page.locator("main table.table").first).to_be_visible()


@pytest.mark.parametrize("path, empty", [("/candidates/?q=没有这个人", "没有符合条件的考生"),
                                         ("/sites/?q=没有这个站点", "没有符合条件的考核站点"),
                                         ("/awards/?q=没有这个人", "没有符合条件的待颁证记录"),
                                         ("/imports/?status=已撤销", "没有已撤销的导入记录"),
                                         ("/awards/roster/?department=没有这个院系", "没有符合条件的已颁证记录"),
                                         ("/awards/roster/print?department=没有这个院系", "没有符合条件的已颁证记录")])
def test_an_empty_list_prints_its_message_without_a_header_row(page, login_as, college, path, empty):
    login_as(STAFF)
    page.goto(path)
    table = page.locator("main table").first
    expect(table.locator("thead")).to_be_visible()  # on screen the columns still say what the list holds
    page.emulate_media(media="print")
    expect(table.locator("thead")).to_be_hidden()
    expect(table.get_by_role("cell", name=empty)).to_be_visible()
    screenshot(page, "layout-empty-print-" + path.split("?")[0].strip("/").replace("/", "-"))


def test_the_roster_print_view_is_styled_on_screen(page, login_as, college):
    """颁证名单's print view once rendered unstyled on screen: its rules sat inside an unclosed @media print."""
    login_as(STAFF)
    page.goto("/awards/roster/print")
    expect(page.locator(".print-toolbar")).to_have_css("display", "flex")
    expect(page.locator("table.roster th").first).to_have_css("border-top-style", "solid")
    expect(page.locator(".roster-sheet h1")).to_have_css("text-align", "center")
