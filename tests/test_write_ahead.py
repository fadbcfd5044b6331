"""批量导入学生信息 on PostgreSQL writes the rows while the rest of the file is checked (models/write_ahead.py):
whatever ends that writing, and wherever in the file, the outcome is the one the plain check gives. On SQLite
the same outcomes hold without writing ahead."""
import pytest

from models import setting, status_tally, write_ahead
from models.audit import AuditEvent
from models.candidate import PENDING, Candidate
from models.db import db, is_sqlite
from models.import_batch import IMPORTED, REFUSED, REVIEW
from models.job import Job
from tests import sheetfiles as sf
from tests.test_import_candidates import app_config, last_batch, staff, text, upload  # noqa: F401,F811 (fixtures)
from tests.test_import_flow import wrong_check_character

ROWS = 1_250  # past the first 1,000-row chunk of the COPY: the server holds rows when the writing ends


@pytest.fixture
def written(monkeypatch):
    """What checked_and_written answered for each check: (rows taken, all written)."""
    answers = []
    real = write_ahead.checked_and_written

    def recorded(batch, checked, found):
        rows, fine = real(batch, checked, found)
        answers.append((len(rows), fine))
        return rows, fine

    monkeypatch.setattr(write_ahead, "checked_and_written", recorded)
    return answers


def people(last=None):
    rows = [sf.person(i) for i in range(ROWS)]
    if last is not None:
        rows[-1] = last
    return rows


def nothing_imported():
    assert Candidate.select().count() == 0
    assert AuditEvent.select().where(AuditEvent.action == "candidate.create").count() == 0
    assert sum(status_tally.counts().values()) == 0


def test_an_all_valid_file_is_written_while_checked_and_saved_with_its_events_and_counts(client, staff, written):
    assert f"成功导入 {ROWS} 条" in text(upload(client, sf.xlsx(people())))
    batch = last_batch()
    assert (batch.total, batch.imported, batch.errors, batch.existing) == (ROWS, ROWS, 0, 0)
    assert Candidate.select().where(Candidate.batch_id == batch.id, Candidate.status == PENDING).count() == ROWS
    assert AuditEvent.select().where(AuditEvent.action == "candidate.create").count() == ROWS
    assert status_tally.counts()[PENDING] == ROWS
    assert written == ([] if is_sqlite() else [(ROWS, True)])


def last_row_cases():
    typo = sf.person(ROWS - 1)
    typo["id_number"] = wrong_check_character(typo["id_number"])
    # case: (the last row, the batch's counts, the rows the writing took: a bad row is not handed on)
    return {
        "an error": (sf.person(ROWS - 1, phone="123"), dict(errors=1, valid=ROWS - 1), ROWS - 1),
        "a 提示": (typo, dict(errors=0, valid=ROWS, warned=1), ROWS),
        "a duplicate of the first row": (sf.person(0), dict(errors=2, valid=ROWS - 2), ROWS),
    }


@pytest.mark.parametrize("case", list(last_row_cases()))
def test_a_last_row_that_stops_the_saving_leaves_nothing_written_and_the_batch_for_review(
        client, staff, written, case):
    last, counts, taken = last_row_cases()[case]
    upload(client, sf.xlsx(people(last)))
    batch = last_batch()
    assert batch.status == REVIEW
    assert {name: getattr(batch, name) for name in counts} == counts
    nothing_imported()
    assert written == ([] if is_sqlite() else [(taken, False)])


def test_a_last_row_stored_already_rolls_the_written_rows_back_and_is_listed_as_existing(client, staff, written):
    stored = sf.person(ROWS - 1)
    upload(client, sf.xlsx([stored]), name="earlier.xlsx")
    assert Candidate.select().count() == 1
    written.clear()
    upload(client, sf.xlsx(people()))
    batch = last_batch()
    assert batch.status == REVIEW and (batch.valid, batch.existing, batch.errors) == (ROWS - 1, 1, 0)
    assert Candidate.select().count() == 1  # the one stored before, and none of the file's
    assert AuditEvent.select().where(AuditEvent.action == "candidate.create").count() == 1
    assert sum(status_tally.counts().values()) == 1
    # The unique index refused the last row: every row was taken.
    assert written == ([] if is_sqlite() else [(ROWS, False)])


def test_a_file_over_the_row_limit_is_refused_with_nothing_written(client, staff, written):
    setting.put("import_max_rows", str(ROWS - 1))
    upload(client, sf.xlsx(people()))
    batch = last_batch()
    assert batch.status == REFUSED and f"{ROWS - 1:,} 行" in batch.message
    nothing_imported()


def test_updating_existing_candidates_still_compares_them_when_a_row_is_stored(client, staff, written):
    upload(client, sf.xlsx([sf.person(ROWS - 1)]), name="earlier.xlsx")
    changed = sf.person(ROWS - 1, phone="13900000000")
    upload(client, sf.xlsx(people(changed)), update=True)
    batch = last_batch()
    assert batch.status == IMPORTED and (batch.imported, batch.updated) == (ROWS - 1, 1)
    assert Candidate.get(Candidate.id_number == changed["id_number"]).phone == "13900000000"
    assert Candidate.select().count() == ROWS


def test_a_big_file_is_checked_with_its_progress_and_not_written_ahead(client, staff, written, monkeypatch):
    monkeypatch.setattr(write_ahead, "AHEAD_BYTES", 1)
    assert "成功导入" in text(upload(client, sf.xlsx(people())))
    assert written == [] and Candidate.select().count() == ROWS


def test_a_file_of_many_rows_is_checked_with_its_progress_and_not_written_ahead(client, staff, written, monkeypatch):
    # Small in bytes is not enough: a hostile 855 KB workbook held 200,000 rows and took 42 s to check,
    # while the writing's transaction would have held the kind's lock.
    monkeypatch.setattr(write_ahead, "AHEAD_ROWS", ROWS - 1)
    assert "成功导入" in text(upload(client, sf.xlsx(people())))
    assert written == [] and Candidate.select().count() == ROWS


def test_the_job_s_progress_is_never_written_inside_the_saving_transaction(client, staff, monkeypatch):
    # A progress written there would hold the job's row until the commit: the process's heartbeat of its
    # jobs waited on it.
    inside = []
    real = Job.report
    monkeypatch.setattr(Job, "report", lambda job, *args, **kwargs: (inside.append(db.in_transaction()),
                                                                     real(job, *args, **kwargs)))
    assert "成功导入" in text(upload(client, sf.xlsx(people())))
    assert inside and not any(inside)
