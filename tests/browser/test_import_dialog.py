"""The 批量导入 dialog after a result, in Chromium through 考生管理: the file field empties once nothing is left
to decide about the file, an older 待确认 batch is told apart from the new result, and the result's actions
are in view at 1366×768 without scrolling."""
from playwright.sync_api import expect

from models.candidate import Candidate
from models.import_batch import DISCARDED, REVIEW, ImportBatch
from tests import sheetfiles as sf
from tests.browser.conftest import confirm_action, screenshot
from tests.browser.test_accessibility import violations
from tests.browser.test_import_flow import choose_and_save, open_import_dialog
from tests.test_import_flow import mixed_rows


def write(tmp_path, name, rows):
    path = tmp_path / name
    path.write_bytes(sf.xlsx(rows) if name.endswith(".xlsx") else b"not a sheet")
    return path


def test_the_file_field_empties_after_an_import_or_a_refusal_and_stays_while_the_result_waits(page, login_as, tmp_path):
    login_as("staff")
    dialog = open_import_dialog(page)
    shown = dialog.locator(".file-name")

    # 待确认 with errors: the user decides about this very file, so its name stays.
    choose_and_save(dialog, write(tmp_path, "考生名单.xlsx", [sf.person(1), sf.person(2, phone="123"), sf.person(3)]))
    expect(dialog.get_by_role("button", name="仅导入正确的 2 行")).to_be_visible()
    expect(shown).to_have_text("考生名单.xlsx")

    # Imported: nothing is left to do with it, the field says so.
    dialog.get_by_role("button", name="仅导入正确的 2 行").click()
    expect(dialog.get_by_text("成功导入 2 条")).to_be_visible()
    expect(shown).to_have_text("未选择文件")
    assert dialog.locator("input[type=file]").evaluate("input => input.files.length") == 0
    # 保存 pressed anyway asks for a file in Chinese (not the browser's "Please select a file.") and sends nothing.
    dialog.get_by_role("button", name="保存").click()
    assert dialog.locator("input[type=file]").evaluate("input => input.validationMessage") == "请先选择文件"
    expect(dialog.get_by_text("成功导入 2 条")).to_be_visible()
    assert violations(page) == []
    screenshot(page, "import-dialog-after-import")

    # A file chosen next is not dropped when the same result's error table is sorted again.
    dialog.locator("input[type=file]").set_input_files(str(write(tmp_path, "下一批.xlsx", [sf.person(4)])))
    dialog.get_by_role("button", name="列 ↕").click()
    expect(dialog.get_by_text("列 ▲")).to_be_visible()
    expect(shown).to_have_text("下一批.xlsx")

    # Saved at once, and refused: emptied as well.
    dialog.get_by_role("button", name="保存").click()
    expect(dialog.get_by_text("成功导入 1 条")).to_be_visible()
    expect(shown).to_have_text("未选择文件")
    choose_and_save(dialog, write(tmp_path, "名单.txt", []))
    expect(dialog.get_by_text("文件未导入")).to_be_visible()
    expect(shown).to_have_text("未选择文件")
    assert Candidate.select().count() == 3
    assert page.js_errors == []


def test_an_older_waiting_batch_folds_away_beside_a_new_result_and_each_button_names_its_batch(page, login_as, tmp_path):
    login_as("staff")
    dialog = open_import_dialog(page)
    choose_and_save(dialog, write(tmp_path, "甲.xlsx", [sf.person(1), sf.person(2, phone="123")]))
    expect(dialog.get_by_role("button", name="放弃批次 #1")).to_be_visible()
    dialog.locator(".dialog-foot").get_by_role("button", name="关闭").click()

    # Opened again with no result: the waiting batch is in view, its buttons naming it.
    dialog = open_import_dialog(page)
    older = dialog.locator("#import-waiting")
    expect(older.get_by_role("button", name="继续批次 #1")).to_be_visible()
    expect(older.get_by_role("button", name="放弃批次 #1")).to_be_visible()
    assert violations(page) == []
    screenshot(page, "import-dialog-waiting-batch")

    # A new result: the older batch folds into one line naming its file; one 放弃 is in view, the new batch's.
    choose_and_save(dialog, write(tmp_path, "乙.xlsx", [sf.person(3), sf.person(4, phone="123")]))
    expect(dialog.get_by_role("button", name="仅导入正确的 1 行")).to_be_visible()
    expect(older.locator("summary")).to_have_text("另有 1 个之前上传、尚未导入的批次：「甲.xlsx」（批次 #1）")
    expect(dialog.get_by_role("button", name="放弃批次 #1")).to_be_hidden()
    expect(dialog.get_by_role("button", name="放弃批次")).to_have_count(1)
    expect(dialog.get_by_role("button", name="放弃批次 #2")).to_be_visible()
    assert violations(page) == []
    screenshot(page, "import-dialog-older-batch-folded")

    # Still reachable: unfolded, the older batch is given up on its own; the new result stays.
    older.locator("summary").click()
    expect(older).to_contain_text("与下方批次 #2 的结果无关")
    assert violations(page) == []
    screenshot(page, "import-dialog-older-batch-unfolded")
    older.get_by_role("button", name="放弃批次 #1").click()
    confirm_action(page, "放弃批次 #1", "将删除上传的文件「甲.xlsx」")
    expect(dialog.locator("#import-waiting")).to_have_count(0)
    expect(dialog.get_by_role("button", name="仅导入正确的 1 行")).to_be_visible()
    assert [b.status for b in ImportBatch.select().order_by(ImportBatch.id)] == [DISCARDED, REVIEW]

    # 继续 from the fold shows that batch instead, the other one folded in its place.
    choose_and_save(dialog, write(tmp_path, "丙.xlsx", [sf.person(5), sf.person(6, phone="123")]))
    expect(dialog.get_by_role("button", name="放弃批次 #3")).to_be_visible()
    dialog.locator("#import-waiting summary").click()
    dialog.get_by_role("button", name="继续批次 #2").click()
    expect(dialog.get_by_role("button", name="放弃批次 #2")).to_be_visible()
    expect(dialog.locator("#import-waiting summary")).to_contain_text("「丙.xlsx」（批次 #3）")
    assert page.js_errors == []


def expect_in_view(*buttons):
    for button in buttons:
        expect(button).to_be_in_viewport(ratio=1)


def test_the_result_s_buttons_are_in_view_at_1366x768_without_scrolling(page, login_as, tmp_path):
    assert page.viewport_size == {"width": 1366, "height": 768}
    login_as("staff")
    dialog = open_import_dialog(page)
    choose_and_save(dialog, write(tmp_path, "甲.xlsx", [sf.person(11), sf.person(12, phone="123")]))
    expect(dialog.get_by_role("button", name="放弃批次 #1")).to_be_in_viewport(ratio=1)
    dialog.locator(".dialog-foot").get_by_role("button", name="关闭").click()

    # The tallest result: an older batch folded above it, errors and 提示, three buttons and the report.
    dialog = open_import_dialog(page)
    choose_and_save(dialog, write(tmp_path, "乙.xlsx", mixed_rows()))
    first = dialog.get_by_role("button", name="导入没有错误的 4 行（含 3 行有提示）")
    expect_in_view(first, dialog.get_by_role("button", name="只导入没有错误和提示的 1 行"),
                   dialog.get_by_role("link", name="下载错误报告"), dialog.get_by_role("button", name="放弃批次 #2"))
    screenshot(page, "import-dialog-actions-in-view")

    # Imported with a row left out: its next steps are in view too.
    first.click()
    expect(dialog.get_by_text("成功导入 4 条")).to_be_visible()
    expect_in_view(dialog.get_by_role("link", name="下载错误报告"), dialog.get_by_role("button", name="重新上传修改后的文件"))

    # 继续 an older batch, from the dialog's fold and from 导入记录: its result opens with its buttons in view.
    dialog.locator("#import-waiting summary").click()
    dialog.get_by_role("button", name="继续批次 #1").click()
    expect_in_view(dialog.get_by_role("button", name="仅导入正确的 1 行"), dialog.get_by_role("button", name="放弃批次 #1"))
    dialog.locator(".dialog-foot").get_by_role("button", name="关闭").click()
    page.get_by_text("批量导入", exact=True).click()
    page.get_by_role("link", name="导入记录").click()
    page.get_by_role("row").filter(has_text="甲.xlsx").get_by_role("button", name="继续").click()
    expect_in_view(dialog.get_by_role("button", name="仅导入正确的 1 行"), dialog.get_by_role("button", name="放弃批次 #1"))
    assert page.js_errors == []
