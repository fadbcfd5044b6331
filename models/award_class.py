"""Each 待颁证记录 carries its candidate's 院系 and 班级 (award_record.department and .class_name), so that
颁证名单 of a 院系 or 班级 is counted and paged along the records' own indexes: joining a 院系's 16,700
candidates with the 50,000 issued records cost its count and its page 40–90 ms each (docs/benchmarks.md).

The copy is the database's to keep, never the application's to set:

- a candidate's new 院系 or 班级 reaches its records through a trigger on the candidate table, inside the
  statement (so the transaction) that changes it, whatever writes it (a form, an import, an SQL UPDATE);
- a statement that writes a record's candidate, 院系 or 班级 has them read from the candidate again: peewee's
  save() writes every column, and a record read before its candidate moved would write the old 院系 back;
- new records: PostgreSQL's trigger reads the candidate as each row is inserted. A transaction changing a
  candidate's 院系 or 班级 and one writing records must not overlap (the mover's trigger cannot see an
  uncommitted record, nor the record's trigger an uncommitted 院系): the mover's trigger takes SHARE on
  award_record, which waits for every transaction writing records and holds off new ones until it ends.
  Not a row lock on the candidate (FOR SHARE) in the record's trigger: that made every record written wait
  for any UPDATE of its candidate (a photo, 人工确认, 批量认证), and an award import and a photo job over the
  same candidates in other orders deadlocked. Moves are rare (a new school year), record writes are not.
  SQLite has one writer at a time but no insert trigger
  here: any made an import's executemany write a statement journal per row (10,000 records 0.6 s slower, as
  models/tally.py says of its own). AwardRecord.save() and bulk_add() copy their new rows with one UPDATE
  (place_new), tests/test_code_shape.py keeps other inserts out, and every start copies any record that
  still differs (place_all).
"""
from .db import db, is_sqlite

# A record's 院系 and 班级 read from its candidate, and whether they differ from it (SQLite).
_FROM_CANDIDATE = ("(SELECT department, class_name FROM candidate WHERE candidate.id = award_record.candidate_id)")
_COPY = f"(department, class_name) = {_FROM_CANDIDATE}"
_DIFFERS = f"(department, class_name) IS NOT {_FROM_CANDIDATE}"

_SQLITE = [
    "DROP TRIGGER IF EXISTS candidate_award_class",
    "CREATE TRIGGER candidate_award_class AFTER UPDATE OF department, class_name ON candidate "
    "WHEN old.department IS NOT new.department OR old.class_name IS NOT new.class_name BEGIN "
    "UPDATE award_record SET department = new.department, class_name = new.class_name "
    "WHERE candidate_id = new.id; END",
    "DROP TRIGGER IF EXISTS award_record_class",
    "CREATE TRIGGER award_record_class AFTER UPDATE OF candidate_id, department, class_name ON award_record "
    "WHEN (new.department, new.class_name) IS NOT (SELECT department, class_name FROM candidate "
    "WHERE candidate.id = new.candidate_id) BEGIN "
    f"UPDATE award_record SET {_COPY} WHERE id = new.id; END",
]

_POSTGRES = [
    """CREATE OR REPLACE FUNCTION award_record_class() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        found_department VARCHAR;
        found_class VARCHAR;
    BEGIN
        SELECT department, class_name INTO found_department, found_class
        FROM candidate WHERE id = NEW.candidate_id;
        IF FOUND THEN  -- else the foreign key refuses the row, with its own message
            NEW.department := found_department;
            NEW.class_name := found_class;
        END IF;
        RETURN NEW;
    END $$""",
    """CREATE OR REPLACE FUNCTION candidate_award_class() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        LOCK TABLE award_record IN SHARE MODE;
        UPDATE award_record SET department = NEW.department, class_name = NEW.class_name
        WHERE candidate_id = NEW.id;
        RETURN NULL;
    END $$""",
] + [
    f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = '{name}') THEN {create}; END IF; END $$"
    for name, create in (
        ("award_record_class", "CREATE TRIGGER award_record_class BEFORE INSERT OR UPDATE OF candidate_id, "
                               "department, class_name ON award_record FOR EACH ROW "
                               "EXECUTE FUNCTION award_record_class()"),
        ("candidate_award_class", "CREATE TRIGGER candidate_award_class AFTER UPDATE OF department, class_name "
                                  "ON candidate FOR EACH ROW WHEN (OLD.department IS DISTINCT FROM NEW.department "
                                  "OR OLD.class_name IS DISTINCT FROM NEW.class_name) "
                                  "EXECUTE FUNCTION candidate_award_class()"),
    )
]


def create():
    """Create the triggers if missing (every start: it is cheap) and, on SQLite, copy what differs."""
    with db.atomic():
        for statement in _SQLITE if is_sqlite() else _POSTGRES:
            db.execute_sql(statement)
        if is_sqlite():
            place_all()


def place_all():
    """Copy every record's 院系 and 班级 from its candidate where they differ (the schema step fills them so)."""
    if is_sqlite():
        db.execute_sql(f"UPDATE award_record SET {_COPY} WHERE {_DIFFERS}")
    else:
        db.execute_sql("UPDATE award_record AS r SET department = c.department, class_name = c.class_name "
                       "FROM candidate AS c WHERE c.id = r.candidate_id AND (r.department, r.class_name) "
                       "IS DISTINCT FROM (c.department, c.class_name)")


def place_new(first_id):
    """Copy the 院系 and 班级 of the records inserted from id `first_id` on (SQLite; PostgreSQL's trigger has)."""
    if is_sqlite():
        db.execute_sql(f"UPDATE award_record SET {_COPY} WHERE id >= ?", [first_id])


def drop():
    """Drop the triggers (PostgreSQL: their functions, which take the triggers with them)."""
    for name in ("award_record_class", "candidate_award_class"):
        db.execute_sql(f"DROP TRIGGER IF EXISTS {name}" if is_sqlite() else f"DROP FUNCTION IF EXISTS {name}() CASCADE")
