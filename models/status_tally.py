"""The number of candidates in each status, kept by the database itself so that no page counts them.

考生管理's status tabs, 首页 and the navigation show these counts on every request; grouping 100,000
candidates by status read 100,000 index entries each time (7–8 ms on either database, more than the rest
of the page's queries together). Triggers on the candidate table keep the counts instead, whatever
writes the rows (a form, an import, an undo, a move between databases):

- SQLite: row triggers add 1 to the new status and take 1 from the old one, one row per status. SQLite
  has one writer at a time, so nothing waits on these rows that would not wait anyway.
- PostgreSQL: statement triggers append one row per status a statement changed (from its transition
  tables: an import's COPY of 1,000 rows is one trigger call), never updating a shared row: a counter row
  updated in place would make every transaction that writes candidates wait for the one holding it,
  an import for its whole length. The rows are summed when read and folded together once there are many.

Every start compares the counts with the table and rebuilds them if they differ (a database restored from a
backup taken before this table existed, say).
"""
from .db import db, is_sqlite

TABLE = "candidate_tally"
FOLD_ABOVE = 200  # PostgreSQL: rows summed on each read before they are folded into one per status

_SQLITE = [
    f'CREATE TABLE IF NOT EXISTS {TABLE} ("status" VARCHAR(255) NOT NULL PRIMARY KEY, "n" INTEGER NOT NULL)',
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_insert AFTER INSERT ON candidate BEGIN "
    f"INSERT INTO {TABLE} (status, n) VALUES (new.status, 1) ON CONFLICT (status) DO UPDATE SET n = n + 1; END",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_delete AFTER DELETE ON candidate BEGIN "
    f"UPDATE {TABLE} SET n = n - 1 WHERE status = old.status; END",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_update AFTER UPDATE OF status ON candidate "
    f"WHEN old.status IS NOT new.status BEGIN "
    f"UPDATE {TABLE} SET n = n - 1 WHERE status = old.status; "
    f"INSERT INTO {TABLE} (status, n) VALUES (new.status, 1) ON CONFLICT (status) DO UPDATE SET n = n + 1; END",
]
_POSTGRES = [
    f'CREATE TABLE IF NOT EXISTS {TABLE} ("id" BIGSERIAL PRIMARY KEY, "status" VARCHAR(255) NOT NULL, '
    '"n" BIGINT NOT NULL)',
    f"""CREATE OR REPLACE FUNCTION {TABLE}_count() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            INSERT INTO {TABLE} (status, n) SELECT status, COUNT(*) FROM new_rows GROUP BY status;
        ELSIF TG_OP = 'DELETE' THEN
            INSERT INTO {TABLE} (status, n) SELECT status, -COUNT(*) FROM old_rows GROUP BY status;
        ELSE
            INSERT INTO {TABLE} (status, n)
            SELECT status, SUM(n) FROM (SELECT status, 1 AS n FROM new_rows
                                        UNION ALL SELECT status, -1 FROM old_rows) AS changed
            GROUP BY status HAVING SUM(n) <> 0;
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


def create():
    """Create the table and its triggers if missing (every start: it is cheap) and make the counts right."""
    with db.atomic():
        for statement in _SQLITE if is_sqlite() else _POSTGRES:
            db.execute_sql(statement)
        if not is_sqlite():
            # No candidate is written, and no other starting process compares, until this one has committed.
            db.execute_sql("LOCK TABLE candidate IN SHARE ROW EXCLUSIVE MODE")
        if counts() != _counted():
            rebuild()


def rebuild():
    db.execute_sql(f"DELETE FROM {TABLE}")
    db.execute_sql(f"INSERT INTO {TABLE} (status, n) SELECT status, COUNT(*) FROM candidate GROUP BY status")


def counts():
    """{status: number of candidates} for every status that has any."""
    rows = db.execute_sql(f"SELECT status, SUM(n), COUNT(*) FROM {TABLE} GROUP BY status").fetchall()
    if not is_sqlite() and sum(parts for _, _, parts in rows) > FOLD_ABOVE:
        _fold()
    return {status: int(n) for status, n, _ in rows if n}


def _fold():
    """Replace the rows a statement can see by their sum per status. Rows of transactions not yet committed
    are neither seen nor deleted, and a concurrent fold deletes only rows this one has not, so each row is
    counted once whatever runs beside it."""
    with db.atomic():
        db.execute_sql(f"WITH gone AS (DELETE FROM {TABLE} RETURNING status, n) "
                       f"INSERT INTO {TABLE} (status, n) SELECT status, SUM(n) FROM gone GROUP BY status")


def _counted():
    return dict(db.execute_sql("SELECT status, COUNT(*) FROM candidate GROUP BY status").fetchall())


def drop():
    db.execute_sql(f"DROP TABLE IF EXISTS {TABLE}")
