"""考生管理's htmx answer kept whole by a server process until the database changes (views/kept_answers.py):
given again without reading anything while nobody wrote; read again after any write, by this server or
another process; kept apart by URL, role and mount point; never a full page, a POST or within a transaction."""
import logging

import pytest
from flask import Response
from flask_login import login_user

from models.candidate import Candidate
from models.db import db, is_sqlite
from models.user import ADMIN, STAFF
from tests.test_list_steering import HX, college  # noqa: F401 (a fixture)
from tests.test_unchanged import write_elsewhere
from views import kept_answers
from views.kept_answers import kept_partial

LIST = "/candidates/?department=信息工程学院"


@pytest.fixture(autouse=True)
def nothing_kept():
    kept_answers.forget_all()
    yield
    kept_answers.forget_all()


def statements(client, url, headers=HX):
    """The response to `url` and the statements it ran through Peewee."""
    counted = []
    handler = logging.Handler()
    handler.emit = lambda entry: isinstance(entry.msg, tuple) and counted.append(entry.msg)  # (SQL, values)
    logger = logging.getLogger("peewee")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        response = client.get(url, headers=headers)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert response.status_code == 200
    return response, counted


def test_the_same_answer_is_given_again_without_reading_the_list(client, login, college):  # noqa: F811
    if not is_sqlite():
        pytest.skip("PostgreSQL's snapshot moves with any database of the server: the suite's other workers'")
    login(STAFF)
    first, read = statements(client, LIST)
    again, read_again = statements(client, LIST)
    assert read and read_again == []
    assert again.get_data() == first.get_data() and again.headers["Vary"] == first.headers["Vary"]
    assert again.get_data(as_text=True).count('<tr id="candidate-') == 7


def test_a_full_page_is_read_every_time(client, login, college):  # noqa: F811
    login(STAFF)
    statements(client, LIST, headers={})
    page, read = statements(client, LIST, headers={})
    assert read and "X-CSRFToken" in page.get_data(as_text=True)  # the session's own token


def test_a_delete_on_this_server_shows_in_the_next_answer(client, login, college):  # noqa: F811
    login(STAFF)
    gone = Candidate.get(Candidate.name == "学生1")
    assert f'id="candidate-{gone.id}"' in client.get(LIST, headers=HX).get_data(as_text=True)
    assert client.delete(f"/candidates/{gone.id}", headers=HX).status_code == 200
    body = client.get(LIST, headers=HX).get_data(as_text=True)
    assert f'id="candidate-{gone.id}"' not in body and body.count('<tr id="candidate-') == 6


def test_a_change_another_server_process_wrote_shows_in_the_next_answer(app, client, login, college):  # noqa: F811
    login(STAFF)
    assert "改了名" not in client.get(LIST, headers=HX).get_data(as_text=True)
    write_elsewhere(app, "UPDATE candidate SET name = '改了名' WHERE name = '学生1'")
    assert "改了名" in client.get(LIST, headers=HX).get_data(as_text=True)


def counted_answers():
    def answer():
        answer.calls += 1
        return Response(f"answer {answer.calls}")
    answer.calls = 0
    return answer


def asked(app, answer, user, url=LIST, method="GET", headers=HX, root="", in_transaction=False):
    with app.test_request_context(url, method=method, headers=headers, base_url=f"http://localhost{root}/"):
        db.connect(reuse_if_open=True)
        login_user(user)
        if in_transaction:
            with db.atomic():
                return kept_partial(answer).get_data(as_text=True)
        return kept_partial(answer).get_data(as_text=True)


def test_answers_are_kept_apart_by_url_role_and_mount_point(app, make_user, college):  # noqa: F811
    if not is_sqlite():
        pytest.skip("PostgreSQL's snapshot moves with any database of the server: the suite's other workers'")
    staff, staff2, admin, answer = make_user(STAFF), make_user(STAFF, "staff2"), make_user(ADMIN), counted_answers()
    assert asked(app, answer, staff) == "answer 1"
    assert asked(app, answer, staff2) == "answer 1"  # the same role sees the same buttons
    assert asked(app, answer, admin) == "answer 2"
    assert asked(app, answer, staff, url=LIST + "&page=2") == "answer 3"
    assert asked(app, answer, staff, root="/certdesk") == "answer 4"
    assert asked(app, answer, staff) == "answer 1" and answer.calls == 4


def test_a_full_page_a_post_and_an_answer_in_a_transaction_are_never_kept(app, make_user, college):  # noqa: F811
    staff, answer = make_user(STAFF), counted_answers()
    asked(app, answer, staff, headers={})
    asked(app, answer, staff, headers={})
    asked(app, answer, staff, method="POST")
    asked(app, answer, staff, method="POST")
    assert answer.calls == 4
    asked(app, answer, staff, in_transaction=True)
    asked(app, answer, staff, in_transaction=True)
    assert answer.calls == 6


def test_an_answer_too_large_or_refused_is_not_kept_and_at_most_limit_are(app, make_user, college,  # noqa: F811
                                                                         monkeypatch):
    if not is_sqlite():
        pytest.skip("PostgreSQL's snapshot moves with any database of the server: the suite's other workers'")
    staff = make_user(STAFF)
    large, refused = counted_answers(), counted_answers()
    monkeypatch.setattr(kept_answers, "MAX_BODY", 5)
    asked(app, large, staff)
    asked(app, large, staff)
    assert large.calls == 2
    monkeypatch.undo()
    refused_answer = lambda: (refused(), Response("no", status=404))[1]  # noqa: E731
    asked(app, refused_answer, staff)
    asked(app, refused_answer, staff)
    assert refused.calls == 2
    for page in range(kept_answers.LIMIT * 2):
        asked(app, counted_answers(), staff, url=f"{LIST}&page={page}")
        assert len(kept_answers._kept) <= kept_answers.LIMIT


def test_answers_of_an_earlier_generation_make_room_first(app, make_user, college):  # noqa: F811
    if not is_sqlite():
        pytest.skip("PostgreSQL's snapshot moves with any database of the server: the suite's other workers'")
    staff = make_user(STAFF)
    for page in range(kept_answers.LIMIT):
        asked(app, counted_answers(), staff, url=f"{LIST}&page={page}")
    assert len(kept_answers._kept) == kept_answers.LIMIT
    write_elsewhere(app, "UPDATE candidate SET name = '改了名' WHERE name = '学生1'")
    asked(app, counted_answers(), staff)
    assert len(kept_answers._kept) == 1
