"""Lists staff can steer, in Chromium: 考生管理's 院系 → 专业 → 班级 cascade, page size and 跳转 kept in the URL, and
the same pager on 审计日志; without JavaScript the filter form still narrows the choices."""
import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from models import audit
from models.audit import AuditEvent
from models.candidate import DEFAULT_SORT, Candidate
from tests.browser.conftest import screenshot
from tests.test_list_steering import college, issued_to_college  # noqa: F401 (fixtures)


def query(page):
    """The URL's arguments that hold a value, the list's default order (carried by its form) left out."""
    args = {key: values[0] for key, values in parse_qs(urlparse(page.url).query).items()}
    if args.get("sort") == DEFAULT_SORT:
        del args["sort"]
    return args


def choices(page, select_id):
    return [v for v in page.locator(f"#{select_id} option").evaluate_all("os => os.map(o => o.value)") if v]


def offered(select):
    return [v for v in select.locator("option").evaluate_all("os => os.map(o => o.value)") if v]


def rows(page):
    return page.locator("#results tbody .row-check")


def test_cascade_narrows_the_choices_and_the_list_and_the_url_keeps_them(page, login_as, demo):
    login_as("staff")
    page.goto("/candidates/")
    all_majors = choices(page, "filter-major")
    page.get_by_label("院系").select_option("经济管理学院")
    majors = Candidate.distinct_values(Candidate.major, department="经济管理学院")
    expect(page.locator("#filter-major option")).to_have_count(1 + len(majors))
    assert choices(page, "filter-major") == majors and len(all_majors) > len(majors)
    assert "软件技术" not in choices(page, "filter-major")
    assert query(page)["department"] == "经济管理学院"

    page.get_by_label("专业").focus()
    page.get_by_label("专业").select_option("现代物流管理")
    classes = Candidate.distinct_values(Candidate.class_name, department="经济管理学院", major="现代物流管理")
    expect(page.locator("#filter-class_name option")).to_have_count(1 + len(classes))
    # The selects were replaced: htmx gives the focus back to the one just used (same id).
    assert page.evaluate("document.activeElement.id") == "filter-major"

    page.get_by_label("班级").select_option(classes[0])
    n = Candidate.select().where(Candidate.class_name == classes[0]).count()
    expect(page.locator(".pager-total")).to_contain_text(f"共 {n} 名考生")
    expect(rows(page)).to_have_count(n)
    assert query(page) == {"department": "经济管理学院", "major": "现代物流管理", "class_name": classes[0]}
    expect(page.locator("#counts")).to_contain_text(f"全部 {n}")
    href = page.locator("#export-link").get_attribute("href")
    assert parse_qs(urlparse(href).query) == {"department": ["经济管理学院"], "major": ["现代物流管理"],
                                              "class_name": [classes[0]]}
    screenshot(page, "candidates-cascade-1366")

    # Another 院系: the 专业 and 班级 of the first are dropped, the list is the new 院系's.
    page.get_by_label("院系").select_option("汽车工程学院")
    n = Candidate.select().where(Candidate.department == "汽车工程学院").count()
    expect(page.locator(".pager-total")).to_contain_text(f"共 {n} 名考生")
    expect(page.get_by_label("专业")).to_have_value("")
    expect(page.get_by_label("班级")).to_have_value("")
    assert query(page) == {"department": "汽车工程学院"}
    page.reload()
    expect(page.get_by_label("院系")).to_have_value("汽车工程学院")
    assert page.js_errors == []


@pytest.mark.parametrize("pick_level", [False, True], ids=["roster", "readiness"])
def test_roster_and_readiness_narrow_the_classes_to_the_department_and_drop_one_it_lacks(
        page, login_as, issued_to_college, pick_level):
    login_as("staff")
    if pick_level:
        page.goto("/awards/readiness")
        page.get_by_label("证书和等级").select_option(label="Web前端开发 中级")
        results, count = page.locator("#checks"), "共 {} 名考生"
    else:
        page.goto("/awards/roster/")
        results, count = page.locator("#roster-results"), "共 {} 张证书"
    # 颁证前检查 also checks the world's 张三, who has no 院系 and no certificate yet.
    expect(results).to_contain_text(count.format(13 if pick_level else 12))
    # The selects are found by name: 排序's label names its choice 按院系、班级、姓名.
    department, class_name = page.locator("select[name=department]"), page.locator("select[name=class_name]")
    expect(class_name.locator("option")).to_have_count(1 + 5)

    department.select_option("经济管理学院")
    expect(class_name.locator("option")).to_have_count(1 + 2)
    assert offered(class_name) == ["经管计应2301", "会计2301"]  # jing before kuai (会计)
    class_name.select_option("会计2301")
    expect(results).to_contain_text(count.format(4))
    assert query(page)["class_name"] == "会计2301"

    # Another 院系: its list, not an empty one, and the 班级 of the first is dropped from the select and the URL.
    department.select_option("信息工程学院")
    expect(results).to_contain_text(count.format(7))
    expect(class_name).to_have_value("")
    assert offered(class_name) == ["计应2301", "计应2302", "软件2301"]
    expect(page).not_to_have_url(re.compile(r"class_name="))
    assert query(page)["department"] == "信息工程学院"
    screenshot(page, f"cascade-{'readiness' if pick_level else 'roster'}")
    assert page.js_errors == []


def test_a_bookmark_with_values_the_list_no_longer_has_says_so_and_is_cleared_from_its_selects(page, login_as, demo):
    login_as("staff")
    page.goto("/candidates/?department=已撤销学院&status=乱写")
    results = page.locator("#results")
    # The status is none of the list's: said, and the tabs show 全部. The 院系 is kept: nobody is in it.
    expect(results.get_by_role("status")).to_have_text("筛选条件“状态：乱写”无效，已改为“全部”。")
    expect(page.locator(".status-tab.active")).to_contain_text("全部")
    expect(page.get_by_label("院系")).to_have_value("已撤销学院")
    expect(results).to_contain_text("没有符合条件的考生")
    expect(rows(page)).to_have_count(0)
    screenshot(page, "candidates-unknown-filter")

    page.get_by_label("院系").select_option("")
    expect(rows(page)).to_have_count(50)
    expect(page.locator(".pager-total")).to_contain_text(f"共 {Candidate.select().count()} 名考生")
    expect(results.get_by_role("status")).to_have_count(0)
    assert "department" not in query(page) and "status" not in query(page)
    assert page.js_errors == []


def test_page_size_and_jump_keep_the_filter_and_survive_a_filter_change(page, login_as, demo):
    login_as("staff")
    page.goto("/candidates/?department=信息工程学院")
    total = Candidate.select().where(Candidate.department == "信息工程学院").count()
    pager = page.get_by_role("navigation", name="分页")
    expect(pager).to_contain_text(f"共 {total} 名考生，第 1 / {-(-total // 50)} 页")

    pager.get_by_label("每页").select_option("20")
    expect(rows(page)).to_have_count(20)
    pages = -(-total // 20)
    expect(pager).to_contain_text(f"第 1 / {pages} 页")
    assert query(page) == {"department": "信息工程学院", "per_page": "20"}

    pager.get_by_label("第").fill("3")
    pager.get_by_role("button", name="跳转").click()
    expect(pager).to_contain_text(f"第 3 / {pages} 页")
    assert query(page) == {"department": "信息工程学院", "per_page": "20", "page": "3"}
    pager.get_by_role("link", name="下一页").click()
    expect(pager).to_contain_text(f"第 4 / {pages} 页")
    screenshot(page, "candidates-pager-1366")
    page.set_viewport_size({"width": 1024, "height": 768})
    screenshot(page, "candidates-pager-1024")

    # A filter change starts again at page 1 and keeps the page size.
    page.get_by_label("照片").select_option("1")
    expect(pager).to_contain_text("第 1 / ")
    expect(rows(page)).to_have_count(20)
    assert query(page)["per_page"] == "20" and "page" not in query(page)
    page.go_back()
    expect(pager).to_contain_text(f"第 4 / {pages} 页")
    assert page.js_errors == []


def test_jump_past_the_last_page_goes_to_the_last_page_without_a_native_bubble(page, login_as, demo):
    login_as("staff")
    page.goto("/candidates/?per_page=20")
    total = Candidate.select().count()
    pages = -(-total // 20)
    pager = page.get_by_role("navigation", name="分页")
    pager.get_by_label("第").fill(str(pages + 5))
    pager.get_by_role("button", name="跳转").click()
    expect(pager).to_contain_text(f"第 {pages} / {pages} 页")
    # Said above the list, where the eye is once htmx has scrolled the list's top into view, not in the pager.
    note = page.locator("#results .page-note")
    expect(note).to_have_text(f"没有第 {pages + 5} 页，已显示最后一页（第 {pages} 页）。")
    expect(note).to_be_in_viewport()
    expect(pager.get_by_role("status")).to_have_count(0)
    expect(rows(page)).to_have_count(total - (pages - 1) * 20)
    screenshot(page, "candidates-pager-beyond")
    # A page number with a fraction is not the browser's to refuse either: the first page.
    pager.get_by_label("第").fill("1.5")
    pager.get_by_label("第").press("Enter")
    expect(pager).to_contain_text(f"第 1 / {pages} 页")
    assert page.js_errors == []


def test_audit_log_has_the_same_pager(page, login_as, demo):
    login_as("admin")
    page.goto("/admin/audit")
    total = AuditEvent.select().count()
    pager = page.get_by_role("navigation", name="分页")
    expect(pager).to_contain_text(f"共 {total} 条记录")
    pager.get_by_label("每页").select_option("100")
    expect(page.locator(".audit-table tbody tr")).to_have_count(min(100, total))
    pager.get_by_label("第").fill("2")
    pager.get_by_label("第").press("Enter")
    expect(pager).to_contain_text(f"第 2 / {-(-total // 100)} 页")
    assert query(page) == {"per_page": "100", "page": "2"}
    screenshot(page, "audit-pager-1366")
    assert page.js_errors == []


def test_audit_log_finds_the_systems_events_by_the_name_it_shows(page, login_as):
    admin = login_as("admin")  # its login is an event of its own
    audit.record("auth.login", None, user=None)
    audit.record("user.update", admin, {"显示名": ("a", "b")}, user=admin)
    page.goto("/admin/audit")
    table = page.locator(".audit-table tbody")
    expect(table.locator("tr")).to_have_count(3)
    page.get_by_role("textbox", name="用户").fill("系统")
    page.get_by_role("textbox", name="用户").press("Enter")
    expect(table.locator("tr")).to_have_count(1)
    expect(table.locator("tr td").nth(1)).to_have_text("系统")
    assert query(page) == {"user": "系统"}
    screenshot(page, "audit-system")
    assert page.js_errors == []


def test_without_javascript_the_filter_form_narrows_the_choices(browser, live_server, make_user, demo):
    make_user("staff", username="nojs")
    context = browser.new_context(base_url=live_server, java_script_enabled=False, locale="zh-CN",
                                  viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("用户名").fill("nojs")
    page.get_by_label("密码").fill("correct-horse-42")
    page.get_by_role("button", name="登录").click()
    page.goto("/candidates/")
    page.get_by_label("院系").select_option("汽车工程学院")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url(re.compile(r"department="))
    assert choices(page, "filter-major") == ["新能源汽车技术", "汽车检测与维修技术"] or \
        sorted(choices(page, "filter-major")) == sorted(["新能源汽车技术", "汽车检测与维修技术"])
    page.get_by_label("每页").select_option("20")
    page.get_by_role("button", name="跳转").click()
    expect(page.locator("tbody .row-check")).to_have_count(20)
    assert query(page)["department"] == "汽车工程学院" and query(page)["per_page"] == "20"
    context.close()
