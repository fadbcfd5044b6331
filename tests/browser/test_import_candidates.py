"""批量导入学生信息 in Chromium: a file with errors, the inline error table, 仅导入正确的 N 行, the rows in 考生管理."""
from playwright.sync_api import expect

from models.candidate import Candidate
from tests import sheetfiles as sf
from tests.browser.conftest import cancel_action, confirm_action, screenshot


def test_upload_with_errors_then_import_only_the_valid_rows(page, login_as, tmp_path):
    login_as("staff")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="考生管理").click()
    page.get_by_text("批量导入", exact=True).click()
    page.get_by_role("button", name="批量导入学生信息").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="批量导入学生信息")).to_be_visible()
    expect(dialog.get_by_role("link", name='下载"导入考生信息模板"')).to_be_visible()
    screenshot(page, "import-dialog")

    rows = [sf.person(1, name="王小明"), sf.person(2, name="李小红", gender="未知"),
            sf.person(3, name="赵小刚"), sf.person(4, name="孙小美", id_number="4.10102E+17")]
    path = tmp_path / "考生名单.xlsx"
    path.write_bytes(sf.xlsx(rows))
    dialog.locator("input[type=file]").set_input_files(str(path))
    dialog.get_by_role("button", name="保存").click()

    # The status block polls the background job, then shows the summary and the error table in place.
    errors = dialog.locator("table.import-errors")
    expect(errors).to_be_visible()
    expect(dialog.locator(".import-summary")).to_contain_text("有错误2")
    expect(errors.get_by_role("row").filter(has_text="性别「未知」不是可选值")).to_contain_text("3")
    expect(errors.get_by_role("row").filter(has_text="被 Excel 当作数字")).to_contain_text("5")
    expect(dialog.get_by_role("link", name="下载错误报告")).to_be_visible()
    assert Candidate.select().count() == 0
    screenshot(page, "import-summary")
    errors.scroll_into_view_if_needed()
    screenshot(page, "import-errors")

    dialog.get_by_role("button", name="仅导入正确的 2 行").click()
    expect(dialog.get_by_text("成功导入 2 条")).to_be_visible()
    screenshot(page, "import-done")
    dialog.locator(".dialog-foot").get_by_role("button", name="关闭").click()
    expect(page.locator("#dialog")).not_to_be_visible()

    # The list refreshed through HX-Trigger: the imported candidates are there, waiting for 认证.
    table = page.locator("#results")
    expect(table.get_by_role("row").filter(has_text="王小明")).to_contain_text("待认证")
    expect(table.get_by_role("row").filter(has_text="赵小刚")).to_be_visible()
    expect(table.get_by_role("row").filter(has_text="李小红")).to_have_count(0)
    screenshot(page, "import-candidates-list")

    page.goto("/imports/")
    expect(page.get_by_role("heading", name="导入记录")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="考生名单.xlsx")
    expect(row).to_contain_text("已导入")
    screenshot(page, "import-history")
    row.get_by_role("button", name="撤销本次导入").click()
    cancel_action(page, "撤销本次导入", "确定撤销本次导入吗？")
    expect(row).to_contain_text("已导入")
    assert Candidate.select().count() == 2
    row.get_by_role("button", name="撤销本次导入").click()
    confirm_action(page, "撤销本次导入", "将删除批次", "导入的 2 名考生，此操作不可恢复")
    expect(row).to_contain_text("已撤销")
    assert Candidate.select().count() == 0
    screenshot(page, "import-history-undone")
    assert page.js_errors == []
