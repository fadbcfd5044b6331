"""Moving a college from its SQLite file into an empty PostgreSQL database, verified table by table.

The copy and its check run in one PostgreSQL transaction: a refused or failed move leaves the target as
empty as it was, and the SQLite file is only read. Rows travel in primary-key order a chunk at a time, so
a table of a million audit events never sits in memory whole. Photos and import reports stay where they
are: rows name them relative to the data directory, which does not move.
"""
import hashlib
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import urlsplit, urlunsplit

import psycopg2
from peewee import CharField, DatabaseError, ForeignKeyField, IntegerField, InterfaceError, SqliteDatabase, TextField
from playhouse.db_url import connect

from . import ALL_MODELS, init_schema, tally
from .db import bulk_insert, db, is_sqlite
from .migrations import CURRENT_VERSION, version_in

CHUNK = 5000


class MoveError(RuntimeError):
    """A move that was refused or failed, with a message for the administrator; the target is unchanged."""


def move_to(url):
    """Copy every table of the current SQLite database into the empty PostgreSQL database at `url`.

    Returns [(table, rows)] once every table's row count and checksum match on both sides.
    """
    if not is_sqlite():
        raise MoveError("当前数据库已是 PostgreSQL，无需迁移；move-to 只从 SQLite 迁出")
    if urlsplit(url).scheme not in ("postgres", "postgresql"):
        raise MoveError("目标地址须是 PostgreSQL 数据库，例如 postgresql://certdesk:密码@127.0.0.1:5432/certdesk")
    target = connect(url)
    try:
        target.connect()
    except (DatabaseError, InterfaceError) as exc:
        raise MoveError(f"无法连接目标数据库 {masked(url)}：{exc}".strip())
    try:
        return copy_database(db.obj, target)
    finally:
        target.close()


def copy_database(source, target):
    """Copy every CertDesk table from `source` into `target` (empty) and verify it; returns [(table, rows)].

    `source` is read inside one read transaction, so a server still running beside the move cannot
    make the copy inconsistent (what it writes later stays in the source only).
    """
    refuse_non_empty(target)
    snapshot = source.atomic("DEFERRED") if isinstance(source, SqliteDatabase) else source.atomic()
    with snapshot, bound(target), target.atomic():
        # The target's schema is the app's own, at the current version, and so must the source's be: the
        # running database was upgraded on start, a restored backup's copy by restore (models/backup.py).
        init_schema()
        for model in ALL_MODELS:
            names = [field.name for field in model._meta.sorted_fields]
            try:
                bulk_insert(model, (dict(zip(names, row)) for row in rows_in_order(source, model)))
            except (DatabaseError, psycopg2.Error) as exc:  # bulk_insert runs COPY on the driver's cursor
                raise MoveError(f"复制表 {model._meta.table_name} 时出错，目标数据库未写入任何数据：{exc}".strip())
        _restart_sequences(target)
        return verify(source, target)


def refuse_non_empty(target):
    """Refuse a target holding tables other than CertDesk's, CertDesk tables with rows, or the empty schema of
    a newer CertDesk (this one's copy would not fit it, and its upgrade refuses it: SchemaTooNew)."""
    version = version_in(target)
    if version is not None and version > CURRENT_VERSION:
        raise MoveError(f"目标数据库已有更新版本的颁证工作台建立的表（结构版本 {version}，此版本只支持到 {CURRENT_VERSION}），"
                        "不会写入。请新建一个空数据库再迁移，或用那个更新的版本迁移")
    ours = {model._meta.table_name for model in ALL_MODELS} | {"schema_version", *(kept.table for kept in tally.ALL)}
    others = sorted(set(target.get_tables()) - ours)
    if others:
        raise MoveError(f"目标数据库不是空的，已有其他表：{'、'.join(others[:5])}。请新建一个空数据库再迁移")
    filled = [f"{model._meta.table_name} {rows} 行" for model, rows in row_counts(target) if rows]
    if filled:
        raise MoveError(f"目标数据库已有颁证工作台的数据（{'、'.join(filled[:5])}），不会覆盖。请新建一个空数据库再迁移")


def row_counts(database):
    """[(model, rows)] for every CertDesk table that exists in `database`."""
    tables = set(database.get_tables())
    return [(model, database.execute_sql(f'SELECT COUNT(*) FROM "{model._meta.table_name}"').fetchone()[0])
            for model in ALL_MODELS if model._meta.table_name in tables]


@contextmanager
def bound(database):
    """Point the models' database proxy at `database` for a while (the app's own schema and bulk code
    write through the proxy)."""
    previous = db.obj
    db.initialize(database)
    try:
        yield database
    finally:
        db.initialize(previous)


def rows_in_order(database, model):
    """Every row of `model`'s table as a tuple of Python values (field order), in primary-key order,
    read a chunk at a time by key (no server-side cursor needed, the same SQL on both databases)."""
    meta, fields = model._meta, model._meta.sorted_fields
    key = meta.primary_key
    columns = ", ".join(f'"{field.column_name}"' for field in fields)
    at = fields.index(key)
    # Text and integers come back alike from both drivers; only the other values need converting
    # (SQLite returns dates as text and booleans as 0/1), which spares most of the per-value work.
    converted = [(i, field.python_value) for i, field in enumerate(fields) if not _plain(field)]
    select = f'SELECT {columns} FROM "{meta.table_name}"'
    order = f' ORDER BY "{key.column_name}" LIMIT {CHUNK}'
    rows = database.execute_sql(select + order).fetchall()
    while rows:
        for row in rows:
            if converted:
                row = list(row)
                for i, convert in converted:
                    row[i] = convert(row[i])
            yield tuple(row)
        after = f' WHERE "{key.column_name}" > {database.param}'
        rows = database.execute_sql(select + after + order, [rows[-1][at]]).fetchall()


def _plain(field):
    if isinstance(field, ForeignKeyField):
        field = field.rel_field
    return isinstance(field, (CharField, TextField, IntegerField))


def verify(source, target):
    """Compare every table's row count and checksum; returns [(table, rows)] or raises MoveError."""
    report, differing = [], []
    for model in ALL_MODELS:
        expected, found = table_digest(source, model), table_digest(target, model)
        if expected != found:
            differing.append(f"{model._meta.table_name}（源 {expected[0]} 行，目标 {found[0]} 行）")
        report.append((model._meta.table_name, expected[0]))
    if differing:
        raise MoveError(f"校验不一致，目标数据库未写入任何数据：{'、'.join(differing)}")
    return report


def table_digest(database, model):
    """(rows, sha256) over a table's rows in primary-key order, each value written the same way whichever
    database it came from (SQLite keeps dates as text and booleans as 0/1)."""
    digest, count = hashlib.sha256(), 0
    for row in rows_in_order(database, model):
        digest.update(repr([value if type(value) in _AS_IS else _canonical(value) for value in row]).encode())
        count += 1
    return count, digest.hexdigest()


_AS_IS = {str, int, type(None)}


def _canonical(value):
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value.normalize())
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).hex()
    return str(value)


def _restart_sequences(target):
    # Rows kept their ids, so each id sequence must continue after the largest one, or the next insert
    # would collide with a copied row.
    for model in ALL_MODELS:
        key = model._meta.primary_key
        if key.field_type not in ("AUTO", "BIGAUTO"):
            continue
        table = f'"{model._meta.table_name}"'
        target.execute_sql(f"SELECT setval(pg_get_serial_sequence(%s, %s), COALESCE(MAX(\"{key.column_name}\"), 0) + 1,"
                           f" false) FROM {table}", [table, key.column_name])


def masked(url):
    """The URL with its password hidden, for messages and logs."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
