"""The full-text index that finds a candidate by any part of the name, of any length (张, 张三, 三丰).

Every character of a name is a word of the indexed text (candidate.name_chars: 张 三 丰), and a search
is the phrase of its characters, so one character, two or more all go through the index. A trigram
index (FTS5's trigram tokenizer, PostgreSQL's pg_trgm) needs three characters, and most Chinese names
and the parts staff type are one or two; pg_trgm also skips Chinese characters in a database whose
LC_CTYPE is C. The phrase index is in both databases' core (FTS5, tsvector), with no extension to
install: on SQLite an external-content FTS5 table, on PostgreSQL a GIN index on
to_tsvector('simple', name_chars). Measured in docs/benchmarks.md.

SQLite's triggers keep the index right on every UPDATE and DELETE, but new rows are added by index_new()
(Candidate.save() and bulk_add()): an FTS5 insert inside a row trigger flushes FTS5's pending words
at the trigger's savepoint, which made an import of 10,000 rows ~1.5 s slower, while one INSERT … SELECT
of the new rows costs ~10 ms. A start finds rows missing from the index (a row inserted another way) by
its count and rebuilds it.
"""
import logging

from peewee import SQL, NodeList, OperationalError

from .db import db, is_sqlite

log = logging.getLogger(__name__)

TABLE = "candidate_name_fts"
_SQLITE = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5(name_chars, content='candidate', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 0')",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_delete AFTER DELETE ON candidate BEGIN "
    f"INSERT INTO {TABLE}({TABLE}, rowid, name_chars) VALUES ('delete', old.id, old.name_chars); END",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_update AFTER UPDATE OF name_chars ON candidate "
    f"WHEN old.name_chars IS NOT new.name_chars BEGIN "
    f"INSERT INTO {TABLE}({TABLE}, rowid, name_chars) VALUES ('delete', old.id, old.name_chars); "
    f"INSERT INTO {TABLE}(rowid, name_chars) VALUES (new.id, new.name_chars); END",
]
_POSTGRES = ["CREATE INDEX IF NOT EXISTS candidate_name_chars_fts ON candidate "
             "USING gin (to_tsvector('simple', name_chars))"]

# Databases (by their handle) where SQLite was built without FTS5: the name is searched with LIKE there.
_without_index = set()


def create(rebuild=False):
    """Create the index if missing (every start: it is cheap), filling it from the table when `rebuild`."""
    if not is_sqlite():
        for statement in _POSTGRES:
            db.execute_sql(statement)
        return
    try:
        with db.atomic():
            for statement in _SQLITE:
                db.execute_sql(statement)
            if rebuild or _indexed() != _rows():
                db.execute_sql(f"INSERT INTO {TABLE}({TABLE}) VALUES ('rebuild')")
    except OperationalError as exc:
        if "fts5" not in str(exc):
            raise
        _without_index.add(id(db.obj))
        log.warning("SQLite 未编译 FTS5（%s）：考生姓名搜索改为逐行匹配，10 万名考生时约慢 10 倍", exc)


def _indexed():
    return db.execute_sql(f"SELECT COUNT(*) FROM {TABLE}_docsize").fetchone()[0]


def _rows():
    return db.execute_sql('SELECT COUNT(*) FROM "candidate"').fetchone()[0]


def index_new(first_id):
    """Add the candidates inserted from id `first_id` on to the SQLite index (PostgreSQL's keeps itself)."""
    if is_sqlite() and id(db.obj) not in _without_index:
        db.execute_sql(f'INSERT INTO {TABLE}(rowid, name_chars) SELECT "id", "name_chars" FROM "candidate" '
                       f'WHERE "id" >= ?', [first_id])


def drop():
    """Drop the SQLite index table (its triggers go with the candidate table; PostgreSQL's index too)."""
    if is_sqlite():
        db.execute_sql(f"DROP TABLE IF EXISTS {TABLE}")


def words(text):
    """What a search matches in the index: its letters and digits, lowercased, as the index reads a name."""
    return [c for c in text.lower() if c.isalnum()]


def name_contains(model, text):
    """The condition that the model's name contains `text`, through the index where there is one."""
    chars = words(text)
    if not chars or id(db.obj) in _without_index:
        return model.name.contains(text)
    phrase = " ".join(chars)
    if not is_sqlite():
        return NodeList((SQL("to_tsvector('simple',"), model.name_chars, SQL(") @@ phraseto_tsquery('simple',"),
                         phrase, SQL(")")), glue=" ")
    # A quoted FTS5 phrase: the characters in a row (words() keeps no double quote that could end it).
    return model.id.in_(SQL(f"(SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH ?)", [f'"{phrase}"']))
