"""上传学生照片 in Chromium: the rules on screen, a ZIP chosen and saved, the progress bar, the result table."""
import io
import zipfile

from playwright.sync_api import expect

from models.candidate import VERIFIED, Candidate
from models.photo import demo_jpeg
from tests.browser.conftest import screenshot

PHOTOS = 120


def make_zip(numbers):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for index, number in enumerate(numbers):
            archive.writestr(f"2023级照片/{number}.jpg", demo_jpeg(seed=index))
        archive.writestr("2023级照片/110101199901019999.jpg", demo_jpeg(seed=999))
        archive.writestr("2023级照片/110101200001011111.jpg", demo_jpeg(240, 330, quality=98))
        archive.writestr("__MACOSX/2023级照片/._110101199901019999.jpg", b"\0" * 4000)
    return out.getvalue()


def test_staff_uploads_a_photo_zip_and_watches_it_reach_the_result_table(page, login_as):
    numbers = [f"1101012003010{n:05d}" for n in range(PHOTOS)]
    for index, number in enumerate(numbers + ["110101200001011111", "110101200001012222"]):
        Candidate.create(name=f"考生{index:03d}", id_type="居民身份证", id_number=number, gender="男",
                         phone="13812345678", status=VERIFIED)
    login_as("staff")
    page.goto("/candidates/")
    page.get_by_text("批量导入", exact=True).click()
    page.get_by_role("button", name="上传学生照片").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="上传学生照片")).to_be_visible()
    # The rules are on screen before anything is chosen.
    expect(dialog.get_by_text("每张 20–200 KB")).to_be_visible()
    expect(dialog.get_by_text("高 ÷ 宽在 1.2–1.5 之间")).to_be_visible()
    screenshot(page, "photos-dialog")

    polls = []
    page.on("request", lambda request: "/photos/jobs/" in request.url and polls.append(request.url))
    dialog.get_by_label("照片压缩包").set_input_files(
        {"name": "2023级照片.zip", "mimeType": "application/zip", "buffer": make_zip(numbers)})
    dialog.get_by_role("button", name="保存").click()
    expect(dialog.locator("progress")).to_be_visible()
    screenshot(page, "photos-progress")

    table = dialog.locator("table.photo-results")
    expect(table).to_be_visible(timeout=30000)
    expect(dialog.locator(".photo-count").filter(has_text="已更新")).to_contain_text(str(PHOTOS))
    expect(dialog.get_by_text("还有 2 名考生没有照片")).to_be_visible()
    screenshot(page, "photos-result")
    # The progress bar long-polls with the same argument as an import's (wait=1).
    assert polls and all("wait=1" in url and "poll=" not in url for url in polls)

    dialog.get_by_role("button", name="只看未通过（2）").click()
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table).to_contain_text("宽 240 像素，至少 295")
    expect(table).to_contain_text("未找到考生")
    screenshot(page, "photos-problems")

    dialog.get_by_role("button", name="完成").click()
    expect(dialog).to_be_hidden()
    # The list behind the dialog was refreshed and shows thumbnails served through the photo view.
    thumb = page.locator("img.thumb").first
    expect(thumb).to_be_visible()
    assert page.evaluate("img => img.naturalWidth > 0", thumb.element_handle())
    screenshot(page, "photos-list-after")
    assert Candidate.without_photo().count() == 2
    assert page.js_errors == []


def test_a_file_that_is_not_a_zip_is_refused_in_the_dialog(page, login_as):
    login_as("staff")
    page.goto("/photos/upload")
    expect(page.get_by_role("heading", name="上传学生照片")).to_be_visible()
    page.get_by_label("照片压缩包").set_input_files(
        {"name": "照片.zip", "mimeType": "application/zip", "buffer": b"this is not a zip" * 100})
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert")).to_contain_text("有 1 项需要修改")
    expect(page.locator("#msg-file")).to_contain_text("文件不是有效的 ZIP 压缩包")
    screenshot(page, "photos-refused")
    assert page.js_errors == []
