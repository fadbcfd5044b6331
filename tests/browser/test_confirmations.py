"""One confirmation style: every action that cannot be taken back asks with CertDesk's own dialog, from the
list row where staff click it, naming the action, the object and how many; 取消 does nothing. A dialog with
typed, unsaved input asks before it closes. (Any native confirm() fails a test: tests/browser/conftest.py.)"""
from datetime import date

from playwright.sync_api import expect

from models.candidate import Candidate
from models.pilot import PilotCertificate
from models.quota import Quota
from models.site import ENABLED, PENDING, Site
from models.user import ADMIN, REVIEWER, STAFF, User
from tests.browser.conftest import cancel_action, confirm_action, screenshot, settled
from tests.test_identity import make_id


def test_deleting_a_candidate_from_the_list_asks_first(page, login_as, world):
    login_as(STAFF)
    page.goto("/candidates/")
    row = page.locator("#results").get_by_role("row").filter(has_text="张三")
    row.get_by_role("button", name="删除").click()
    cancel_action(page, "删除", "确定删除考生「张三」吗？", "将删除这 1 名考生的信息和照片，此操作不可恢复")
    page.wait_for_timeout(300)  # had 取消 sent the request, the row would be going now
    expect(row).to_be_visible()
    assert Candidate.select().count() == 1

    row.get_by_role("button", name="删除").click()
    confirm_action(page, "删除", "张三")
    expect(row).to_have_count(0)
    expect(page.locator("#notice")).to_contain_text("已删除考生 张三")
    assert Candidate.select().count() == 0


def test_deleting_right_after_typing_a_search_deletes_when_confirmed(page, login_as, world):
    # Leaving the search box (the click on 删除) searches once more, and the rows are drawn again while
    # the question is open: the answer still deletes, through the same button of the rows now shown.
    login_as(STAFF)
    page.goto("/candidates/")
    page.get_by_label("搜索").fill("张三")
    results = page.locator("#results")
    # The typed search's rows drawn and readied first (the count was 1 before it too): under load its answer
    # came with the click, and a button htmx had not readied yet did nothing (CI, once).
    page.wait_for_function("() => new URLSearchParams(location.search).get('q') === '张三'")
    settled(page)
    expect(page.locator("#pager-total")).to_have_text("共 1 名考生，第 1 / 1 页")
    results.get_by_role("row").filter(has_text="张三").get_by_role("button", name="删除").click()
    expect(page.locator("#confirm-dialog")).to_be_visible()
    expect(page.locator("#filters.htmx-request, #results.htmx-request")).to_have_count(0)
    confirm_action(page, "删除", "张三")
    expect(results.get_by_role("cell", name="没有符合条件的考生")).to_be_visible()
    expect(page.locator("#notice")).to_contain_text("已删除考生 张三")
    assert Candidate.select().count() == 0
    assert page.js_errors == []


def test_a_delete_confirmed_while_the_rows_drawn_again_settle_still_deletes(page, login_as, world):
    # The search's rows are on the page 20 ms before htmx readies them: confirming in between pressed a copy
    # of 删除 that did nothing (no request, no notice; once in six runs of the test above).
    login_as(STAFF)
    page.goto("/candidates/")
    page.locator("#results").get_by_role("row").filter(has_text="张三").get_by_role("button", name="删除").click()
    expect(page.locator("#confirm-dialog")).to_be_visible()
    page.evaluate("""q => {
        document.addEventListener("htmx:afterSwap", function answer(event) {
            if (event.detail.target.id !== "results") { return; }
            document.removeEventListener("htmx:afterSwap", answer);
            document.querySelector("#confirm-dialog [data-confirm-ok]").click();
        });
        q.value = "张三";
        htmx.trigger(q, "search");
    }""", page.locator("[name=q]").element_handle())
    expect(page.locator("#notice")).to_have_text("已删除考生 张三")
    assert Candidate.select().count() == 0
    assert page.js_errors == []


def test_a_delete_answered_after_the_list_was_drawn_again_still_reloads_it(page, login_as, world):
    # The list is drawn again while the DELETE is out (another search, a reload): its answer's events were
    # sent from the clicked button, no longer on the page, and nobody heard them (the row stayed, no notice).
    login_as(STAFF)
    page.goto("/candidates/")

    def redraw_first(route):
        if route.request.method != "DELETE":
            return route.continue_()
        answer = route.fetch()  # the candidate is deleted; its answer is held back until the list is redrawn
        page.evaluate("htmx.trigger(document.body, 'candidatesReload')")
        page.locator("#results.htmx-request").wait_for(state="detached")
        route.fulfill(response=answer)

    page.route("**/candidates/*", redraw_first)
    page.locator("#results").get_by_role("row").filter(has_text="张三").get_by_role("button", name="删除").click()
    confirm_action(page, "删除", "张三")
    expect(page.locator("#results").get_by_role("cell", name="还没有考生", exact=False)).to_be_visible()
    expect(page.locator("#notice")).to_contain_text("已删除考生 张三")
    assert page.js_errors == []


def test_a_delete_confirmed_after_a_search_took_its_row_away_still_deletes_the_candidate_named(page, login_as, world):
    # A search typed just before 删除 draws the list again under the open question, without 张三: the user
    # confirmed deleting 张三, so 张三 (by the id its row's button named) is deleted, not 「删除」未执行. The
    # question names 张三's 学号 and 班级 too, since the row it was asked from is gone.
    Candidate.update(student_no="2023001", class_name="计应2301").where(Candidate.id == world["candidate"].id).execute()
    Candidate.create(name="李四", id_type="居民身份证", id_number=make_id(seq="51"), gender="男", phone="13812345678")
    login_as(STAFF)
    page.goto("/candidates/")
    results = page.locator("#results")
    results.get_by_role("row").filter(has_text="张三").get_by_role("button", name="删除").click()
    expect(page.locator("#confirm-dialog")).to_be_visible()
    page.evaluate("(q => { q.value = '李四'; htmx.trigger(q, 'search'); })(document.querySelector('[name=q]'))")
    expect(page.locator("#pager-total")).to_have_text("共 1 名考生，第 1 / 1 页")
    expect(results.get_by_role("row").filter(has_text="张三")).to_have_count(0)
    confirm_action(page, "删除", "确定删除考生「张三」（学号 2023001，计应2301）吗？")
    expect(page.locator("#notice")).to_have_text("已删除考生 张三")
    expect(results.get_by_role("row").filter(has_text="李四")).to_be_visible()
    assert [c.name for c in Candidate.select()] == ["李四"]
    screenshot(page, "candidates-deleted-after-a-search-took-its-row-away")
    assert page.js_errors == []


def test_reviewer_approves_and_disables_sites_from_the_list_after_confirming(page, login_as, world):
    Site.create(name="新机房", certificate=world["cert"], levels="中级", region="郑州", address="文化路",
                contact="王", phone="13800000000", seats=30, review_status=PENDING)
    login_as(REVIEWER)
    page.goto("/sites/")
    new_row = page.locator("#results").get_by_role("row").filter(has_text="新机房")
    new_row.get_by_role("button", name="审核通过").click()
    box = page.locator("#confirm-dialog")
    # 审核通过 is not destructive: its button is the primary one, not the red one.
    expect(box.get_by_role("button", name="审核通过")).to_have_class("btn btn-primary")
    cancel_action(page, "审核通过", "确定审核通过考核站点「新机房」吗？")
    expect(new_row).to_contain_text("待审核")
    assert Site.get(Site.name == "新机房").review_status == PENDING

    new_row.get_by_role("button", name="审核通过").click()
    confirm_action(page, "审核通过", "通过后站点即为已启用")
    expect(new_row).to_contain_text("已启用")

    old_row = page.locator("#results").get_by_role("row").filter(has_text="信息楼机房")
    old_row.get_by_role("button", name="停用").click()
    expect(box.get_by_role("button", name="停用")).to_have_class("btn btn-danger")
    cancel_action(page, "停用", "确定停用考核站点「信息楼机房」吗？")
    assert Site.get(Site.name == "信息楼机房").site_status == ENABLED
    old_row.get_by_role("button", name="停用").click()
    confirm_action(page, "停用", "信息楼机房")
    expect(old_row.get_by_role("button", name="启用")).to_be_visible()
    assert Site.get(Site.name == "信息楼机房").site_status != ENABLED


def test_admin_disables_a_user_and_deletes_a_quota_and_a_pilot_after_confirming(page, login_as, world, make_user):
    make_user(STAFF, username="wangli")
    spare = PilotCertificate.create(certificate=world["cert"], level="初级", since=date(2024, 1, 1))
    login_as(ADMIN)

    page.goto("/admin/users/")
    row = page.get_by_role("row").filter(has_text="wangli")
    row.get_by_role("button", name="停用").click()
    cancel_action(page, "停用", "确定停用用户「wangli」吗？", "这 1 个账号不能登录")
    assert User.get(User.username == "wangli").active
    row.get_by_role("button", name="停用").click()
    confirm_action(page, "停用", "wangli")
    expect(row).to_contain_text("已停用")
    assert not User.get(User.username == "wangli").active

    page.goto("/admin/quotas/?year=2026")
    row = page.locator("#quotas").get_by_role("row").filter(has_text="Web前端开发")
    row.get_by_role("button", name="删除").click()
    cancel_action(page, "删除", "确定删除 2026 年「Web前端开发 中级」的省厅指标（3 人）吗？")
    assert Quota.select().count() == 1
    row.get_by_role("button", name="删除").click()
    confirm_action(page, "删除", "Web前端开发 中级")
    expect(row).to_have_count(0)
    assert Quota.select().count() == 0

    page.goto("/admin/pilots")
    row = page.locator("#pilots").get_by_role("row").filter(has_text="初级")
    row.get_by_role("button", name="删除").click()
    cancel_action(page, "删除", "确定删除试点证书「Web前端开发 初级」吗？")
    assert PilotCertificate.get_or_none(id=spare.id)
    row.get_by_role("button", name="删除").click()
    confirm_action(page, "删除", "Web前端开发 初级")
    expect(row).to_have_count(0)
    assert not PilotCertificate.get_or_none(id=spare.id)


def test_esc_and_a_click_outside_answer_the_confirmation_as_cancel(page, login_as, world):
    login_as(STAFF)
    page.goto("/candidates/")
    row = page.locator("#results").get_by_role("row").filter(has_text="张三")
    box = page.locator("#confirm-dialog")
    row.get_by_role("button", name="删除").click()
    expect(box).to_be_visible()
    page.keyboard.press("Escape")
    expect(box).to_be_hidden()
    row.get_by_role("button", name="删除").click()
    expect(box).to_be_visible()
    page.mouse.click(5, 5)  # the backdrop
    expect(box).to_be_hidden()
    page.wait_for_timeout(300)
    expect(row).to_be_visible()
    assert Candidate.select().count() == 1


def test_a_dialog_with_typed_input_asks_before_it_closes(page, login_as):
    login_as(STAFF)
    page.goto("/candidates/")
    dialog = page.locator("#dialog")
    box = page.locator("#confirm-dialog")

    # Nothing typed: a click inside keeps it open, 取消 closes it at once.
    page.get_by_role("button", name="新增学生信息").click()
    expect(dialog).to_be_visible()
    dialog.locator(".dialog-head").click(position={"x": 3, "y": 3})
    page.wait_for_timeout(200)
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="取消").click()
    expect(dialog).to_be_hidden()
    expect(box).to_be_hidden()

    page.get_by_role("button", name="新增学生信息").click()
    dialog.get_by_label("姓名").fill("王小明")
    for close in (lambda: page.keyboard.press("Escape"),
                  lambda: dialog.get_by_role("button", name="关闭").click(),
                  lambda: dialog.get_by_role("button", name="取消").click(),
                  lambda: page.mouse.click(5, 5)):
        close()
        expect(box.get_by_role("heading")).to_have_text("放弃未保存的内容？")
        expect(box).to_contain_text("关闭后将丢失")
        box.get_by_role("button", name="继续填写").click()
        expect(box).to_be_hidden()
        expect(dialog.get_by_label("姓名")).to_have_value("王小明")

    dialog.get_by_role("button", name="取消").click()
    box.get_by_role("button", name="放弃修改").click()
    expect(dialog).to_be_hidden()
    assert Candidate.select().count() == 0

    # Opened again it starts clean: 取消 closes without asking.
    page.get_by_role("button", name="新增学生信息").click()
    expect(dialog.get_by_label("姓名")).to_have_value("")
    dialog.get_by_role("button", name="取消").click()
    expect(dialog).to_be_hidden()
    assert page.js_errors == []


def test_a_form_refused_with_422_still_counts_as_unsaved(page, login_as):
    login_as(STAFF)
    page.goto("/candidates/")
    dialog = page.locator("#dialog")
    page.get_by_role("button", name="新增学生信息").click()
    dialog.get_by_label("姓名").fill("王小明")
    dialog.get_by_role("button", name="保存").click()
    expect(dialog.locator(".alert-error")).to_be_visible()
    dialog.get_by_role("button", name="取消").click()
    expect(page.locator("#confirm-dialog")).to_contain_text("关闭后将丢失")
    page.locator("#confirm-dialog").get_by_role("button", name="放弃修改").click()
    expect(dialog).to_be_hidden()
