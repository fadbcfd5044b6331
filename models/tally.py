"""Counts of a table's rows per key, kept by the database so that no page counts them (models/status_tally.py
for the candidates, TALLY in models/award.py for the 待颁证记录 and in models/audit.py for the audit log).

Triggers on the table keep one count per key, whatever writes the rows (a form, an import, an undo, a move
between databases):

- SQLite: row triggers take 1 from a deleted row's key and move an updated row's 1 from its old key to its
  new one, one row per key (SQLite has one writer at a time: nothing waits on these rows that would not wait
  anyway). New rows are counted by count_new() (each model's save() and bulk insert call it): an insert
  trigger made each row of an import's executemany a statement that writes two tables, with a statement
  journal of its own, 65 µs a row (an import of 10,000 rows 0.65 s slower), where one INSERT … SELECT …
  GROUP BY of the new rows costs a few ms.
- PostgreSQL: statement triggers append one row per key a statement changed (from its transition tables:
  an import's COPY of 1,000 rows is one trigger call), never updating a shared row: a counter updated in
  place would make every transaction that writes the table wait for the one holding it, an import for its
  whole length. The rows are summed when read and folded together once they have doubled.

Every start compares the counts with the table and rebuilds them if they differ (a database restored from a
backup taken before the tally existed, or a row inserted on SQLite some other way); for a table too long to
group at every start (the audit log), its total only. New rows are counted by the models' save() and
bulk_add() (Counted, below).
"""
from peewee import fn

from .db import bulk_insert, db, is_sqlite

FOLD_ABOVE = 200  # PostgreSQL: rows beyond those left by the last fold before the next one
ALL = []  # every Tally made (one per module that keeps one): created on each start, dropped with the schema


def create_all():
    totals = {}  # each table's COUNT(*), read once for the tallies that compare it (the audit log's two)
    for tally in ALL:
        tally.create(totals)


def drop_all():
    for tally in ALL:
        tally.drop()


class Tally:
    """The rows of `source` counted per `key` (column names, each with its SQL type; counts() answers per the
    first, e.g. the status, or per those it is asked by).
    `key_of(row, sqlite)` is the key of a row (an alias: new, old, the table) in SQL; `watched` are the source's
    columns it reads, whose update may move a row to another key. `compare_on_start=False`: for a long table,
    a start compares only the total, and makes the counts again when it differs or the tally is new.
    `folds_with`: another tally of the same table, read seldom, whose PostgreSQL rows are folded with these
    (they grow together, a row per statement that writes the table)."""

    def __init__(self, table, source, key, key_of, watched, compare_on_start=True, folds_with=None):
        self.table, self.source, self.key_of, self.watched = table, source, key_of, watched
        self.compare_on_start, self.folds_with = compare_on_start, folds_with
        self.key = tuple(key)
        self._columns = ", ".join(f'"{name}" {kind} NOT NULL' for name, kind in key.items()) + ', "n" BIGINT NOT NULL'
        self._names = ", ".join(self.key)
        self._groups = ", ".join(str(i + 1) for i in range(len(self.key)))
        self._folded = 0  # PostgreSQL: the rows the last fold (or the start) in this process left
        ALL.append(self)

    def _sqlite(self):
        add = (f"INSERT INTO {self.table} ({self._names}, n) VALUES ({self.key_of('new', True)}, 1) "
               f"ON CONFLICT ({self._names}) DO UPDATE SET n = n + 1;")
        take = f"UPDATE {self.table} SET n = n - 1 WHERE ({self._names}) = ({self.key_of('old', True)});"
        return [
            f"CREATE TABLE IF NOT EXISTS {self.table} ({self._columns}, PRIMARY KEY ({self._names}))",
            f"DROP TRIGGER IF EXISTS {self.table}_insert",
            f"DROP TRIGGER IF EXISTS {self.table}_delete",
            f"CREATE TRIGGER {self.table}_delete AFTER DELETE ON {self.source} BEGIN {take} END",
            f"DROP TRIGGER IF EXISTS {self.table}_update",
            f"CREATE TRIGGER {self.table}_update AFTER UPDATE OF {', '.join(self.watched)} ON {self.source} "
            f"WHEN ({self.key_of('old', True)}) IS NOT ({self.key_of('new', True)}) BEGIN {take} {add} END",
        ]

    def _postgres(self):
        names, groups = self._names, self._groups
        changed = (f"SELECT {names}, SUM(n) FROM (SELECT {self.key_of('new_rows', False)}, 1 AS n FROM new_rows "
                   f"UNION ALL SELECT {self.key_of('old_rows', False)}, -1 FROM old_rows) AS changed ({names}, n) "
                   f"GROUP BY {groups} HAVING SUM(n) <> 0")
        return [
            f'CREATE TABLE IF NOT EXISTS {self.table} ("id" BIGSERIAL PRIMARY KEY, {self._columns})',
            f"""CREATE OR REPLACE FUNCTION {self.table}_count() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'INSERT' THEN
                    INSERT INTO {self.table} ({names}, n) SELECT {self.key_of("new_rows", False)}, COUNT(*)
                    FROM new_rows GROUP BY {groups};
                ELSIF TG_OP = 'DELETE' THEN
                    INSERT INTO {self.table} ({names}, n) SELECT {self.key_of("old_rows", False)}, -COUNT(*)
                    FROM old_rows GROUP BY {groups};
                ELSE
                    INSERT INTO {self.table} ({names}, n) {changed};
                END IF;
                RETURN NULL;
            END $$""",
        ] + [
            # One trigger per event: a trigger with transition tables may have only one.
            f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = '{self.table}_{event.lower()}') "
            f"THEN CREATE TRIGGER {self.table}_{event.lower()} AFTER {event} ON {self.source} REFERENCING {tables} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {self.table}_count(); END IF; END $$"
            for event, tables in (("INSERT", "NEW TABLE AS new_rows"), ("DELETE", "OLD TABLE AS old_rows"),
                                  ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"))
        ]

    def create(self, totals=None):
        """Create the table and its triggers if missing (every start: it is cheap) and make the counts right.
        `totals`: the source tables' COUNT(*) read by other tallies in this transaction, and added to."""
        with db.atomic():
            existed = db.table_exists(self.table)
            if existed and set(self._columns_now()) - {"id", "n"} != set(self.key):
                self.drop()  # kept by an older CertDesk by other keys: rebuilt below
                existed = False
            for statement in self._sqlite() if is_sqlite() else self._postgres():
                db.execute_sql(statement)
            if not is_sqlite():
                # No row is written, and no other starting process compares, until this one has committed.
                db.execute_sql(f"LOCK TABLE {self.source} IN SHARE ROW EXCLUSIVE MODE")
            if existed and not self.compare_on_start and self._total_agrees({} if totals is None else totals):
                return
            counted = (f"SELECT {self.key_of(self.source, is_sqlite())}, COUNT(*) FROM {self.source} "
                       f"GROUP BY {self._groups}")
            # A new table is empty: comparing it with the source would group the source once more for nothing.
            kept = f"SELECT {self._names}, SUM(n) FROM {self.table} GROUP BY {self._names}"
            if not existed or self._sums(kept) != self._sums(counted):
                db.execute_sql(f"DELETE FROM {self.table}")
                db.execute_sql(f"INSERT INTO {self.table} ({self._names}, n) {counted}")
            if not is_sqlite():
                self._fold()  # and the threshold starts from what is left

    def _total_agrees(self, totals):
        """Whether the counts add up to the table's rows: a long table's COUNT(*) is quick where grouping it is
        not (PostgreSQL: ~90 ms at 1,000,000 events, hence once a start), and a row inserted uncounted (by an
        older CertDesk, another tool) shows."""
        kept = db.execute_sql(f"SELECT COALESCE(SUM(n), 0) FROM {self.table}").fetchone()[0]
        if self.source not in totals:
            totals[self.source] = db.execute_sql(f"SELECT COUNT(*) FROM {self.source}").fetchone()[0]
        return int(kept) == totals[self.source]

    def _columns_now(self):
        """The table's column names as it is (peewee's get_columns asks PostgreSQL's information_schema: ~12 ms)."""
        return [column[0] for column in db.execute_sql(f"SELECT * FROM {self.table} LIMIT 0").description]

    @staticmethod
    def _sums(sql):
        return {tuple(row[:-1]): int(row[-1]) for row in db.execute_sql(sql).fetchall() if row[-1]}

    def counts(self, by=None, **filters):
        """{first key column's value (a status, say): number of rows} among those whose key columns equal the
        `filters` given (a list or tuple: one of its values), for every value that has any. `by`, a tuple of
        key column names, counts per those instead: {(their values): number of rows}."""
        names = by or self.key[:1]
        # The names go into the SQL as they are: only the key's columns are.
        if set(names) - set(self.key) or set(filters) - set(self.key):
            raise ValueError(f"{self.table} counts by {', '.join(self.key)} only")
        where, params = [], []
        for name, value in filters.items():
            values = list(value) if isinstance(value, (list, tuple)) else [value]
            where.append(f"{name} IN ({', '.join([db.param] * len(values))})" if values else "FALSE")
            params += values
        grouped = ", ".join(names)
        rows = db.execute_sql(f"SELECT {grouped}, SUM(n), COUNT(*) FROM {self.table} "
                              f"WHERE {' AND '.join(where) or 'TRUE'} GROUP BY {grouped}", params).fetchall()
        if not is_sqlite() and not filters and sum(row[-1] for row in rows) > self._folded + FOLD_ABOVE:
            self._fold()
        return {(row[:-2] if by else row[0]): int(row[-2]) for row in rows if row[-2]}

    def _fold(self):
        """Replace the rows a statement can see by their sum per key. Rows of transactions not yet committed are
        neither seen nor deleted, and a concurrent fold deletes only rows this one has not, so each row is
        counted once whatever runs beside it."""
        with db.atomic():
            db.execute_sql(f"WITH gone AS (DELETE FROM {self.table} RETURNING {self._names}, n) "
                           f"INSERT INTO {self.table} ({self._names}, n) SELECT {self._names}, SUM(n) FROM gone "
                           f"GROUP BY {self._names} HAVING SUM(n) <> 0")
            self._folded = db.execute_sql(f"SELECT COUNT(*) FROM {self.table}").fetchone()[0]
        if self.folds_with is not None:
            self.folds_with._fold()

    def count_new(self, first_id):
        """Count the rows inserted from id `first_id` on (SQLite; PostgreSQL's insert trigger counts them)."""
        if is_sqlite():
            # NOT INDEXED: the new rows by their ids. With its statistics SQLite grouped along an index that gives
            # the key's order and tested the id of every row (1,000,000 audit events: 58 ms an audited write).
            db.execute_sql(f"INSERT INTO {self.table} ({self._names}, n) SELECT {self.key_of(self.source, True)}, "
                           f"COUNT(*) FROM {self.source} NOT INDEXED WHERE id >= ? GROUP BY {self._groups} "
                           f"ON CONFLICT ({self._names}) DO UPDATE SET n = n + excluded.n", [first_id])

    def drop(self):
        """Drop the table (and PostgreSQL's trigger function with its triggers: a restored dump creates its own)."""
        db.execute_sql(f"DROP TABLE IF EXISTS {self.table}")
        if not is_sqlite():
            db.execute_sql(f"DROP FUNCTION IF EXISTS {self.table}_count() CASCADE")


class Counted:
    """Mixed into a model whose rows a Tally counts (the class's `tally`): on SQLite no trigger counts a new
    row, so save() and bulk_add() do (PostgreSQL's insert trigger counts them whatever writes them)."""
    tally = None

    def save(self, *args, **kwargs):
        new = self.id is None
        with db.atomic():
            saved = super().save(*args, **kwargs)
            if new:
                self.added(self.id)
        return saved

    @classmethod
    def bulk_add(cls, rows):
        """Insert many rows (dicts of field values) through bulk_insert and count them; returns how many."""
        return cls._counting(lambda: bulk_insert(cls, rows))

    @classmethod
    def add_selected(cls, fields, query):
        """Insert the rows `query` selects (its columns in the order of `fields`) in one INSERT … SELECT, and
        count them; returns how many."""
        return cls._counting(lambda: cls.insert_from(query, fields).as_rowcount().execute())

    @classmethod
    def _counting(cls, insert):
        with db.atomic():  # SQLite: BEGIN IMMEDIATE, so no other writer's rows come after `first` too
            first = (cls.select(fn.MAX(cls.id)).scalar() or 0) + 1 if is_sqlite() else None
            count = insert()
            if first is not None:
                cls.added(first)
        return count

    @classmethod
    def added(cls, first_id):
        """The rows inserted from id `first_id` on, told to what keeps them (here: counted, on SQLite)."""
        cls.tally.count_new(first_id)
