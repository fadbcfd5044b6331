"""The counts per status the database keeps (models/status_tally.py): right after every kind of write, after
many statements on PostgreSQL (folded), and rebuilt on start when they disagree with the table."""
import models
from models import status_tally
from models.candidate import ACCURATE, PENDING, REJECTED, STATUSES, VERIFIED, Candidate
from models.db import db
from tests.conftest import make_id


def counted():
    """The counts as a GROUP BY over the table gives them, every status present."""
    counts = dict.fromkeys(STATUSES, 0)
    counts.update(db.execute_sql("SELECT status, COUNT(*) FROM candidate GROUP BY status").fetchall())
    return counts


def person(i, status=PENDING):
    return {"name": f"考生{i}", "id_type": "居民身份证", "id_number": make_id(born=f"{1990 + i // 100}0105", seq=f"{i % 100:02d}"),
            "gender": "男", "phone": "13812345678", "status": status}


def test_counts_follow_every_kind_of_write(app):
    with db.connection_context():
        assert Candidate.status_counts() == dict.fromkeys(STATUSES, 0)
        Candidate(**person(0)).save()
        with db.atomic():
            Candidate.bulk_add(person(i, status=(PENDING, VERIFIED, ACCURATE)[i % 3]) for i in range(1, 31))
        assert Candidate.status_counts() == counted() == {PENDING: 11, VERIFIED: 10, ACCURATE: 10, REJECTED: 0}

        one = Candidate.get(Candidate.status == PENDING)
        one.status = REJECTED
        one.save()
        Candidate.update(status=ACCURATE).where(Candidate.status == VERIFIED).execute()
        Candidate.update(phone="13900000000").execute()  # no status changes: nothing moves
        assert Candidate.status_counts() == counted() == {PENDING: 10, VERIFIED: 0, ACCURATE: 20, REJECTED: 1}

        Candidate.get(Candidate.status == REJECTED).delete_instance()
        Candidate.delete().where(Candidate.id.in_(Candidate.select(Candidate.id).where(Candidate.status == ACCURATE)
                                                  .limit(5))).execute()
        assert Candidate.status_counts() == counted() == {PENDING: 10, VERIFIED: 0, ACCURATE: 15, REJECTED: 0}

        with db.atomic() as transaction:  # a rolled-back write leaves no count behind
            Candidate.delete().execute()
            transaction.rollback()
        assert Candidate.status_counts() == counted()


def test_many_statements_are_folded_and_still_counted_once(app):
    with db.connection_context():
        for i in range(status_tally.FOLD_ABOVE + 20):
            Candidate(**person(i)).save()
            if i % 2:
                Candidate.update(status=VERIFIED).where(Candidate.id == Candidate.select(Candidate.id)
                                                        .order_by(Candidate.id.desc()).limit(1)).execute()
        assert Candidate.status_counts() == counted()
        # The read that found too many rows folded them: one per status now (SQLite keeps one per status anyway).
        assert Candidate.status_counts() == counted()
        assert db.execute_sql(f"SELECT COUNT(*) FROM {status_tally.TABLE}").fetchone()[0] <= len(STATUSES)


def test_a_start_rebuilds_counts_that_disagree_with_the_table(app):
    with db.connection_context():
        with db.atomic():
            Candidate.bulk_add(person(i) for i in range(12))
        db.execute_sql(f"DELETE FROM {status_tally.TABLE}")
        db.execute_sql(f"INSERT INTO {status_tally.TABLE} (status, n) VALUES ('{VERIFIED}', 99)")
        assert Candidate.status_counts()[VERIFIED] == 99
        models.init_schema()
        assert Candidate.status_counts() == counted() == {PENDING: 12, VERIFIED: 0, ACCURATE: 0, REJECTED: 0}


def test_a_dropped_table_comes_back_with_its_counts(app):
    with db.connection_context():
        with db.atomic():
            Candidate.bulk_add(person(i, status=ACCURATE) for i in range(7))
        status_tally.drop()
        models.init_schema()
        Candidate(**person(50)).save()  # the triggers write into the table again
        assert Candidate.status_counts() == counted() == {PENDING: 1, VERIFIED: 0, ACCURATE: 7, REJECTED: 0}
