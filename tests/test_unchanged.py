"""What a server process keeps until the database changes (models/unchanged.py): given again while nothing
changed; read again after any write, whether by this connection, another one or another server process; never
kept within a transaction; at most `limit` keys a name."""
import re
import subprocess
import sys
from html import unescape

import pytest
from flask import current_app

from models import unchanged
from models.candidate import Candidate
from models.db import db, is_sqlite
from models.pinyin import text_order
from tests.test_list_steering import COLLEGE, HX, college  # noqa: F401 (a fixture)


@pytest.fixture
def staff(login):
    return login("staff")


def counted():
    """A read that says how many times it has been called."""
    def read():
        read.calls.append(1)
        return len(read.calls)
    read.calls = []
    return read


def kept_again(value, before):
    """Whether `value` is the one kept `before`. PostgreSQL's snapshot moves with any database of the server
    (the suite's other workers'), so there a value may have been read again: only SQLite can tell."""
    return value == before or not is_sqlite()


def write_elsewhere(app, sql):
    """Run `sql` in another process with a connection of its own, as another server process would."""
    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite"):
        script = ("import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute(sys.argv[2]); c.commit()")
        target = url.removeprefix("sqlite:///")
    else:
        script = ("import psycopg2, sys; c = psycopg2.connect(sys.argv[1]); c.cursor().execute(sys.argv[2]); "
                  "c.commit()")
        target = url
    subprocess.run([sys.executable, "-c", script, target, sql], check=True, timeout=60)


def test_a_value_is_kept_until_this_connection_writes(app, college):  # noqa: F811
    if not is_sqlite():
        pytest.skip("PostgreSQL's snapshot moves with any database of the server: the suite's other workers'")
    read = counted()
    with app.test_request_context(method="POST"):  # a request that may write
        db.connect(reuse_if_open=True)
        assert [unchanged.kept("test", "k", read) for _ in range(3)] == [1, 1, 1]
        assert unchanged.kept("test", "other key", read) == 2
        Candidate.update(class_name="改名2301").where(Candidate.class_name == "计应2301").execute()
        assert unchanged.kept("test", "k", read) == 3
        assert unchanged.kept("test", "k", read) == 3


def test_a_value_is_read_again_after_this_connection_writes(app, college):  # noqa: F811
    read = counted()
    with app.test_request_context(method="POST"):  # a request that may write
        db.connect(reuse_if_open=True)
        first = unchanged.kept("test", "k", read)
        Candidate.update(class_name="改名2301").where(Candidate.class_name == "计应2301").execute()
        assert unchanged.kept("test", "k", read) > first


def test_a_value_is_read_again_after_another_connection_commits(app, college):  # noqa: F811
    read = counted()
    with app.test_request_context(method="POST"):  # a request that may write
        db.connect(reuse_if_open=True)
        first = unchanged.kept("test", "k", read)
        write_elsewhere(app, "UPDATE candidate SET class_name = '改名2301' WHERE class_name = '计应2301'")
        second = unchanged.kept("test", "k", read)
        assert second > first
        assert kept_again(unchanged.kept("test", "k", read), second)


def test_nothing_is_kept_within_a_transaction_or_outside_a_request(app, college):  # noqa: F811
    read = counted()
    with app.test_request_context(method="POST"):  # a request that may write
        db.connect(reuse_if_open=True)
        with db.atomic():
            assert [unchanged.kept("test", "k", read) for _ in range(2)] == [1, 2]
        after = unchanged.kept("test", "k", read)
        assert after == 3  # what the transaction read was not kept
        assert kept_again(unchanged.kept("test", "k", read), after)
    reads = len(read.calls)
    assert unchanged.kept("test", "k", read) == reads + 1  # a job or the command line reads afresh


def test_a_rolled_back_change_is_never_given_out(app, college):  # noqa: F811
    with app.test_request_context(method="POST"):  # a request that may write
        db.connect(reuse_if_open=True)
        shown = lambda: unchanged.kept("test", "k", Candidate._read_classes)  # noqa: E731
        assert ("信息工程学院", "计算机应用", "改名2301") not in shown()
        with pytest.raises(ZeroDivisionError), db.atomic():
            Candidate.update(class_name="改名2301").where(Candidate.class_name == "计应2301").execute()
            assert ("信息工程学院", "计算机应用", "改名2301") in shown()
            1 / 0
        assert ("信息工程学院", "计算机应用", "改名2301") not in shown()


def test_at_most_limit_keys_a_name_are_kept(app, college):  # noqa: F811
    with app.test_request_context(method="POST"):  # a request that may write
        db.connect(reuse_if_open=True)
        for key in range(50):
            unchanged.kept("test", key, lambda: "x" * 1000, limit=8)
        assert len(unchanged._kept["test"][1]) <= 8


def classes_offered(client):
    body = client.get("/candidates/", headers=HX).get_data(as_text=True)
    select = re.search(r'<select name="class_name".*?</select>', body, re.S).group(0)
    return [unescape(value) for value in re.findall(r'<option value="([^"]+)"', select)]


def test_the_list_offers_a_class_another_server_process_wrote_and_counts_it(app, client, staff, college):  # noqa: F811
    assert "改名2301" not in classes_offered(client)
    assert classes_offered(client) == sorted({row[2] for row in COLLEGE}, key=text_order)  # kept: the same again
    write_elsewhere(app, "UPDATE candidate SET class_name = '改名2301' WHERE class_name = '计应2301'")
    assert "改名2301" in classes_offered(client) and "计应2301" not in classes_offered(client)
    body = client.get("/candidates/?department=信息工程学院&major=计算机应用&class_name=改名2301",
                      headers=HX).get_data(as_text=True)
    assert body.count('<tr id="candidate-') == 3


def test_a_new_connection_counts_as_a_change(app, college):  # noqa: F811
    read = counted()
    with app.test_request_context(method="POST"):  # a request that may write
        db.connect(reuse_if_open=True)
        assert unchanged.kept("test", "k", read) == 1
        db.close()
        db.obj.close_all()
        db.connect()
        assert unchanged.kept("test", "k", read) == 2


def test_a_session_ended_by_another_server_process_ends_here_at_once(app, client, staff):
    assert client.get("/candidates/").status_code == 200
    assert client.get("/candidates/").status_code == 200  # the user now kept by this process
    write_elsewhere(app, f'UPDATE "user" SET session_version = session_version + 1 WHERE id = {staff.id}')
    response = client.get("/candidates/")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


def test_postgresql_asks_once_a_get_and_sqlite_at_every_look(app, college, monkeypatch):  # noqa: F811
    looks = []
    state_of = unchanged._state_of
    monkeypatch.setattr(unchanged, "_state_of", lambda connection: looks.append(1) or state_of(connection))
    with app.test_request_context():
        db.connect(reuse_if_open=True)
        for _ in range(3):
            unchanged.generation()
    assert len(looks) == (3 if is_sqlite() else 1)
    with app.test_request_context(method="POST"):
        for _ in range(3):
            unchanged.generation()
    assert len(looks) == (6 if is_sqlite() else 4)


def offered_classes():
    """The 班级 the list's filter and a search's 班级 matches offer, in a request of its own."""
    with current_app.test_request_context(method="POST"):  # a request that may write: it looks every time
        db.connect(reuse_if_open=True)
        return Candidate.cascade_choices({})["class_name"], Candidate.distinct_values(Candidate.class_name)


def test_a_class_committed_while_a_request_reads_is_offered_to_the_next_request(app, college):  # noqa: F811
    # 考生管理 reads the classes for its cascade first and matches a search's 班级 later in the same request:
    # another server process may commit in between. What the later part keeps must not be the earlier classes.
    with app.test_request_context(method="POST"):
        db.connect(reuse_if_open=True)
        Candidate.classes()
        write_elsewhere(app, "UPDATE candidate SET class_name = '改名2301' WHERE class_name = '计应2301'")
        Candidate.cascade_choices({})
        Candidate.distinct_values(Candidate.class_name)
    with app.app_context():
        for offered in offered_classes():
            assert "改名2301" in offered and "计应2301" not in offered


def test_classes_read_within_a_rolled_back_transaction_are_never_given_out(app, college):  # noqa: F811
    with app.test_request_context(method="POST"):
        db.connect(reuse_if_open=True)
        with pytest.raises(ZeroDivisionError), db.atomic():
            Candidate.update(class_name="改名2301").where(Candidate.class_name == "计应2301").execute()
            assert "改名2301" in [row[2] for row in Candidate.classes()]
            1 / 0
        Candidate.cascade_choices({})
        Candidate.distinct_values(Candidate.class_name)
    with app.app_context():
        for offered in offered_classes():
            assert "改名2301" not in offered and "计应2301" in offered
