"""批量人工确认 in Chromium, from 考生管理: the queue by keyboard, edits and photos in place, the grid, and
保存并确认下一位 in the row's 人工确认 dialog."""
import base64
import re

from playwright.sync_api import expect
from stdnum.cn import ric

from models.identity import implied_by_number
from models.candidate import ACCURATE, PENDING, VERIFIED, Candidate
from models.photo import attach_photo, demo_jpeg
from models.user import User
from tests.browser.conftest import open_from_nav, screenshot

BODIES = ["41010220030105123", "41010520040203456", "41030220020304567", "41130220010101234",
          "41010220020202345", "41010220010303456"]


def waiting(app, names, photos=True, class_name="计应2301", first=0):
    """Candidates in 认证通过 created in the given order (the list shows the newest first)."""
    actor = User.get_or_none(User.username == "seeder") or User.create(
        username="seeder", role="admin", display_name="导入人", password_hash="x")
    made = []
    for index, name in enumerate(names, start=first):
        number = BODIES[index] + ric.calc_check_digit(BODIES[index] + "0")
        candidate = Candidate.register({"name": name, "id_type": "居民身份证", "id_number": number,
                                        "gender": "男" if int(number[16]) % 2 else "女", "phone": "13900001111",
                                        "birth_date": implied_by_number("居民身份证", number)[0],
                                        "department": "信息工程学院", "major": "软件技术", "class_name": class_name},
                                       by=actor)
        if photos:
            assert attach_photo(candidate, demo_jpeg(seed=index), app.config["DATA_DIR"], actor)[0]
        candidate.authenticate(by=actor)
        assert candidate.status == VERIFIED
        made.append(candidate)
    return made


def open_queue(page, search="计应2301", status=None):
    open_from_nav(page, "考生管理")
    if status:
        page.locator(".status-tab", has_text=status).click()
        expect(page).to_have_url(re.compile("status="))
    page.get_by_label("搜索").fill(search)
    # Leaving the field fires its change event (another list request); let the list's requests finish, or
    # the queue's navigation aborts them and htmx reports the abort as a console error.
    page.get_by_label("搜索").press("Tab")
    expect(page).to_have_url(re.compile("q="))
    expect(page.locator("#results")).not_to_contain_text("别班")
    expect(page.locator(".htmx-request")).to_have_count(0)
    page.get_by_role("button", name="批量人工确认").click()
    expect(page.get_by_role("heading", name="批量人工确认")).to_be_visible()
    # Loaded, so app.js listens for the keys: an Enter pressed as the heading showed once did nothing.
    page.wait_for_url("**/candidates/queue/**")


def progress(page):
    return page.locator("#queue-count")


def place(page):
    return page.locator("#queue-position")


def test_queue_by_keyboard_confirm_three_edit_in_place_skip_one(app, page, login_as):
    login_as("staff")
    made = waiting(app, ["学生戊", "学生丁", "学生丙", "学生乙", "学生甲"])
    waiting(app, ["别班"], class_name="软件2301", first=5)
    open_queue(page, status="认证通过")
    stage = page.locator("#queue-stage")
    expect(progress(page)).to_have_text("已确认 0 / 5")
    expect(place(page)).to_have_text("第 1 / 5 位")
    expect(stage.get_by_role("heading", name="学生甲")).to_be_visible()  # newest first, as the list
    expect(stage.get_by_role("img", name="学生甲的照片")).to_be_visible()
    expect(stage).to_contain_text(made[4].id_number)
    screenshot(page, "confirm-queue")
    badge = page.locator("#nav-badge-candidates")
    expect(badge).to_have_text("6 待人工确认")

    page.keyboard.press("Enter")
    expect(stage.get_by_role("heading", name="学生乙")).to_be_visible()
    expect(progress(page)).to_have_text("已确认 1 / 5")
    expect(place(page)).to_have_text("第 2 / 5 位")
    expect(badge).to_have_text("5 待人工确认")  # the navigation follows each confirmation
    page.keyboard.press("Enter")
    expect(stage.get_by_role("heading", name="学生丙")).to_be_visible()
    expect(progress(page)).to_have_text("已确认 2 / 5")
    page.keyboard.press("ArrowRight")  # skip 学生丙
    expect(stage.get_by_role("heading", name="学生丁")).to_be_visible()
    expect(place(page)).to_have_text("第 4 / 5 位")

    # E edits in place; a field that 认证 did not check keeps the queue on this candidate.
    page.keyboard.press("e")
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("专业").fill("计算机应用技术")
    dialog.get_by_role("button", name="保存").click()
    expect(dialog).not_to_be_visible()
    expect(stage).to_contain_text("计算机应用技术")
    expect(stage.get_by_role("heading", name="学生丁")).to_be_visible()
    page.keyboard.press("Enter")
    expect(stage.get_by_role("heading", name="学生戊")).to_be_visible()
    expect(progress(page)).to_have_text("已确认 3 / 5")

    # The place is in the URL: reload and back keep it.
    page.reload()
    expect(stage.get_by_role("heading", name="学生戊")).to_be_visible()
    expect(place(page)).to_have_text("第 5 / 5 位")
    page.keyboard.press("k")
    expect(stage.get_by_role("heading", name="学生丁")).to_be_visible()
    expect(place(page)).to_have_text("第 4 / 5 位")
    expect(stage.get_by_text("已确认", exact=True)).to_be_visible()  # just confirmed, no 信息准确 button
    page.go_back()
    expect(stage.get_by_role("heading", name="学生戊")).to_be_visible()

    # A typo in 姓名 is a key field: the candidate goes back to 待认证, and the queue says so and moves on.
    page.keyboard.press("E")
    dialog.get_by_label("姓名").fill("学生午")
    dialog.get_by_role("button", name="保存").click()
    expect(stage.get_by_role("alert")).to_contain_text("学生午 的状态已变为「待认证」")
    expect(stage).to_contain_text("已到最后一位")
    expect(progress(page)).to_have_text("已确认 3 / 4")
    expect(stage).to_contain_text("还有 1 人跳过未确认")

    # Esc goes back to exactly the list it came from: the search and the status tab.
    page.keyboard.press("Escape")
    expect(page.get_by_role("heading", name="考生管理")).to_be_visible()
    assert "q=" in page.url
    expect(page.locator(".status-tab.active")).to_contain_text("认证通过")
    expect(page.get_by_label("搜索")).to_have_value("计应2301")
    statuses = {c.name: c.status for c in Candidate.select()}
    assert statuses == {"学生甲": ACCURATE, "学生乙": ACCURATE, "学生丙": VERIFIED, "学生丁": ACCURATE,
                        "学生午": PENDING, "别班": VERIFIED}
    assert page.js_errors == []


def test_a_photo_chosen_or_dropped_inside_the_queue(app, page, login_as, tmp_path):
    login_as("staff")
    waiting(app, ["无照片乙", "无照片甲"], photos=False)
    open_queue(page)
    stage = page.locator("#queue-stage")
    expect(stage.get_by_role("heading", name="无照片甲")).to_be_visible()
    expect(stage.get_by_text("该考生还没有照片")).to_be_visible()
    # Enter cannot confirm without a photo: it says why and puts the focus on the upload.
    page.keyboard.press("Enter")
    expect(stage.get_by_role("alert")).to_contain_text("不能人工确认：请先上传照片")
    expect(page.locator("#queue-photo-file")).to_be_focused()
    assert Candidate.get(Candidate.name == "无照片甲").status == VERIFIED
    # The other keys still work from there: → moves on, ← comes back.
    page.keyboard.press("ArrowRight")
    expect(stage.get_by_role("heading", name="无照片乙")).to_be_visible()
    page.keyboard.press("ArrowLeft")
    expect(stage.get_by_role("heading", name="无照片甲")).to_be_visible()
    screenshot(page, "confirm-queue-no-photo")
    # The candidate form's photo rules: a picture too small is refused with the measured value.
    small = tmp_path / "small.jpg"
    small.write_bytes(demo_jpeg(200, 260))
    stage.get_by_label("上传照片").set_input_files(str(small))
    expect(stage.get_by_role("alert")).to_contain_text("照片不符合要求")
    # A photo only in the wrong ratio is offered 自动修正 in place, stored once accepted.
    square = tmp_path / "square.jpg"
    square.write_bytes(demo_jpeg(500, 500, seed=2))
    stage.get_by_label("上传照片").set_input_files(str(square))
    expect(stage.get_by_text("照片可以自动修正")).to_be_visible()
    expect(stage.get_by_role("img", name="无照片甲 修正后")).to_be_visible()
    screenshot(page, "confirm-queue-photo-fix")
    assert Candidate.get(Candidate.name == "无照片甲").photo is None
    stage.get_by_role("button", name="自动修正").click()
    expect(stage.get_by_role("img", name="无照片甲的照片")).to_be_visible()
    assert Candidate.get(Candidate.name == "无照片甲").photo is not None
    # A photo that passes is stored at once, and the focus is on 信息准确: Enter confirms.
    good = tmp_path / "good.jpg"
    good.write_bytes(demo_jpeg(seed=3))
    stage.get_by_label("更换照片").set_input_files(str(good))
    expect(page.locator("#notice")).to_contain_text("无照片甲：照片已保存")
    expect(stage.get_by_role("button", name="信息准确")).to_be_focused()
    page.keyboard.press("Enter")
    expect(stage.get_by_role("heading", name="无照片乙")).to_be_visible()

    # Dropping a file onto the photo area uploads it the same way.
    data = base64.b64encode(demo_jpeg(seed=4)).decode()
    page.locator("[data-photo-drop]").evaluate(
        """(area, data) => {
             const bytes = Uint8Array.from(atob(data), ch => ch.charCodeAt(0));
             const transfer = new DataTransfer();
             transfer.items.add(new File([bytes], "photo.jpg", {type: "image/jpeg"}));
             area.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true, cancelable: true}));
           }""", data)
    expect(stage.get_by_role("img", name="无照片乙的照片")).to_be_visible()
    expect(stage.get_by_role("button", name="信息准确")).to_be_enabled()
    assert Candidate.get(Candidate.name == "无照片甲").status == ACCURATE
    assert page.js_errors == []


def test_grid_confirms_the_ticked_cards_together(app, page, login_as):
    login_as("staff")
    waiting(app, ["学生丙", "学生乙", "学生甲"])
    open_queue(page)
    # The next photo is fetched ahead into the hidden slot (leaving before it arrives aborts that request).
    expect(page.locator("#queue-next img")).to_have_count(1)
    page.get_by_role("link", name="网格浏览").click()
    expect(page.get_by_role("heading", name="批量人工确认（网格浏览）")).to_be_visible()
    grid = page.locator("#queue-grid")
    expect(grid.get_by_role("img")).to_have_count(3)
    expect(grid).to_contain_text("410102********")
    screenshot(page, "confirm-queue-grid")
    grid.get_by_role("checkbox", name="学生甲").check()
    grid.get_by_role("checkbox", name="学生丙").check()
    grid.get_by_role("button", name="确认所选考生").click()
    expect(page.locator("#notice")).to_contain_text("已人工确认 2 名考生")
    expect(grid.get_by_role("img")).to_have_count(1)
    expect(page.locator("#grid-count")).to_have_text("已确认 2 / 3")
    assert {c.name for c in Candidate.select().where(Candidate.status == ACCURATE)} == {"学生甲", "学生丙"}
    assert page.js_errors == []


def test_save_and_confirm_next_from_the_rows_dialog(app, page, login_as):
    login_as("staff")
    waiting(app, ["学生乙", "学生甲"])
    page.goto("/candidates/")
    page.get_by_role("row").filter(has_text="学生甲").get_by_role("button", name="人工确认").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="人工确认：学生甲")).to_be_visible()
    dialog.get_by_role("button", name="保存并确认下一位").click()
    expect(dialog.get_by_role("heading", name="人工确认：学生乙")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="学生甲").locator(".badge")).to_have_text("信息准确")
    dialog.get_by_role("button", name="保存并确认下一位").click()
    expect(dialog).not_to_be_visible()
    expect(page.locator("#notice")).to_contain_text("列表中已没有待人工确认的考生")
    expect(page.locator("#counts")).to_contain_text("信息准确 2")
    assert page.js_errors == []
