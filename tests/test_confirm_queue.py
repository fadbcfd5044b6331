"""批量人工确认: the queue's order, next/previous, counts and its place in the URL; the grid; 保存并确认下一位."""
import logging
import re
from datetime import timedelta

import pytest

from models.audit import AuditEvent
from models.candidate import ACCURATE, PENDING, VERIFIED, Candidate
from models.confirm_queue import ConfirmQueue
from models.db import now
from tests.test_candidates import HX, make_candidate, staff, valid_id  # noqa: F401 (fixtures)

BODIES = ["41010220030105123", "41010520040203456", "41030220020304567", "41130220010101234",
          "41010220020202345"]


@pytest.fixture
def waiting(make_candidate):
    """Five 认证通过 candidates with photos in 计应2301, named 甲..戊 (created in that order), and one elsewhere."""
    made = [make_candidate(status=VERIFIED, photo=f"ab/{i}.jpg", name=f"学生{'甲乙丙丁戊'[i]}",
                           id_number=valid_id(body), class_name="计应2301")
            for i, body in enumerate(BODIES)]
    make_candidate(status=VERIFIED, photo="ab/9.jpg", name="别班", id_number=valid_id("41010219990909123"),
                   class_name="软件2301")
    return made


def queue(sort="name", q="计应2301", since=None):
    return ConfirmQueue({"q": q, "sort": sort}, since)


def test_queue_walks_the_filters_candidates_in_the_lists_order(waiting):
    q = queue()
    step = q.step(None)
    assert step.candidate.name == "学生丙"  # bing < ding < jia < wu < yi: by pinyin, as the list sorts
    names = []
    while step.candidate:
        names.append(step.candidate.name)
        step = q.step_after(step.candidate)
    assert names == [c.name for c in Candidate.filtered(q="计应2301", sort="name")]
    assert "别班" not in names and len(names) == 5
    assert (step.done, step.total) == (0, 5)


def test_next_and_previous_follow_a_descending_sort(waiting):
    q = queue(sort="-created_at")
    ordered = list(Candidate.filtered(q="计应2301", sort="-created_at"))
    step = q.step(ordered[2].id)
    assert (step.previous, step.candidate, step.following) == (ordered[1], ordered[2], ordered[3])
    assert q.step(ordered[0].id).previous is None
    assert q.step(ordered[-1].id).following is None


def test_confirmed_candidates_stay_in_the_queue_and_count_as_done(waiting, make_user):
    since = now() - timedelta(seconds=1)
    q = queue(since=since)
    first = q.first()
    first.confirm(by=make_user("staff"))
    step = q.step_after(first)
    assert (step.done, step.total) == (1, 5)
    assert step.previous == first  # going back shows the one just confirmed
    assert q.step(first.id).candidate == first


def test_a_candidate_confirmed_before_the_queue_started_is_not_in_it(waiting, make_user):
    waiting[0].confirm(by=make_user("staff"))
    q = queue(since=now() + timedelta(seconds=1))
    assert q.progress() == (0, 4)
    assert waiting[0] not in list(q.members())


def test_a_candidate_sent_back_to_pending_leaves_and_the_queue_goes_on_after_it(waiting, make_user):
    q = queue(sort="-created_at")
    ordered = list(q.members())
    ordered[1].edit({"name": ordered[1].name + "改"}, by=make_user("staff"))
    step = q.step(ordered[1].id)
    assert step.left.status == PENDING
    assert step.candidate == ordered[2]
    assert step.total == 4


def test_start_redirects_to_the_first_candidate_with_the_filter_start_and_total_in_the_url(client, staff, waiting):
    response = client.get("/candidates/queue/start?q=计应2301&sort=name&status=待认证&page=2", headers=HX)
    url = response.headers["HX-Redirect"]
    assert "since=" in url and "q=" in url and "total=5" in url
    assert f"at={queue().first().id}" in url
    page = client.get(url)
    # The list's status tab does not narrow the queue: it is where 返回考生管理 goes back to.
    assert "已确认 0 / 5" in page.text and "学生丙" in page.text
    assert valid_id(BODIES[2]) in page.text  # the full number, to check against the photo


def test_leaving_the_queue_returns_to_the_list_filter_status_tab_and_page_it_came_from(client, staff, waiting):
    url = client.get("/candidates/queue/start?q=计应2301&sort=name&status=认证通过&page=3&per_page=20",
                     headers=HX).headers["HX-Redirect"]
    back = '/candidates/?q=%E8%AE%A1%E5%BA%942301&amp;sort=name&amp;status=%E8%AE%A4%E8%AF%81%E9%80%9A%E8%BF%87&amp;page=3&amp;per_page=20'
    assert f'data-key="leave" href="{back}"' in client.get(url).text
    grid = client.get(url.replace("/queue/?", "/queue/grid?"))
    assert f'href="{back}"' in grid.text
    # A status or page no list has is dropped, not carried.
    url = client.get("/candidates/queue/start?q=计应2301&status=乱写&page=-1", headers=HX).headers["HX-Redirect"]
    assert "status=" not in url and "page" not in url


def test_a_step_reads_a_few_rows_by_index_never_counts_the_waiting_or_skips_by_offset(client, staff, waiting):
    url = client.get("/candidates/queue/start?q=计应2301&sort=name", headers=HX).headers["HX-Redirect"]
    first = queue().first()
    counted = []
    handler = logging.Handler()
    # Statements are logged as (sql, params); the connection pool (peewee.pool) logs plain messages.
    handler.emit = lambda entry: isinstance(entry.msg, tuple) and counted.append(entry.msg)
    logger = logging.getLogger("peewee")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        assert client.post(f"/candidates/queue/{first.id}/confirm?{url.split('?')[1]}", headers=HX).status_code == 200
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    selects = [(sql, params) for sql, params in counted if sql.startswith("SELECT")]
    assert selects and not [sql for sql, params in selects if "OFFSET" in sql and params[-1] != 0]
    counts = [sql for sql, _ in selects if "COUNT(" in sql]
    assert len(counts) == 1 and "confirmed_at" in counts[0]  # 已确认 only: the total came in the URL


def test_the_total_is_counted_at_the_start_and_goes_down_when_a_member_is_seen_leaving(waiting, make_user):
    q = queue(sort="-created_at")
    q.start()
    ordered = list(q.members())
    waiting[0].edit({"name": "学生改"}, by=make_user("staff"))  # leaves, further along the queue
    assert q.step(ordered[0].id).total == 5
    step = q.step(waiting[0].id)
    assert step.left == waiting[0] and step.total == 4 and q.args["total"] == 4
    # At the end the members are counted again, exactly.
    last = list(q.members())[-1]
    assert q.step_after(last).total == 4


def test_the_position_is_carried_step_by_step_and_counted_only_without_one(waiting, make_user):
    q = queue()
    ordered = list(q.members())
    step = q.step(None)
    assert (step.candidate, step.position) == (ordered[0], 1)
    step = q.step_after(step.candidate, position=step.position)
    assert (step.candidate, step.position) == (ordered[1], 2)
    # A URL without a position (an old bookmark) has the members before the candidate counted.
    assert q.step(ordered[3].id).position == 4
    assert q.step(ordered[3].id, position=4).position == 4
    # A member seen leaving hands its place to the one after it.
    ordered[2].edit({"name": "学生改"}, by=make_user("staff"))
    step = q.step(ordered[2].id, position=3)
    assert (step.left, step.candidate, step.position) == (ordered[2], ordered[3], 3)
    # A carried place that drifted past the end (others changed the queue meanwhile) stays inside it.
    assert q.step(ordered[4].id, position=99).position == step.total


def test_the_stage_shows_the_place_and_its_links_carry_it(client, staff, waiting):
    url = client.get("/candidates/queue/start?q=计应2301&sort=name", headers=HX).headers["HX-Redirect"]
    assert "pos=1" in url
    ordered = list(queue().members())
    page = client.get(url)
    assert "第 1 / 5 位" in page.text and f"at={ordered[1].id}&amp;pos=2" in page.text
    nxt = client.get(url.replace(f"at={ordered[0].id}&pos=1", f"at={ordered[1].id}&pos=2"), headers=HX)
    assert "第 2 / 5 位" in nxt.text and f"at={ordered[0].id}&amp;pos=1" in nxt.text
    args = url.split("?")[1].replace("pos=1", "pos=2")
    response = client.post(f"/candidates/queue/{ordered[1].id}/confirm?{args}", headers=HX)
    assert "第 3 / 5 位" in response.text and "pos=3" in response.headers["HX-Push-Url"]


def test_start_with_nothing_to_confirm_says_so(client, staff, waiting):
    response = client.get("/candidates/queue/start?q=没有这个班", headers=HX)
    assert response.status_code == 409 and "没有认证通过、待人工确认的考生" in response.text
    # Opened directly (a bookmark, a typed address, followed from /candidates/queue/): CertDesk's own page,
    # with the way back to the list's filter.
    for url in ("/candidates/queue/start?department=不存在学院", "/candidates/queue/?department=" + "院" * 10000):
        response = client.get(url, follow_redirects=True)
        assert response.status_code == 409 and response.mimetype == "text/html"
        assert "没有认证通过、待人工确认的考生" in response.text and "返回考生管理" in response.text
        assert "考生管理</a>" in response.text  # the navigation is there
    assert 'href="/candidates/?department=%E4%B8%8D%E5%AD%98%E5%9C%A8%E5%AD%A6%E9%99%A2"' in client.get(
        "/candidates/queue/start?department=不存在学院").text
    # A hostile address is not sent back whole in the redirect: the filter as the list reads it.
    for url in ("/candidates/queue/?department=", "/candidates/counts?department="):
        assert len(client.get(url + "院" * 10000).headers["Location"]) < 1500


def test_show_without_a_start_redirects_to_start(client, staff, waiting):
    response = client.get("/candidates/queue/?q=计应2301")
    assert response.status_code == 303 and "/candidates/queue/start" in response.headers["Location"]


def test_confirm_in_the_queue_marks_accurate_and_answers_the_next_with_its_url(client, staff, waiting):
    q = queue(since=now() - timedelta(seconds=1))
    first, second = list(q.members())[:2]
    response = client.post(f"/candidates/queue/{first.id}/confirm", query_string=q.args, headers=HX)
    assert response.status_code == 200 and "<html" not in response.text
    assert Candidate.get_by_id(first.id).status == ACCURATE
    assert f"at={second.id}" in response.headers["HX-Push-Url"]
    assert "已确认 1 / 5" in response.text and second.name in response.text
    assert AuditEvent.select().where(AuditEvent.action == "candidate.confirm").count() == 1


def test_confirm_is_refused_without_a_photo(client, staff, make_candidate):
    candidate = make_candidate(status=VERIFIED, name="无照片")
    q = queue(q="")
    response = client.post(f"/candidates/queue/{candidate.id}/confirm", query_string=q.args, headers=HX)
    # The stage again, saying why, with the upload focused; nothing confirmed.
    assert response.status_code == 422 and "<html" not in response.text
    assert "该考生还没有照片，不能人工确认：请先上传照片" in response.text
    assert re.search(r'<input type="file" id="queue-photo-file"[^>]* autofocus>', response.text)
    assert Candidate.get_by_id(candidate.id).status == VERIFIED


def test_the_stage_says_when_the_candidate_left_and_moves_on(client, staff, waiting, make_user):
    q = queue(sort="-created_at")
    ordered = list(q.members())
    ordered[0].edit({"gender": "女"}, by=staff)
    response = client.get("/candidates/queue/", query_string={**q.args, "at": ordered[0].id}, headers=HX)
    assert f"{ordered[0].name} 的状态已变为「待认证」" in response.text
    assert f"at={ordered[1].id}" in response.headers["HX-Replace-Url"]


def test_the_end_of_the_queue_counts_what_was_skipped(client, staff, waiting):
    q = queue(since=now() - timedelta(seconds=1))
    last = list(q.members())[-1]
    response = client.post(f"/candidates/queue/{last.id}/confirm", query_string=q.args, headers=HX)
    assert "已到最后一位" in response.text and "还有 4 人跳过未确认" in response.text


def test_grid_confirms_the_ticked_cards_each_audited(client, staff, waiting):
    q = queue()
    response = client.get("/candidates/queue/grid", query_string=q.args)
    assert "410102********" in response.text and valid_id(BODIES[0]) not in response.text
    ticked = [waiting[0].id, waiting[2].id]
    response = client.post("/candidates/queue/grid", query_string=q.args, data={"ids": ticked}, headers=HX)
    assert response.status_code == 200
    assert [c.status for c in Candidate.select().where(Candidate.id.in_(ticked))] == [ACCURATE, ACCURATE]
    assert Candidate.get_by_id(waiting[1].id).status == VERIFIED
    events = AuditEvent.select().where(AuditEvent.action == "candidate.confirm")
    assert sorted(int(e.object_id) for e in events) == sorted(ticked)
    assert "已确认 2 / 5" in response.text


def test_grid_confirms_none_when_one_ticked_has_no_photo(client, staff, waiting, make_candidate):
    bare = make_candidate(status=VERIFIED, name="无照片", id_number=valid_id("41010220000101123"),
                          class_name="计应2301")
    response = client.post("/candidates/queue/grid", query_string=queue().args,
                           data={"ids": [waiting[0].id, bare.id]}, headers=HX)
    assert response.status_code == 409
    assert Candidate.get_by_id(waiting[0].id).status == VERIFIED


def test_save_and_confirm_next_in_the_rows_dialog_opens_the_next_waiting_of_the_list(client, staff, waiting):
    ordered = list(Candidate.filtered(q="计应2301", sort="name"))
    response = client.post(f"/candidates/{ordered[0].id}/confirm", data={"next": "1", "q": "计应2301", "sort": "name"},
                           headers=HX)
    assert response.status_code == 200
    assert f"人工确认：{ordered[1].name}" in response.text and "<html" not in response.text
    assert Candidate.get_by_id(ordered[0].id).status == ACCURATE
    assert "candidatesReload" in response.headers["HX-Trigger"]


def test_save_and_confirm_next_on_the_last_closes_and_says_none_is_left(client, staff, waiting):
    last = list(Candidate.filtered(q="计应2301", sort="name"))[-1]
    response = client.post(f"/candidates/{last.id}/confirm", data={"next": "1", "q": "计应2301", "sort": "name"},
                           headers=HX)
    assert response.status_code == 204 and "closeDialog" in response.headers["HX-Trigger"]


def test_grid_opened_on_its_own_keeps_the_lists_filter(client, staff, waiting):
    response = client.get("/candidates/queue/grid?q=计应2301")
    assert "已确认 0 / 5" in response.text and "学生甲" in response.text and "别班" not in response.text


def test_grid_with_nothing_ticked_says_so(client, staff, waiting):
    response = client.post("/candidates/queue/grid", query_string=queue().args, data={}, headers=HX)
    assert response.status_code == 409 and "请先勾选" in response.text


def test_without_a_sort_the_queue_follows_the_lists_default_newest_first(waiting):
    q = ConfirmQueue({"q": "计应2301"})
    step = q.step(None)
    assert step.candidate == waiting[-1] and step.following == waiting[-2] and step.previous is None


def test_a_position_no_column_can_hold_starts_at_the_first(client, staff, waiting):
    response = client.get("/candidates/queue/", query_string={**queue().args, "at": "9" * 25})
    assert response.status_code == 200 and "学生丙" in response.text


def test_a_fixable_photo_in_the_queue_is_offered_a_fix_and_stored_only_on_accepting(client, staff, make_candidate):
    import io
    from models.photo import demo_jpeg
    candidate = make_candidate(status=VERIFIED, name="无照片")
    q = queue(q="")
    response = client.post(f"/candidates/queue/{candidate.id}/photo", query_string=q.args, headers=HX,
                           data={"photo": (io.BytesIO(demo_jpeg(500, 500)), "square.jpg")})
    assert response.status_code == 422 and "照片可以自动修正" in response.text
    token = re.search(r"/photos/fixes/([0-9a-f]{32})/accept", response.text).group(1)
    assert Candidate.get_by_id(candidate.id).photo is None
    assert client.post(f"/photos/fixes/{token}/accept", headers=HX).status_code == 204
    assert Candidate.get_by_id(candidate.id).photo is not None


@pytest.mark.parametrize("sort", ["department", "-department", "-status"])
def test_the_queue_follows_a_sort_on_several_columns(make_candidate, sort):
    classes = [("经济管理学院", "会计", "会计2301"), ("信息工程学院", "软件技术", "软件2301"),
               ("信息工程学院", "计算机应用", "计应2302"), ("信息工程学院", "计算机应用", "计应2301"),
               ("经济管理学院", "会计", "会计2301")]
    for i, (department, major, class_name) in enumerate(classes):
        make_candidate(status=VERIFIED, photo=f"ab/{i}.jpg", name=f"学生{'甲乙丙丁戊'[i]}",
                       id_number=valid_id(BODIES[i]), department=department, major=major, class_name=class_name)
    ordered = list(Candidate.filtered(sort=sort))
    q = ConfirmQueue({"sort": sort}, None)
    step, walked = q.step(None), []
    while step.candidate:
        walked.append(step.candidate)
        step = q.step_after(step.candidate)
    assert walked == ordered and [c.name for c in ordered] != [f"学生{n}" for n in "甲乙丙丁戊"]
    step = q.step(ordered[2].id)
    assert (step.previous, step.candidate, step.following) == (ordered[1], ordered[2], ordered[3])


@pytest.mark.parametrize("sort", ["status", "-status"])
def test_save_and_confirm_next_sorted_by_status_opens_the_next_waiting(client, staff, make_candidate, sort):
    for i, department in enumerate(("机电工程学院", "信息工程学院", "经济管理学院")):
        make_candidate(status=VERIFIED, photo=f"ab/{i}.jpg", name=f"学生{'甲乙丙'[i]}", id_number=valid_id(BODIES[i]),
                       department=department)
    ordered = list(Candidate.filtered(sort=sort))
    response = client.post(f"/candidates/{ordered[0].id}/confirm", data={"next": "1", "sort": sort}, headers=HX)
    assert response.status_code == 200 and f"人工确认：{ordered[1].name}" in response.text
    # In the queue too: confirming the second goes on to the third, not back or to the end.
    queue = ConfirmQueue({"sort": sort}, now() - timedelta(seconds=5))
    Candidate.get_by_id(ordered[1].id).confirm(by=staff)
    assert queue.step_after(Candidate.get_by_id(ordered[1].id)).candidate == ordered[2]
