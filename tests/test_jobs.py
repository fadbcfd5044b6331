"""Background jobs: outcomes recorded on the row, claimed once, and the jobs of dead processes failed."""
import os
import socket
import threading
import time
from datetime import timedelta

import pytest
from peewee import InterfaceError, ModelUpdate

from app import create_app
from models.db import WAL_AUTOCHECKPOINT, db, is_sqlite, now
from models.job import (DONE, FAILED, QUEUED, RUNNING, Job, JobError, start, start_dispatcher, stop_dispatcher,
                        runner, stored, worker_id)


@runner("test.count")
def count_three(job):
    job.report(3, total=3)
    return {"已更新": 3, "参数": job.arguments}


@runner("test.refuse")
def refuse(job):
    raise JobError("文件不是有效的 ZIP 压缩包")


@runner("test.bug")
def bug(job):
    raise KeyError("secret")


@runner("test.write")
def write_events(job):
    """Writes more pages than SQLite's automatic checkpoint lets into the WAL before it copies them."""
    from models.audit import AuditEvent
    with db.atomic():
        AuditEvent.bulk_add({"action": "test.write", "changes": "x" * 200} for _ in range(20_000))
    return {"checkpoints": db.execute_sql("PRAGMA wal_autocheckpoint").fetchone()[0]}


class PanicException(BaseException):
    """What pyo3 raises when Rust code panics: a BaseException, not an Exception."""


@runner("test.panic")
def panic(job):
    raise PanicException("called `Option::unwrap()` on a `None` value")


def run_inline(app, kind, params=None):
    app.config["JOBS_INLINE"] = True
    job = Job.queue(kind, params)
    with app.test_request_context():
        start(job)
    return Job.get_by_id(job.id)


def test_finished_job_keeps_its_result_and_the_runner_gets_its_parameters(app):
    job = run_inline(app, "test.count", {"batch": 7})
    assert (job.status, job.data, job.percent) == (DONE, {"已更新": 3, "参数": {"batch": 7}}, 100)
    assert job.worker == worker_id() and job.heartbeat_at is not None


def test_job_error_fails_with_its_message(app):
    job = run_inline(app, "test.refuse")
    assert (job.status, job.message) == (FAILED, "文件不是有效的 ZIP 压缩包")


def test_unexpected_error_fails_without_leaking_details(app):
    job = run_inline(app, "test.bug")
    assert job.status == FAILED and "secret" not in job.message and "内部错误" in job.message


def test_a_panic_from_a_rust_extension_fails_the_job_instead_of_leaving_it_running(app):
    job = run_inline(app, "test.panic")
    assert job.status == FAILED and "内部错误" in job.message


@runner("test.connection_lost")
def connection_lost(job):
    raise InterfaceError("connection already closed")


def test_a_job_whose_connection_was_dropped_is_recorded_failed_at_once(app, monkeypatch):
    # The server dropped the job's connection (an administrator ended it, a restart): recording the outcome on
    # it failed too, and the job stayed 运行中 until taken for dead a minute later (review).
    real, calls = ModelUpdate.execute, []

    def first_fails(query, *args, **kwargs):
        if query.model is Job and Job.finished_at in query._update and not calls:
            calls.append(query)
            raise InterfaceError("connection already closed")
        return real(query, *args, **kwargs)

    monkeypatch.setattr(ModelUpdate, "execute", first_fails)
    job = run_inline(app, "test.connection_lost")
    assert calls and job.status == FAILED and "内部错误" in job.message


def test_a_job_of_a_kind_this_version_does_not_know_fails_with_a_message(app):
    job = run_inline(app, "test.unknown")
    assert job.status == FAILED and "无法处理这种任务" in job.message


def test_a_job_is_claimed_once_and_a_claimed_job_is_not_claimed_again(app):
    first, second = Job.queue("test.count"), Job.queue("test.count")
    assert Job.claim().id == first.id
    assert Job.claim().id == second.id
    assert Job.claim() is None and Job.claim(first.id) is None


def test_a_job_whose_process_stopped_beating_is_failed_and_a_live_one_is_left_alone(app):
    long_ago = now() - timedelta(minutes=2)
    # The PID of a live process (pytest's parent) and this very host: the old check thought it alive.
    reused_pid = f"{socket.gethostname()}:{os.getppid()}:0ld70ken"
    dead = Job.create(kind="test.count", status=RUNNING, worker=reused_pid, heartbeat_at=long_ago)
    this_pid = Job.create(kind="test.count", status=RUNNING, worker=f"{socket.gethostname()}:{os.getpid()}:0ld70ken",
                          heartbeat_at=long_ago)
    before_heartbeats = Job.create(kind="test.count", status=RUNNING, worker=reused_pid)
    alive = Job.create(kind="test.count", status=RUNNING, worker="other-host:1:5ec0nd", heartbeat_at=now())
    waiting = Job.create(kind="test.count", status=QUEUED, created_at=long_ago)
    assert Job.reap() == 3
    for job in (dead, this_pid, before_heartbeats):
        job = Job.get_by_id(job.id)
        assert job.status == FAILED and "服务器进程已停止" in job.message and "请重新上传" in job.message
    assert Job.get_by_id(alive.id).status == RUNNING
    # A queued job has no owner to lose: whichever process comes next runs it.
    assert Job.get_by_id(waiting.id).status == QUEUED


def test_a_restart_fails_the_jobs_of_processes_that_are_gone(app, app_config):
    dead = Job.create(kind="test.count", status=RUNNING, worker="host:42:0ld70ken",
                      heartbeat_at=now() - timedelta(minutes=5))
    create_app(app_config)
    assert Job.get_by_id(dead.id).status == FAILED


def test_a_process_beats_for_its_own_jobs_and_never_takes_them_for_dead(app):
    mine = Job.queue("test.count")
    Job.claim(mine.id)
    Job.update(heartbeat_at=now() - timedelta(minutes=5)).where(Job.id == mine.id).execute()
    assert Job.reap() == 0  # never its own, even with an old heartbeat
    assert Job.beat() == 1 and Job.get_by_id(mine.id).heartbeat_at >= now() - timedelta(seconds=5)
    assert Job.get_by_id(mine.id).status == RUNNING


@runner("test.slow")
def slow(job):
    time.sleep(0.3)
    return {}


def test_the_dispatcher_runs_a_queued_job_and_a_waiting_request_hears_of_it_at_once(app):
    app.config["JOBS_INLINE"] = False
    job = Job.queue("test.slow")
    with app.test_request_context():
        start(job)
    started = time.monotonic()
    assert Job.wait(job.id, progress_shown=0, seconds=10)
    assert time.monotonic() - started < 5  # the job takes 0.3 s; the wait would last 10
    assert Job.get_by_id(job.id).status == DONE
    stop_dispatcher()


def test_a_status_request_over_the_limit_of_waiting_requests_answers_at_once(app):
    job = Job.queue("test.slow")  # never started: a wait would last its whole time
    assert Job.wait(job.id, progress_shown=0, seconds=10, limit=0) is False
    assert Job.wait(job.id, progress_shown=0, seconds=0.2, limit=1) is True


def test_a_dispatcher_bound_to_another_database_stops(app):
    dispatcher = start_dispatcher(app)
    dispatcher.database = object()  # as when a later test opens its own database
    dispatcher.wake.set()
    dispatcher.thread.join(5)
    assert not dispatcher.thread.is_alive()
    stop_dispatcher()


def test_a_jobs_writes_reach_the_sqlite_file_after_it_ends_not_in_its_commit(app):
    # The commit the result waits for copies nothing (~30 ms for a 10,000-row import); the job's end does.
    if not is_sqlite():
        pytest.skip("SQLite's write-ahead log")
    job = run_inline(app, "test.write")
    assert job.status == DONE and job.data == {"checkpoints": 0}
    assert db.execute_sql("PRAGMA wal_autocheckpoint").fetchone()[0] == WAL_AUTOCHECKPOINT
    _, frames, copied = db.execute_sql("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert frames == copied > 1000


def test_a_waiting_request_is_answered_once_the_outcome_is_stored_before_its_job_ends(app):
    # An import's page shows its batch: deleting the upload and freeing 10,000 rows (~10 ms) need not be waited for.
    job = Job.queue("test.count")  # never claimed: it stays queued
    outcome = threading.Event()
    threading.Timer(0.05, lambda: (outcome.set(), stored())).start()
    assert Job.wait(job.id, 0, seconds=30, outcome=outcome.is_set)
    assert outcome.is_set() and Job.get_by_id(job.id).status == QUEUED
