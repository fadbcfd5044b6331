"""Schema creation and upgrades: a recorded schema version and the steps that move it forward.

A fresh database gets every table at the current version. An existing database runs, in order, each
step newer than its recorded version, so an upgrade of CertDesk never loses a college's data. A step
is a function of a playhouse.migrate migrator; add new steps at the end and never edit an old one.
"""
from peewee import CharField, DateTimeField, IntegerField, TextField
from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate

from . import award_class, name_index, tally
from .candidate import CONFIRMED_SINCE, search_keys
from .db import BaseModel, db, is_sqlite, update_rows


class SchemaVersion(BaseModel):
    version = IntegerField()


def _session_version(migrator):
    """v2: a per-user session version, so logout and a password change end every session of the user."""
    return [migrator.add_column("user", "session_version", IntegerField(default=0))]


def _progress_index(migrator):
    """v3: an index that covers 首页's candidate counts per 院系 and 班级 (kept if it is there already)."""
    if "candidate_status_department_class_name" in {index.name for index in db.get_indexes("candidate")}:
        return []
    return [migrator.add_index("candidate", ("status", "department", "class_name"), False)]


def _cascade_index(migrator):
    """v4: an index on (院系, 专业, 班级) that finds the candidate list's cascading filter choices a value at
    a time (kept if it is there already)."""
    if "candidate_department_major_class_name" in {index.name for index in db.get_indexes("candidate")}:
        return []
    return [migrator.add_index("candidate", ("department", "major", "class_name"), False)]


SEARCH_COLUMNS = ("name_sort", "name_pinyin", "name_initials", "name_chars", "id_number_reversed")


def _search_columns(migrator):
    """v5: the candidate list's pinyin sort and search columns, filled for every candidate, their indexes
    and the name's full-text index (models/name_index.py); 姓名 sorts by name_sort, so its own index goes."""
    have = {column.name for column in db.get_columns("candidate")}
    migrate(*[migrator.add_column("candidate", name, CharField(default=""))
              for name in SEARCH_COLUMNS if name not in have])
    rows = db.execute_sql('SELECT "name", "id_number", "id" FROM "candidate"').fetchall()
    update_rows(CandidateKeys, SEARCH_COLUMNS, [
        tuple(search_keys(name, number)[column] for column in SEARCH_COLUMNS) + (id_,) for name, number, id_ in rows])
    indexes = {index.name for index in db.get_indexes("candidate")}
    name_index.create(rebuild=True)
    return ([migrator.drop_index("candidate", "candidate_name")] if "candidate_name" in indexes else []) + [
        migrator.add_index("candidate", (name,), False)
        for name in SEARCH_COLUMNS if name != "name_chars" and f"candidate_{name}" not in indexes]


class CandidateKeys(BaseModel):
    """The candidate table as the v5 step sees it: only the columns it fills (the model may change later)."""
    name_sort = CharField()
    name_pinyin = CharField()
    name_initials = CharField()
    name_chars = CharField()
    id_number_reversed = CharField()

    class Meta:
        table_name = "candidate"


def _job_heartbeat(migrator):
    """v6: jobs any server process can claim and re-create (their parameters) and whose process shows it
    is alive (a heartbeat), the columns kept if they are there already. The jobs an older version left
    unfinished cannot be re-created: failed."""
    db.execute_sql(f"UPDATE job SET status = 'failed', message = {db.param} WHERE status IN ('queued', 'running')",
                   ["升级时任务已中断，未写入任何数据，请重新上传"])
    columns = {column.name for column in db.get_columns("job")}
    wanted = {"params": TextField(default=""), "heartbeat_at": DateTimeField(null=True)}
    return [migrator.add_column("job", name, field) for name, field in wanted.items() if name not in columns]


# The list indexes of issue 16 (schema v7): each replaces
# (or adds to) single-column indexes; (table, index to drop or None, columns of the new one).
LIST_INDEXES = (
    ("audit_event", "audit_event_action", ("action", "at", "id")),
    ("audit_event", "audit_event_user_id", ("user_id", "at", "id")),
    ("candidate", "candidate_batch_id", ("batch_id", "status", "photo", "created_at", "updated_at")),
    ("award_record", "award_record_batch_id", ("batch_id", "status", "created_at", "updated_at")),
    ("award_record", None, ("issued_at",)),
    ("award_record", "award_record_site_id", ("site_id", "created_at", "status")),
)


def _list_indexes(migrator):
    """v7: indexes that let 审计日志, 导入记录 and 待颁证记录 count and page at 1,000,000 events without
    reading the table (docs/benchmarks.md); an index already there is kept."""
    return _replace_indexes(migrator, LIST_INDEXES)


def _class_order_index(migrator):
    """v8: the candidates' 院系 index becomes (院系, 班级), the order 颁证前检查 lists them in (kept if there)."""
    return _replace_indexes(migrator, [("candidate", "candidate_department", ("department", "class_name"))])


# Schema v9: two indexes take the columns 颁证前检查 counts by, so that the 信息准确 candidates of a selection who
# hold a record of a level and the year's 省厅指标 use are counted from indexes alone (PostgreSQL read 50,000
# candidates' rows; SQLite looked each of a level's records up for its exam date).
HOLDING_INDEXES = (
    ("candidate", "candidate_status_department_class_name", ("status", "department", "class_name", "id")),
    ("award_record", "award_record_certificate_id_level_status",
     ("certificate_id", "level", "status", "exam_date", "candidate_id")),
)


def _holding_indexes(migrator):
    """v9: HOLDING_INDEXES replace the indexes they extend (kept if there)."""
    return _replace_indexes(migrator, HOLDING_INDEXES)


def _award_classes(migrator):
    """v10: each 待颁证记录 carries its candidate's 院系 and 班级 (models/award_class.py), filled here, and the two
    indexes 颁证名单 of a 院系 or 班级 is read along (columns and indexes kept if there)."""
    have = {column.name for column in db.get_columns("award_record")}
    # Not migrator.add_column, which fills a NOT NULL column by an UPDATE of every row (PostgreSQL: 100,000
    # records 4–9 s a column); with its default in ADD COLUMN, PostgreSQL 11+ fills nothing. The default goes
    # again, as a new database has none (the rows keep theirs).
    for name in ("department", "class_name"):
        if name not in have:
            db.execute_sql(f'ALTER TABLE "award_record" ADD COLUMN "{name}" VARCHAR(255) NOT NULL DEFAULT \'\'')
            if not is_sqlite():
                db.execute_sql(f'ALTER TABLE "award_record" ALTER COLUMN "{name}" DROP DEFAULT')
    award_class.place_all()
    # Named: its columns' names make a name longer than PostgreSQL keeps.
    db.execute_sql('CREATE INDEX IF NOT EXISTS "award_record_roster_order" ON "award_record" '
                   '("status", "department", "certificate_id", "level", "certificate_number")')
    migrate(*_replace_indexes(migrator, [
        ("award_record", None, ("status", "department", "class_name", "certificate_id", "level"))]))
    # SQLite takes an index it has no statistics for as selective: 待颁证记录 of a 状态 read the status's 33,000
    # records along the new (状态, 院系, …) index and sorted them (75–315 ms instead of 0.2), until the table's
    # size had doubled (models/db.py refresh_statistics). PostgreSQL learns the rows the step rewrote.
    db.execute_sql('ANALYZE "award_record"')
    return []


def _replace_indexes(migrator, replacements):
    """Each (table, index to drop or None, columns of the new one): the new index added unless there, the old
    one dropped if there."""
    operations = []
    for table, old, columns in replacements:
        names = {index.name for index in db.get_indexes(table)}
        if "_".join((table, *columns)) not in names:
            operations.append(migrator.add_index(table, columns, False))
        if old in names:
            operations.append(migrator.drop_index(table, old))
    return operations


# Schema v11: indexes no query reads, each written on every row an import adds (10,000 candidates: ~5 ms of an
# import's SQLite time each). The unique (证件类型, 证件号码) index is kept as (证件号码, 证件类型), which serves the
# lookups and prefix searches by 证件号码 its own index served; no query reads the candidates by who confirmed them
# (users are never deleted), and the audit log finds an object's events by its id, the type only checked.
UNREAD_INDEXES = (("candidate", "candidate_id_number"), ("candidate", "candidate_confirmed_by_id"),
                  ("audit_event", "audit_event_object_type"))


def _unread_indexes(migrator):
    """v11: the candidates' unique identity index leads with the 证件号码, and UNREAD_INDEXES go (if there)."""
    operations = []
    names = {index.name for index in db.get_indexes("candidate")}
    if "candidate_id_number_id_type" not in names:
        operations.append(migrator.add_index("candidate", ("id_number", "id_type"), True))
    if "candidate_id_type_id_number" in names:
        operations.append(migrator.drop_index("candidate", "candidate_id_type_id_number"))
    for table, index in UNREAD_INDEXES:
        if index in {i.name for i in db.get_indexes(table)}:
            operations.append(migrator.drop_index(table, index))
    return operations


# Schema v12: 待颁证记录's newest-first index carries the columns its filters test (models/award.py).
ORDER_INDEX = ("award_record", "award_record_created_at", ("created_at", "id", "status", "certificate_id", "level"))


def _award_order_index(migrator):
    """v12: ORDER_INDEX replaces the record's created_at index (kept if there)."""
    migrate(*_replace_indexes(migrator, [ORDER_INDEX]))
    if is_sqlite():
        # SQLite takes an index it has no statistics for as selective (as in v10).
        db.execute_sql('ANALYZE "award_record"')
    return []


def _confirmed_index(migrator):
    """v13: the index on when candidates were confirmed holds the confirmed ones only (candidate.CONFIRMED_SINCE):
    an import writes none of its rows to it (kept if there)."""
    db.execute_sql(f'CREATE INDEX IF NOT EXISTS "{CONFIRMED_SINCE}" ON "candidate" ("confirmed_at") '
                   'WHERE "confirmed_at" IS NOT NULL')
    if "candidate_confirmed_at" in {index.name for index in db.get_indexes("candidate")}:
        return [migrator.drop_index("candidate", "candidate_confirmed_at")]
    return []


# STEPS[i] upgrades a database from version i+1 to version i+2. Version 1 is the first released schema.
STEPS = [_session_version, _progress_index, _cascade_index, _search_columns, _job_heartbeat, _list_indexes,
         _class_order_index, _holding_indexes, _award_classes, _unread_indexes, _award_order_index,
         _confirmed_index]

CURRENT_VERSION = 1 + len(STEPS)


class SchemaTooNew(RuntimeError):
    """A database a newer CertDesk has upgraded, which this one must not open: it would write its older version
    over the newer one (and the newer CertDesk later run its steps again on tables they already changed), and
    its code would misread or break what the newer one wrote."""

    def __init__(self, found):
        self.found = found
        super().__init__(
            f"数据库的结构版本是 {found}，而此版本的颁证工作台只支持到 {CURRENT_VERSION}：它已被更新版本的颁证工作台升级过，"
            "为免损坏数据，未做任何改动。请重新安装那个更新的版本；若确要回到此版本，请把用此版本做的备份恢复到"
            "空的数据目录（和空数据库）中（见 docs/deployment.md 的 Upgrading 一节）")


def stored_version():
    row = SchemaVersion.select().order_by(SchemaVersion.version.desc()).first()
    return row.version if row else None


def version_in(database):
    """The schema version recorded in `database` (any open peewee database), None when it has none."""
    if "schema_version" not in database.get_tables():
        return None
    return database.execute_sql('SELECT MAX("version") FROM "schema_version"').fetchone()[0]


def upgrade(models):
    """Create missing tables and run pending steps; returns (version before, version after). Raises
    SchemaTooNew, having written nothing, for a database of a newer CertDesk."""
    with db.atomic():
        db.create_tables([SchemaVersion], safe=True)
        before = stored_version()
        if before is not None and before > CURRENT_VERSION:
            raise SchemaTooNew(before)
        if before is None:
            db.create_tables(models, safe=True)
            name_index.create()
            tally.create_all()
            award_class.create()
            SchemaVersion.create(version=CURRENT_VERSION)
            return None, CURRENT_VERSION
        migrator = SqliteMigrator(db) if is_sqlite() else PostgresqlMigrator(db)
        if before < CURRENT_VERSION:
            # Made again below. A step that rebuilds the candidate table (SQLite's migrator copies it under
            # another name) fails while a trigger of the record table reads it: "no such table: main.candidate".
            award_class.drop()
        for version in range(before, CURRENT_VERSION):
            migrate(*STEPS[version - 1](migrator))
        # Tables new in this version are created whole; existing ones were altered by the steps above (and get
        # any index they lack). A start at the current version only creates missing tables: every table and
        # index "if not exists" cost ~50 ms a start on PostgreSQL.
        existing = set(db.get_tables()) if before == CURRENT_VERSION else set()
        db.create_tables([model for model in models if model._meta.table_name not in existing], safe=True)
        name_index.create()
        tally.create_all()
        award_class.create()
        SchemaVersion.update(version=CURRENT_VERSION).execute()
        return before, CURRENT_VERSION
