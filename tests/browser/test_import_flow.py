"""An import is never a dead end, in Chromium: errors and 提示 → 仅导入正确的 N 行 → 下载错误报告 → fix →
重新上传修改后的文件 → all imported; a 待确认 batch 继续 from the dialog and 放弃 from 导入记录."""
import io

from openpyxl import load_workbook
from playwright.sync_api import expect

from models.candidate import Candidate
from models.import_batch import ImportBatch
from tests import sheetfiles as sf
from tests.browser.conftest import cancel_action, confirm_action, open_from_nav, screenshot
from tests.browser.test_accessibility import violations
from tests.test_import_flow import mixed_rows


def open_import_dialog(page):
    open_from_nav(page, "考生管理")  # loaded: htmx listens to the dialog's buttons
    page.get_by_text("批量导入", exact=True).click()
    page.get_by_role("button", name="批量导入学生信息").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="批量导入学生信息")).to_be_visible()
    return dialog


def choose_and_save(dialog, path):
    dialog.locator("input[type=file]").set_input_files(str(path))
    dialog.get_by_role("button", name="保存").click()


def test_errors_and_warnings_then_the_valid_rows_then_the_fixed_report_imports_the_rest(page, login_as, tmp_path):
    login_as("staff")
    dialog = open_import_dialog(page)
    path = tmp_path / "考生名单.xlsx"
    path.write_bytes(sf.xlsx(mixed_rows()))
    choose_and_save(dialog, path)

    errors, warnings = dialog.locator("table.import-errors.import-errors"), dialog.locator("table.import-warnings")
    expect(warnings).to_be_visible()
    expect(dialog.get_by_role("heading", name="错误明细")).to_be_visible()
    expect(dialog.get_by_role("heading", name="提示（可以导入，请对照证件核对）")).to_be_visible()
    expect(warnings.get_by_role("row").filter(has_text="前 17 位中很可能有数字输错")).to_contain_text("3")
    expect(warnings.get_by_role("row").filter(has_text="性别与证件号码不符")).to_contain_text("4")
    expect(errors.first.get_by_role("row").filter(has_text="手机号「123」格式不正确")).to_contain_text("6")
    assert violations(page) == []
    screenshot(page, "import-flow-errors-and-warnings")
    warnings.scroll_into_view_if_needed()
    screenshot(page, "import-flow-warnings-table")

    dialog.get_by_role("button", name="导入没有错误的 4 行（含 3 行有提示）").click()
    expect(dialog.get_by_text("成功导入 4 条")).to_be_visible()
    expect(dialog.get_by_role("heading", name="未导入的行（错误明细）")).to_be_visible()
    expect(dialog.get_by_text("手机号「123」格式不正确")).to_be_visible()
    assert Candidate.select().count() == 4
    assert violations(page) == []
    screenshot(page, "import-flow-after-partial-import")

    with page.expect_download() as download:
        dialog.get_by_role("link", name="下载错误报告").click()
    report = load_workbook(io.BytesIO(open(download.value.path(), "rb").read()))
    sheet = report.worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    assert sheet.max_row == 2 and sheet.cell(2, headers.index("手机号*") + 1).value == "123"
    sheet.cell(2, headers.index("手机号*") + 1).value = "13800000005"
    fixed = tmp_path / "考生名单-改正.xlsx"
    report.save(fixed)

    dialog.get_by_role("button", name="重新上传修改后的文件").click()
    expect(dialog.get_by_text("成功导入 4 条")).to_have_count(0)  # the dialog opened afresh
    expect(dialog.get_by_role("heading", name="批量导入学生信息")).to_be_visible()
    choose_and_save(dialog, fixed)
    expect(dialog.get_by_text("成功导入 1 条")).to_be_visible()
    assert Candidate.select().count() == 5
    screenshot(page, "import-flow-all-imported")

    dialog.get_by_role("link", name="导入记录").click()
    expect(page.get_by_role("heading", name="批量导入学生信息：导入记录")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="考生名单.xlsx")).to_contain_text("已导入 4 / 未导入 1")
    assert violations(page) == []
    screenshot(page, "import-flow-history")
    assert page.js_errors == []


def test_waiting_batches_are_continued_and_discarded_from_the_dialog_and_from_the_history(page, login_as, tmp_path):
    login_as("staff")
    for name in ("甲.xlsx", "乙.xlsx"):
        dialog = open_import_dialog(page)  # afresh each time: the button awaited is the new batch's
        path = tmp_path / name
        path.write_bytes(sf.xlsx([sf.person(1), sf.person(2, phone="123")]))
        choose_and_save(dialog, path)
        expect(dialog.get_by_role("button", name="仅导入正确的 1 行")).to_be_visible()
        dialog.locator(".dialog-foot").get_by_role("button", name="关闭").click()

    # The dialog offers both; 继续 shows one again, checked afresh.
    page.get_by_text("批量导入", exact=True).click()
    page.get_by_role("button", name="批量导入学生信息").click()
    waiting = dialog.locator(".import-waiting")
    expect(waiting.get_by_role("listitem")).to_have_count(2)
    assert violations(page) == []
    screenshot(page, "import-flow-waiting-batches")
    waiting.get_by_role("listitem").filter(has_text="甲.xlsx").get_by_role("button", name="继续").click()
    expect(dialog.get_by_role("button", name="仅导入正确的 1 行")).to_be_visible()
    expect(dialog.locator("#import-waiting summary")).to_contain_text("「乙.xlsx」")  # folded beside 甲's result
    dialog.locator(".dialog-foot").get_by_role("button", name="关闭").click()

    # 导入记录 from the 批量导入 menu: 放弃 乙 in its row, 继续 甲 in the dialog and 放弃 it there.
    page.get_by_text("批量导入", exact=True).click()
    page.get_by_role("link", name="导入记录").click()
    expect(page.get_by_role("heading", name="批量导入学生信息：导入记录")).to_be_visible()
    page.get_by_role("row").filter(has_text="乙.xlsx").get_by_role("button", name="放弃").click()
    cancel_action(page, "放弃", "确定放弃批次", "不导入任何数据")
    expect(page.get_by_role("row").filter(has_text="乙.xlsx")).to_contain_text("待确认")
    page.get_by_role("row").filter(has_text="乙.xlsx").get_by_role("button", name="放弃").click()
    confirm_action(page, "放弃", "将删除上传的文件「乙.xlsx」")
    expect(page.get_by_role("row").filter(has_text="乙.xlsx")).to_contain_text("已放弃")
    expect(page.get_by_role("row").filter(has_text="乙.xlsx").get_by_role("button", name="继续")).to_have_count(0)
    page.get_by_role("row").filter(has_text="甲.xlsx").get_by_role("button", name="继续").click()
    expect(dialog.get_by_role("button", name="仅导入正确的 1 行")).to_be_visible()
    dialog.locator("#import-status").get_by_role("button", name="放弃").click()
    confirm_action(page, f"放弃批次 #{ImportBatch.get(ImportBatch.file_name == '甲.xlsx').id}", "将删除上传的文件「甲.xlsx」")
    expect(dialog.get_by_role("button", name="仅导入正确的 1 行")).to_have_count(0)
    assert ImportBatch.select().where(ImportBatch.status == "待确认").count() == 0
    assert ImportBatch.select().where(ImportBatch.status == "已放弃").count() == 2 and Candidate.select().count() == 0
    assert page.js_errors == []


def test_the_error_and_warning_tables_page_inside_the_dialog(page, login_as, tmp_path, monkeypatch):
    from sheets import validate
    from tests.test_import_flow import wrong_check_character
    monkeypatch.setattr(validate, "DETAILS_PER_COLUMN", 100)
    login_as("staff")
    dialog = open_import_dialog(page)
    # Rows 2-121: a bad phone each (100 listed, 20 counted); rows 122-181: a 提示 each.
    rows = [sf.person(i, phone="1") for i in range(120)]
    rows += [sf.person(i, id_number=wrong_check_character(sf.id_number(i))) for i in range(201, 261)]
    path = tmp_path / "考生名单.xlsx"
    path.write_bytes(sf.xlsx(rows))
    choose_and_save(dialog, path)

    errors, warnings = dialog.get_by_role("table", name="错误明细"), dialog.get_by_role("table", name="提示明细")
    error_pages = dialog.get_by_role("navigation", name="错误明细分页")
    warning_pages = dialog.get_by_role("navigation", name="提示明细分页")
    expect(error_pages).to_contain_text("列出 100 条错误，第 1 / 2 页")
    expect(dialog.get_by_text("手机号 列还有 20 处错误未列出，修改上面的行后重新上传即可看到")).to_be_visible()
    expect(errors.locator("tbody tr")).to_have_count(50)
    expect(errors.locator("tbody tr").first.locator("td").first).to_have_text("2")
    assert violations(page) == []
    error_pages.scroll_into_view_if_needed()
    screenshot(page, "import-flow-paged-errors")

    error_pages.get_by_role("button", name="下一页").click()
    expect(error_pages).to_contain_text("第 2 / 2 页")
    expect(errors.locator("tbody tr").first.locator("td").first).to_have_text("52")
    warning_pages.get_by_role("button", name="下一页").click()
    expect(warning_pages).to_contain_text("共 60 条提示，第 2 / 2 页")
    expect(warnings.locator("tbody tr").first.locator("td").first).to_have_text("172")
    expect(error_pages).to_contain_text("第 2 / 2 页")  # the error table stayed on its page
    warning_pages.scroll_into_view_if_needed()
    screenshot(page, "import-flow-paged-warnings")
    error_pages.get_by_role("button", name="上一页").click()
    expect(errors.locator("tbody tr").first.locator("td").first).to_have_text("2")
    expect(dialog.get_by_role("button", name="导入没有错误的 60 行（均有提示）")).to_be_visible()
    assert violations(page) == []
    assert page.js_errors == []
