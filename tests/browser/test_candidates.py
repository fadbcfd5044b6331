"""考生管理 in Chromium, as the manual §2.2 describes it: 新增学生信息 → 认证 → 人工确认 → 信息准确; 批量认证."""
import re

from playwright.sync_api import expect
from stdnum.cn import ric

from models.candidate import Candidate
from models.photo import demo_jpeg
from tests.browser.conftest import confirm_action, open_from_nav, screenshot
from tests.browser.test_accessibility import violations


def valid_id(body):
    return body + ric.calc_check_digit(body + "0")


def open_candidates(page):
    open_from_nav(page, "考生管理")
    expect(page.get_by_role("heading", name="考生管理")).to_be_visible()


def test_new_candidate_authenticate_confirm_until_accurate(page, login_as, tmp_path):
    login_as("staff")
    open_candidates(page)
    screenshot(page, "candidates-empty")

    page.get_by_role("button", name="新增学生信息").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="新增学生信息")).to_be_visible()
    dialog.get_by_label("姓名").fill("张三")
    number = valid_id("41010220030105123")
    dialog.get_by_label("证件号码").fill(number[:6] + " " + number[6:14] + " " + number[14:])  # normalised on save
    dialog.get_by_label("证件号码").press("Tab")
    # Leaving the field shows what the number implies, and fills the empty 性别 and 出生日期.
    expect(dialog.get_by_text("证件号码表示：2003-01-05 出生，男")).to_be_visible()
    expect(dialog.get_by_label("性别")).to_have_value("男")
    expect(dialog.get_by_label("出生日期")).to_have_value("2003-01-05")
    dialog.get_by_label("手机号").fill("13812345678")
    dialog.get_by_label("院系").fill("信息工程学院")
    dialog.get_by_label("专业").fill("计算机应用技术")
    dialog.get_by_label("班级").fill("计应2301")
    screenshot(page, "candidates-new-dialog")
    dialog.get_by_role("button", name="保存").click()
    expect(page.locator("#dialog")).not_to_be_visible()
    expect(page.locator("#notice")).to_contain_text("已新增考生 张三")

    row = page.get_by_role("row").filter(has_text="张三")
    expect(row).to_contain_text("待认证")
    expect(row).to_contain_text("410102********")
    expect(page.locator("#counts")).to_contain_text("待认证 1")
    row.get_by_role("button", name="认证").click()
    expect(row.locator(".badge")).to_have_text("认证通过")
    expect(page.locator("#counts")).to_contain_text("认证通过 1")

    # 人工确认 needs a photo: the dialog says so and offers the upload (the candidate form's photo input).
    row.get_by_role("button", name="人工确认").click()
    expect(dialog.get_by_text("该考生还没有照片")).to_be_visible()
    expect(dialog.get_by_role("button", name="保存", exact=True)).to_be_disabled()
    screenshot(page, "candidates-confirm-no-photo")
    dialog.get_by_role("button", name="上传照片").click()
    photo = tmp_path / f"{number}.jpg"
    photo.write_bytes(demo_jpeg())
    dialog.get_by_label("照片").set_input_files(str(photo))
    dialog.get_by_role("button", name="保存").click()
    expect(page.locator("#dialog")).not_to_be_visible()
    row = page.get_by_role("row").filter(has_text="张三")
    expect(row.get_by_role("img", name="张三的照片")).to_be_visible()

    row.get_by_role("button", name="人工确认").click()
    expect(dialog.get_by_role("heading", name="人工确认：张三")).to_be_visible()
    expect(dialog).to_contain_text(number)  # the full number, for checking against the photo
    screenshot(page, "candidates-confirm-dialog")
    dialog.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator("#dialog")).not_to_be_visible()
    expect(page.get_by_role("row").filter(has_text="张三").locator(".badge")).to_have_text("信息准确")
    expect(page.locator("#counts")).to_contain_text("信息准确 1")
    screenshot(page, "candidates-accurate")
    assert page.js_errors == []


def test_inline_validation_and_errors_on_save(page, login_as):
    login_as("staff")
    open_candidates(page)
    page.get_by_role("button", name="新增学生信息").click()
    dialog = page.get_by_role("dialog")
    number = valid_id("41010220030105123")
    wrong = number[:-1] + ("1" if number[-1] != "1" else "2")
    dialog.get_by_label("证件号码").fill(wrong)
    dialog.get_by_label("证件号码").press("Tab")
    expect(dialog.get_by_text("前 17 位中很可能有数字输错，须对照身份证核对")).to_be_visible()
    expect(dialog).not_to_contain_text(f"应为 {number[-1]}")
    dialog.get_by_label("手机号").fill("123")
    dialog.get_by_label("手机号").press("Tab")
    expect(dialog.get_by_text("手机号「123」格式不正确")).to_be_visible()
    dialog.get_by_role("button", name="保存").click()
    expect(dialog.get_by_role("alert")).to_contain_text("项需要修改")
    expect(dialog.get_by_text("姓名为必填项")).to_be_visible()
    screenshot(page, "candidates-form-errors")
    assert Candidate.select().count() == 0
    assert page.js_errors == []


def test_bulk_authenticate_ticked_rows(page, login_as):
    user = login_as("staff")
    bodies = ["41010220030105123", "41010520040203456", "41030220020304567", "41130220010101234"]
    for i, body in enumerate(bodies):
        number = valid_id(body)
        gender = "男" if int(number[16]) % 2 else "女"
        if i == 2:
            number = number[:-1] + ("1" if number[-1] != "1" else "2")  # a wrong check character
        Candidate.register({"name": f"学生{'甲乙丙丁'[i]}", "id_type": "居民身份证", "id_number": number,
                            "gender": gender, "phone": "13900001111"}, by=user)
    open_candidates(page)
    for name in ("学生甲", "学生乙", "学生丙"):
        page.get_by_role("checkbox", name=f"选择 {name}").check()
    page.get_by_role("button", name="批量认证").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("已勾选的 3 名考生")
    screenshot(page, "candidates-bulk-dialog")
    dialog.get_by_role("button", name="开始认证").click()
    expect(dialog).to_contain_text("认证通过 2 人，认证未通过 1 人，跳过 0 人")
    dialog.locator(".dialog-foot").get_by_role("button", name="关闭").click()
    expect(page.get_by_role("row").filter(has_text="学生丙")).to_contain_text("证件号码校验位不符")
    expect(page.get_by_role("row").filter(has_text="学生丁").locator(".badge")).to_have_text("待认证")
    expect(page.locator("#counts")).to_contain_text("认证通过 2")
    expect(page.locator("#counts")).to_contain_text("认证未通过 1")
    screenshot(page, "candidates-after-bulk")

    # Clicking a count filters the list, and the URL keeps the filter.
    page.locator("#counts").get_by_text("认证未通过").click()
    expect(page.get_by_role("row").filter(has_text="学生甲")).to_have_count(0)
    expect(page.get_by_role("row").filter(has_text="学生丙")).to_have_count(1)
    assert "status=" in page.url
    page.reload()
    expect(page.get_by_role("row").filter(has_text="学生甲")).to_have_count(0)
    page.locator("#counts").get_by_text("全部").click()
    expect(page.get_by_role("row").filter(has_text="学生甲")).to_have_count(1)
    page.get_by_label("搜索").fill("学生丁")
    expect(page.get_by_role("row").filter(has_text="学生丙")).to_have_count(0)
    expect(page.get_by_role("row").filter(has_text="学生丁")).to_have_count(1)
    assert "q=" in page.url
    assert page.js_errors == []


def test_search_by_pinyin_initials_and_sort_by_name_in_pinyin(page, login_as):
    user = login_as("staff")
    for i, name in enumerate(("张三", "赵四", "李四", "曾强")):
        Candidate.register({"name": name, "id_type": "居民身份证", "id_number": valid_id(f"4101022003010512{i}"),
                            "gender": "男", "phone": "13900001111"}, by=user)
    open_candidates(page)
    page.get_by_role("link", name="姓名").click()  # the column's sort: by pinyin
    expect(page.locator(".cand-name")).to_have_text(["李四", "曾强", "张三", "赵四"])
    page.get_by_label("搜索").fill("zs")
    expect(page.locator(".cand-name")).to_have_text(["张三", "赵四"])  # initials fit both
    page.get_by_label("搜索").fill("zhangs")
    expect(page.locator(".cand-name")).to_have_text(["张三"])
    assert "q=zhangs" in page.url and "sort=name" in page.url
    screenshot(page, "candidates-pinyin-search")
    assert page.js_errors == []


def test_the_pager_total_follows_a_row_action_on_a_status_tab(page, login_as):
    for seq, name in (("123", "赵一"), ("133", "钱二")):
        Candidate.create(name=name, id_type="居民身份证", id_number=valid_id(f"41010220030105{seq}"), gender="男",
                         phone="13812345678", birth_date="2003-01-05")
    login_as("staff")
    page.goto("/candidates/?status=待认证")
    expect(page.locator("#pager-total")).to_have_text("共 2 名考生，第 1 / 1 页")
    row = page.locator("#results").get_by_role("row").filter(has_text="赵一")
    row.get_by_role("button", name="认证").click()
    # It has left 待认证: its row leaves the list, the notice says so, the tab and the total follow.
    expect(row).to_have_count(0)
    expect(page.locator("#notice")).to_contain_text("赵一：认证通过，已移到「认证通过」")
    expect(page.locator("#pager-total")).to_have_text("共 1 名考生，第 1 / 1 页")
    expect(page.locator("#counts")).to_contain_text("待认证 1")
    other = page.locator("#results").get_by_role("row").filter(has_text="钱二")
    other.get_by_role("button", name="删除").click()
    confirm_action(page, "删除", "钱二")
    expect(other).to_have_count(0)
    expect(page.locator("#pager-total")).to_be_hidden()  # none left in 待认证: no total, as an empty list
    expect(page.locator("#counts")).to_contain_text("待认证 0")
    assert page.js_errors == []


def test_deleting_the_last_row_of_a_page_shows_the_list_as_a_reload_would(page, login_as):
    # 21 of 信息工程学院, 20 a page: 王五 of 软件2302, added first, is alone on page 2 (newest first).
    rows = [("001", "王五", "软件2302"), ("002", "赵六", "软件2303")]
    rows += [(f"{n:03d}", f"李{n}", "软件2301") for n in range(100, 119)]
    for seq, name, class_name in rows:
        Candidate.create(name=name, id_type="居民身份证", id_number=valid_id(f"41010220030105{seq}"), gender="男",
                         phone="13812345678", birth_date="2003-01-05", department="信息工程学院",
                         major="软件技术", class_name=class_name)
    login_as("staff")
    page.goto("/candidates/?department=信息工程学院&per_page=20&page=2")
    results = page.locator("#results")
    expect(results.locator(".row-check")).to_have_count(1)
    expect(page.locator("#filter-class_name option[value='软件2302']")).to_have_count(1)

    results.get_by_role("row").filter(has_text="王五").get_by_role("button", name="删除").click()
    confirm_action(page, "删除", "王五")
    # Page 2 is gone: the last page with rows shows, with the counts and the 班级 choices a reload shows.
    expect(page.locator("#pager-total")).to_have_text("共 20 名考生，第 1 / 1 页")
    expect(results.locator(".row-check")).to_have_count(20)
    expect(page.locator("#filter-class_name option[value='软件2302']")).to_have_count(0)
    expect(page.locator("#counts")).to_contain_text("全部 20")
    expect(page.locator("#notice")).to_contain_text("已删除考生 王五")
    # Nobody asked for page 2: no 没有第 2 页 note, and the address says the page shown.
    expect(page.locator(".pager-note")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/candidates/\?department=[^&]+&per_page=20$"))
    screenshot(page, "candidates-after-deleting-the-last-row-of-page-2")
    found = violations(page)
    page.reload()
    expect(page.locator("#pager-total")).to_have_text("共 20 名考生，第 1 / 1 页")
    expect(page.locator(".pager-note")).to_have_count(0)

    # The last row of a 班级: the list says nothing matches, and the filter still names the 班级, as a reload.
    page.get_by_label("班级").select_option("软件2303")
    expect(results.locator(".row-check")).to_have_count(1)
    results.get_by_role("row").filter(has_text="赵六").get_by_role("button", name="删除").click()
    confirm_action(page, "删除", "赵六")
    expect(results.get_by_role("cell", name="没有符合条件的考生")).to_be_visible()
    expect(page.locator("#counts")).to_contain_text("全部 0")
    expect(page.get_by_label("班级")).to_have_value("软件2303")
    screenshot(page, "candidates-after-deleting-the-last-row-of-a-class")
    found += violations(page)
    page.reload()
    expect(results.get_by_role("cell", name="没有符合条件的考生")).to_be_visible()
    expect(page.get_by_label("班级")).to_have_value("软件2303")
    assert not found, "\n".join(found)
    assert page.js_errors == []


def test_the_major_and_class_suggestions_follow_the_department_and_major_typed(page, login_as):
    for n, (department, major, class_name) in enumerate((("信息工程学院", "软件技术", "软件2301"),
                                                         ("信息工程学院", "计算机应用技术", "计应2301"),
                                                         ("经济管理学院", "会计", "会计2301"))):
        Candidate.create(name=f"学生{n}", id_type="居民身份证", id_number=valid_id(f"4101022003010512{n}"), gender="男",
                         phone="13812345678", department=department, major=major, class_name=class_name)
    login_as("staff")
    open_candidates(page)
    page.get_by_role("button", name="新增学生信息").click()
    dialog = page.get_by_role("dialog")

    def offered(key, *values):
        options = page.locator(f"#suggest-{key} option")
        expect(options).to_have_count(len(values))
        for value in values:
            expect(page.locator(f'#suggest-{key} option[value="{value}"]')).to_have_count(1)

    offered("class_name", "会计2301", "计应2301", "软件2301")  # nothing typed: the college's
    dialog.get_by_label("院系").fill("经济管理学院")
    dialog.get_by_label("院系").press("Tab")
    offered("major", "会计")
    offered("class_name", "会计2301")
    dialog.get_by_label("院系").fill("信息工程学院")
    dialog.get_by_label("院系").press("Tab")
    offered("major", "计算机应用技术", "软件技术")
    offered("class_name", "计应2301", "软件2301")
    dialog.get_by_label("专业").fill("软件技术")
    dialog.get_by_label("专业").press("Tab")
    offered("class_name", "软件2301")

    # A class of another 院系: a gentle 提示 under it, not an error; it goes when the 院系 is that one.
    dialog.get_by_label("班级").fill("会计2301")
    dialog.get_by_label("班级").press("Tab")
    hint = dialog.locator("#msg-class_name")
    expect(hint).to_have_text("提示：已有考生中，班级「会计2301」属于经济管理学院；如是信息工程学院的新班级，可忽略此提示")
    expect(dialog.get_by_label("班级")).not_to_have_attribute("aria-invalid", "true")
    screenshot(page, "candidates-new-dialog-class-of-another-department")
    found = violations(page)
    dialog.get_by_label("院系").fill("经济管理学院")
    dialog.get_by_label("院系").press("Tab")
    expect(hint).to_have_text("")
    expect(dialog.get_by_label("班级")).to_have_value("会计2301")
    # The 专业 typed is now one of another 院系 too: the same kind of 提示 under it, in the warning colour.
    major_hint = dialog.locator("#msg-major .field-warn")
    expect(major_hint).to_have_text("提示：已有考生中，专业「软件技术」属于信息工程学院；如是经济管理学院的新专业，可忽略此提示")
    expect(dialog.get_by_label("专业")).not_to_have_attribute("aria-invalid", "true")
    screenshot(page, "candidates-new-dialog-major-of-another-department")
    found += violations(page)
    offered("class_name", "会计2301")  # 专业 软件技术 is not one of 经济管理学院's: the 院系's classes
    # A 院系 typed wrong: a 提示 naming the one it resembles, not a new 院系 made quietly.
    dialog.get_by_label("院系").fill("信息工程学员")
    dialog.get_by_label("院系").press("Tab")
    expect(dialog.locator("#msg-department .field-warn")).to_have_text(
        "提示：已有考生中没有院系「信息工程学员」，是否为「信息工程学院」？如是新院系，可忽略此提示")
    expect(dialog.get_by_label("院系")).not_to_have_attribute("aria-invalid", "true")
    screenshot(page, "candidates-new-dialog-department-typed-wrong")
    found += violations(page)
    assert not found, "\n".join(found)
    assert page.js_errors == []
