"""The whole manual in Chromium: a 信息准确 candidate and an 已启用 site → 导入待颁证记录 → 颁证 → the number."""
import re
from datetime import date

from playwright.sync_api import expect

from models.award import AwardRecord
from models.candidate import VERIFIED
from models.catalog import Organisation
from models.photo import demo_jpeg, store_photo
from models.user import REVIEWER
from tests.browser.conftest import log_in, open_from_nav, screenshot
from tests.browser.test_accessibility import violations
from tests.conftest import other_candidates
from tests.test_import_awards import filled_template, row
from tests.test_import_counts import accurate_people, records, set_quota


def test_import_a_record_then_the_reviewer_issues_the_certificate(page, login_as, make_user, world, tmp_path):
    make_user(REVIEWER, username="shenhe", organisation=Organisation.get(Organisation.name == "工业和信息化部教育与考试中心"))
    login_as("staff")
    open_from_nav(page, "待颁证记录")
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
    open_from_nav(page, "待颁证记录")
    record_row = page.locator("#award-results").get_by_role("row").filter(has_text="张三")
    record_row.get_by_role("checkbox").check()
    bulk_button(page, "为勾选的记录颁证", "below").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(f"为 1 条 Web前端开发 中级 记录颁证，证书编号 WEB2{date.today().year}000001")
    dialog.get_by_role("button", name="颁证").click()
    expect(dialog).to_be_hidden()
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


def test_reviewer_returns_a_row_and_staff_resubmit_it_from_the_list(page, login_as, make_user, world):
    _pending_record(world)
    organisation = Organisation.get(Organisation.name == "工业和信息化部教育与考试中心")
    make_user(REVIEWER, username="shenhe", organisation=organisation)
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
    assert page.js_errors == []


def test_the_record_page_offers_its_actions_to_the_roles_that_may_use_them(page, login_as, make_user, world, app):
    record = _pending_record(world)
    candidate = record.candidate
    candidate.photo = store_photo(app.config["DATA_DIR"], demo_jpeg())
    candidate.department, candidate.class_name = "信息工程学院", "计应2301"
    candidate.save()
    organisation = Organisation.get(Organisation.name == "工业和信息化部教育与考试中心")
    make_user(REVIEWER, username="shenhe", organisation=organisation)
    log_in(page, "shenhe")
    page.goto(f"/awards/{record.id}")
    photo = page.get_by_role("img", name="张三的照片")
    expect(photo).to_be_visible()
    assert page.evaluate("img => img.naturalWidth", photo.element_handle()) > 0
    expect(page.locator("#record")).to_contain_text("信息工程学院 / 计应2301")
    screenshot(page, "awards-record")
    page.get_by_role("button", name="颁证").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("为 1 条 Web前端开发 中级 记录颁证")
    dialog.get_by_role("button", name="颁证").click()
    expect(dialog).to_be_hidden()
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
    open_from_nav(page, "待颁证记录")
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


def test_reviewer_issues_one_row_and_returns_the_ticked_rows_from_the_list(page, login_as, make_user, world):
    first = _pending_record(world)
    others = [AwardRecord.create(candidate=c, certificate=world["cert"], level="中级", site=world["site"],
                                 exam_date="2026-06-01", theory_score=70, practical_score=75)
              for c in other_candidates(4)]
    ticked_to_issue, others = others[:2], others[2:]
    make_user(REVIEWER, username="shenhe")
    log_in(page, "shenhe")
    page.goto("/awards/")
    results = page.locator("#award-results")
    first_row = results.locator(f"#award-{first.id}")
    first_row.get_by_role("button", name="颁证").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(f"为 1 条 Web前端开发 中级 记录颁证，证书编号 WEB2{date.today().year}000001")
    expect(dialog).to_contain_text("张三")
    screenshot(page, "awards-issue-dialog")
    dialog.get_by_role("button", name="颁证").click()
    expect(dialog).to_be_hidden()
    expect(first_row).to_contain_text(f"WEB2{date.today().year}000001")

    for record in ticked_to_issue:
        results.locator(f"#award-{record.id}").get_by_role("checkbox").check()
    bulk_button(page, "为勾选的记录颁证", "below").click()
    expect(dialog).to_contain_text(f"为 2 条 Web前端开发 中级 记录颁证，证书编号 WEB2{date.today().year}000002–003")
    screenshot(page, "awards-issue-dialog-ticked")
    dialog.get_by_role("button", name="颁证").click()
    expect(dialog).to_be_hidden()
    for record in ticked_to_issue:
        expect(results.locator(f"#award-{record.id}")).to_contain_text("已颁证")

    for record in others:
        results.locator(f"#award-{record.id}").get_by_role("checkbox").check()
    bulk_button(page, "退回勾选的记录", "below").click()
    expect(dialog).to_contain_text("退回 2 条记录")
    dialog.get_by_label("退回原因").fill("考核站点安排与记录不符")
    dialog.get_by_role("button", name="退回").click()
    expect(dialog).to_be_hidden()
    for record in others:
        expect(results.locator(f"#award-{record.id}")).to_contain_text("已退回")
    assert page.js_errors == []


def bulk_button(page, name, where):
    """A button for the ticked rows of 待颁证记录: the one above the table or the one below it."""
    bars = page.locator("#award-results .bulk-actions")
    return (bars.first if where == "above" else bars.last).get_by_role("button", name=name)


def test_with_a_page_of_50_the_buttons_for_the_ticked_rows_are_above_the_list_too(page, make_user, world):
    first = _pending_record(world)
    records = [first] + [AwardRecord.create(candidate=c, certificate=world["cert"], level="中级", site=world["site"],
                                            exam_date="2026-06-01", theory_score=70, practical_score=75)
                         for c in other_candidates(49)]
    make_user(REVIEWER, username="shenhe")
    log_in(page, "shenhe")
    page.goto("/awards/")
    results = page.locator("#award-results")
    expect(results.locator(".row-check")).to_have_count(50)
    # Reachable without scrolling through 50 rows: above the table, on the first screen; the ones below are not.
    expect(bulk_button(page, "为勾选的记录颁证", "above")).to_be_in_viewport()
    expect(bulk_button(page, "为勾选的记录颁证", "below")).not_to_be_in_viewport()
    screenshot(page, "awards-bulk-above")

    # The same question from either place: the dialog names the same rows, count and numbers.
    ticked = records[1:3]
    for record in ticked:
        results.locator(f"#award-{record.id}").get_by_role("checkbox").check()
    dialog = page.get_by_role("dialog")
    bulk_button(page, "为勾选的记录颁证", "below").click()
    expect(dialog).to_contain_text("为 2 条 Web前端开发 中级 记录颁证")
    asked_below = dialog.inner_text()
    dialog.get_by_role("button", name="取消").click()
    expect(dialog).to_be_hidden()
    bulk_button(page, "为勾选的记录颁证", "above").click()
    expect(dialog).to_contain_text(f"为 2 条 Web前端开发 中级 记录颁证，证书编号 WEB2{date.today().year}000001–002")
    assert dialog.inner_text() == asked_below
    assert violations(page) == []
    dialog.get_by_role("button", name="颁证").click()
    expect(dialog).to_be_hidden()
    for record in ticked:
        expect(results.locator(f"#award-{record.id}")).to_contain_text("已颁证")
    assert AwardRecord.select().where(AwardRecord.certificate_number.is_null(False)).count() == 2

    # 退回 from above: the reason dialog, then the rows 已退回.
    returned = records[3:5]
    for record in returned:
        results.locator(f"#award-{record.id}").get_by_role("checkbox").check()
    bulk_button(page, "退回勾选的记录", "above").click()
    expect(dialog).to_contain_text("退回 2 条记录")
    dialog.get_by_label("退回原因").fill("考核站点安排与记录不符")
    dialog.get_by_role("button", name="退回").click()
    expect(dialog).to_be_hidden()
    for record in returned:
        expect(results.locator(f"#award-{record.id}")).to_contain_text("已退回")

    # The row buttons inside the same form still open their own dialog for their own row only.
    first_row = results.locator(f"#award-{first.id}")
    first_row.get_by_role("button", name="颁证").click()
    expect(dialog).to_contain_text(f"为 1 条 Web前端开发 中级 记录颁证，证书编号 WEB2{date.today().year}000003")
    expect(dialog).to_contain_text("张三")
    dialog.get_by_role("button", name="颁证").click()
    expect(dialog).to_be_hidden()
    expect(first_row).to_contain_text(f"WEB2{date.today().year}000003")
    results.locator(f"#award-{records[5].id}").get_by_role("button", name="退回").click()
    expect(dialog.get_by_role("heading")).to_have_text("退回待颁证记录")
    expect(dialog).to_contain_text(records[5].candidate.id_number[-4:])
    dialog.get_by_role("button", name="取消").click()
    expect(dialog).to_be_hidden()
    assert violations(page) == []
    assert page.js_errors == []
