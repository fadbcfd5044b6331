"""The database handle, the base model and connection setup."""

import io
import itertools
import logging
import math
import operator
from contextlib import contextmanager
from datetime import date, datetime

from flask import g, has_request_context
from peewee import (SQL, CharField, DatabaseProxy, DateTimeField, IntegerField, Model, NodeList, Select, SqliteDatabase,
                    TextField, fn)
from playhouse.db_url import connect
from playhouse.pool import PooledDatabase
from psycopg2.errors import QueryCanceled
from psycopg2.extras import execute_batch

from sheets.spec import FieldError

from .normalise import text, whole_number

db = DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10000,
    "synchronous": "normal",
    "cache_size": -16000,
}


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False

    @classmethod
    def as_read(cls, **values):
        """A row of this model as a query of its own plain columns read it (no aliases, no joins), for
        `query.objects(Model.as_read)`: made without Model.__init__, which sets each value through its field
        (half of reading a list's page)."""
        row = cls.__new__(cls)
        row.__data__, row._dirty, row.__rel__ = values, set(), {}
        return row

    @classmethod
    def chosen(cls, raw, problem, fix, query=None):
        """The row a form's select names by its id (among `query`'s rows when given); None when nothing is
        chosen, FieldError(problem, fix) when the id names no row (deleted since the form was shown)."""
        if not text(raw):
            return None
        found = (cls.select() if query is None else query).where(cls.id == whole_number(raw)).first()
        if found is None:
            raise FieldError(problem, fix)
        return found


def now():
    """The current local time without microseconds: what staff see and what the audit log stores."""
    return datetime.now().replace(microsecond=0)


class TimestampField(DateTimeField):
    """A DateTimeField whose default is the local time of the write."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default", now)
        super().__init__(*args, **kwargs)


def open_database(url):
    """Open the database a URL names and bind the proxy to it, through a pool of connections.

    A request borrows a connection and gives it back (db.close()) instead of opening its own: a new SQLite
    connection parses the schema and starts with an empty page cache, a new PostgreSQL one starts a server
    process, and either cost more than a small list's queries. The pool rolls back a transaction left
    open. A database opened earlier (tests open one per test) closes its idle connections."""
    if isinstance(db.obj, PooledDatabase):
        db.obj.close_idle()
    scheme, _, rest = url.partition("://")
    pooled = f"{scheme}+pool://{rest}"
    if url.startswith("sqlite"):
        # BEGIN IMMEDIATE: a transaction takes the write lock up front and waits for it (busy_timeout).
        # A deferred one that reads first and writes later fails at once with "database is locked" when
        # another request wrote in between, which waitress's threads would otherwise hit under load.
        # A pooled connection serves one thread at a time, but not always the thread that opened it.
        database = connect(pooled, pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE", check_same_thread=False, **POOL)
    else:
        database = connect(pooled, **POOL)
    db.initialize(database)
    return database


def close_all_connections():
    """Close every connection of the pool, not only return it: before a fork, so that no server process
    inherits a socket another one also talks through (their answers would cross)."""
    if isinstance(db.obj, PooledDatabase):
        db.obj.close_all()
    elif db.obj is not None and not db.is_closed():
        db.close()


# No limit on connections (each thread holds one at most, as before the pool); a connection is replaced
# once it is ten minutes old (PostgreSQL server processes do not grow forever).
POOL = {"max_connections": None, "stale_timeout": 600}


def one_row(**counts):
    """Run several COUNT subqueries as one statement: {name: count}. Each subquery is planned on its own, so
    each can count through the index that fits it."""
    query = Select(columns=[q.alias(name) for name, q in counts.items()]).bind(db)
    return dict(zip(counts, query.tuples().get()))


def count_of(query):
    """A query's COUNT as a subquery for one_row()."""
    return query.select(fn.COUNT(1)).order_by()


def where_all(query, conditions):
    """`query` narrowed by every condition of a list (none: unchanged)."""
    return query.where(*conditions) if conditions else query


def is_sqlite():
    return isinstance(db.obj, SqliteDatabase)


def unindexed(field):
    """On SQLite, a column through an expression, so that its index is not picked: SQLite then walks the
    sort's index and tests each row, where it would read every row matching the column through its index
    and sort them (models/confirm_queue.py, Candidate.filtered). PostgreSQL chooses so from its statistics
    and a LIMIT; an expression would only hide them. The expression is SQLite's unary +, which keeps the value
    and its type (`column || ''` made text of it, and a new string for each row tested: 待颁证记录 of a level
    walked to the middle, 50,000 index entries, 4.5 ms against 2)."""
    return NodeList((SQL("+"), field), glue="") if is_sqlite() else field


def starts(field, prefix):
    """`field` starts with `prefix`, as a range both databases read from the field's index (SQLite's LIKE
    uses an index only when it is case-insensitive, PostgreSQL's only under the C collation)."""
    return (field >= prefix) & (field < prefix + "\U0010ffff")


def in_ids(field, ids):
    """`field IN (ids)` with the ids written into the statement. peewee builds a node for each value of an
    in_() list, and renders the list twice (once to see whether it is empty): for the 200 record ids a search
    by name hands on, that cost ~10 ms of CPU a request. operator.index lets nothing but an integer in."""
    ids = [operator.index(i) for i in ids]
    if not ids:
        return field.in_([])
    return NodeList((field, SQL(f"IN ({', '.join(map(str, ids))})")))


def unordered(field):
    """A column through an expression that keeps its order but that no index has, so that ORDER BY … LIMIT
    reads the rows matching the conditions and sorts them instead of walking the column's index."""
    if isinstance(field, IntegerField):
        return field + 0
    if isinstance(field, DateTimeField) and not is_sqlite():
        return field + SQL("INTERVAL '0 seconds'")
    return field.concat("")  # text, and SQLite's dates (stored as ISO text)


def read_once(key, read):
    """What `read()` returns, read once a request when several parts of it ask (kept in flask.g under `key`),
    and afresh outside a request (jobs, the CLI)."""
    if not has_request_context():
        return read()
    kept = g.setdefault("read_once", {})
    if key not in kept:
        kept[key] = read()
    return kept[key]


_built = {}


def built_once(name, build):
    """The SQL of the query `build()` returns, built once per process and kind of database and run with other
    values in its parameters' places: building a Peewee query can cost more than running it (0.3 ms of the
    0.4 ms that reading the logged-in user took on every page)."""
    key = (name, type(db.obj))
    if key not in _built:
        _built[key] = build().sql()[0]
    return _built[key]


def forget_read(key):
    """Something `key` was read from was written in this request: the next read_once(key) reads again."""
    if has_request_context():
        g.get("read_once", {}).pop(key, None)


@contextmanager
def checkpoint_after():
    """SQLite: the block's commits leave their pages in the WAL, copied into the database file when the block
    ends (a PASSIVE checkpoint: it waits for no reader). A commit past the WAL's 1,000 pages copies them itself,
    so a 10,000-row import's commit took ~30 ms more than its write (47 against 17 ms), and its result showed
    that much later: a job runs its work in this block and ends it once its result can be seen."""
    if not is_sqlite():
        yield
        return
    db.execute_sql("PRAGMA wal_autocheckpoint = 0")
    try:
        yield
    finally:
        try:
            db.execute_sql(f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT}")
            db.execute_sql("PRAGMA wal_checkpoint(PASSIVE)")
        except Exception:  # the next commit past 1,000 pages checkpoints anyway
            logging.getLogger(__name__).exception("checkpoint after a job")


WAL_AUTOCHECKPOINT = 1000  # SQLite's default, restored on the connection once the block ends


def refresh_statistics(models):
    """Let SQLite's planner know how selective each index is (PostgreSQL's autovacuum does this itself, but
    for a table's first rows: analyse_first_rows): ANALYZE each table of `models` that has grown or
    shrunk twofold since it was last analysed.

    Without statistics SQLite takes any equality as selective: 考生管理 filtered by 状态 read the 20,000
    candidates of that status through its index and sorted them (~200 ms at 100,000), where walking the
    sort's index finds the first 50 within a few hundred rows (~1 ms). A sampled ANALYZE (analysis_limit)
    caps its estimates at the sample size, which misleads the planner just the same, and a whole one
    reads every index (~0.2 s at 100,000 candidates), hence only when the table's size has changed that much.
    """
    if not is_sqlite():
        analyse_first_rows(models)
        return
    analysed = dict(db.execute_sql("SELECT tbl, MAX(CAST(stat AS INTEGER)) FROM sqlite_stat1 GROUP BY tbl")
                    if db.table_exists("sqlite_stat1") else [])
    for model in models:
        table = model._meta.table_name
        rows = db.execute_sql(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
        known = analysed.get(table) or 0
        if rows >= 1000 and not known / 2 <= rows <= known * 2:
            db.execute_sql(f'ANALYZE "{table}"')


def analyse_first_rows(models):
    """PostgreSQL (nothing on SQLite): ANALYZE each table of `models` that holds rows but has never been
    analysed. Autovacuum analyses a table within a minute or so of its first rows; until then the planner
    knows nothing of it, and an award import's audit events (an INSERT … SELECT joining the new records to
    their candidates) scanned the candidates once per record: 10–25 s for 10,000 records, where 0.5 s once
    analysed. A college just moved or restored into PostgreSQL, or importing its first candidates, hits
    that gap."""
    if is_sqlite():
        return
    tables = [model._meta.table_name for model in models]
    never = db.execute_sql("SELECT c.relname FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace "
                           "AND c.relkind = 'r' AND c.relname = ANY(%s) AND c.reltuples < 0", (tables,)).fetchall()
    for (table,) in never:
        if db.execute_sql(f'SELECT EXISTS (SELECT 1 FROM "{table}")').fetchone()[0]:
            db.execute_sql(f'ANALYZE "{table}"')


def bulk_insert(model, rows, chunk=1000, same=None, streamed=False):
    """Insert many rows (dicts keyed by field name) fast: the driver's executemany, not peewee's SQL builder.

    Building a big INSERT through peewee costs ~0.1 ms a row; the driver's own batch path is several times
    cheaper. `rows` may be a generator: it is consumed a chunk at a time, so the caller need not hold
    every row. `same` ({field name: value}) holds what every row shares (a batch's status, its id, the
    time): written into the statement once instead of bound for each row, as are the defaults of fields
    the rows do not give (evaluated once: every row of one call gets the same created_at). `streamed`
    (PostgreSQL): one COPY takes every row, read while it runs, so the server indexes rows while the next
    are made; only for rows whose making never uses the database (the connection is busy with the COPY: a
    label read from a record's candidate failed the insert). Call it inside the caller's transaction.
    Returns the number of rows.
    """
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return 0
    meta = model._meta
    names = list(first)
    fields = [meta.fields[name] for name in names]
    shared = dict(same or {})
    for f in meta.sorted_fields:
        if f.name not in names and f.name not in shared and f.default is not None and f is not meta.primary_key:
            shared[f.name] = f.default() if callable(f.default) else f.default
    shared_fields = [meta.fields[name] for name in shared]
    shared_values = [driver_value(f, value) for f, value in zip(shared_fields, shared.values())]
    columns = ", ".join(f'"{f.column_name}"' for f in fields + shared_fields)
    cursor = db.cursor()
    # Text values go in as they are. Other values (dates, numbers) repeat a lot in a batch, so each
    # distinct one is converted once.
    others = [(i, field, {}) for i, field in enumerate(fields) if not isinstance(field, (CharField, TextField))]

    def convert(row):
        values = [row[name] for name in names]
        for i, field, seen in others:
            value = values[i]
            if value is not None:
                ready = seen.get(value)
                if ready is None:
                    ready = seen[value] = driver_value(field, value)
                values[i] = ready
        return values

    sqlite, total, rows = is_sqlite(), 0, itertools.chain([first], rows)
    if sqlite:
        literals = [_sql_literal(value) for value in shared_values]
        if None in literals:  # a value SQL cannot spell safely: bound with each row after all
            literals, tail = [], shared_values
        else:
            tail = []
        insert = (f'INSERT INTO "{meta.table_name}" ({columns}) VALUES ('
                  + ", ".join(["?"] * (len(fields) + len(tail)) + literals) + ")")
    else:
        # COPY: PostgreSQL's bulk path is several times faster than a multi-row INSERT, whose values the
        # driver renders one by one.
        suffix = "".join("\t" + _copy_text(value) for value in shared_values) + "\n"
        copy, counted = f'COPY "{meta.table_name}" ({columns}) FROM STDIN', [0]

        def lines():
            while batch := [convert(row) for row in itertools.islice(rows, chunk)]:
                counted[0] += len(batch)
                yield "".join(["\t".join([_copy_text(value) for value in values]) + suffix for values in batch])

        if not streamed:
            for piece in lines():
                cursor.copy_expert(copy, io.StringIO(piece))
            return counted[0]
        # Streamed, the server indexes the rows sent while the next chunk is made here (10,000 candidates
        # ~0.1 s less than a COPY per chunk, which left it idle meanwhile; written ahead, models/write_ahead.py,
        # while the next rows are checked).
        stream = _Stream(lines())
        try:
            cursor.copy_expert(copy, stream)
        except QueryCanceled:
            if stream.failure is not None:
                raise stream.failure from None  # what went wrong making a row, not the driver's summary of it
            raise
        return counted[0]
    while batch := [convert(row) for row in itertools.islice(rows, chunk)]:
        total += len(batch)
        cursor.executemany(insert, [values + tail for values in batch] if tail else batch)
    return total


class _Stream:
    """A file whose read() hands over the next of `pieces` (text), for psycopg2's copy_expert, which sends
    whatever each read() returns and stops at an empty one."""

    def __init__(self, pieces):
        self._pieces = pieces
        self.failure = None  # the exception making a piece raised: the driver reports it as QueryCanceled

    def read(self, size=-1):
        try:
            return next(self._pieces, "")
        except Exception as exc:
            self.failure = exc
            raise


def _sql_literal(value):
    """`value` as an SQLite literal, or None when it is not plain enough to spell (bytes, a NUL)."""
    if value is None:
        return "NULL"
    if type(value) is bool:
        return "1" if value else "0"
    if type(value) is int or (type(value) is float and math.isfinite(value)):
        return repr(value)
    if type(value) is str and "\x00" not in value:
        return "'" + value.replace("'", "''") + "'"
    return None


# COPY's text format: a backslash, tab, newline or carriage return inside a value is escaped; \N is NULL.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value):
    if value is None:
        return "\\N"
    if type(value) is not str:
        value = ("t" if value else "f") if type(value) is bool else str(value)
    # Four substring tests cost a fifth of one translate(), and almost no value needs escaping.
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_COPY_ESCAPES)
    return value


def update_rows(model, names, rows):
    """UPDATE many rows by id with per-row values in one driver call: `rows` are tuples of the `names`
    fields' new values followed by the row's id. Call it inside the caller's transaction."""
    if not rows:
        return
    meta = model._meta
    fields = [meta.fields[name] for name in names]
    assignments = ", ".join(f'"{f.column_name}" = {db.param}' for f in fields)
    sql = f'UPDATE "{meta.table_name}" SET {assignments} WHERE "{meta.primary_key.column_name}" = {db.param}'
    values = [[driver_value(f, v) for f, v in zip(fields, row)] + [row[-1]] for row in rows]
    cursor = db.cursor()
    if is_sqlite():
        cursor.executemany(sql, values)
    else:
        execute_batch(cursor, sql, values, page_size=500)


def driver_value(field, value):
    """A value as the driver takes it. For SQLite dates and timestamps become the text peewee stores
    (what sqlite3's default adapters would write; those are deprecated since Python 3.12)."""
    value = field.db_value(value)
    if is_sqlite() and isinstance(value, date):
        return value.isoformat(" ") if isinstance(value, datetime) else value.isoformat()
    return value


def select_in(model, columns, key, values, chunk=500, instances=False):
    """The rows whose `key` is one of `values`, in chunked IN queries: tuples of `columns` (field names),
    or model instances holding just those fields when `instances` is set.

    Written as plain SQL: peewee builds a node per value of an IN list, ~15 µs each, which for the
    10,000 IDs of an import costs more than the queries themselves.
    """
    meta = model._meta
    names = ", ".join(f'"{meta.fields[c].column_name}"' for c in columns)
    values = list(values)
    for start in range(0, len(values), chunk):
        part = values[start:start + chunk]
        sql = (f'SELECT {names} FROM "{meta.table_name}" '
               f'WHERE "{meta.fields[key].column_name}" IN ({", ".join([db.param] * len(part))})')
        if instances:
            yield from model.raw(sql, *part)
        else:
            yield from db.execute_sql(sql, part).fetchall()
