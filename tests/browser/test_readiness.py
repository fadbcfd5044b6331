"""颁证前检查 and 生成待颁证导入文件 in Chromium, through the pages staff click: 考生管理 → tick → 颁证前检查 →
summary and table → the pre-filled file; and 待颁证记录's banner → 生成导入文件."""
import io
import re
from datetime import date
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import expect

from models.award_fields import AWARD_SHEET
from models.candidate import ACCURATE, VERIFIED, Candidate
from models.quota import Quota
from tests import sheetfiles as sf
from tests.browser.conftest import open_from_nav, screenshot


def people(*rows):
    """Candidates by (name, 班级, status)."""
    return {name: Candidate.create(name=name, id_type="居民身份证", id_number=sf.id_number(i, area="410106"), gender="男",
                                   phone="13812345678", department="信息工程学院", class_name=class_name,
                                   status=status, photo="ab/x.jpg")
            for i, (name, class_name, status) in enumerate(rows)}


def downloaded_names(download):
    """The 姓名 of the data rows of a downloaded pre-filled file (the note is row 1, the header row 2)."""
    sheet = load_workbook(io.BytesIO(Path(download.path()).read_bytes()))[AWARD_SHEET.title]
    return [row[0] for row in sheet.iter_rows(min_row=3, values_only=True)]


def test_tick_candidates_then_readiness_then_the_prefilled_file(page, login_as, world):
    made = people(("钱七", "计应2302", ACCURATE), ("孙八", "计应2301", ACCURATE), ("周九", "计应2301", VERIFIED),
                  ("吴十", "计应2301", ACCURATE))
    login_as("staff")
    open_from_nav(page, "考生管理")
    for name in ("钱七", "孙八", "周九"):
        page.get_by_label(f"选择 {name}").check()
    page.get_by_role("button", name="颁证前检查").click()

    expect(page.get_by_role("heading", name="颁证前检查")).to_be_visible()
    checks = page.locator("#checks")
    expect(checks).to_contain_text("选择要检查的证书和等级")
    expect(checks).to_contain_text("勾选的 3 名考生")
    page.get_by_label("证书和等级").select_option(label="Web前端开发 中级")

    summary = checks.locator(".readiness-panel")
    expect(summary).to_contain_text("共 3 名考生")
    expect(summary.get_by_role("link", name="2 名可导入")).to_be_visible()
    expect(summary.get_by_role("link", name="「信息准确」未满足 1 名")).to_be_visible()
    table = checks.get_by_role("table")
    expect(table.locator("tbody tr")).to_have_count(3)
    waiting = table.get_by_role("row").filter(has_text="周九")
    expect(waiting).to_contain_text("还需完成人工确认")
    expect(waiting.get_by_role("link", name="去处理")).to_have_attribute("href", f"/candidates/{made['周九'].id}")
    screenshot(page, "readiness-ticked")

    with page.expect_download() as download:
        summary.get_by_role("link", name="生成待颁证导入文件").click()
    assert download.value.suggested_filename.startswith("待颁证记录-Web前端开发中级-")
    assert downloaded_names(download.value) == ["孙八", "钱七"]  # by 班级, then 姓名
    assert page.js_errors == []


def test_a_count_lists_its_candidates_and_only_not_ready_filters_the_table(page, login_as, world):
    people(*((f"考生{i:02d}", "计应2301", VERIFIED if i % 4 == 0 else ACCURATE) for i in range(60)))
    login_as("staff")
    page.goto("/awards/readiness")
    expect(page.locator("#checks")).to_contain_text("选择要检查的证书和等级")
    page.get_by_label("院系").select_option("信息工程学院")
    expect(page).to_have_url(re.compile(r"department="))
    page.get_by_label("证书和等级").select_option(label="Web前端开发 中级")
    checks = page.locator("#checks")
    expect(checks.locator(".readiness-panel")).to_contain_text("共 60 名考生")
    expect(checks.locator("tbody tr")).to_have_count(50)
    expect(checks.get_by_role("navigation", name="分页")).to_contain_text("共 60 名考生，第 1 / 2 页")
    screenshot(page, "readiness-summary-and-table")

    page.get_by_label("只看未就绪").check()
    expect(page).to_have_url(re.compile(r"show=not_ready"))
    expect(checks.locator("tbody tr")).to_have_count(15)
    expect(checks.locator("tbody")).not_to_contain_text("可导入")
    screenshot(page, "readiness-not-ready")

    page.get_by_label("只看未就绪").uncheck()
    expect(checks.locator("tbody tr")).to_have_count(50)
    checks.get_by_role("link", name="「信息准确」未满足 15 名").click()
    expect(page.locator("#checks .showing")).to_contain_text("只看「信息准确」未满足的考生（15 名）")
    expect(page.locator("#checks tbody tr")).to_have_count(15)
    assert page.js_errors == []


def test_the_award_list_banner_generates_the_import_file(page, login_as, world):
    people(("钱七", "计应2302", ACCURATE), ("周九", "计应2301", VERIFIED))
    login_as("staff")
    open_from_nav(page, "待颁证记录")
    page.get_by_label("证书").select_option(label="Web前端开发")
    expect(page).to_have_url(re.compile(r"certificate=\d+"))  # one change at a time: a newer one cancels the older
    page.get_by_label("等级").select_option("中级")
    banner = page.locator(".readiness-summary")
    expect(banner).to_contain_text("2 名考生可导入")
    # 导出 follows the filter too (it exported every record after a filter chosen on the page).
    export = page.get_by_role("link", name="导出", exact=True)
    expect(export).to_have_attribute("href", re.compile(r"certificate=\d+"))
    expect(export).to_have_attribute("href", re.compile("level="))
    with page.expect_download() as download:
        banner.get_by_role("link", name="生成导入文件").click()
    assert downloaded_names(download.value) == ["张三", "钱七"]
    assert page.js_errors == []


def test_the_award_list_banner_says_how_many_exceed_the_quota_in_readinesss_words(page, login_as, world):
    people(("钱七", "计应2302", ACCURATE), ("孙八", "计应2301", ACCURATE), ("吴十", "计应2301", ACCURATE))
    Quota.update(year=date.today().year).execute()  # 3 places for the world's 张三 and these three
    said = "剩余指标只有 3 名，少于 4 名可导入的考生：导入时超出指标的 1 行将被拒绝。"
    login_as("staff")
    open_from_nav(page, "待颁证记录")
    page.get_by_label("证书").select_option(label="Web前端开发")
    expect(page).to_have_url(re.compile(r"certificate=\d+"))
    page.get_by_label("等级").select_option("中级")
    banner = page.locator(".readiness-summary")
    expect(banner).to_contain_text("4 名考生可导入")
    expect(banner).to_contain_text(said)
    screenshot(page, "award-list-banner-over-quota")
    page.get_by_role("link", name="颁证前检查").click()
    expect(page.locator("#checks .readiness-panel")).to_contain_text(said)
    assert page.js_errors == []


def test_the_award_list_readiness_button_checks_the_chosen_certificate_and_level(page, login_as, world):
    people(("钱七", "计应2302", ACCURATE), ("周九", "计应2301", VERIFIED))
    login_as("staff")
    open_from_nav(page, "待颁证记录")
    page.get_by_label("证书").select_option(label="Web前端开发")
    expect(page).to_have_url(re.compile(r"certificate=\d+"))
    page.get_by_label("等级").select_option("中级")
    expect(page.locator(".readiness-summary")).to_contain_text("2 名考生可导入")
    page.get_by_role("link", name="颁证前检查").click()
    expect(page.get_by_role("heading", name="颁证前检查")).to_be_visible()
    expect(page.get_by_label("证书和等级")).to_have_value(re.compile(r"\d+\|中级"))
    expect(page.locator("#checks .readiness-panel")).to_contain_text("Web前端开发 中级 · 共 3 名考生")
    expect(page.locator("#checks").get_by_role("link", name="2 名可导入")).to_be_visible()
    assert page.js_errors == []
