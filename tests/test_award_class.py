"""Each 待颁证记录 carries its candidate's 院系 and 班级 (models/award_class.py), which 颁证名单 filters and sorts
by: right after every kind of write to either table, inside the writing transaction, whatever writes it;
on PostgreSQL a record inserted while its candidate moves waits for the move; made again on start (SQLite)
when a record differs; and filled in by the v10 schema step."""
import threading
from datetime import date, datetime

import psycopg2
import pytest

import models
from models import award_class
from models.award import ISSUED, AwardRecord
from models.candidate import Candidate
from models.db import db, is_sqlite
from models.migrations import CURRENT_VERSION, SchemaVersion
from models.user import STAFF
from tests.conftest import TEST_DATABASE_URL, other_candidates

# A 高级 record of (candidate, certificate, site) written as another tool would (psycopg2): a bare INSERT.
INSERT_RECORD = ("INSERT INTO award_record (candidate_id, certificate_id, level, site_id, exam_date, result, status, "
                 "return_reason, created_at, updated_at, department, class_name) "
                 "VALUES (%s, %s, '高级', %s, '2026-06-01', '通过', '待审核', '', now(), now(), '', '')")


def copies():
    """[(record id, its 院系 and 班级, its candidate's)] of every record."""
    rows = db.execute_sql("SELECT r.id, r.department, r.class_name, c.department, c.class_name FROM award_record r "
                          "JOIN candidate c ON c.id = r.candidate_id ORDER BY r.id").fetchall()
    return [(row[0], tuple(row[1:3]), tuple(row[3:5])) for row in rows]


def assert_placed():
    found = copies()
    assert found and [row for row in found if row[1] != row[2]] == []


def record_row(world, candidate, level="中级"):
    return {"candidate": candidate.id, "certificate": world["cert"].id, "level": level, "site": world["site"].id,
            "exam_date": date(2026, 6, 1)}


@pytest.fixture
def placed(world):
    """Three candidates in two 院系 (one with none), each with a record, made each way the models make them."""
    first, second, third = [world["candidate"]] + other_candidates(2)
    for candidate, department, class_name in ((first, "信息工程学院", "计应2301"), (second, "机电学院", "机电2302"),
                                              (third, "", "")):
        candidate.department, candidate.class_name = department, class_name
        candidate.save()
    AwardRecord.create(**record_row(world, first))
    AwardRecord.bulk_add([record_row(world, second), record_row(world, third), record_row(world, first, "初级")])
    return first, second, third


def test_a_new_record_carries_its_candidates_department_and_class(placed):
    assert_placed()
    assert {departments for _, departments, _ in copies()} == {("信息工程学院", "计应2301"), ("机电学院", "机电2302"),
                                                               ("", "")}


def test_a_candidate_moved_by_its_form_by_a_query_or_by_sql_takes_its_records_along(placed, make_user):
    first, second, third = placed
    first.edit({"department": "经济管理学院", "class_name": "会计2301"}, make_user(STAFF))
    assert_placed()
    Candidate.update(class_name="机电2303").where(Candidate.department == "机电学院").execute()
    assert_placed()
    db.execute_sql(f"UPDATE candidate SET department = 'X学院' WHERE id = {db.param}", [third.id])
    assert_placed()
    assert sorted({departments for _, departments, _ in copies()}) == [
        ("X学院", ""), ("机电学院", "机电2303"), ("经济管理学院", "会计2301")]


def test_the_records_move_inside_the_candidates_transaction_and_not_when_it_is_rolled_back(placed):
    first = placed[0]
    with db.atomic() as transaction:
        first.department = "经济管理学院"
        first.save()
        assert_placed()  # already, before the commit
        transaction.rollback()
    assert_placed()
    assert AwardRecord.get(AwardRecord.candidate == first).department == "信息工程学院"


def test_a_record_saved_as_it_was_read_before_its_candidate_moved_keeps_the_new_department(placed):
    first = placed[0]
    record = AwardRecord.get(AwardRecord.candidate == first, AwardRecord.level == "中级")
    Candidate.update(department="经济管理学院").where(Candidate.id == first.id).execute()
    record.status = ISSUED  # peewee's save() writes every column, the 院系 read before the move too
    record.save()
    assert record.department == "信息工程学院"  # as read
    assert_placed()
    assert AwardRecord.get_by_id(record.id).department == "经济管理学院"


def test_a_record_given_another_department_or_candidate_takes_its_candidates_again(placed):
    first, second, _ = placed
    AwardRecord.update(department="别的学院", class_name="别的班").execute()
    assert_placed()
    record = AwardRecord.get(AwardRecord.candidate == first, AwardRecord.level == "初级")
    AwardRecord.update(candidate=second).where(AwardRecord.id == record.id).execute()
    assert_placed()
    assert AwardRecord.get_by_id(record.id).department == "机电学院"


def test_a_record_inserted_without_the_model_is_placed_by_postgresql_at_once_and_by_sqlite_on_start(
        placed, world, app_config):
    db.execute_sql(
        "INSERT INTO award_record (candidate_id, certificate_id, level, site_id, exam_date, result, status, "
        "return_reason, created_at, updated_at, department, class_name) VALUES "
        f"({', '.join([db.param] * 12)})",
        [placed[1].id, world["cert"].id, "高级", world["site"].id, date(2026, 6, 1), "通过", "待审核", "",
         datetime(2026, 6, 2), datetime(2026, 6, 2), "", ""])
    if is_sqlite():
        assert ("", "") in {departments for _, departments, _ in copies()}
        award_class.create()  # what every start runs
    assert_placed()


@pytest.mark.skipif(not TEST_DATABASE_URL.startswith("postgres"), reason="two writers at once: PostgreSQL")
def test_postgresql_a_record_inserted_while_its_candidate_moves_waits_for_the_move_and_takes_the_new_department(
        placed, world):
    second = placed[1]
    mover, inserter = psycopg2.connect(TEST_DATABASE_URL), psycopg2.connect(TEST_DATABASE_URL)
    try:
        mover.cursor().execute("UPDATE candidate SET department = '经济管理学院' WHERE id = %s", [second.id])
        done = threading.Event()

        def insert():
            inserter.cursor().execute(
                INSERT_RECORD,
                [second.id, world["cert"].id, world["site"].id])
            inserter.commit()
            done.set()
        thread = threading.Thread(target=insert)
        thread.start()
        # Without the lock the insert reads the 院系 committed before the move, and the move's trigger cannot
        # see the new row: the record would keep 机电学院.
        assert not done.wait(0.5)
        mover.commit()
        thread.join(10)
        assert done.is_set()
    finally:
        mover.close()
        inserter.close()
    assert_placed()
    assert AwardRecord.get(AwardRecord.level == "高级").department == "经济管理学院"


def test_a_version_9_database_gains_the_records_department_and_class_filled_from_their_candidates(placed):
    from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate
    award_class.drop()
    migrator = SqliteMigrator(models.db) if models.is_sqlite() else PostgresqlMigrator(models.db)
    migrate(migrator.drop_index("award_record", "award_record_roster_order"),
            migrator.drop_index("award_record", "award_record_status_department_class_name_certificate_id_level"),
            migrator.drop_column("award_record", "department"), migrator.drop_column("award_record", "class_name"))
    SchemaVersion.update(version=9).execute()
    assert models.init_schema() == (9, CURRENT_VERSION)
    assert_placed()
    assert ("信息工程学院", "计应2301") in {departments for _, departments, _ in copies()}
    indexes = {index.name: index.columns for index in db.get_indexes("award_record")}
    assert indexes["award_record_roster_order"] == ["status", "department", "certificate_id", "level",
                                                    "certificate_number"]
    assert indexes["award_record_status_department_class_name_certificate_id_level"] == [
        "status", "department", "class_name", "certificate_id", "level"]
    if is_sqlite():  # without statistics SQLite took the new indexes for 待颁证记录 of a 状态 (75–315 ms)
        analysed = {name for (name,) in db.execute_sql("SELECT idx FROM sqlite_stat1 WHERE tbl = 'award_record'")}
        assert {"award_record_roster_order",
                "award_record_status_department_class_name_certificate_id_level"} <= analysed
    Candidate.update(department="经济管理学院").where(Candidate.id == placed[0].id).execute()  # and kept from then on
    assert_placed()


@pytest.mark.skipif(not TEST_DATABASE_URL.startswith("postgres"), reason="two writers at once: PostgreSQL")
def test_postgresql_an_award_import_and_a_photo_job_over_the_same_candidates_both_commit(placed, world):
    # A record import (or 颁证, whose save() writes the record's 院系 again) and a photo ZIP job (or 人工确认, an
    # edit, 批量认证) write the same candidates' rows in their own orders. Neither changes a 院系 or 班级, so
    # neither needs to wait for the other, and waiting both ways is a deadlock that fails one of them.
    first, second = placed[0], placed[1]
    importer, photos = psycopg2.connect(TEST_DATABASE_URL), psycopg2.connect(TEST_DATABASE_URL)
    insert = INSERT_RECORD
    failures = []
    try:
        for connection in (importer, photos):
            connection.cursor().execute("SET lock_timeout = '5s'")
        importer.cursor().execute(insert, [first.id, world["cert"].id, world["site"].id])
        photos.cursor().execute("UPDATE candidate SET photo = 'new.jpg' WHERE id = %s", [second.id])

        def import_the_second():
            try:
                importer.cursor().execute(insert, [second.id, world["cert"].id, world["site"].id])
                importer.commit()
            except psycopg2.Error as exc:
                failures.append(exc)
                importer.rollback()
        thread = threading.Thread(target=import_the_second)
        thread.start()
        try:
            photos.cursor().execute("UPDATE candidate SET photo = 'new.jpg' WHERE id = %s", [first.id])
            photos.commit()
        except psycopg2.Error as exc:
            failures.append(exc)
            photos.rollback()
        thread.join(30)
    finally:
        importer.close()
        photos.close()
    assert failures == []
    assert AwardRecord.select().where(AwardRecord.level == "高级").count() == 2
    assert_placed()


@pytest.mark.skipif(not TEST_DATABASE_URL.startswith("postgres"), reason="two writers at once: PostgreSQL")
def test_postgresql_a_candidate_moved_while_its_new_record_is_not_yet_committed_takes_that_record_along(
        placed, world):
    second = placed[1]
    inserter, mover = psycopg2.connect(TEST_DATABASE_URL), psycopg2.connect(TEST_DATABASE_URL)
    try:
        inserter.cursor().execute(
            INSERT_RECORD,
            [second.id, world["cert"].id, world["site"].id])
        done = threading.Event()

        def move():
            mover.cursor().execute("UPDATE candidate SET department = '经济管理学院' WHERE id = %s", [second.id])
            mover.commit()
            done.set()
        thread = threading.Thread(target=move)
        thread.start()
        done.wait(0.5)  # the move may wait for the insert, or not; either way the record must follow it
        inserter.commit()
        thread.join(10)
        assert done.is_set()
    finally:
        inserter.close()
        mover.close()
    assert_placed()
    assert AwardRecord.get(AwardRecord.level == "高级").department == "经济管理学院"
