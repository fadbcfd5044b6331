"""The whole 颁证 loop in Chromium, through the list pages: ready candidates → 生成导入文件 → results typed
in → import → 颁证 one row and 退回 another → 修改后重新提交 → 颁证 → the number on the candidate page and
in the 颁证名单, on screen and on paper."""
import os
import re
from datetime import date

from openpyxl import load_workbook
from playwright.sync_api import expect

from models.award import AwardRecord
from models.award_fields import AWARD_SHEET
from models.candidate import Candidate
from models.catalog import Organisation
from models.user import REVIEWER, STAFF
from tests.browser.conftest import log_in, open_from_nav, screenshot
from tests.browser.test_awards import bulk_button
from tests.conftest import other_candidates


def log_out(page):
    page.get_by_role("button", name="退出").click()
    page.wait_for_url("**/login**")


def open_awards(page):
    open_from_nav(page, "待颁证记录")
    return page.locator("#award-results")


def fill_results(path):
    """What staff type into the pre-filled file: 考核日期, 成绩 and 考核结果 on each row CertDesk filled in
    (the note is row 1, the header row 2)."""
    book = load_workbook(path)
    sheet = book[AWARD_SHEET.title]
    header = [cell.value for cell in sheet[2]]
    typed = {"考核日期*": "2026-06-15", "理论成绩": "88", "实操成绩": "90", "考核结果*": "通过"}
    filled = 0
    for row in sheet.iter_rows(min_row=3):
        assert row[header.index("考核站点*")].value == "信息楼机房"  # the level's only usable site
        for title, value in typed.items():
            row[header.index(title)].value = value
        filled += 1
    book.save(path)
    return filled


def issue_in_dialog(page, expected):
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(expected)
    dialog.get_by_role("button", name="颁证").click()
    expect(dialog).to_be_hidden()


def test_the_whole_loop_from_ready_candidates_to_the_roster(page, make_user, world, tmp_path):
    zhang, li = world["candidate"], other_candidates(1)[0]
    make_user(STAFF, username="banzheng")
    make_user(REVIEWER, username="shenhe", organisation=Organisation.get(Organisation.name == "工业和信息化部教育与考试中心"))
    year = date.today().year

    # Staff: the ready candidates, the template filled in with their results, the import.
    log_in(page, "banzheng")
    results = open_awards(page)
    page.get_by_label("证书").select_option(label="Web前端开发")
    # Each choice refreshes the list; a second one made before the first has answered replaces it (hx-sync).
    expect(page).to_have_url(re.compile(r"[?&]certificate=\d+"))
    page.get_by_label("等级").select_option("中级")
    banner = results.locator(".readiness-summary")
    expect(banner).to_contain_text("2 名考生可导入")
    with page.expect_download() as download:
        banner.get_by_role("link", name="生成导入文件").click()
    path = tmp_path / "待颁证记录.xlsx"
    download.value.save_as(path)
    assert fill_results(path) == 2
    page.get_by_role("button", name="导入待颁证记录").click()
    dialog = page.get_by_role("dialog")
    dialog.locator("input[type=file]").set_input_files(str(path))
    dialog.get_by_role("button", name="保存").click()
    expect(dialog.get_by_text("成功导入 2 条")).to_be_visible()
    dialog.locator(".dialog-foot").get_by_role("button", name="关闭").click()
    expect(results.get_by_role("row").filter(has_text="待审核")).to_have_count(2)
    log_out(page)

    # Reviewer: 颁证 张三's row, 退回 李四's.
    zhang_record, li_record = (AwardRecord.get(AwardRecord.candidate == c) for c in (zhang, li))
    log_in(page, "shenhe")
    results = open_awards(page)
    zhang_row, li_row = (results.locator(f"#award-{r.id}") for r in (zhang_record, li_record))
    zhang_row.get_by_role("button", name="颁证").click()
    issue_in_dialog(page, f"为 1 条 Web前端开发 中级 记录颁证，证书编号 WEB2{year}000001")
    expect(zhang_row).to_contain_text(f"WEB2{year}000001")
    li_row.get_by_role("button", name="退回").click()
    page.get_by_role("dialog").get_by_label("退回原因").fill("实操成绩与考核站点记录不符")
    page.get_by_role("dialog").get_by_role("button", name="退回").click()
    expect(li_row).to_contain_text("已退回")
    log_out(page)

    # Staff: 修改后重新提交 李四's record.
    log_in(page, "banzheng")
    results = open_awards(page)
    li_row.get_by_role("button", name="修改后重新提交").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("实操成绩与考核站点记录不符")
    dialog.get_by_label("实操成绩").fill("86")
    dialog.get_by_role("button", name="提交并保存").click()
    expect(dialog).to_be_hidden()
    expect(li_row).to_contain_text("待审核")
    log_out(page)

    # Reviewer: 颁证 for the ticked row.
    log_in(page, "shenhe")
    open_awards(page)
    li_row.get_by_role("checkbox").check()
    bulk_button(page, "为勾选的记录颁证", "above").click()
    issue_in_dialog(page, f"为 1 条 Web前端开发 中级 记录颁证，证书编号 WEB2{year}000002")
    expect(li_row).to_contain_text(f"WEB2{year}000002")
    log_out(page)

    # Staff: the number on 李四's page, and in the 颁证名单 on screen and on paper.
    log_in(page, "banzheng")
    open_awards(page)
    li_row.get_by_role("link", name="李四").click()
    certificates = page.locator("section").filter(has=page.get_by_role("heading", name="证书与待颁证记录"))
    expect(certificates.get_by_role("row").filter(has_text="已颁证")).to_contain_text(f"WEB2{year}000002")
    expect(page.get_by_text("可以导入待颁证记录")).to_have_count(0)
    screenshot(page, "candidate-certificates")
    open_awards(page)
    page.get_by_role("link", name="颁证名单").click()
    roster = page.locator("#roster-results")
    expect(roster.get_by_role("row")).to_have_count(3)  # the header and two certificates
    expect(roster.get_by_role("row").filter(has_text="李四")).to_contain_text(f"WEB2{year}000002")
    expect(roster).not_to_contain_text(li.id_number)
    screenshot(page, "roster")
    page.get_by_role("link", name="打印").click()
    expect(page.get_by_role("row").filter(has_text="李四")).to_contain_text(li.id_number)
    expect(page.get_by_role("navigation")).to_have_count(0)
    assert page.js_errors == []


def test_the_roster_prints_on_a4_landscape_with_its_header_on_every_page(page, login_as, make_user, world):
    reviewer = make_user(REVIEWER, username="shenhe")
    people = [world["candidate"]] + other_candidates(59)
    records = [AwardRecord.create(candidate=c, certificate=world["cert"], level="中级", site=world["site"],
                                  exam_date="2026-06-01", theory_score=80, practical_score=85) for c in people]
    AwardRecord.issue_many(records, reviewer)
    login_as(STAFF)
    page.goto("/awards/roster/print")
    expect(page.get_by_role("row")).to_have_count(61)
    page.emulate_media(media="print")
    expect(page.locator(".print-toolbar")).to_be_hidden()
    assert page.evaluate("getComputedStyle(document.querySelector('.roster thead')).display") == "table-header-group"
    screenshot(page, "roster-print")
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    folder = os.environ.get("CERTDESK_SCREENSHOTS")
    if folder:
        with open(os.path.join(folder, "roster-print.pdf"), "wb") as out:
            out.write(pdf)
    # One MediaBox a page: 60 rows take more than one, each A4 landscape (842 x 595 points).
    pages = [(round(float(w)), round(float(h))) for w, h in re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)]
    assert len(pages) >= 2 and set(pages) == {(842, 595)}
    assert page.js_errors == []


def test_the_roster_lists_class_by_class_and_prints_each_class_under_its_heading(page, login_as, make_user, world):
    reviewer = make_user(REVIEWER, username="shenhe")
    people = [world["candidate"]] + other_candidates(3)
    for candidate, class_name in zip(people, ("计应2302", "计应2301", "计应2302", "计应2301")):
        Candidate.update(department="信息工程学院", class_name=class_name).where(Candidate.id == candidate.id).execute()
    AwardRecord.issue_many([AwardRecord.create(candidate=c, certificate=world["cert"], level="中级", site=world["site"],
                                               exam_date="2026-06-01") for c in people], reviewer)
    login_as(STAFF)
    page.goto("/awards/roster/")
    rows = page.locator(".roster-table tbody tr")
    expect(rows.first).to_contain_text("计应2302")  # by number: 张三 was issued first
    page.get_by_label("排序").select_option(label="按院系、班级、姓名")
    expect(page).to_have_url(re.compile(r"sort=class"))
    expect(rows.first).to_contain_text("计应2301")
    expect(rows.last).to_contain_text("计应2302")
    screenshot(page, "roster-by-class")
    page.get_by_role("link", name="打印").click()
    headings = page.locator(".roster .roster-group")
    expect(headings).to_have_text(["信息工程学院 · 计应2301（2 张）", "信息工程学院 · 计应2302（2 张）"])
    expect(page.locator(".roster-covers")).to_contain_text("按院系、班级、姓名排列")
    screenshot(page, "roster-print-by-class")
    assert page.js_errors == []
