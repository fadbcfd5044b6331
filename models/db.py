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
        database = connect(url, pragmas=SQLITE_PRAGMAS)
    else:
        database = connect(url)
    db.initialize(database)
    return database


def is_sqlite():
    return isinstance(db.obj, SqliteDatabase)
