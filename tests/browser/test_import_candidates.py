"""批量导入学生信息 in Chromium: a file with errors, the inline error table, 仅导入正确的 N 行, the rows in 考生管理."""
from datetime import timedelta

from playwright.sync_api import expect

from models.candidate import Candidate
from models.db import now
from models.import_batch import ImportBatch
from models.job import RUNNING, Job
from models.user import User
from tests import sheetfiles as sf
from tests.browser.conftest import cancel_action, confirm_action, open_from_nav, screenshot


def test_upload_with_errors_then_import_only_the_valid_rows(page, login_as, tmp_path):
    login_as("staff")
    open_from_nav(page, "考生管理")
    page.get_by_text("批量导入", exact=True).click()
    page.get_by_role("button", name="批量导入学生信息").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="批量导入学生信息")).to_be_visible()
    expect(dialog.get_by_role("link", name='下载“导入考生信息模板”')).to_be_visible()
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
    cancel_action(page, "撤销本次导入", "确定撤销本次导入吗？", "导入的 2 名考生")
    expect(row).to_contain_text("已导入")
    assert Candidate.select().count() == 2
    # One of them deleted by hand since: the question counts the one the undo will really delete.
    Candidate.get(Candidate.name == "赵小刚").remove(by=User.get(User.role == "staff"))
    page.reload()
    row.get_by_role("button", name="撤销本次导入").click()
    confirm_action(page, "撤销本次导入", "将删除批次", "导入的 1 名考生，此操作不可恢复")
    expect(row).to_contain_text("已撤销")
    assert Candidate.select().count() == 0
    screenshot(page, "import-history-undone")
    assert page.js_errors == []


def test_a_check_whose_server_process_died_shows_why_in_the_dialog_and_the_file_can_be_chosen_again(
        app, page, login_as, tmp_path):
    app.config["JOBS_DISPATCH"] = False  # the job waits in the queue: the process to run it is "killed"
    login_as("staff")
    open_from_nav(page, "考生管理")
    page.get_by_text("批量导入", exact=True).click()
    page.get_by_role("button", name="批量导入学生信息").click()
    dialog = page.get_by_role("dialog")
    path = tmp_path / "考生名单.xlsx"
    path.write_bytes(sf.xlsx([sf.person(1, name="王小明")]))
    dialog.locator("input[type=file]").set_input_files(str(path))
    dialog.get_by_role("button", name="保存").click()
    expect(dialog.get_by_text("正在检查")).to_be_visible()
    batch = ImportBatch.select().order_by(ImportBatch.id.desc()).get()
    Job.update(status=RUNNING, worker="gone:4242:0ld70ken", heartbeat_at=now() - timedelta(minutes=1)).where(
        Job.id == batch.job_id).execute()
    Job.reap()
    # The waiting status request hears of it and the dialog says what happened, with the form to upload again.
    expect(dialog.get_by_role("alert")).to_contain_text("服务器进程已停止")
    expect(dialog.get_by_role("alert")).to_contain_text("请重新上传")
    expect(dialog.get_by_role("button", name="保存")).to_be_enabled()
    screenshot(page, "import-job-died")
