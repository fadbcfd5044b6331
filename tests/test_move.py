"""flask move-to: the demo college from its SQLite file into an empty PostgreSQL database, compared table by table."""
from pathlib import Path

import pytest
from playhouse.db_url import connect

from models import ALL_MODELS, init_schema
from models.candidate import Candidate
from models.catalog import Organisation
from models.db import db
from models.migrations import CURRENT_VERSION, version_in
from models.move import MoveError, bound, masked, table_digest, verify
from tests.postgres import new_postgres_database  # noqa: F401 (a fixture)


@pytest.fixture
def app_config(app_config, tmp_path):
    # move-to moves away from SQLite, whichever database the rest of the suite runs on.
    return dict(app_config, DATABASE_URL=f"sqlite:///{tmp_path / 'college.db'}")


@pytest.fixture
def demo_college(runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output


def every_table(database):
    """{table: rows in primary-key order} read through the models, so values compare as Python values."""
    with database.bind_ctx(ALL_MODELS):
        return {model._meta.table_name: list(model.select().order_by(model._meta.primary_key).tuples())
                for model in ALL_MODELS}


def test_move_copies_the_demo_college_and_every_table_compares_equal(app, runner, demo_college,
                                                                     new_postgres_database):
    url = new_postgres_database("move")
    result = runner.invoke(args=["move-to", url])
    assert result.exit_code == 0, result.output
    assert f"DATABASE_URL={masked(url)}" in result.output and "重新启动" in result.output
    target = connect(url)
    moved = every_table(target)
    assert moved == every_table(db.obj)
    assert len(moved["candidate"]) == 500 and moved["award_record"] and moved["audit_event"]
    # The photos stay in the data directory: the moved rows name them relative to it.
    with target.bind_ctx([Candidate]):
        photos = [c.photo for c in Candidate.select().where(Candidate.photo.is_null(False))]
    assert photos and all((Path(app.config["DATA_DIR"]) / "photos" / photo).is_file() for photo in photos)
    target.close()


def test_after_a_move_each_table_hands_out_the_id_after_its_largest(runner, demo_college, new_postgres_database):
    url = new_postgres_database("move")
    assert runner.invoke(args=["move-to", url]).exit_code == 0
    target = connect(url)
    with target.bind_ctx([Organisation]):
        assert Organisation.create(name="新增的培训评价组织").id == 6
    for model in ALL_MODELS:
        table = f'"{model._meta.table_name}"'
        largest = target.execute_sql(f"SELECT COALESCE(MAX(id), 0) FROM {table}").fetchone()[0]
        following = target.execute_sql("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [table]).fetchone()[0]
        assert following == largest + 1, table
    target.close()


def test_move_refuses_a_target_that_already_holds_data(runner, demo_college, new_postgres_database):
    url = new_postgres_database("move")
    assert runner.invoke(args=["move-to", url]).exit_code == 0
    again = runner.invoke(args=["move-to", url])
    assert again.exit_code != 0
    assert "目标数据库已有颁证工作台的数据" in again.output and "candidate 500 行" in again.output
    target = connect(url)
    assert target.execute_sql("SELECT COUNT(*) FROM candidate").fetchone()[0] == 500
    target.close()


def test_move_refuses_a_database_with_tables_of_another_application(runner, demo_college, new_postgres_database):
    url = new_postgres_database("move")
    target = connect(url)
    target.execute_sql("CREATE TABLE ledger (id serial PRIMARY KEY)")
    result = runner.invoke(args=["move-to", url])
    assert result.exit_code != 0 and "已有其他表：ledger" in result.output
    assert target.get_tables() == ["ledger"]
    target.close()


def test_move_refuses_the_empty_schema_of_a_newer_certdesk_and_writes_nothing(runner, demo_college,
                                                                              new_postgres_database):
    url = new_postgres_database("move")
    target = connect(url)
    with bound(target):
        init_schema()
    target.execute_sql("UPDATE schema_version SET version = %s", [CURRENT_VERSION + 1])
    tables = target.get_tables()
    result = runner.invoke(args=["move-to", url])
    assert result.exit_code != 0
    assert f"目标数据库已有更新版本的颁证工作台建立的表（结构版本 {CURRENT_VERSION + 1}，此版本只支持到 {CURRENT_VERSION}）" \
        in result.output and "请新建一个空数据库再迁移" in result.output
    assert version_in(target) == CURRENT_VERSION + 1 and target.get_tables() == tables
    assert target.execute_sql("SELECT COUNT(*) FROM candidate").fetchone()[0] == 0
    target.close()


def test_a_move_that_fails_half_way_leaves_the_target_empty_and_names_the_table(runner, demo_college,
                                                                              new_postgres_database):
    # SQLite ignores a column's length; PostgreSQL refuses a name longer than its varchar(255).
    Organisation.create(name="培" * 300)
    url = new_postgres_database("move")
    result = runner.invoke(args=["move-to", url])
    assert result.exit_code != 0
    assert "复制表 organisation 时出错，目标数据库未写入任何数据" in result.output
    target = connect(url)
    assert target.get_tables() == []
    target.close()


def test_the_check_finds_one_changed_value(runner, demo_college, new_postgres_database):
    url = new_postgres_database("move")
    assert runner.invoke(args=["move-to", url]).exit_code == 0
    target = connect(url)
    assert table_digest(target, Candidate) == table_digest(db.obj, Candidate)
    target.execute_sql("UPDATE candidate SET created_at = created_at + interval '1 second' WHERE id = 250")
    assert table_digest(target, Candidate) != table_digest(db.obj, Candidate)
    with pytest.raises(MoveError, match=r"candidate（源 500 行，目标 500 行）"):
        verify(db.obj, target)
    target.close()


def test_move_to_needs_a_postgresql_address(runner):
    result = runner.invoke(args=["move-to", "mysql://root@127.0.0.1/certdesk"])
    assert result.exit_code != 0 and "目标地址须是 PostgreSQL 数据库" in result.output


def test_move_to_says_when_the_server_cannot_be_reached(runner):
    result = runner.invoke(args=["move-to", "postgresql://certdesk:s3cret@127.0.0.1:1/certdesk"])
    assert result.exit_code != 0 and "无法连接目标数据库 postgresql://certdesk:***@127.0.0.1:1/certdesk" in result.output
    assert "s3cret" not in result.output


def test_masked_hides_only_the_password():
    assert masked("postgresql://certdesk:pw@db:5432/certdesk") == "postgresql://certdesk:***@db:5432/certdesk"
    assert masked("postgresql://certdesk@db/certdesk") == "postgresql://certdesk@db/certdesk"
