"""批量人工确认: the queue's order, next/previous, counts and its place in the URL; the grid; 保存并确认下一位."""
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


def test_start_redirects_to_the_first_candidate_with_the_filter_and_start_in_the_url(client, staff, waiting):
    response = client.get("/candidates/queue/start?q=计应2301&sort=name&status=待认证", headers=HX)
    url = response.headers["HX-Redirect"]
    assert "since=" in url and "q=" in url and "status" not in url
    assert f"at={queue().first().id}" in url
    page = client.get(url)
    assert "已确认 0 / 5" in page.text and "学生丙" in page.text
    assert valid_id(BODIES[2]) in page.text  # the full number, to check against the photo


def test_start_with_nothing_to_confirm_says_so(client, staff, waiting):
    response = client.get("/candidates/queue/start?q=没有这个班", headers=HX)
    assert response.status_code == 409 and "没有认证通过、待人工确认的考生" in response.text


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
    assert response.status_code == 409 and "还没有照片" in response.text


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
