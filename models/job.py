"""Background jobs (photo ZIPs, big imports): a queued row any server process may claim and run.

Contact.app's archive pattern, across processes: the upload request saves a Job row (its kind and its
parameters: the file, the batch) and returns at once; each serving process runs a dispatcher thread
that claims queued rows exactly once (SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL; on SQLite the
claim is one BEGIN IMMEDIATE transaction, which no other writer can interleave) and runs the kind's
registered runner, which re-creates the work from the row alone. So a job queued by one process can
be run by another, and a process that stops with queued jobs leaves them to the others.

While it runs a job, a process writes a heartbeat on the job's row every few seconds. A job whose
heartbeat stopped belongs to a process that is gone (killed, aborted, restarted): any process marks it
failed (its work is written in one transaction at the end, so nothing half-done is ever stored). A
PID says nothing here: PIDs are reused, a quick restart gets the old one back, and on Windows
`os.kill(pid, 0)` is no check at all (signal 0 is CTRL_C_EVENT there).

The page that shows a job asks for its status with `Job.wait()`: the request waits (bounded, and only
so many at once) until the job ends or moves, so the result shows as soon as it exists.
"""
import json
import logging
import os
import secrets
import socket
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from flask import current_app
from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, InterfaceError, OperationalError, TextField

from .db import BaseModel, TimestampField, checkpoint_after, db, is_sqlite, now
from .user import User

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
STATUS_LABELS = {QUEUED: "排队中", RUNNING: "处理中", DONE: "已完成", FAILED: "失败"}
INTERRUPTED = "处理任务的服务器进程已停止（重启或异常退出），任务已中断，未写入任何数据，请重新上传"
INTERNAL_ERROR = "处理时发生内部错误，未写入任何数据；请联系院校管理员查看服务器日志"
log = logging.getLogger("certdesk.jobs")

# Two jobs at a time per process: the machines colleges use have few cores, and each job is one upload.
CAPACITY = 2
HEARTBEAT_SECONDS = 5
# Six missed heartbeats: a process busy writing a 100,000-row import (SQLite's single writer) still
# beats in time; one that is gone is noticed within half a minute.
STALE_AFTER = timedelta(seconds=30)
POLL_SECONDS = 1.0  # how often an idle dispatcher looks for jobs queued by other processes
WAIT_SECONDS = 10  # the longest a status request waits for its job to change
PROGRESS_EVERY = 1.0  # a running job's progress bar is redrawn about this often (each redraw costs the job)
RECHECK_SECONDS = 0.1  # how often a waiting request re-reads a job another process runs

RUNNERS = {}


def runner(kind):
    """Register the function that does jobs of `kind`: work(job) -> result dict, from the row alone."""
    def register(work):
        RUNNERS[kind] = work
        return work
    return register


def _new_identity():
    """host:pid:random — a start token no other process, before or after this one, ever has."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


_identity = [_new_identity()]
if hasattr(os, "register_at_fork"):
    # `python app.py --workers N` forks: each child is a process of its own and claims as one.
    os.register_at_fork(after_in_child=lambda: _identity.__setitem__(0, _new_identity()))


def worker_id():
    """This process's start token, stored on each job it claims."""
    return _identity[0]


class Job(BaseModel):
    kind = CharField(index=True)
    status = CharField(default=QUEUED, index=True)
    progress = IntegerField(default=0)
    total = IntegerField(default=0)
    message = TextField(default="")
    result = TextField(default="")  # JSON, the job kind decides its shape
    params = TextField(default="")  # JSON: what the kind's runner needs to do the work (a batch id ...)
    file_path = CharField(default="")  # the uploaded file under the data directory
    worker = CharField(default="")  # the start token of the process that claimed it (worker_id())
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = TimestampField()
    started_at = DateTimeField(null=True)
    heartbeat_at = DateTimeField(null=True)  # last sign of life of the process running it
    finished_at = DateTimeField(null=True)

    @classmethod
    def queue(cls, kind, params=None, **fields):
        """A new queued job of `kind`; call start(job) once the transaction that made it has committed."""
        return cls.create(kind=kind, params=json.dumps(params or {}, ensure_ascii=False), **fields)

    @property
    def status_label(self):
        return STATUS_LABELS[self.status]

    @property
    def finished(self):
        return self.status in (DONE, FAILED)

    @property
    def percent(self):
        return 100 if self.status == DONE else (int(self.progress * 100 / self.total) if self.total else 0)

    @property
    def data(self):
        return json.loads(self.result) if self.result else {}

    @property
    def arguments(self):
        return json.loads(self.params) if self.params else {}

    def report(self, progress, total=None):
        """Record progress (one UPDATE; callers report every few dozen items, not every one)."""
        self.progress = progress
        fields = {Job.progress: progress}
        if total is not None:
            self.total = fields[Job.total] = total
        Job.update(fields).where(Job.id == self.id).execute()

    # ---- across processes: claim, heartbeat, reap ---------------------------------------------
    @classmethod
    def claim(cls, job_id=None):
        """Take the oldest queued job (or job `job_id`) for this process, exactly once across every
        process of the database; None when there is none to take."""
        with db.atomic():
            query = cls.select(cls.id).where(cls.status == QUEUED).order_by(cls.id).limit(1)
            if job_id is not None:
                query = query.where(cls.id == job_id)
            if not is_sqlite():
                # A row another process is claiming is skipped, not waited for; SQLite's BEGIN IMMEDIATE
                # already lets only one transaction in.
                query = query.for_update(skip_locked=True)
            row = query.first()
            if row is None:
                return None
            stamp = now()
            claimed = (cls
                       .update(status=RUNNING, worker=worker_id(), started_at=stamp, heartbeat_at=stamp)
                       .where((cls.id == row.id) & (cls.status == QUEUED))
                       .execute())
        return cls.get_by_id(row.id) if claimed else None

    @classmethod
    def beat(cls):
        """This process is alive: the heartbeat of every job it runs."""
        return (cls
                .update(heartbeat_at=now())
                .where((cls.worker == worker_id()) & (cls.status == RUNNING))
                .execute())

    @classmethod
    def dead(cls, stale_after=STALE_AFTER):
        """Running jobs whose process has not beaten for `stale_after` (or never did: an older version's)."""
        return (cls.status == RUNNING) & (cls.heartbeat_at.is_null() | (cls.heartbeat_at < now() - stale_after))

    @classmethod
    def reap(cls, stale_after=STALE_AFTER):
        """Mark failed the running jobs of processes that are gone; returns how many.

        Never this process's own: they are alive in its threads, even when a long SQLite write kept
        their heartbeat from being written.
        """
        dead = cls.dead(stale_after) & (cls.worker != worker_id())
        if not cls.select().where(dead).exists():
            return 0  # read first: on SQLite an UPDATE takes the write lock even when it changes nothing
        return cls.update(status=FAILED, finished_at=now(), message=INTERRUPTED).where(dead).execute()

    # ---- the page waiting for a job ----------------------------------------------------------
    @classmethod
    def wait(cls, job_id, progress_shown, seconds=WAIT_SECONDS, limit=4, outcome=None, redraw=PROGRESS_EVERY):
        """Hold a status request until job `job_id` ends, or `outcome()` is true (what the page shows is stored:
        the job's own last steps need not be waited for), or its progress moved (redrawn at most every
        `redraw` seconds), or `seconds` passed. False, at once, when `limit` requests already wait:
        each holds a server thread, and the page then asks again after a short delay instead."""
        with _waiting_lock:
            if _waiting[0] >= limit:
                return False
            _waiting[0] += 1
        try:
            started = time.monotonic()
            while True:
                row = cls.select(cls.status, cls.progress).where(cls.id == job_id).first()
                waited = time.monotonic() - started
                if (row is None or row.status in (DONE, FAILED) or waited >= seconds
                        or (row.progress != progress_shown and waited >= redraw)
                        or (outcome is not None and outcome())):
                    return True
                # A job of this process wakes the request as it ends (and when it has stored its outcome:
                # stored()); one run by another process is seen on the next read of its row.
                with _changed:
                    _changed.wait(RECHECK_SECONDS)
        finally:
            with _waiting_lock:
                _waiting[0] -= 1


_changed = threading.Condition()
_waiting_lock = threading.Lock()
_waiting = [0]


def stored():
    """A job of this process has committed what its page shows (before its last steps: deleting its files,
    freeing its rows, ~10 ms for 10,000 rows): the requests waiting with an `outcome` look again."""
    with _changed:
        _changed.notify_all()


def start(job):
    """Have a saved, queued job run: inline when JOBS_INLINE is set (tests, benchmarks), else by the
    dispatcher of a server process (this one's is woken at once)."""
    app = current_app._get_current_object()
    if app.config.get("JOBS_INLINE"):
        claimed = Job.claim(job.id)
        if claimed is not None:
            _execute(claimed)
    elif app.config.get("JOBS_DISPATCH", True):
        start_dispatcher(app).wake.set()


def _execute(job):
    """Run a claimed job and record its outcome; nothing it raises escapes. Its writes reach SQLite's database
    file once the requests waiting for it have been woken (checkpoint_after)."""
    with checkpoint_after():
        try:
            work = RUNNERS.get(job.kind)
            if work is None:
                raise JobError("无法处理这种任务（程序版本不一致？），未写入任何数据；请联系院校管理员")
            result = work(job)
        except JobError as exc:
            _finish(job.id, FAILED, str(exc), None)
        except BaseException as exc:
            # Anything else must not leave the job "running" forever: a bug, a MemoryError, or pyo3's
            # PanicException from a Rust extension, which is a BaseException.
            log.error("job %s failed\n%s", job.id, traceback.format_exc())
            _finish(job.id, FAILED, INTERNAL_ERROR, None)
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
        else:
            _finish(job.id, DONE, "", result)
        finally:
            stored()


def _finish(job_id, status, message, result):
    fields = {Job.status: status, Job.message: message, Job.finished_at: now()}
    if result is not None:
        fields[Job.result] = json.dumps(result, ensure_ascii=False, default=str)
    # Only while this process still holds the job; a job taken for dead during a long stall and then
    # finished after all records what really happened.
    query = Job.update(fields).where((Job.id == job_id) & (Job.worker == worker_id()))
    try:
        query.execute()
    except (InterfaceError, OperationalError):
        # The job's connection is gone (the server dropped it: maybe what the job failed of). A fresh one
        # records the outcome now; else the job stayed 运行中 until taken for dead a minute later.
        db.close()
        query.execute()


class JobError(RuntimeError):
    """A job that cannot be done, with a message for the user (e.g. "压缩包已损坏")."""


# ---- the dispatcher: one thread per server process ------------------------------------------------
class Dispatcher:
    """Claims queued jobs while this process has room (CAPACITY at a time), runs them in worker
    threads, beats for them, and marks failed the jobs of processes that are gone."""

    def __init__(self, app):
        self.app, self.database = app, db.obj
        self.wake, self.stopped = threading.Event(), threading.Event()
        self.running = set()
        self.executor = ThreadPoolExecutor(max_workers=CAPACITY, thread_name_prefix="certdesk-job")
        self.thread = threading.Thread(target=self._loop, name="certdesk-dispatcher", daemon=True)

    def _loop(self):
        next_beat = 0.0
        # Bound to the database it started with: a test app that replaced it ends this one.
        while not self.stopped.is_set() and db.obj is self.database:
            self.wake.clear()
            try:
                with self.app.app_context(), db.connection_context():
                    if time.monotonic() >= next_beat:
                        if self.running:
                            Job.beat()
                        Job.reap()
                        next_beat = time.monotonic() + HEARTBEAT_SECONDS
                    self._claim()
            except Exception:
                log.exception("job dispatcher")
            self.wake.wait(POLL_SECONDS)
        self.executor.shutdown(wait=False)

    def _claim(self):
        while len(self.running) < CAPACITY and Job.select().where(Job.status == QUEUED).exists():
            job = Job.claim()
            if job is None:
                return  # another process was quicker
            self.running.add(job.id)
            self.executor.submit(self._run, job)

    def _run(self, job):
        try:
            with self.app.app_context(), db.connection_context():
                _execute(job)
        finally:
            self.running.discard(job.id)
            self.wake.set()  # room for the next one


_dispatcher = [None]
_dispatcher_lock = threading.Lock()


def start_dispatcher(app):
    """This process's dispatcher for `app`, started if need be (by `python app.py`, or by the first job)."""
    with _dispatcher_lock:
        current = _dispatcher[0]
        if current is not None and current.app is app and current.thread.is_alive():
            return current
        if current is not None:
            current.stopped.set()
        _dispatcher[0] = Dispatcher(app)
        _dispatcher[0].thread.start()
        return _dispatcher[0]


def stop_dispatcher():
    """Stop this process's dispatcher (its running jobs finish in their threads)."""
    with _dispatcher_lock:
        if _dispatcher[0] is not None:
            _dispatcher[0].stopped.set()
            _dispatcher[0].wake.set()
            _dispatcher[0] = None
