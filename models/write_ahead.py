"""An import's rows written while the rest of its file is checked, on PostgreSQL.

There the database server is a process of its own: while this process checks the next rows, the server
can already index the rows checked before (a 10,000-row file: ~0.4 s of its work that otherwise began
only once the check was done). The rows that pass go into one COPY as they pass, inside a savepoint of the
transaction that then saves the batch; the first row that fails, carries a 提示 or is stored already
(the unique index refuses it) ends the writing, the savepoint is rolled back, and the check goes on and
ends as without it: what is saved, reviewed and audited does not change, only when the rows reach the
database. SQLite runs inside this process: writing beside the check only takes turns with it (measured
slower, docs/benchmarks.md). While the COPY runs, the connection can do nothing else: the check does not
report its progress then, and the transaction holds the kind's lock, so only files the job reads in about
a second are written ahead (the page waits that long for the outcome anyway): small in bytes and in rows
(a hostile 855 KB workbook held 200,000 rows and took 42 s to check).
"""
from psycopg2 import IntegrityError

from .db import db, is_sqlite

AHEAD_BYTES = 2 * 1024 * 1024  # about 30,000 rows of an .xlsx
AHEAD_ROWS = 30_000  # rows the file says it has (blank ones included): checked in about a second


def wanted(batch, hold):
    """Whether `batch`'s check may write its rows ahead: it may save at once (not `hold`), on PostgreSQL, its
    importer writes rows as they come, and the file is small enough in bytes (its rows are counted once it
    is open: AHEAD_ROWS)."""
    return (not hold and not is_sqlite() and batch.importer.writes_ahead
            and (batch.file_size or 0) <= AHEAD_BYTES)


def checked_and_written(batch, checked, found):
    """Take every row of `checked` (the check's generator, sheets.validate.checking, bad rows going to
    `found`), inserting the good ones through `batch`'s importer on the way while every row so far is
    fine. Returns (the rows taken, whether all of them are written: then the file had no bad row, no 提示
    and no row stored already). Call inside the transaction that saves; the kind's lock held."""
    taken, fine = [], True

    def passing():
        nonlocal fine
        for row in checked:
            taken.append(row)
            if found or batch.importer.row_warnings(row):
                fine = False
                return
            yield row.values
        fine = not found  # a row duplicated further down turns bad at the end

    try:
        with db.atomic() as savepoint:
            batch.importer.insert(batch, passing())
            if not fine:
                savepoint.rollback()
    except IntegrityError:  # a row stored already: the plan will say which (已存在)
        fine = False
    taken.extend(checked)  # the rows left when the writing ended early
    return taken, fine
