"""Schema creation and upgrade on start keep a college's data."""
import pytest

import models
from app import StartRefused, create_app
from models.migrations import CURRENT_VERSION, SchemaTooNew, SchemaVersion, stored_version
from models.move import masked
from models.user import User


def test_fresh_database_is_created_at_the_current_version(app):
    assert stored_version() == CURRENT_VERSION


def test_restart_keeps_data_and_recreates_a_missing_table(app, app_config, make_user):
    make_user("admin", username="boss")
    models.db.drop_tables([models.Setting])
    create_app(app_config)
    assert User.by_username("boss") is not None
    assert models.Setting.table_exists()
    assert SchemaVersion.select().count() == 1


def test_pending_steps_run_in_order(app, monkeypatch):
    from models import migrations
    ran = []
    monkeypatch.setattr(migrations, "STEPS", [lambda m: ran.append(2) or [], lambda m: ran.append(3) or []])
    monkeypatch.setattr(migrations, "CURRENT_VERSION", 3)
    SchemaVersion.update(version=1).execute()
    assert models.init_schema() == (1, 3)
    assert ran == [2, 3] and stored_version() == 3


def test_a_version_1_database_gains_the_session_version_and_keeps_its_users(app, make_user):
    from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate
    make_user("admin", username="boss")
    migrator = SqliteMigrator(models.db) if models.is_sqlite() else PostgresqlMigrator(models.db)
    migrate(migrator.drop_column("user", "session_version"))
    SchemaVersion.update(version=1).execute()
    assert models.init_schema() == (1, CURRENT_VERSION)
    boss = User.by_username("boss")
    assert boss.session_version == 0 and User.from_token(boss.get_id()) == boss


@pytest.mark.parametrize("version, index", [
    (2, "candidate_status_department_class_name_id"),  # 首页's counts per 院系 and 班级 (with the id since v9)
    (3, "candidate_department_major_class_name"),  # the candidate list's 院系 → 专业 → 班级 choices
    (7, "candidate_department_class_name"),  # 颁证前检查's order
])
def test_an_older_database_gains_the_candidate_index_of_the_next_version(app, version, index):
    from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate
    migrator = SqliteMigrator(models.db) if models.is_sqlite() else PostgresqlMigrator(models.db)
    migrate(migrator.drop_index("candidate", index))
    if version == 7:
        migrate(migrator.add_index("candidate", ("department",), False))  # the 院系 index it replaces
    SchemaVersion.update(version=version).execute()
    assert models.init_schema() == (version, CURRENT_VERSION)
    assert index in {i.name for i in models.db.get_indexes("candidate")}
    assert "candidate_department" not in {i.name for i in models.db.get_indexes("candidate")}  # replaced in v8


def test_a_version_8_database_gains_the_indexes_that_count_who_holds_a_record_from_the_index_alone(app):
    from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate
    migrator = SqliteMigrator(models.db) if models.is_sqlite() else PostgresqlMigrator(models.db)
    migrate(migrator.drop_index("candidate", "candidate_status_department_class_name_id"),
            migrator.add_index("candidate", ("status", "department", "class_name"), False),
            migrator.drop_index("award_record", "award_record_certificate_id_level_status_exam_date_candidate_id"),
            migrator.add_index("award_record", ("certificate_id", "level", "status"), False))
    SchemaVersion.update(version=8).execute()
    assert models.init_schema() == (8, CURRENT_VERSION)
    candidate = {i.name: i.columns for i in models.db.get_indexes("candidate")}
    award = {i.name: i.columns for i in models.db.get_indexes("award_record")}
    assert candidate["candidate_status_department_class_name_id"] == ["status", "department", "class_name", "id"]
    assert award["award_record_certificate_id_level_status_exam_date_candidate_id"] == [
        "certificate_id", "level", "status", "exam_date", "candidate_id"]
    assert "candidate_status_department_class_name" not in candidate  # replaced, not kept beside
    assert "award_record_certificate_id_level_status" not in award


def test_a_version_3_database_gains_job_heartbeats_and_fails_the_jobs_it_cannot_resume(app):
    from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate
    from models.job import DONE, FAILED, RUNNING, Job
    migrator = SqliteMigrator(models.db) if models.is_sqlite() else PostgresqlMigrator(models.db)
    running = Job.create(kind="import.candidates", status=RUNNING, worker="host:123")
    done = Job.create(kind="photos.zip", status=DONE)
    migrate(migrator.drop_column("job", "params"), migrator.drop_column("job", "heartbeat_at"))
    SchemaVersion.update(version=3).execute()
    assert models.init_schema() == (3, CURRENT_VERSION)
    running, done = Job.get_by_id(running.id), Job.get_by_id(done.id)
    assert running.status == FAILED and "升级时任务已中断" in running.message and running.params == ""
    assert done.status == DONE and done.heartbeat_at is None


def test_the_list_indexes_step_replaces_single_column_indexes_and_keeps_the_events(app, make_user):
    """The step of issue 16's list indexes (v7; the step before it is the previous version)."""
    from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate
    from models.audit import AuditEvent, record
    from models.migrations import LIST_INDEXES, STEPS, _list_indexes
    boss = make_user("admin", username="boss")
    record("user.create", boss, {"角色": (None, "admin")}, user=boss)
    migrator = SqliteMigrator(models.db) if models.is_sqlite() else PostgresqlMigrator(models.db)
    for table, old, columns in LIST_INDEXES:  # back to the indexes of the version before
        migrate(migrator.drop_index(table, "_".join((table, *columns))))
        if old:
            migrate(migrator.add_index(table, (old.removeprefix(table + "_"),), False))
    previous = STEPS.index(_list_indexes) + 1
    SchemaVersion.update(version=previous).execute()
    assert models.init_schema() == (previous, CURRENT_VERSION)
    for table, old, columns in LIST_INDEXES:
        names = {index.name for index in models.db.get_indexes(table)}
        assert "_".join((table, *columns)) in names and old not in names
    assert [(e.action, e.object_label) for e in AuditEvent.select()] == [("user.create", str(boss))]
    assert models.init_schema() == (CURRENT_VERSION, CURRENT_VERSION)


def test_a_version_10_database_drops_the_indexes_no_query_reads_and_keeps_each_identity_unique(app, make_user):
    """v11: the (证件类型, 证件号码) unique index leads with the 证件号码 instead, whose own index goes; so do the
    indexes on who confirmed a candidate and on an audit event's object type."""
    from peewee import IntegrityError
    from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate
    from models.candidate import Candidate
    from models.migrations import UNREAD_INDEXES
    person = {"name": "张三", "id_type": "居民身份证", "id_number": "410102200301010019", "gender": "男"}
    Candidate.create(**person)
    migrator = SqliteMigrator(models.db) if models.is_sqlite() else PostgresqlMigrator(models.db)
    migrate(migrator.drop_index("candidate", "candidate_id_number_id_type"),
            migrator.add_index("candidate", ("id_type", "id_number"), True),
            *[migrator.add_index(table, (index.removeprefix(table + "_"),), False) for table, index in UNREAD_INDEXES])
    SchemaVersion.update(version=10).execute()
    assert models.init_schema() == (10, CURRENT_VERSION)
    candidate = {index.name: (index.columns, index.unique) for index in models.db.get_indexes("candidate")}
    assert candidate["candidate_id_number_id_type"] == (["id_number", "id_type"], True)
    assert "candidate_id_type_id_number" not in candidate
    for table, index in UNREAD_INDEXES:
        assert index not in {i.name for i in models.db.get_indexes(table)}
    with pytest.raises(IntegrityError), models.db.atomic():
        Candidate.create(**dict(person, name="李四"))
    assert Candidate.select().count() == 1


def test_a_database_of_a_newer_certdesk_is_refused_and_left_as_it_was(app, make_user):
    """Its version is never written over with this CertDesk's, nor a table it lacks made (the newer one would
    later run its own steps again on tables they already changed)."""
    make_user("admin", username="boss")
    models.db.drop_tables([models.Setting])
    SchemaVersion.update(version=CURRENT_VERSION + 1).execute()
    with pytest.raises(SchemaTooNew) as refused:
        models.init_schema()
    assert stored_version() == CURRENT_VERSION + 1 and SchemaVersion.select().count() == 1
    assert not models.Setting.table_exists() and User.by_username("boss") is not None
    message = str(refused.value)
    assert f"数据库的结构版本是 {CURRENT_VERSION + 1}，而此版本的颁证工作台只支持到 {CURRENT_VERSION}" in message
    assert "未做任何改动" in message and "重新安装那个更新的版本" in message
    assert "用此版本做的备份恢复到空的数据目录" in message and "docs/deployment.md" in message


def test_the_app_does_not_start_on_a_database_of_a_newer_certdesk(app, app_config):
    SchemaVersion.update(version=CURRENT_VERSION + 1).execute()
    with pytest.raises(StartRefused) as refused:
        create_app(app_config)
    assert refused.value.exit_code == 3  # the systemd unit does not restart it (docs/deployment.md)
    assert str(refused.value).startswith(f"颁证工作台未启动。数据库的结构版本是 {CURRENT_VERSION + 1}")
    assert f"数据库：{masked(app_config['DATABASE_URL'])}" in str(refused.value)
    models.db.connect(reuse_if_open=True)
    assert stored_version() == CURRENT_VERSION + 1


def test_a_version_11_database_gains_the_record_order_index_in_place_of_the_time_index(app):
    """v12: 待颁证记录's newest-first index carries the columns its filters test, and replaces the time index."""
    from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate
    from models.migrations import ORDER_INDEX
    table, old, columns = ORDER_INDEX
    migrator = SqliteMigrator(models.db) if models.is_sqlite() else PostgresqlMigrator(models.db)
    migrate(migrator.drop_index(table, "_".join((table, *columns))), migrator.add_index(table, ("created_at",), False))
    SchemaVersion.update(version=11).execute()
    assert models.init_schema() == (11, CURRENT_VERSION)
    award = {i.name: i.columns for i in models.db.get_indexes(table)}
    assert award["_".join((table, *columns))] == list(columns) and old not in award
    assert models.init_schema() == (CURRENT_VERSION, CURRENT_VERSION)


def test_a_version_12_database_indexes_when_candidates_were_confirmed_for_the_confirmed_ones_only(app):
    """v13: an import's candidates (none confirmed) are not written to the index 批量人工确认 counts 已确认 from."""
    from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate
    from models.candidate import CONFIRMED_SINCE
    fresh = {index.name: index.sql for index in models.db.get_indexes("candidate")}
    assert "IS NOT NULL" in fresh[CONFIRMED_SINCE] and "candidate_confirmed_at" not in fresh
    migrator = SqliteMigrator(models.db) if models.is_sqlite() else PostgresqlMigrator(models.db)
    migrate(migrator.drop_index("candidate", CONFIRMED_SINCE), migrator.add_index("candidate", ("confirmed_at",), False))
    SchemaVersion.update(version=12).execute()
    assert models.init_schema() == (12, CURRENT_VERSION)
    upgraded = {index.name: (index.columns, index.sql) for index in models.db.get_indexes("candidate")}
    assert "candidate_confirmed_at" not in upgraded
    assert upgraded[CONFIRMED_SINCE][0] == ["confirmed_at"] and "IS NOT NULL" in upgraded[CONFIRMED_SINCE][1]
