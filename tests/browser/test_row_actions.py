"""考生管理's row actions from the list row, while the list is drawn again under them (a search typed, a filter
changed): what they did still shows, in the row, the counts and the notice."""
from playwright.sync_api import expect

from models.candidate import ACCURATE, PENDING, VERIFIED, Candidate
from tests.browser.conftest import screenshot
from tests.browser.test_candidates import valid_id


def add(name, seq, **fields):
    return Candidate.create(name=name, id_type="居民身份证", id_number=valid_id(f"41010220030105{seq}"), gender="男",
                            phone="13812345678", birth_date="2003-01-05", **fields)


def redraw_while_out(page, method, path, before_sent=False):
    """Draw the list again while the `method` request to a URL ending in `path` is out: after the server has
    answered it and before the answer arrives, or (`before_sent`) before the server has it, so the list
    drawn again shows the row as it was."""
    def redraw_first(route):
        if route.request.method != method or not route.request.url.split("?")[0].endswith(path):
            return route.continue_()
        answer = None if before_sent else route.fetch()
        page.evaluate("htmx.trigger(document.body, 'candidatesReload')")
        page.locator("#results.htmx-request").wait_for(state="detached")
        route.continue_() if before_sent else route.fulfill(response=answer)
    page.route("**/candidates/**", redraw_first)


def test_an_authentication_answered_after_the_list_was_drawn_again_still_says_so(page, login_as):
    # Its events were sent from the clicked 认证 button, no longer on the page: no notice, the counts stayed.
    add("赵一", "123")
    login_as("staff")
    page.goto("/candidates/")
    redraw_while_out(page, "POST", "/authenticate")
    page.locator("#results").get_by_role("row").filter(has_text="赵一").get_by_role("button", name="认证").click()
    expect(page.locator("#notice")).to_contain_text("赵一：认证通过")
    expect(page.locator("#counts")).to_contain_text("认证通过 1")
    assert page.js_errors == []


def test_a_confirmation_answered_after_the_list_was_drawn_again_still_reloads_it(page, login_as):
    # 人工确认's 保存 is sent from the dialog, which a list drawn again leaves on the page, so its events are
    # heard as they are. Its answer is a 204, which htmx swaps nowhere: events sent after the swap would never
    # be sent at all (no notice, no reload, the dialog left open).
    add("赵一", "123", status="认证通过", photo="ab/x.jpg")
    login_as("staff")
    page.goto("/candidates/")
    redraw_while_out(page, "POST", "/confirm")
    page.locator("#results").get_by_role("row").filter(has_text="赵一").get_by_role("button", name="人工确认").click()
    page.get_by_role("dialog").get_by_role("button", name="保存", exact=True).click()
    expect(page.locator("#notice")).to_contain_text("赵一 已人工确认")
    expect(page.locator("#counts")).to_contain_text("信息准确 1")
    expect(page.locator("#dialog")).to_be_hidden()
    assert page.js_errors == []


def test_an_authentication_sent_after_the_list_was_drawn_again_shows_in_the_row_drawn_since(page, login_as):
    # The list drawn again was read before the candidate was authenticated: its row said 待认证 with a 认证
    # button, while the notice and the counts said 认证通过.
    add("赵一", "123")
    login_as("staff")
    page.goto("/candidates/")
    redraw_while_out(page, "POST", "/authenticate", before_sent=True)
    row = page.locator("#results").get_by_role("row").filter(has_text="赵一")
    row.get_by_role("button", name="认证").click()
    expect(page.locator("#notice")).to_contain_text("赵一：认证通过")
    expect(row.locator(".badge")).to_have_text("认证通过")
    expect(row.get_by_role("button", name="认证")).to_have_count(0)
    expect(page.locator("#counts")).to_contain_text("认证通过 1")
    screenshot(page, "candidates-authenticated-while-the-list-was-drawn-again")
    assert page.js_errors == []


# ---- a status tab: a row whose status no longer fits it leaves; on 全部 it stays -------------------------
def test_authenticate_on_a_status_tab_takes_the_row_out_and_on_all_shows_the_new_status(page, login_as):
    add("赵一", "123")
    add("钱二", "133")
    add("孙三", "143")
    login_as("staff")
    page.goto(f"/candidates/?status={PENDING}")
    results = page.locator("#results")
    results.get_by_role("row").filter(has_text="赵一").get_by_role("button", name="认证").click()
    expect(page.locator("#notice")).to_have_text("赵一：认证通过，已移到「认证通过」")
    expect(results.get_by_role("row").filter(has_text="赵一")).to_have_count(0)
    expect(page.locator("#counts")).to_contain_text("待认证 2")
    expect(page.locator("#counts")).to_contain_text("认证通过 1")
    expect(page.locator("#pager-total")).to_have_text("共 2 名考生，第 1 / 1 页")
    screenshot(page, "candidates-authenticated-on-the-pending-tab")

    page.locator("#counts").get_by_text("全部").click()
    expect(page.locator("#pager-total")).to_have_text("共 3 名考生，第 1 / 1 页")
    row = results.get_by_role("row").filter(has_text="钱二")
    row.get_by_role("button", name="认证").click()
    expect(page.locator("#notice")).to_have_text("钱二：认证通过")
    expect(row.locator(".badge")).to_have_text("认证通过")
    expect(page.locator("#counts")).to_contain_text("认证通过 2")
    screenshot(page, "candidates-authenticated-on-all")
    assert page.js_errors == []


def test_confirm_on_the_verified_tab_takes_the_row_out_and_on_all_shows_the_new_status(page, login_as):
    add("赵一", "123", status=VERIFIED, photo="ab/x.jpg")
    add("钱二", "133", status=VERIFIED, photo="ab/x.jpg")
    login_as("staff")
    page.goto(f"/candidates/?status={VERIFIED}")
    results, dialog = page.locator("#results"), page.get_by_role("dialog")
    results.get_by_role("row").filter(has_text="赵一").get_by_role("button", name="人工确认").click()
    dialog.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator("#notice")).to_have_text("赵一 已人工确认，已移到「信息准确」")
    expect(results.get_by_role("row").filter(has_text="赵一")).to_have_count(0)
    expect(page.locator("#counts")).to_contain_text("信息准确 1")
    expect(page.locator("#pager-total")).to_have_text("共 1 名考生，第 1 / 1 页")
    screenshot(page, "candidates-confirmed-on-the-verified-tab")

    page.locator("#counts").get_by_text("全部").click()
    row = results.get_by_role("row").filter(has_text="钱二")
    row.get_by_role("button", name="人工确认").click()
    dialog.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator("#notice")).to_have_text("钱二 已人工确认，状态为信息准确")
    expect(row.locator(".badge")).to_have_text("信息准确")
    expect(page.locator("#counts")).to_contain_text("信息准确 2")
    assert page.js_errors == []


def test_an_edit_that_sends_the_candidate_back_leaves_its_status_tab(page, login_as):
    add("赵一", "123", status=ACCURATE, photo="ab/x.jpg")
    add("钱二", "133", status=ACCURATE, photo="ab/x.jpg")
    login_as("staff")
    page.goto(f"/candidates/?status={ACCURATE}")
    results, dialog = page.locator("#results"), page.get_by_role("dialog")
    results.get_by_role("row").filter(has_text="赵一").get_by_role("button", name="修改").click()
    dialog.get_by_label("姓名").fill("赵壹")
    dialog.get_by_role("button", name="保存").click()
    expect(page.locator("#notice")).to_have_text("已保存 赵壹 的信息，已移到「待认证」，需重新认证")
    expect(results.get_by_role("row").filter(has_text="赵壹")).to_have_count(0)
    expect(page.locator("#counts")).to_contain_text("待认证 1")
    expect(page.locator("#pager-total")).to_have_text("共 1 名考生，第 1 / 1 页")
    screenshot(page, "candidates-edited-on-the-accurate-tab")
    assert page.js_errors == []


def test_an_edit_that_takes_the_candidate_out_of_the_search_says_so(page, login_as):
    # On 全部, searched for by name, then renamed: the list read again no longer has the row (walkthrough).
    add("赵丙二", "123")
    add("钱二", "133")
    login_as("staff")
    page.goto("/candidates/?q=赵丙二")
    results, dialog = page.locator("#results"), page.get_by_role("dialog")
    expect(results.get_by_role("row").filter(has_text="钱二")).to_have_count(0)
    results.get_by_role("row").filter(has_text="赵丙二").get_by_role("button", name="修改").click()
    dialog.get_by_label("姓名").fill("赵丙贰")
    dialog.get_by_role("button", name="保存").click()
    expect(page.locator("#notice")).to_have_text("已保存 赵丙贰 的信息，不再符合搜索「赵丙二」，已不在列表中")
    expect(results.get_by_role("row").filter(has_text="赵丙贰")).to_have_count(0)
    # Still found by what it was searched for: nothing more said.
    page.goto("/candidates/?q=赵丙")
    results.get_by_role("row").filter(has_text="赵丙贰").get_by_role("button", name="修改").click()
    dialog.get_by_label("手机号").fill("13900000000")
    dialog.get_by_role("button", name="保存").click()
    expect(page.locator("#notice")).to_have_text("已保存 赵丙贰 的信息")
    assert page.js_errors == []


def test_a_candidate_added_on_another_status_tab_is_said_not_to_be_in_that_list(page, login_as):
    add("赵一", "123", status=ACCURATE, photo="ab/x.jpg")
    login_as("staff")
    page.goto(f"/candidates/?status={ACCURATE}")
    page.get_by_role("button", name="新增学生信息").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("姓名").fill("张三")
    dialog.get_by_label("证件号码").fill(valid_id("41010220030105133"))
    dialog.get_by_label("性别").select_option("男")
    dialog.get_by_label("手机号").fill("13812345678")
    dialog.get_by_role("button", name="保存").click()
    expect(page.locator("#notice")).to_have_text("已新增考生 张三，状态为待认证，不在「信息准确」列表中")
    expect(page.locator("#counts")).to_contain_text("待认证 1")
    expect(page.locator("#results").get_by_role("row").filter(has_text="张三")).to_have_count(0)
    assert page.js_errors == []
