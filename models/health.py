"""What a monitoring system may ask of a running CertDesk: is the database reachable and at the schema this
CertDesk runs, is there disk space left for photos and uploads, are background jobs moving. Counts and states
only, never personal data."""
import shutil
from datetime import timedelta

from peewee import DatabaseError, InterfaceError

from . import migrations
from .db import db, now
from .job import QUEUED, RUNNING, Job

OK, DEGRADED, FAIL = "ok", "degraded", "fail"
MIN_FREE_MB = 1024
# The longest job (a ZIP of 10,000 photos) takes minutes; one unfinished after this, though its process
# still beats, is hung.
STUCK_AFTER = timedelta(minutes=30)


def check(data_dir, min_free_mb=MIN_FREE_MB):
    """{status, database, schema, disk_free_mb, jobs_stuck}: fail when the database or the data directory
    cannot be reached or the schema is not this CertDesk's, degraded when disk space runs low or a job is
    stuck, ok otherwise."""
    reachable = _database_reachable()
    schema = _schema_state() if reachable else None
    free_mb = _free_mb(data_dir)
    stuck = _stuck_jobs() if schema == OK else None
    if schema != OK or free_mb is None:
        status = FAIL
    elif free_mb < min_free_mb or stuck:
        status = DEGRADED
    else:
        status = OK
    return {"status": status, "database": OK if reachable else FAIL, "schema": schema, "disk_free_mb": free_mb,
            "jobs_stuck": stuck}


def _database_reachable():
    try:
        db.connect(reuse_if_open=True)
        db.execute_sql("SELECT 1")
    except (DatabaseError, InterfaceError):
        return False
    return True


def _schema_state():
    """OK when the database is at the schema version this process upgraded it to on start. Another version
    means another CertDesk has changed it since (a newer one started on the same database, say): this
    process's queries may no longer fit its tables, and what it writes may break them."""
    try:
        found = migrations.stored_version()
    except DatabaseError:
        return FAIL
    return OK if found == migrations.CURRENT_VERSION else FAIL


def _free_mb(data_dir):
    try:
        return shutil.disk_usage(data_dir).free // 2**20
    except OSError:
        return None


def _stuck_jobs():
    """Jobs no process is moving: running for a process that stopped beating (models/job.py; a live
    process fails those within seconds, so some are left only when none runs), running or waiting to
    start for longer than STUCK_AFTER."""
    since = now() - STUCK_AFTER
    return (Job
            .select()
            .where(Job.dead()
                   | ((Job.status == QUEUED) & (Job.created_at < since))
                   | ((Job.status == RUNNING) & (Job.started_at < since)))
            .count())
