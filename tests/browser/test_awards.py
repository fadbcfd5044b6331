"""The whole manual in Chromium: a 信息准确 candidate and an 已启用 site → 导入待颁证记录 → 颁证 → the number."""
import re

from playwright.sync_api import expect

from models.award import AwardRecord
from models.candidate import VERIFIED
from models.catalog import Organisation
from models.user import REVIEWER
from tests.browser.conftest import log_in, screenshot
from tests.test_import_awards import filled_template, row
from tests.test_import_counts import accurate_people, records, set_quota


def test_import_a_record_then_the_reviewer_issues_the_certificate(page, login_as, make_user, world, tmp_path):
    make_user(REVIEWER, username="shenhe", organisation=Organisation.get(Organisation.name == "工业和信息化部教育与考试中心"))
    login_as("staff")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="待颁证记录").click()
    page.get_by_role("button", name="导入待颁证记录").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="导入待颁证记录")).to_be_visible()
    path = tmp_path / "待颁证记录.xlsx"
    path.write_bytes(filled_template([row(world["candidate"])]))
    dialog.locator("input[type=file]").set_input_files(str(path))
    dialog.get_by_role("button", name="保存").click()
    expect(dialog.get_by_text("成功导入 1 条")).to_be_visible()
    screenshot(page, "awards-import-done")
    dialog.locator(".dialog-foot").get_by_role("button", name="关闭").click()
    results = page.locator("#award-results")
    expect(results.get_by_role("row").filter(has_text="张三")).to_contain_text("待审核")
    page.get_by_role("button", name="退出").click()

    log_in(page, "shenhe")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="待颁证记录").click()
    record_row = page.locator("#award-results").get_by_role("row").filter(has_text="张三")
    record_row.get_by_role("checkbox").check()
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="颁证", exact=True).click()
    expect(record_row).to_contain_text("已颁证")
    number = AwardRecord.get().certificate_number
    expect(record_row).to_contain_text(number)
    screenshot(page, "awards-issued")
    assert page.js_errors == []


def test_choosing_a_certificate_narrows_the_site_filter(page, login_as, world):
    from tests.test_awards import _other_site
    _other_site(world)
    login_as("staff")
    page.goto("/awards/")
    sites = page.locator("#award-site option")
    expect(sites).to_have_count(3)  # 全部站点 and the two sites
    page.get_by_label("证书").select_option(label="Web前端开发")
    expect(sites).to_have_count(2)
    expect(page.locator("#award-site")).to_contain_text("信息楼机房")
    expect(page.locator("#award-site")).not_to_contain_text("物流实训中心")
    page.get_by_label("考核站点").select_option(label="信息楼机房")
    expect(page).to_have_url(re.compile(rf"[?&]site={world['site'].id}(&|$)"))
    page.get_by_label("证书").select_option(label="全部证书")
    expect(sites).to_have_count(3)
    screenshot(page, "awards-site-filter")
    assert page.js_errors == []


def _pending_record(world):
    return AwardRecord.create(candidate=world["candidate"], certificate=world["cert"], level="中级", site=world["site"],
                              exam_date="2026-06-01", theory_score=80, practical_score=85, result="通过")


def _refuse_browser_prompts(page):
    """A row button inside the 颁证 form once inherited its hx-confirm: any native prompt fails the test."""
    prompts = []
    page.on("dialog", lambda d: (prompts.append(d.message), d.dismiss()))
    return prompts


def test_reviewer_returns_a_row_and_staff_resubmit_it_from_the_list(page, login_as, make_user, world):
    _pending_record(world)
    organisation = Organisation.get(Organisation.name == "工业和信息化部教育与考试中心")
    make_user(REVIEWER, username="shenhe", organisation=organisation)
    prompts = _refuse_browser_prompts(page)
    log_in(page, "shenhe")
    page.goto("/awards/")
    record_row = page.locator("#award-results").get_by_role("row").filter(has_text="张三")
    record_row.get_by_role("button", name="退回").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="退回待颁证记录")).to_be_visible()
    dialog.get_by_label("退回原因").fill("考核日期与站点安排不符")
    dialog.get_by_role("button", name="退回").click()
    expect(dialog).to_be_hidden()
    expect(record_row).to_contain_text("已退回")
    expect(record_row).to_contain_text("考核日期与站点安排不符")
    page.get_by_role("button", name="退出").click()

    login_as("staff")
    page.goto("/awards/")
    record_row.get_by_role("button", name="修改后重新提交").click()
    expect(dialog.get_by_role("heading", name="修改后重新提交")).to_be_visible()
    dialog.get_by_label("考核日期").fill("2026-06-02")
    screenshot(page, "awards-resubmit-dialog")
    dialog.get_by_role("button", name="提交并保存").click()
    expect(dialog).to_be_hidden()
    expect(record_row).to_contain_text("待审核")
    assert AwardRecord.get().exam_date.isoformat() == "2026-06-02"
    assert prompts == []
    assert page.js_errors == []


def test_the_record_page_offers_its_actions_to_the_roles_that_may_use_them(page, login_as, make_user, world):
    record = _pending_record(world)
    organisation = Organisation.get(Organisation.name == "工业和信息化部教育与考试中心")
    make_user(REVIEWER, username="shenhe", organisation=organisation)
    log_in(page, "shenhe")
    page.goto(f"/awards/{record.id}")
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="颁证").click()
    expect(page.locator("#record")).to_contain_text("已颁证")
    expect(page.locator("#record")).to_contain_text(AwardRecord.get().certificate_number)
    expect(page.get_by_role("button", name="退回")).to_have_count(0)
    screenshot(page, "awards-detail-issued")
    assert page.js_errors == []


def test_import_dialog_counts_each_row_of_a_20_row_file_once(page, login_as, world, tmp_path):
    set_quota(100)
    rows = records(accurate_people(range(12))) + records(accurate_people(range(12, 20), status=VERIFIED))
    path = tmp_path / "待颁证记录.xlsx"
    path.write_bytes(filled_template(rows))
    login_as("staff")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="待颁证记录").click()
    page.get_by_role("button", name="导入待颁证记录").click()
    dialog = page.get_by_role("dialog")
    dialog.locator("input[type=file]").set_input_files(str(path))
    dialog.get_by_role("button", name="保存").click()

    summary = dialog.locator(".import-summary")
    expect(summary).to_be_visible()
    for label, number in (("总行数", "20"), ("可导入", "12"), ("有错误", "8"), ("已存在", "0"), ("未变化", "0")):
        expect(summary.locator("div").filter(has=page.locator("dt", has_text=label)).locator("dd")).to_have_text(number)
    expect(dialog.get_by_role("button", name="仅导入正确的 12 行")).to_be_visible()
    screenshot(page, "awards-import-summary")
    assert page.js_errors == []
