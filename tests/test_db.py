"""The set-based helpers every bulk write goes through: bulk_insert and select_in."""
from datetime import date, datetime

import pytest

import models
from app import create_app
from models.audit import AuditEvent
from models.candidate import PENDING, Candidate
from models.db import bulk_insert, db, select_in
from tests.postgres import new_postgres_database  # noqa: F401 (a fixture)


def _people(n, at):
    for i in range(n):
        yield {"name": f"考生{i}", "id_type": "居民身份证", "id_number": f"4101022003010{i:05d}", "gender": "男",
               "birth_date": date(2003, 1, 1 + i % 28), "phone": "13800000000", "enrollment_year": 2023 + i % 2,
               "batch_id": 7, "created_at": at, "updated_at": at}


def test_bulk_insert_takes_a_generator_in_chunks_applies_defaults_and_round_trips_types(app):
    at = datetime(2026, 11, 29, 9, 30, 5)
    with app.app_context(), db.connection_context(), db.atomic():
        assert bulk_insert(Candidate, _people(25, at), chunk=10) == 25
        assert bulk_insert(Candidate, iter(())) == 0
        stored = list(Candidate.select().order_by(Candidate.id))
    assert len(stored) == 25
    first, last = stored[0], stored[-1]
    assert (first.birth_date, first.enrollment_year, first.created_at) == (date(2003, 1, 1), 2023, at)
    assert (last.birth_date, last.enrollment_year, last.batch_id) == (date(2003, 1, 25), 2023, 7)
    assert first.status == PENDING and first.ethnicity == ""  # field defaults fill what the rows leave out


def test_bulk_insert_of_audit_rows_gives_each_the_same_default_time(app):
    with app.app_context(), db.connection_context(), db.atomic():
        bulk_insert(AuditEvent, ({"action": "x", "object_id": str(i)} for i in range(3)))
        events = list(AuditEvent.select())
    assert len({e.at for e in events}) == 1 and isinstance(events[0].at, datetime)


@pytest.mark.parametrize("streamed", [False, True])
def test_a_row_that_fails_in_the_middle_of_a_bulk_insert_leaves_none_written(app, streamed):
    # Streamed on PostgreSQL, the rows go through one COPY while later chunks are still being made: a failure
    # there must end the COPY, say what failed and roll back the chunks the server already took.
    def people_then_a_bad_row():
        yield from _people(25, datetime(2026, 1, 1))
        raise ValueError("a row that cannot be converted")

    with app.app_context(), db.connection_context():
        with pytest.raises(ValueError, match="a row that cannot be converted"):
            with db.atomic():
                bulk_insert(Candidate, people_then_a_bad_row(), chunk=10, streamed=streamed)
        assert Candidate.select().count() == 0
        with db.atomic():  # the connection is usable again
            assert bulk_insert(Candidate, _people(3, datetime(2026, 1, 1))) == 3
        assert Candidate.select().count() == 3


def test_rows_made_with_queries_are_inserted_a_chunk_at_a_time_between_them(app):
    # An audit label read from a record's candidate is a query while the rows are made: unless streamed, no
    # COPY is open on the connection then (one was, and the insert failed: 为勾选的记录颁证 on PostgreSQL).
    with app.app_context(), db.connection_context(), db.atomic():
        bulk_insert(Candidate, _people(3, datetime(2026, 1, 1)))
        events = ({"action": "x", "object_id": str(c.id), "object_label": Candidate.get_by_id(c.id).name}
                  for c in Candidate.select().order_by(Candidate.id))
        assert bulk_insert(AuditEvent, events, chunk=2) == 3
        assert [e.object_label for e in AuditEvent.select().order_by(AuditEvent.id)] == ["考生0", "考生1", "考生2"]


def test_select_in_reads_chunked_in_queries(app):
    with app.app_context(), db.connection_context():
        with db.atomic():
            bulk_insert(Candidate, _people(12, datetime(2026, 1, 1)))
        numbers = [f"4101022003010{i:05d}" for i in (0, 5, 11)] + ["不存在"]
        found = sorted(select_in(Candidate, ("id_number", "name"), "id_number", numbers, chunk=2))
    assert found == [("410102200301000000", "考生0"), ("410102200301000005", "考生5"),
                     ("410102200301000011", "考生11")]


def test_bulk_insert_keeps_awkward_text_exactly(app):
    # PostgreSQL takes bulk rows through COPY's text format: these characters must survive its escaping.
    awkward = ["a\tb", "line1\nline2", "C:\\data\\N", "\\N", "", "回车\r", "'; drop table x; --"]
    with app.app_context(), db.connection_context(), db.atomic():
        bulk_insert(AuditEvent, ({"action": "x", "object_id": str(i), "object_label": text, "changes": text}
                                 for i, text in enumerate(awkward)))
        stored = [(e.object_label, e.changes) for e in AuditEvent.select().order_by(AuditEvent.id)]
        nulls = bulk_insert(AuditEvent, [{"action": "y", "user_id": None}])
        assert nulls == 1 and AuditEvent.get(AuditEvent.action == "y").user_id is None
    assert stored == [(text, text) for text in awkward]


def test_values_every_row_shares_are_written_once_and_stored_exactly(app):
    # `same` is spelled into the statement (SQLite) or the COPY line (PostgreSQL) once, not bound per row:
    # quotes, SQL, a timestamp, a number and NULL must arrive as given; a NUL, which no SQLite literal
    # spells, is bound with each row instead.
    at = datetime(2026, 11, 30, 8, 0, 1)
    labels = ["'; drop table audit_event; --", "回车\r\t'"] + (["a\x00b"] if models.is_sqlite() else [])
    for label in labels:  # PostgreSQL refuses a NUL in any text
        shared = {"action": "y", "object_label": label, "at": at, "user_id": None, "changes": "{}"}
        with app.app_context(), db.connection_context(), db.atomic():
            assert bulk_insert(AuditEvent, ({"object_id": str(i)} for i in range(3)), same=shared) == 3
            stored = list(AuditEvent.select().where(AuditEvent.action == "y"))
            AuditEvent.delete().where(AuditEvent.action == "y").execute()
        assert sorted(e.object_id for e in stored) == ["0", "1", "2"]
        assert {(e.object_label, e.at, e.user_id) for e in stored} == {(label, at, None)}



def test_a_row_made_as_read_is_the_row_peewee_makes(app):
    at = datetime(2026, 11, 29, 9, 30, 5)
    with app.app_context(), db.connection_context():
        with db.atomic():
            bulk_insert(Candidate, _people(3, at))
        columns = (Candidate.id, Candidate.name, Candidate.birth_date, Candidate.created_at, Candidate.photo)
        made = list(Candidate.select(*columns).order_by(Candidate.id).objects(Candidate.as_read))
        usual = list(Candidate.select(*columns).order_by(Candidate.id))
        assert [row.__data__ for row in made] == [row.__data__ for row in usual]
        assert isinstance(made[1].birth_date, date) and made[1].created_at == at and made[0].photo is None
        assert [type(row) for row in made] == [Candidate] * 3
        assert not made[0].is_dirty() and made[0].__rel__ == {}
        made[0].name = "改名"
        assert made[0].dirty_fields == [Candidate.name]
        made[0].save(only=made[0].dirty_fields)
        assert Candidate.get_by_id(made[0].id).name == "改名"


def test_postgresql_analyses_a_table_with_its_first_rows(app_config, tmp_path, new_postgres_database):
    """Until autovacuum analyses a new table the planner knows nothing of it: an award import's audit events
    scanned the candidates once per record (10–25 s for 10,000). A table's first rows are analysed at once,
    and a start analyses any table holding rows that never was (a college just moved or restored)."""
    url = new_postgres_database("first_rows")
    app = create_app(dict(app_config, DATABASE_URL=url, DATA_DIR=str(tmp_path / "first_rows")))

    def rows_known(table):
        return db.execute_sql("SELECT reltuples FROM pg_class WHERE relname = %s", (table,)).fetchone()[0]

    with app.app_context():
        db.connect(reuse_if_open=True)
        assert rows_known("candidate") < 0  # never analysed
        with db.atomic():
            Candidate.bulk_add(dict(name="学生", id_type="护照", id_number=f"E{n:05d}", gender="男", status=PENDING)
                               for n in range(300))
            assert rows_known("candidate") == 300  # within the import's own transaction
        db.execute_sql("INSERT INTO setting (key, value) VALUES ('college_name', '某学院')")
        assert rows_known("setting") < 0
        db.close()
    create_app(dict(app_config, DATABASE_URL=url, DATA_DIR=str(tmp_path / "first_rows")))
    with app.app_context():
        db.connect(reuse_if_open=True)
        assert rows_known("setting") >= 1
        db.close()
