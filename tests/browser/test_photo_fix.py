"""自动修正 in Chromium: a ZIP with fixable and unfixable photos through 考生管理's 批量导入 menu, 全部修正,
and one photo fixed in the candidate form; axe finds no WCAG violation in either dialog."""
import io
import zipfile

from PIL import Image
from playwright.sync_api import expect

from models.candidate import ACCURATE, VERIFIED, Candidate
from models.photo import demo_jpeg
from tests.browser.conftest import screenshot
from tests.browser.test_accessibility import violations

NUMBERS = ["110101200301050011", "110101200301050022", "110101200301050033", "110101200301050044"]


def png():
    out = io.BytesIO()
    Image.open(io.BytesIO(demo_jpeg(seed=5))).save(out, "PNG")
    return out.getvalue()


def make_zip():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(f"一班/{NUMBERS[0]}.jpg", demo_jpeg(seed=1))           # passes
        archive.writestr(f"一班/{NUMBERS[1]}.png", png())                        # format: fixable
        archive.writestr(f"一班/{NUMBERS[2]}.jpg", demo_jpeg(500, 500, seed=3))  # ratio: fixable
        archive.writestr(f"一班/{NUMBERS[3]}.jpg", demo_jpeg(240, 330, quality=98))  # too few pixels
        archive.writestr("一班/110101199901019999.jpg", demo_jpeg(seed=9))      # no such candidate
    return out.getvalue()


def make_candidates():
    return [Candidate.create(name=f"考生{index}", id_type="居民身份证", id_number=number, gender="男",
                             phone="13812345678", status=VERIFIED) for index, number in enumerate(NUMBERS)]


def test_a_zip_with_fixable_photos_is_fixed_with_one_click_after_looking(page, login_as):
    candidates = make_candidates()
    login_as("staff")
    page.goto("/candidates/")
    page.get_by_text("批量导入", exact=True).click()
    page.get_by_role("button", name="上传学生照片").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("确认后才保存").first).to_be_visible()
    dialog.get_by_label("照片压缩包").set_input_files(
        {"name": "一班照片.zip", "mimeType": "application/zip", "buffer": make_zip()})
    dialog.get_by_role("button", name="保存").click()

    table = dialog.locator("table.photo-results")
    expect(table).to_be_visible(timeout=30000)
    # Each line names the file as the user named it, and the candidate it matched with a masked ID.
    fixable = table.locator("tbody tr").filter(has_text=f"{NUMBERS[1]}.png")
    expect(fixable).to_contain_text("可自动修正")
    expect(fixable).to_contain_text("考生1")
    expect(fixable).to_contain_text("110101********0022")
    expect(fixable.get_by_role("img", name=f"{NUMBERS[1]}.png 修正后")).to_be_visible()
    expect(fixable).to_contain_text("修正后 358×441")
    refused = table.locator("tbody tr").filter(has_text=f"{NUMBERS[3]}.jpg")
    expect(refused).to_contain_text("宽 240 像素，至少 295")
    expect(refused).to_contain_text("重新拍摄或导出该照片")
    expect(table.locator("tbody tr").filter(has_text="110101199901019999.jpg")).to_contain_text("未找到考生")
    screenshot(page, "photo-fix-zip-result")
    found = violations(page)
    assert not found, "\n".join(found)

    dialog.get_by_role("button", name="只看未通过（4）").click()
    expect(table.locator("tbody tr")).to_have_count(4)
    dialog.get_by_role("button", name="全部修正（2）").click()
    expect(table.locator("tbody tr")).to_have_count(2)  # the two fixed lines left the filter
    dialog.get_by_role("button", name="全部（5）").click()
    expect(table.locator("tbody tr").filter(has_text="已修正")).to_have_count(2)
    expect(dialog.get_by_role("button", name="全部修正")).to_have_count(0)
    screenshot(page, "photo-fix-zip-fixed")
    assert [bool(Candidate.get_by_id(c.id).photo) for c in candidates] == [True, True, True, False]
    assert page.js_errors == []


def test_one_photo_is_fixed_in_the_candidate_form(page, login_as):
    candidate = make_candidates()[0]
    login_as("staff")
    page.goto("/candidates/")
    page.get_by_role("row").filter(has_text="考生0").get_by_role("button", name="修改").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("照片").set_input_files(
        {"name": "考生0.jpg", "mimeType": "image/jpeg", "buffer": demo_jpeg(500, 500, seed=2)})
    dialog.get_by_role("button", name="保存").click()
    expect(dialog.get_by_text("高宽比 1.00").first).to_be_visible()
    expect(dialog.get_by_role("img", name="照片 原图")).to_be_visible()
    expect(dialog.get_by_text("修正后 413×500")).to_be_visible()
    assert Candidate.get_by_id(candidate.id).photo is None  # shown, not stored
    screenshot(page, "photo-fix-candidate-form")
    found = violations(page)
    assert not found, "\n".join(found)

    dialog.get_by_role("button", name="自动修正").click()
    expect(page.locator("#dialog")).not_to_be_visible()
    expect(page.locator("#notice")).to_contain_text("已保存修正后的照片")
    expect(page.get_by_role("row").filter(has_text="考生0").locator("img.thumb")).to_be_visible()
    assert Candidate.get_by_id(candidate.id).photo
    assert page.js_errors == []


def test_a_fixed_photo_takes_an_accurate_candidate_off_its_tab_and_says_where(page, login_as):
    candidate = make_candidates()[0]
    Candidate.update(status=ACCURATE, photo="ab/x.jpg", birth_date="2003-01-05").where(
        Candidate.id == candidate.id).execute()
    login_as("staff")
    page.goto(f"/candidates/?status={ACCURATE}")
    results = page.locator("#results")
    results.get_by_role("row").filter(has_text="考生0").get_by_role("button", name="修改").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("照片").set_input_files(
        {"name": "考生0.jpg", "mimeType": "image/jpeg", "buffer": demo_jpeg(500, 500, seed=2)})
    dialog.get_by_role("button", name="保存").click()
    expect(page.locator("#notice")).to_have_text("已保存 考生0 的信息，照片待确认自动修正")
    dialog.get_by_role("button", name="自动修正").click()
    expect(page.locator("#dialog")).not_to_be_visible()
    expect(page.locator("#notice")).to_have_text("考生0：已保存修正后的照片，已移到「认证通过」，需重新人工确认")
    expect(results.get_by_role("row").filter(has_text="考生0")).to_have_count(0)
    expect(page.locator("#counts")).to_contain_text("认证通过 4")
    assert Candidate.get_by_id(candidate.id).status == VERIFIED
    assert page.js_errors == []
