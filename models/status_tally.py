"""The number of candidates in each status, per class and photo, kept by the database so that no page counts them.

考生管理's status tabs (over its 院系, 专业, 班级 and 照片 filters), 首页 and the navigation show these counts on
every request. Grouping 100,000 candidates by status read 100,000 index entries (7–8 ms on either
database) and a filter's candidates row by row (25 ms for 无照片), more than the rest of the page together.
Triggers on the candidate table keep the counts instead, one per (status, 院系, 专业, 班级, has a photo), a
few per class, whatever writes the rows (a form, an import, an undo, a move between databases):

- SQLite: row triggers take 1 from a deleted row's key and move an updated row's 1 from its old key to its
  new one, one row per key (SQLite has one writer at a time: nothing waits on these rows that would not wait
  anyway). New rows are counted by count_new() (Candidate.save() and bulk_add(), as the name index is
  told): an insert trigger made each row of an import's executemany a statement that writes two tables,
  with a statement journal of its own, 65 µs a row (an import of 10,000 rows 0.65 s slower), where one
  INSERT … SELECT … GROUP BY of the new rows costs a few ms.
- PostgreSQL: statement triggers append one row per key a statement changed (from its transition tables:
  an import's COPY of 1,000 rows is one trigger call), never updating a shared row: a counter updated in
  place would make every transaction that writes candidates wait for the one holding it, an import for its
  whole length. The rows are summed when read and folded together once they have doubled.

Every start compares the counts with the table and rebuilds them if they differ (a database restored from a
backup taken before this table existed, or a row inserted on SQLite some other way).
"""
from .db import db, is_sqlite

TABLE = "candidate_tally"
KEY = ("status", "department", "major", "class_name", "has_photo")
FILTERS = ("department", "major", "class_name", "has_photo")  # what counts() narrows by
FOLD_ABOVE = 200  # PostgreSQL: rows beyond those left by the last fold before the next one

_COLUMNS = ('"status" VARCHAR(255) NOT NULL, "department" VARCHAR(255) NOT NULL, "major" VARCHAR(255) NOT NULL, '
            '"class_name" VARCHAR(255) NOT NULL, "has_photo" INTEGER NOT NULL, "n" BIGINT NOT NULL')
_KEY = ", ".join(KEY)


def _key_of(row, sqlite=True):
    """The key of a candidate row in SQL: its status, 院系, 专业, 班级 and whether it has a photo (0 or 1)."""
    has_photo = f"{row}.photo IS NOT NULL" if sqlite else f"({row}.photo IS NOT NULL)::int"
    return f"{row}.status, {row}.department, {row}.major, {row}.class_name, {has_photo}"


_ADD = (f"INSERT INTO {TABLE} ({_KEY}, n) VALUES ({_key_of('new')}, 1) "
        f"ON CONFLICT ({_KEY}) DO UPDATE SET n = n + 1;")
_TAKE = f"UPDATE {TABLE} SET n = n - 1 WHERE ({_KEY}) = ({_key_of('old')});"
_SQLITE = [
    f"CREATE TABLE IF NOT EXISTS {TABLE} ({_COLUMNS}, PRIMARY KEY ({_KEY}))",
    f"DROP TRIGGER IF EXISTS {TABLE}_insert",
    f"DROP TRIGGER IF EXISTS {TABLE}_delete",
    f"CREATE TRIGGER {TABLE}_delete AFTER DELETE ON candidate BEGIN {_TAKE} END",
    f"DROP TRIGGER IF EXISTS {TABLE}_update",
    f"CREATE TRIGGER {TABLE}_update AFTER UPDATE OF status, department, major, class_name, photo ON candidate "
    f"WHEN ({_key_of('old')}) IS NOT ({_key_of('new')}) BEGIN {_TAKE} {_ADD} END",
]
_POSTGRES = [
    f'CREATE TABLE IF NOT EXISTS {TABLE} ("id" BIGSERIAL PRIMARY KEY, {_COLUMNS})',
    f"""CREATE OR REPLACE FUNCTION {TABLE}_count() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            INSERT INTO {TABLE} ({_KEY}, n) SELECT {_key_of("new_rows", False)}, COUNT(*) FROM new_rows
            GROUP BY 1, 2, 3, 4, 5;
        ELSIF TG_OP = 'DELETE' THEN
            INSERT INTO {TABLE} ({_KEY}, n) SELECT {_key_of("old_rows", False)}, -COUNT(*) FROM old_rows
            GROUP BY 1, 2, 3, 4, 5;
        ELSE
            INSERT INTO {TABLE} ({_KEY}, n)
            SELECT {_KEY}, SUM(n) FROM (SELECT {_key_of("new_rows", False)} AS has_photo, 1 AS n FROM new_rows
                                        UNION ALL SELECT {_key_of("old_rows", False)}, -1 FROM old_rows) AS changed
            GROUP BY 1, 2, 3, 4, 5 HAVING SUM(n) <> 0;
        END IF;
        RETURN NULL;
    END $$""",
] + [
    # One trigger per event: a trigger with transition tables may have only one.
    f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = '{TABLE}_{event.lower()}') THEN "
    f"CREATE TRIGGER {TABLE}_{event.lower()} AFTER {event} ON candidate REFERENCING {tables} "
    f"FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_count(); END IF; END $$"
    for event, tables in (("INSERT", "NEW TABLE AS new_rows"), ("DELETE", "OLD TABLE AS old_rows"),
                          ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"))
]
_folded = {"rows": 0}  # PostgreSQL: the rows the last fold (or the start) in this process left


def create():
    """Create the table and its triggers if missing (every start: it is cheap) and make the counts right."""
    with db.atomic():
        if db.table_exists(TABLE) and {c.name for c in db.get_columns(TABLE)} - {"id", "n"} != set(KEY):
            drop()  # kept by an older CertDesk by other keys: rebuilt below
        for statement in _SQLITE if is_sqlite() else _POSTGRES:
            db.execute_sql(statement)
        if not is_sqlite():
            # No candidate is written, and no other starting process compares, until this one has committed.
            db.execute_sql("LOCK TABLE candidate IN SHARE ROW EXCLUSIVE MODE")
        counted = f"SELECT {_key_of('candidate', is_sqlite())}, COUNT(*) FROM candidate GROUP BY 1, 2, 3, 4, 5"
        if _sums(f"SELECT {_KEY}, SUM(n) FROM {TABLE} GROUP BY {_KEY}") != _sums(counted):
            db.execute_sql(f"DELETE FROM {TABLE}")
            db.execute_sql(f"INSERT INTO {TABLE} ({_KEY}, n) {counted}")
        if not is_sqlite():
            _fold()  # and the threshold starts from what is left


def _sums(sql):
    return {tuple(row[:-1]): int(row[-1]) for row in db.execute_sql(sql).fetchall() if row[-1]}


def counts(**filters):
    """{status: number of candidates} among those whose 院系, 专业, 班级 and has_photo ("0"/"1") equal the
    non-empty `filters`, for every status that has any."""
    chosen = [(name, int(value) if name == "has_photo" else value) for name, value in filters.items() if value != ""]
    where = " AND ".join(f"{name} = {db.param}" for name, _ in chosen) or "TRUE"
    rows = db.execute_sql(f"SELECT status, SUM(n), COUNT(*) FROM {TABLE} WHERE {where} GROUP BY status",
                          [value for _, value in chosen]).fetchall()
    if not is_sqlite() and not chosen and sum(parts for _, _, parts in rows) > _folded["rows"] + FOLD_ABOVE:
        _fold()
    return {status: int(n) for status, n, _ in rows if n}


def _fold():
    """Replace the rows a statement can see by their sum per key. Rows of transactions not yet committed are
    neither seen nor deleted, and a concurrent fold deletes only rows this one has not, so each row is
    counted once whatever runs beside it."""
    with db.atomic():
        db.execute_sql(f"WITH gone AS (DELETE FROM {TABLE} RETURNING {_KEY}, n) INSERT INTO {TABLE} ({_KEY}, n) "
                       f"SELECT {_KEY}, SUM(n) FROM gone GROUP BY {_KEY} HAVING SUM(n) <> 0")
        _folded["rows"] = db.execute_sql(f"SELECT COUNT(*) FROM {TABLE}").fetchone()[0]


def count_new(first_id):
    """Count the candidates inserted from id `first_id` on (SQLite; PostgreSQL's insert trigger counts them)."""
    if is_sqlite():
        db.execute_sql(f"INSERT INTO {TABLE} ({_KEY}, n) SELECT {_key_of('candidate')}, COUNT(*) FROM candidate "
                       f"WHERE id >= ? GROUP BY 1, 2, 3, 4, 5 ON CONFLICT ({_KEY}) DO UPDATE SET n = n + excluded.n",
                       [first_id])


def drop():
    """Drop the table (and PostgreSQL's trigger function with its triggers: a restored dump creates its own)."""
    db.execute_sql(f"DROP TABLE IF EXISTS {TABLE}")
    if not is_sqlite():
        db.execute_sql(f"DROP FUNCTION IF EXISTS {TABLE}_count() CASCADE")
