"""The database handle, the base model and connection setup."""
from datetime import datetime

from peewee import DatabaseProxy, DateTimeField, Model, SqliteDatabase
from playhouse.db_url import connect

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


def now():
    """The current local time without microseconds: what staff see and what the audit log stores."""
    return datetime.now().replace(microsecond=0)


class TimestampField(DateTimeField):
    """A DateTimeField whose default is the local time of the write."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default", now)
        super().__init__(*args, **kwargs)


def open_database(url):
    """Open the database a URL names and bind the proxy to it."""
    if url.startswith("sqlite"):
        # BEGIN IMMEDIATE: a transaction takes the write lock up front and waits for it (busy_timeout).
        # A deferred one that reads first and writes later fails at once with "database is locked" when
        # another request wrote in between, which waitress's threads would otherwise hit under load.
        database = connect(url, pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE")
    else:
        database = connect(url)
    db.initialize(database)
    return database


def is_sqlite():
    return isinstance(db.obj, SqliteDatabase)



def bulk_insert(model, rows, chunk=1000):
    """Insert many rows (dicts keyed by field name) fast: the driver's executemany, not peewee's SQL builder.

    Building a big INSERT through peewee costs ~0.1 ms a row; the driver's own batch path is several times
    cheaper. Call it inside the caller's transaction. Defaults of fields missing from the rows apply.
    """
    if not rows:
        return
    names = list(rows[0])
    fields = [model._meta.fields[name] for name in names]
    defaults = [f for f in model._meta.sorted_fields
                if f.name not in names and f.default is not None and f is not model._meta.primary_key]
    columns = ", ".join(f'"{f.column_name}"' for f in fields + defaults)
    insert = f'INSERT INTO "{model._meta.table_name}" ({columns}) VALUES '
    cursor = db.cursor()
    for start in range(0, len(rows), chunk):
        batch = []
        for row in rows[start:start + chunk]:
            values = [f.db_value(row[f.name]) for f in fields]
            values += [f.db_value(f.default() if callable(f.default) else f.default) for f in defaults]
            batch.append(values)
        if is_sqlite():
            cursor.executemany(insert + "(" + ", ".join("?" * len(batch[0])) + ")", batch)
        else:
            from psycopg2.extras import execute_values
            execute_values(cursor, insert + "%s", batch, page_size=chunk)
