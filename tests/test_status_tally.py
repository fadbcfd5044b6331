"""The counts the database keeps per status, class and photo (models/status_tally.py): right after every
kind of write, after many statements on PostgreSQL (folded), rebuilt on start when they disagree with the
table, and the same as counting the list's filter."""
import itertools
from collections import Counter

import pytest

import models
from models import status_tally
from models.tally import FOLD_ABOVE
from models.candidate import ACCURATE, PENDING, REJECTED, STATUSES, VERIFIED, Candidate
from models.db import db, is_sqlite
from tests.conftest import make_id

COLUMNS = ("status", "department", "major", "class_name")


def kept():
    """{key: n} as the tally has it."""
    rows = db.execute_sql(f"SELECT {', '.join(status_tally.KEY)}, SUM(n) FROM {status_tally.TABLE} "
                          f"GROUP BY {', '.join(status_tally.KEY)}").fetchall()
    return {tuple(row[:-1]): int(row[-1]) for row in rows if row[-1]}


def counted():
    """{key: n} counted from the candidates."""
    return Counter((c.status, c.department, c.major, c.class_name, int(c.photo is not None))
                   for c in Candidate.select())


def by_status():
    counts = dict.fromkeys(STATUSES, 0)
    counts.update(db.execute_sql("SELECT status, COUNT(*) FROM candidate GROUP BY status").fetchall())
    return counts


def person(i, status=PENDING, **fields):
    return {"name": f"考生{i}", "id_type": "居民身份证", "id_number": make_id(born=f"{1990 + i // 100}0105",
                                                                         seq=f"{i % 100:02d}"),
            "gender": "男", "phone": "13812345678", "status": status, "department": ("信息工程学院", "经济管理学院")[i % 2],
            "major": ("软件技术", "会计", "计算机应用")[i % 3], "class_name": f"班{i % 5}",
            "photo": f"ab/{i}.jpg" if i % 3 else None, **fields}


def test_counts_follow_every_kind_of_write(app):
    with db.connection_context():
        assert Candidate.status_counts() == dict.fromkeys(STATUSES, 0) and kept() == {}
        Candidate(**person(0)).save()
        with db.atomic():
            Candidate.bulk_add(person(i, status=(PENDING, VERIFIED, ACCURATE)[i % 3]) for i in range(1, 31))
        assert kept() == counted() and Candidate.status_counts() == by_status()
        assert by_status() == {PENDING: 11, VERIFIED: 10, ACCURATE: 10, REJECTED: 0}

        one = Candidate.get(Candidate.status == PENDING)
        one.status, one.class_name, one.photo = REJECTED, "新班", None
        one.save()
        Candidate.update(status=ACCURATE).where(Candidate.status == VERIFIED).execute()
        Candidate.update(phone="13900000000").execute()  # no key changes: nothing moves
        Candidate.update(photo="cd/new.jpg").where(Candidate.photo.is_null()).execute()
        Candidate.update(department="机电学院").where(Candidate.id <= 5).execute()
        assert kept() == counted() and Candidate.status_counts() == by_status()
        assert by_status() == {PENDING: 10, VERIFIED: 0, ACCURATE: 20, REJECTED: 1}

        Candidate.get(Candidate.status == REJECTED).delete_instance()
        Candidate.delete().where(Candidate.id.in_(Candidate.select(Candidate.id).where(Candidate.status == ACCURATE)
                                                  .limit(5))).execute()
        assert kept() == counted() and by_status() == {PENDING: 10, VERIFIED: 0, ACCURATE: 15, REJECTED: 0}

        with db.atomic() as transaction:  # a rolled-back write leaves no count behind
            Candidate.delete().execute()
            transaction.rollback()
        assert kept() == counted() and Candidate.status_counts() == by_status()


def test_the_lists_counts_are_those_of_its_filter(app):
    with db.connection_context():
        with db.atomic():
            Candidate.bulk_add(person(i, status=STATUSES[i % 4]) for i in range(60))
        choices = {"department": ["", "信息工程学院", "无此院系"], "major": ["", "会计"], "class_name": ["", "班2"],
                   "has_photo": ["", "0", "1", "2", "x"]}
        for values in itertools.product(*choices.values()):
            filters = dict(zip(choices, values))
            assert Candidate.list_counts(filters) == Candidate.status_counts(Candidate.filtered(**filters)), filters
        with_search = {"q": "考生1", "has_photo": "1"}
        assert Candidate.list_counts(with_search) == Candidate.status_counts(Candidate.filtered(**with_search))


def test_many_statements_are_folded_and_still_counted_once(app):
    with db.connection_context():
        for i in range(FOLD_ABOVE + 20):
            Candidate(**person(i)).save()
            if i % 2:
                Candidate.update(status=VERIFIED).where(Candidate.id == Candidate.select(Candidate.id)
                                                        .order_by(Candidate.id.desc()).limit(1)).execute()
        assert Candidate.status_counts() == by_status()
        # The read that found many rows folded them: one per key now.
        assert Candidate.status_counts() == by_status() and kept() == counted()
        # (SQLite keeps a key whose count went back to 0; its primary key allows one row per key.)
        rows = db.execute_sql(f"SELECT COUNT(*) FROM {status_tally.TABLE}" + (" WHERE n <> 0" if is_sqlite() else "")
                              ).fetchone()[0]
        assert rows == len(counted())


@pytest.mark.parametrize("damage", ["wrong", "dropped"])
def test_a_start_rebuilds_counts_that_disagree_with_the_table(app, damage):
    with db.connection_context():
        with db.atomic():
            Candidate.bulk_add(person(i) for i in range(12))
        if damage == "wrong":
            db.execute_sql(f"UPDATE {status_tally.TABLE} SET n = n + 7")
            assert Candidate.status_counts() != by_status()
        else:
            status_tally.drop()
        models.init_schema()
        Candidate(**person(50, status=ACCURATE)).save()  # the triggers write into the table again
        assert kept() == counted() and Candidate.status_counts() == by_status()
        assert by_status() == {PENDING: 12, VERIFIED: 0, ACCURATE: 1, REJECTED: 0}


def test_a_start_folds_the_rows_an_earlier_process_left(app):
    with db.connection_context():
        for i in range(3 * FOLD_ABOVE):  # e.g. an import's COPY in chunks, in another process
            Candidate(**person(i)).save()
        models.init_schema()
        rows = db.execute_sql(f"SELECT COUNT(*) FROM {status_tally.TABLE}" + (" WHERE n <> 0" if is_sqlite() else "")
                              ).fetchone()[0]
        assert rows == len(counted()) and Candidate.status_counts() == by_status()
