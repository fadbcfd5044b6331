"""The set-based helpers every bulk write goes through: bulk_insert and select_in."""
from datetime import date, datetime

from models.audit import AuditEvent
from models.candidate import PENDING, Candidate
from models.db import bulk_insert, db, select_in


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
