"""The browser's own file widget says "Choose File" / "No file chosen" in a Chromium without its Chinese locale:
CertDesk's file inputs are a 选择文件 button with the chosen file's name (or 未选择文件) beside it. Through the
import dialog and the photo upload, in Chromium."""
import zipfile

from playwright.sync_api import expect

from models.candidate import VERIFIED, Candidate
from models.photo import demo_jpeg
from tests import sheetfiles as sf
from tests.browser.conftest import screenshot, settled
from tests.browser.test_accessibility import violations


def choose_through_the_button(page, dialog, path):
    """Choose a file as a person does: click 选择文件, pick it in the chooser the click opened."""
    with page.expect_file_chooser() as chooser:
        dialog.locator("label.file-button").click()
    chooser.value.set_files(path)


def test_the_import_dialog_chooses_its_file_through_the_chinese_button(page, login_as, tmp_path):
    login_as("staff")
    page.goto("/candidates/")
    page.get_by_text("批量导入", exact=True).click()
    page.get_by_role("button", name="批量导入学生信息").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="批量导入学生信息")).to_be_visible()
    shown = dialog.locator(".file-name")
    expect(dialog.locator("label.file-button")).to_have_text("选择文件")
    expect(shown).to_have_text("未选择文件")
    assert violations(page) == []

    path = tmp_path / "考生名单.xlsx"
    path.write_bytes(sf.xlsx([sf.person(1, name="王小明"), sf.person(2, name="李小红")]))
    choose_through_the_button(page, dialog, path)
    expect(shown).to_have_text("考生名单.xlsx")
    screenshot(page, "file-input-import-chosen")
    dialog.get_by_role("button", name="保存").click()
    expect(dialog.get_by_text("成功导入 2 条")).to_be_visible()
    assert Candidate.select().count() == 2
    assert page.js_errors == []


def test_the_file_button_opens_the_chooser_from_the_keyboard(page, login_as, tmp_path):
    login_as("staff")
    page.goto("/candidates/")
    page.get_by_text("批量导入", exact=True).click()
    page.get_by_role("button", name="批量导入学生信息").click()
    dialog = page.get_by_role("dialog")
    settled(page)  # the dialog's own first focus is given: ours comes after it (CI, under load)
    # The hidden input keeps the focus: Tab reaches it (named by its button and described by 未选择文件).
    dialog.get_by_role("link", name='下载“导入考生信息模板”').focus()
    page.keyboard.press("Tab")
    focused = dialog.get_by_role("button", name="选择文件")
    expect(focused).to_be_focused()
    expect(focused).to_have_accessible_description("未选择文件")
    path = tmp_path / "考生.csv"
    path.write_bytes(sf.csv_file([sf.person(3)]))
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(path)
    expect(dialog.locator(".file-name")).to_have_text("考生.csv")
    expect(focused).to_have_accessible_description("考生.csv")
    assert page.js_errors == []


def test_the_photo_upload_chooses_its_zip_through_the_chinese_button(page, login_as, tmp_path):
    number = "110101200301050019"
    Candidate.create(name="王小明", id_type="居民身份证", id_number=number, gender="男", phone="13812345678",
                     status=VERIFIED)
    path = tmp_path / "2023级照片.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{number}.jpg", demo_jpeg())
    login_as("staff")
    page.goto("/candidates/")
    page.get_by_text("批量导入", exact=True).click()
    page.get_by_role("button", name="上传学生照片").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="上传学生照片")).to_be_visible()
    expect(dialog.locator(".file-name")).to_have_text("未选择文件")
    expect(dialog.get_by_label("照片压缩包")).to_have_attribute("type", "file")  # its field's label names it too
    assert violations(page) == []

    choose_through_the_button(page, dialog, path)
    expect(dialog.locator(".file-name")).to_have_text("2023级照片.zip")
    screenshot(page, "file-input-photos-chosen")
    dialog.get_by_role("button", name="保存").click()
    expect(dialog.locator(".photo-count").filter(has_text="已更新")).to_contain_text("1", timeout=30000)
    assert Candidate.get(Candidate.id_number == number).photo
    assert violations(page) == []
    assert page.js_errors == []
