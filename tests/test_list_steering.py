"""Lists staff can steer: 考生管理's cascading 院系 → 专业 → 班级 filters, and every paged list's page size, 跳转 and
total, with hostile values falling back safely."""
import io
import re
from html import unescape

import pytest
from openpyxl import load_workbook

from models.audit import AuditEvent
from models.award import AwardRecord
from models.candidate import ACCURATE, PENDING, REJECTED, SORT, VERIFIED, WALK, Candidate
from models.candidate_fields import CANDIDATE_SHEET
from models.db import is_sqlite
from models.import_batch import REVIEW, ImportBatch
from models.user import REVIEWER
from tests.test_identity import make_id
from views import kept_answers

HX = {"HX-Request": "true"}

# (院系, 专业, 班级, how many): two 院系, the 专业 计算机应用 in both.
COLLEGE = [("信息工程学院", "计算机应用", "计应2301", 3), ("信息工程学院", "计算机应用", "计应2302", 2),
           ("信息工程学院", "软件技术", "软件2301", 2), ("经济管理学院", "会计", "会计2301", 4),
           ("经济管理学院", "计算机应用", "经管计应2301", 1)]

COLLEGE_ROW = dict(name="学生", id_type="居民身份证", id_number=make_id(seq="99"), gender="男", phone="13812345678",
                   status=PENDING)


@pytest.fixture
def college(app):
    """The college above, every candidate 待认证 with a valid ID."""
    rows, seq = [], 0
    for department, major, class_name, n in COLLEGE:
        for _ in range(n):
            seq += 1
            rows.append(dict(name=f"学生{seq}", id_type="居民身份证", id_number=make_id(seq=f"{seq:02d}"), gender="男",
                             phone="13812345678", department=department, major=major, class_name=class_name,
                             status=PENDING))
    Candidate.bulk_add(rows)
    return rows


@pytest.fixture
def staff(login):
    return login("staff")


def options(body, select_id):
    """The values offered by the select with this id (its "全部" choice left out)."""
    found = re.search(rf'<select[^>]*id="{select_id}"[^>]*>(.*?)</select>', body, re.S)
    return [unescape(v) for v in re.findall(r'<option value="([^"]+)"', found.group(1))]


def selected(body, select_id):
    found = re.search(rf'<select[^>]*id="{select_id}"[^>]*>(.*?)</select>', body, re.S)
    chosen = re.findall(r'<option value="([^"]*)" selected', found.group(1))
    return unescape(chosen[0]) if chosen else ""


def rows_shown(body):
    return body.count('class="row-check"')


# ---- the cascade ----------------------------------------------------------------------------------
def test_choosing_a_department_narrows_the_majors_and_classes_offered(client, staff, college):
    body = client.get("/candidates/").get_data(as_text=True)
    assert options(body, "filter-department") == ["经济管理学院", "信息工程学院"]
    assert options(body, "filter-major") == ["计算机应用", "会计", "软件技术"]  # ji, kuai (会计), ruan
    assert len(options(body, "filter-class_name")) == 5
    body = client.get("/candidates/?department=经济管理学院").get_data(as_text=True)
    assert sorted(options(body, "filter-major")) == ["会计", "计算机应用"]
    assert sorted(options(body, "filter-class_name")) == ["会计2301", "经管计应2301"]
    body = client.get("/candidates/?department=信息工程学院&major=计算机应用").get_data(as_text=True)
    assert options(body, "filter-class_name") == ["计应2301", "计应2302"]
    assert rows_shown(body) == 5


def test_a_class_filters_the_list_and_the_status_counts(client, staff, college):
    body = client.get("/candidates/?department=信息工程学院&class_name=计应2302").get_data(as_text=True)
    assert rows_shown(body) == 2 and "共 2 名考生" in body
    assert selected(body, "filter-class_name") == "计应2302"
    counts = client.get("/candidates/counts?class_name=计应2302", headers=HX).get_data(as_text=True)
    assert re.search(r"全部 <span class=\"count\">2</span>", counts)


@pytest.fixture
def mixed(college):
    """The college's candidates in every status, two in three with a photo."""
    for i, candidate in enumerate(Candidate.select().order_by(Candidate.id)):
        Candidate.update(status=(PENDING, VERIFIED, REJECTED, ACCURATE)[i % 4], photo=f"ab/{i}.jpg" if i % 3 else None
                         ).where(Candidate.id == candidate.id).execute()


@pytest.mark.parametrize("filters", [dict(department="信息工程学院"), dict(major="计算机应用", has_photo="1"),
                                     dict(status=VERIFIED, has_photo="0"), dict(class_name="计应2301", status=PENDING),
                                     dict(department="经济管理学院", major="会计", class_name="会计2301")])
@pytest.mark.parametrize("sort", ["-created_at", "name", "-status", "department"])
def test_every_plan_finds_the_same_candidates_in_the_same_order(app, mixed, filters, sort):
    def ids(plan):
        return [c.id for c in Candidate.filtered(**filters, sort=sort, plan=plan)]
    assert ids(WALK) == ids(SORT) == ids(None) and ids(None)


def test_a_page_is_read_the_way_that_reads_fewer_rows(app, college):
    # 12 candidates: a page 2 rows in, of 6 matching, reads ~4 rows walking the sort, 6 through the filter.
    assert Candidate.page_plan("", matching=6, through=2) == (WALK if is_sqlite() else None)
    # Of 3 matching, the walk would read ~8 rows: SQLite plans that itself, PostgreSQL is told to sort.
    assert Candidate.page_plan("", matching=3, through=2) == (None if is_sqlite() else SORT)
    assert Candidate.page_plan("学生", matching=3, through=2) == (None if is_sqlite() else SORT)
    assert Candidate.page_plan("学生", matching=12, through=2) is None  # a search keeps SQLite's own plan


def test_every_page_of_a_planned_filter_is_the_next_part_of_the_list(client, staff, mixed, monkeypatch):
    monkeypatch.setattr("views.PAGE_SIZES", (2, 20, 50, 100, 200))
    reference = [c.name for c in Candidate.filtered(department="信息工程学院", sort="name")]
    for plan in (WALK, SORT):
        kept_answers.forget_all()  # the answers to the last plan's URLs are kept: the database did not change
        asked = []
        monkeypatch.setattr(Candidate, "page_plan", classmethod(
            lambda cls, q, matching, through: asked.append((matching, through)) or plan))
        shown = []
        for page in (1, 2, 3, 4):
            body = client.get(f"/candidates/?department=信息工程学院&sort=name&per_page=2&page={page}", headers=HX)
            shown += re.findall(r'class="cand-name">([^<]+)</a>', body.get_data(as_text=True))
        assert shown == reference and len(reference) == 7
        # Pages 1 and 2 read from the start (2 and 4 rows in), 3 and 4 from the end (3 and 1 rows in).
        assert asked == [(7, 2), (7, 4), (7, 3), (7, 1)]


def test_a_major_or_class_of_another_department_is_dropped_when_the_department_changes(client, staff, college):
    body = client.get("/candidates/?department=经济管理学院&major=软件技术&class_name=软件2301",
                      headers=HX).get_data(as_text=True)
    # The list is the 院系's, and the selects' new options say 全部专业 / 全部班级.
    assert rows_shown(body) == 5 and "共 5 名考生" in body
    assert 'id="filter-major" hx-swap-oob="true"' in body
    assert selected(body, "filter-major") == "" and selected(body, "filter-class_name") == ""
    assert sorted(options(body, "filter-major")) == ["会计", "计算机应用"]
    # A 专业 both 院系 have stays chosen.
    body = client.get("/candidates/?department=经济管理学院&major=计算机应用", headers=HX).get_data(as_text=True)
    assert rows_shown(body) == 1 and selected(body, "filter-major") == "计算机应用"


def test_a_partial_replaces_the_cascades_selects_out_of_band(client, staff, college):
    body = client.get("/candidates/?department=信息工程学院", headers=HX).get_data(as_text=True)
    assert "<html" not in body
    for name in ("department", "major", "class_name"):
        assert f'<select name="{name}" id="filter-{name}" hx-swap-oob="true">' in body
    assert "<label>院系" not in body  # the labels stay where they are


def test_choices_are_distinct_in_pinyin_order_and_narrowed_by_any_chosen_column(app, college):
    # 经济 jing before 信息 xin, though 信 (U+4FE1) comes before 经 (U+7ECF) by character code.
    assert Candidate.distinct_values(Candidate.department) == ["经济管理学院", "信息工程学院"]
    assert Candidate.distinct_values(Candidate.major, department="信息工程学院") == ["计算机应用", "软件技术"]
    # 班级 of a 专业 without a 院系, and of a 院系 without a 专业: no index leads with those columns.
    assert Candidate.distinct_values(Candidate.class_name, major="计算机应用") == ["计应2301", "计应2302", "经管计应2301"]
    assert Candidate.distinct_values(Candidate.class_name, department="经济管理学院") == ["经管计应2301", "会计2301"]
    assert Candidate.distinct_values(Candidate.class_name, department="信息工程学院", major="无此专业") == []


def test_choices_leave_out_empty_values(app, college):
    Candidate.create(name="无院系", id_type="护照", id_number="E1", gender="男")
    assert "" not in Candidate.distinct_values(Candidate.department)
    assert "" not in Candidate.distinct_values(Candidate.class_name, department="")


# ---- 颁证名单 and 颁证前检查 share the cascade ------------------------------------------------------------
@pytest.fixture
def issued_to_college(request, world, make_user):
    """The college's 12 candidates each with a 中级 certificate of the world's certificate issued."""
    # The world's 张三 has the ID number of the college's twelfth candidate: give him another.
    Candidate.update(id_number=make_id(seq="98")).where(Candidate.id == world["candidate"].id).execute()
    request.getfixturevalue("college")
    records = [AwardRecord.create(candidate=c, certificate=world["cert"], level="中级", site=world["site"],
                                  exam_date="2026-06-01") for c in Candidate.select().where(Candidate.department != "")]
    AwardRecord.issue_many(records, make_user(REVIEWER, username="shenhe"))
    return world


def cascading_pages(world):
    """颁证名单 and 颁证前检查 (of the world's certificate level), and how each says how many it lists."""
    return [("/awards/roster/?", "共 {} 张证书"), (f"/awards/readiness?pair={world['cert'].id}|中级&", "共 {} 名考生")]


def test_roster_and_readiness_offer_only_the_chosen_departments_classes(client, staff, issued_to_college):
    for url, _ in cascading_pages(issued_to_college):
        body = client.get(url + "department=经济管理学院").get_data(as_text=True)
        assert options(body, "filter-department") == ["经济管理学院", "信息工程学院"], url
        assert options(body, "filter-class_name") == ["经管计应2301", "会计2301"], url
        body = client.get(url).get_data(as_text=True)
        assert len(options(body, "filter-class_name")) == 5, url


def test_roster_and_readiness_drop_a_class_of_another_department_and_replace_the_selects_out_of_band(
        client, staff, issued_to_college):
    for url, count in cascading_pages(issued_to_college):
        response = client.get(url + "department=经济管理学院&class_name=计应2301", headers=HX)
        body = response.get_data(as_text=True)
        # The 院系's list (not an empty one), its 班级 select saying 全部班级, and the address without the 班级.
        assert "<html" not in body and count.format(5) in body, url
        assert 'id="filter-class_name" hx-swap-oob="true"' in body, url
        assert 'id="filter-department" hx-swap-oob="true"' in body, url
        assert selected(body, "filter-class_name") == "" and selected(body, "filter-department") == "经济管理学院"
        assert sorted(options(body, "filter-class_name")) == ["会计2301", "经管计应2301"], url
        pushed = unescape(response.headers["HX-Push-Url"])
        assert "department=" in pushed and "class_name" not in pushed, url
        # A 班级 of the 院系 stays chosen, and nothing is pushed in its place.
        response = client.get(url + "department=经济管理学院&class_name=会计2301", headers=HX)
        assert count.format(4) in response.get_data(as_text=True) and "HX-Push-Url" not in response.headers, url


def test_roster_export_and_print_of_a_class_of_another_department_give_nobody(client, staff, issued_to_college):
    # Full ID numbers: an old or typed link naming one class never hands out a whole 院系's.
    response = client.get("/awards/roster/export?department=经济管理学院&class_name=计应2301")
    assert load_workbook(io.BytesIO(response.data))["颁证名单"].max_row == 1
    printed = client.get("/awards/roster/print?department=经济管理学院&class_name=计应2301").get_data(as_text=True)
    assert printed.count("经济管理学院</td>") == 0
    # The list on screen shows the 院系 with the 班级 cleared, and its links carry what it shows.
    page = client.get("/awards/roster/?department=经济管理学院&class_name=计应2301").get_data(as_text=True)
    assert "/awards/roster/export?department=" in page and "class_name=%E8%AE%A1" not in page
    response = client.get("/awards/roster/export?department=经济管理学院")
    assert load_workbook(io.BytesIO(response.data))["颁证名单"].max_row == 1 + 5
    # 颁证前检查's downloads alike (its pre-filled file carries full ID numbers too).
    check = f"/awards/readiness/export?pair={issued_to_college['cert'].id}|中级&department=经济管理学院"
    assert load_workbook(io.BytesIO(client.get(check + "&class_name=计应2301").data))["颁证前检查"].max_row == 1
    assert load_workbook(io.BytesIO(client.get(check).data))["颁证前检查"].max_row == 1 + 5


# ---- a filter value the list does not have (an old bookmark, a typed URL) -----------------------------
@pytest.mark.parametrize("query, notice", [("status=乱写", "筛选条件“状态：乱写”无效，已改为“全部”"),
                                           ("has_photo=2", "筛选条件“照片：2”无效，已改为“全部”")])
def test_a_status_or_photo_value_outside_the_known_ones_says_so_and_shows_all(client, staff, college, query, notice):
    for headers in ({}, HX):
        body = client.get(f"/candidates/?{query}", headers=headers).get_data(as_text=True)
        assert notice in body and rows_shown(body) == 12
        assert re.search(r'class="status-tab active">\s*<input type="radio" name="status" value="" checked>', body)
        # Not carried on by the sort links, the pager or 导出.
        assert query.split("=")[0] + "=" not in unescape(re.search(r'id="export-link"[^>]*href="([^"]+)"', body).group(1))


@pytest.mark.parametrize("query", ["department=已撤销学院", "major=无此专业", "class_name=旧班2001",
                                   "department=信息工程学院&class_name=无此班"])
def test_a_department_major_or_class_no_candidate_has_shows_an_empty_list_with_the_filter_chosen(
        client, staff, college, query):
    name, value = query.split("&")[-1].split("=")
    for headers in ({}, HX):
        body = client.get(f"/candidates/?{query}", headers=headers).get_data(as_text=True)
        assert rows_shown(body) == 0 and "没有符合条件的考生" in body
        assert selected(body, f"filter-{name}") == value


def test_export_and_bulk_authenticate_of_an_unknown_department_take_nobody(client, staff, college):
    response = client.get("/imports/candidates/export?department=已撤销学院")
    assert load_workbook(io.BytesIO(response.data))["考生信息"].max_row == 1
    dialog = client.get("/candidates/bulk-authenticate?department=已撤销学院", headers=HX).get_data(as_text=True)
    assert "<strong>0</strong>" in dialog
    client.post("/candidates/bulk-authenticate", data={"department": "已撤销学院", "scope": "all"}, headers=HX)
    assert Candidate.select().where(Candidate.status != PENDING).count() == 0


@pytest.mark.parametrize("url, notice", [
    ("/sites/?review_status=乱写", "筛选条件“审核状态：乱写”无效"),
    ("/sites/?site_status=x", "筛选条件“站点状态：x”无效"),
    ("/awards/?status=乱写", "筛选条件“状态：乱写”无效"),
    ("/awards/?level=特级", "筛选条件“等级：特级”无效"),
    ("/awards/roster/?level=特级", "筛选条件“等级：特级”无效"),
    ("/awards/roster/?sort=zzz", "筛选条件“排序：zzz”无效"),
    ("/imports/?status=乱写", "筛选条件“状态：乱写”无效"),
    ("/imports/?kind=x", "筛选条件“导入类型：x”无效，已改为“全部”"),
    # A direction control would turn the rest of the note around: said back without it.
    ("/imports/?status=%E2%80%AEevil", "筛选条件“状态：evil”无效")])
def test_other_lists_say_when_a_status_or_level_is_not_one_they_have(client, login, url, notice):
    login("admin")
    for headers in ({}, HX):
        response = client.get(url, headers=headers)
        assert response.status_code == 200 and notice in response.get_data(as_text=True)


def test_a_roster_department_no_candidate_has_stays_chosen(client, login):
    login("admin")
    body = client.get("/awards/roster/?department=已撤销学院").get_data(as_text=True)
    assert re.search(r'<option value="已撤销学院" selected>已撤销学院</option>', body)


# ---- acting on the filter: 导出, 批量认证, 批量人工确认 --------------------------------------------------
def test_export_link_carries_the_filter_and_exports_exactly_the_filtered_list(client, staff, college):
    body = client.get("/candidates/?department=信息工程学院&major=计算机应用&class_name=计应2302&per_page=100"
                      ).get_data(as_text=True)
    link = unescape(re.search(r'id="export-link" class="btn" href="([^"]+)"', body).group(1))
    assert "class_name=" in link and "department=" in link and "per_page" not in link
    response = client.get(link)
    sheet = load_workbook(io.BytesIO(response.data))["考生信息"]
    headers = [cell.value.rstrip("*") for cell in sheet[1]]  # a required column's header ends with *
    column = headers.index(CANDIDATE_SHEET.column("class_name").header)
    names = headers.index(CANDIDATE_SHEET.column("name").header)
    exported = [(row[names].value, row[column].value) for row in sheet.iter_rows(min_row=2)]
    listed = re.findall(r'class="cand-name">([^<]+)</a>', body)
    assert sorted(name for name, _ in exported) == sorted(listed) and len(exported) == 2
    assert {class_name for _, class_name in exported} == {"计应2302"}
    event = AuditEvent.select().where(AuditEvent.action == "candidate.export").get()
    assert "计应2302" in event.changes


def test_export_drops_a_class_of_another_department_as_the_list_does(client, staff, college):
    response = client.get("/imports/candidates/export?department=经济管理学院&class_name=计应2301")
    assert load_workbook(io.BytesIO(response.data))["考生信息"].max_row == 1 + 5


def test_bulk_authenticate_of_the_filter_takes_only_the_class(client, staff, college):
    dialog = client.get("/candidates/bulk-authenticate?class_name=计应2301", headers=HX).get_data(as_text=True)
    assert "当前筛选结果（班级：计应2301）的全部 <strong>3</strong> 名考生" in dialog
    assert 'name="class_name" value="计应2301"' in dialog
    client.post("/candidates/bulk-authenticate", data={"class_name": "计应2301", "scope": "all"}, headers=HX)
    done = Candidate.select().where(Candidate.status.in_((VERIFIED, REJECTED)))
    assert {c.class_name for c in done} == {"计应2301"} and done.count() == 3


def test_bulk_confirm_queue_starts_on_the_class_filter(client, staff, college):
    Candidate.update(status=VERIFIED, photo="ab/x.jpg").execute()
    response = client.get("/candidates/queue/start?department=经济管理学院&class_name=会计2301")
    assert response.status_code == 303 and "class_name=" in unescape(response.location)
    first = Candidate.get_by_id(int(re.search(r"at=(\d+)", response.location).group(1)))
    assert first.class_name == "会计2301"
    assert ACCURATE not in {c.status for c in Candidate.select()}


# ---- page size, 跳转, total ----------------------------------------------------------------------------
@pytest.fixture
def many(app):
    rows = [dict(name=f"学生{i:03d}", id_type="护照", id_number=f"E{i:08d}", gender="男", phone="13900001111",
                 department="信息工程学院") for i in range(230)]
    Candidate.bulk_add(rows)


@pytest.mark.parametrize("per_page, shown, pages", [("20", 20, 12), ("50", 50, 5), ("100", 100, 3), ("200", 200, 2)])
def test_each_page_size_shows_that_many_rows_and_is_kept_by_the_pager_and_the_filter_form(
        client, staff, many, per_page, shown, pages):
    body = client.get(f"/candidates/?department=信息工程学院&per_page={per_page}").get_data(as_text=True)
    assert rows_shown(body) == shown
    assert f"共 230 名考生，第 1 / {pages} 页" in body
    assert f'<option value="{per_page}" selected>' in body
    next_link = unescape(re.search(r'href="([^"]+)">下一页', body).group(1))
    assert ("per_page=" + per_page in next_link) == (per_page != "50") and "page=2" in next_link
    kept = f'<input type="hidden" name="per_page" value="{per_page}" form="filters">'
    assert (kept in body) == (per_page != "50")


def test_jump_to_a_page_keeps_the_filters_in_the_pager_form(client, staff, many):
    body = client.get("/candidates/?department=信息工程学院&sort=name&per_page=20&page=7").get_data(as_text=True)
    assert "共 230 名考生，第 7 / 12 页" in body and "学生120" in body and "学生140" not in body
    form = re.search(r'<form class="pager-form".*?</form>', body, re.S).group(0)
    assert 'name="department" value="信息工程学院"' in form and 'name="sort" value="name"' in form
    assert 'name="page" class="page-input" min="1" max="12" value="7"' in form
    assert "跳转" in form


def test_a_short_list_shows_its_total_without_a_page_form(client, staff, college):
    body = client.get("/candidates/").get_data(as_text=True)
    assert "共 12 名考生，第 1 / 1 页" in body and "pager-form" not in body


PAGED_LISTS = ["/candidates/", "/awards/", "/imports/", "/admin/audit", "/sites/", "/awards/readiness",
               "/awards/roster/", "/candidates/queue/grid"]
HOSTILE = ["page=-1", "page=0", "page=" + "9" * 30, "page=" + "9" * 5000, "page=abc", "page=1.5", "page=%00",
           "per_page=7", "per_page=100000", "per_page=-20", "per_page=x", "per_page=" + "9" * 5000,
           "page=2&per_page=0", "page=&per_page="]


@pytest.mark.parametrize("url", PAGED_LISTS)
def test_hostile_page_and_page_size_fall_back_on_every_paged_list(client, login, url):
    login("admin")
    for query in HOSTILE:
        for headers in ({}, HX):
            response = client.get(f"{url}?{query}", headers=headers)
            assert response.status_code == 200, (url, query, response.status_code)


def test_hostile_values_give_page_one_or_the_last_page_at_the_lists_size(client, staff, many):
    body = client.get("/candidates/?page=-1&per_page=7").get_data(as_text=True)
    assert "共 230 名考生，第 1 / 5 页" in body and rows_shown(body) == 50
    body = client.get("/candidates/?page=" + "9" * 30 + "&per_page=100000").get_data(as_text=True)
    assert "共 230 名考生，第 5 / 5 页" in body and rows_shown(body) == 30
    body = client.get("/candidates/?page=junk&per_page=200").get_data(as_text=True)
    assert "第 1 / 2 页" in body and rows_shown(body) == 200


def test_jump_past_the_last_page_shows_the_last_and_says_so_without_the_browsers_check(client, staff, many):
    body = client.get("/candidates/?page=9&per_page=100").get_data(as_text=True)
    assert "共 230 名考生，第 3 / 3 页" in body and rows_shown(body) == 30
    assert "没有第 9 页，已显示最后一页" in body
    # The browser would refuse 9 with its own bubble (max="3"): the form leaves the check to the server.
    assert re.search(r'<form class="pager-form"[^>]* novalidate>', body)
    assert "没有第" not in client.get("/candidates/?page=3&per_page=100").get_data(as_text=True)


@pytest.mark.parametrize("url", ["/candidates/?", "/awards/?", "/imports/?", "/admin/audit?", "/sites/?",
                                 "/awards/roster/?", "readiness"])
def test_a_page_past_the_end_is_said_above_the_list_not_in_the_pager_at_its_foot(client, login, issued_to_college,
                                                                                 url):
    """After 跳转 the eye is at the list's top (htmx scrolls it into view; a page loaded anew starts there)."""
    ImportBatch.create(kind="candidates", file_name="考生.xlsx", status=REVIEW)
    login("admin")
    if url == "readiness":
        url = f"/awards/readiness?pair={issued_to_college['cert'].id}|中级&"
    for headers in ({}, HX):
        body = client.get(url + "page=99", headers=headers).get_data(as_text=True)
        note = "没有第 99 页，已显示最后一页（第 1 页）。"
        assert body.count(note) == 1, (url, headers)
        assert body.index(note) < body.index("<table"), (url, headers)
        assert note not in re.search(r'<nav class="pager".*?</nav>', body, re.S).group(0)
        assert "没有第" not in client.get(url + "page=1", headers=headers).get_data(as_text=True)


def test_other_lists_offer_the_same_page_sizes_and_total(client, login):
    login("admin")
    for i in range(25):
        AuditEvent.create(action="candidate.create", object_type="candidate", object_id=i, object_label=f"考生{i}",
                          changes="{}", username="admin")
    body = client.get("/admin/audit?per_page=20").get_data(as_text=True)
    assert "共 " in body and "条记录，第 1 / 2 页" in body
    assert [int(v) for v in re.findall(r'<option value="(\d+)"', re.search(
        r'<select name="per_page".*?</select>', body, re.S).group(0))] == [20, 50, 100, 200]
    assert 'form="audit-filters"' in body


def test_sorting_by_department_goes_on_by_major_and_class_and_by_status_on_by_department_and_class(client, staff):
    # Inserted with the classes in reverse, so the id order is none of the sorts'.
    rows, seq = [], 0
    for department, major, class_name, n in reversed(COLLEGE):
        for _ in range(n):
            seq += 1
            rows.append(dict(name=f"学生{seq}", id_type="居民身份证", id_number=make_id(seq=f"{seq:02d}"), gender="男",
                             phone="13812345678", department=department, major=major, class_name=class_name,
                             status=(PENDING, VERIFIED)[seq % 2]))
    Candidate.bulk_add(rows)

    def shown(sort):
        body = client.get("/candidates/", query_string={"sort": sort}, headers=HX).get_data(as_text=True)
        return re.findall(r'class="cand-name">([^<]+)</a>', body)
    def order(*columns):
        return sorted(range(len(rows)), key=lambda i: (*(rows[i][column] for column in columns), i))
    by_class = order("department", "major", "class_name")
    assert shown("department") == [rows[i]["name"] for i in by_class]
    assert shown("-department") == [rows[i]["name"] for i in reversed(by_class)]
    by_status = order("status", "department", "class_name")
    assert shown("status") == [rows[i]["name"] for i in by_status]


def test_a_request_reads_the_classes_once_and_again_after_a_candidate_is_written(app, client, staff, college,
                                                                                monkeypatch):
    reads = []
    read = Candidate._read_classes
    monkeypatch.setattr(Candidate, "_read_classes", staticmethod(lambda: reads.append(1) or read()))
    body = client.get("/candidates/?q=计应&department=信息工程学院&sort=name", headers=HX).get_data(as_text=True)
    assert rows_shown(body) == 5 and len(reads) == 1
    with app.test_request_context(method="POST"):  # a request that writes (a GET asks PostgreSQL once)
        assert ("新学院", "新专业", "新2301") not in Candidate.classes()
        Candidate.bulk_add([dict(COLLEGE_ROW, department="新学院", major="新专业", class_name="新2301")])
        assert ("新学院", "新专业", "新2301") in Candidate.classes()
