"""What a server process keeps between requests until the database changes: values every request would
otherwise read again (the cascade's classes, the counts per status) while nobody wrote anything.

The process counts the changes it has seen (its generation); a value is kept with the generation it was read
at and given out while that is still the generation. A look at the database tells whether it changed since
the connection asked last:
- SQLite: the connection's `PRAGMA data_version` moves when any other connection, of any process, commits,
  and its `total_changes` when it writes itself (3 µs a look, where reading the classes took ~0.4 ms).
- PostgreSQL: the server's snapshot (which transactions have ended) moves when any transaction that wrote
  ends, in any database of the server (one round trip, where seeking the classes took ~1 ms).
A connection seen for the first time counts as a change. Within a transaction nothing is kept or given out:
what it wrote may yet be rolled back, and what others wrote is not yet seen."""
import threading

from flask import has_request_context, request

from .db import db, is_sqlite, read_once

GENERATION = "database generation"  # generation(), looked up once a GET on PostgreSQL

_lock = threading.Lock()
_generation = 0
# Per connection (by id; the connection itself is held so that its id is not reused): what it last saw.
_seen = {}
_kept = {}  # name -> (generation, {key: value})
_MISSING = object()


def generation():
    """This process's count of the database's changes, after asking this thread's connection whether it has
    changed since it last asked; None within a transaction. On PostgreSQL, where asking is a round trip, a
    GET asks once (it reads; the few GETs that write, an export's audit event, change nothing kept)."""
    if _in_transaction(db.connection()):
        return None
    if not is_sqlite() and has_request_context() and request.method in ("GET", "HEAD"):
        return read_once(GENERATION, _looked)
    return _looked()


def _looked():
    global _generation
    connection = db.connection()
    state = _state_of(connection)
    last = _seen.get(id(connection))
    if last is None or last[0] is not connection or last[1] != state:
        with _lock:
            _generation += 1
            _seen[id(connection)] = (connection, state)
            if len(_seen) > 256:  # connections the pool replaced (every ten minutes)
                _forget_closed()
    return _generation


def kept(name, key, read, limit=64):
    """`read()`, kept by this process for (`name`, `key`) until the database changes. In a request only: a
    job or the command line reads afresh. At most `limit` keys a name (a URL's filter values are keys)."""
    at = generation() if has_request_context() else None
    if at is None:
        return read()
    kept_at, values = _kept.get(name, (None, None))
    if kept_at != at:
        values = {}
        _kept[name] = (at, values)
    value = values.get(key, _MISSING)
    if value is _MISSING:
        if len(values) >= limit:
            values.clear()
        value = values[key] = read()  # returned from here: another thread may clear the dict meanwhile
    return value


def _in_transaction(connection):
    if is_sqlite():
        return connection.in_transaction
    return connection.info.transaction_status != 0  # not idle: in a transaction (or a failed one)


def _state_of(connection):
    if is_sqlite():
        return connection.execute("PRAGMA data_version").fetchone()[0], connection.total_changes
    with connection.cursor() as cursor:
        cursor.execute("SELECT txid_current_snapshot()::text")
        return cursor.fetchone()[0]


def _forget_closed():
    for ident, (connection, _) in list(_seen.items()):
        if _is_closed(connection):
            del _seen[ident]


def _is_closed(connection):
    if is_sqlite():
        try:
            connection.total_changes  # noqa: B018 (raises once closed)
        except Exception:  # noqa: BLE001 (sqlite3.ProgrammingError)
            return True
        return False
    return bool(connection.closed)


def forget_all():
    """Drop every value kept, as a new process starts (a test that counts a request's queries)."""
    _kept.clear()
