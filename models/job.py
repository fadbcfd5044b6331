"""Background jobs (photo ZIPs, big imports): a row the browser polls, and the thread that does the work.

Contact.app's archive pattern: the upload request creates a Job and returns at once; a worker thread
runs it and writes its progress to the row; the page polls a status block until the job is finished.
A server restart marks interrupted jobs as failed (their work is written in one transaction at the
end, so nothing half-done is ever stored).
"""
import json
import logging
import os
import socket
import traceback
from concurrent.futures import ThreadPoolExecutor

from flask import current_app
from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from .db import BaseModel, TimestampField, db, now
from .user import User

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
STATUS_LABELS = {QUEUED: "排队中", RUNNING: "处理中", DONE: "已完成", FAILED: "失败"}
log = logging.getLogger("certdesk.jobs")

# Two workers: the machines colleges use have few cores, and each job is one user's upload.
_executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="certdesk-job")
WORKER = f"{socket.gethostname()}:{os.getpid()}"


class Job(BaseModel):
    kind = CharField(index=True)
    status = CharField(default=QUEUED, index=True)
    progress = IntegerField(default=0)
    total = IntegerField(default=0)
    message = TextField(default="")
    result = TextField(default="")  # JSON, the job kind decides its shape
    file_path = CharField(default="")  # the uploaded file under the data directory
    worker = CharField(default=lambda: WORKER)  # host:pid of the server process that runs it
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = TimestampField()
    started_at = DateTimeField(null=True)
    finished_at = DateTimeField(null=True)

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

    def report(self, progress, total=None):
        """Record progress (one UPDATE; callers report every few dozen items, not every one)."""
        self.progress = progress
        fields = {Job.progress: progress}
        if total is not None:
            self.total = fields[Job.total] = total
        Job.update(fields).where(Job.id == self.id).execute()

    @classmethod
    def mark_interrupted(cls):
        """On start: unfinished jobs whose server process is gone can never finish; mark them failed.

        Only dead processes count, so a CLI command run beside a live server leaves its jobs alone.
        """
        orphans = [job.id for job in cls.select(cls.id, cls.worker).where(cls.status.in_([QUEUED, RUNNING]))
                   if not _alive(job.worker)]
        if orphans:
            (cls
             .update(status=FAILED, finished_at=now(), message="服务器重启，任务已中断，未写入任何数据，请重新上传")
             .where(cls.id.in_(orphans))
             .execute())
        return len(orphans)


def _alive(worker):
    host, _, pid = worker.rpartition(":")
    if not pid.isdigit():
        return False
    if host != socket.gethostname():
        return True  # another server of the same database: it cannot be checked from here
    if int(pid) == os.getpid():
        return False  # this process is only starting: the job's thread did not survive a restart
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def start(job, work):
    """Run `work(job)` for a saved job: in a worker thread, or inline when JOBS_INLINE is set (tests).

    `work` returns the result dict stored as JSON; an exception marks the job failed with its message.
    """
    app = current_app._get_current_object()
    if app.config.get("JOBS_INLINE"):
        _run(app, job.id, work)
    else:
        _executor.submit(_run, app, job.id, work)


def _run(app, job_id, work):
    with app.app_context(), db.connection_context():
        job = Job.get_by_id(job_id)
        Job.update(status=RUNNING, started_at=now()).where(Job.id == job_id).execute()
        job.status = RUNNING
        try:
            result = work(job)
        except JobError as exc:
            _finish(job_id, FAILED, str(exc), None)
        except BaseException as exc:
            # Anything else must not leave the job "running" forever: a bug, a MemoryError, or pyo3's
            # PanicException from a Rust extension, which is a BaseException.
            log.error("job %s failed\n%s", job_id, traceback.format_exc())
            _finish(job_id, FAILED, "处理时发生内部错误，未写入任何数据；请联系院校管理员查看服务器日志", None)
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
        else:
            _finish(job_id, DONE, "", result)


def _finish(job_id, status, message, result):
    fields = {Job.status: status, Job.message: message, Job.finished_at: now()}
    if result is not None:
        fields[Job.result] = json.dumps(result, ensure_ascii=False, default=str)
    Job.update(fields).where(Job.id == job_id).execute()


class JobError(RuntimeError):
    """A job that cannot be done, with a message for the user (e.g. "压缩包已损坏")."""
