"""`python app.py --workers 2`: two server processes share the port and claim each queued job exactly once."""
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import tests.sheetfiles as sf
from models.audit import AuditEvent
from models.import_batch import CHECKING, REVIEW, ImportBatch
from models.job import DONE, Job, worker_id

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="--workers forks")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def children(pid):
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(child) for child in path.read_text().split()} if path.exists() else set()


@pytest.fixture
def queue_only(app):
    # This test process only queues: the server processes started below run every job.
    app.config["JOBS_DISPATCH"] = False
    return app


@pytest.fixture
def server(queue_only, app_config, tmp_path):
    """`python app.py --workers 2` on the test's database and data directory; yields (pid, base url)."""
    port = free_port()
    env = dict(os.environ, CERTDESK_DATA_DIR=app_config["DATA_DIR"], DATABASE_URL=app_config["DATABASE_URL"],
               SECRET_KEY="test-secret")
    log = (tmp_path / "server.log").open("wb")  # a file, not a pipe: a full pipe would stop the server
    process = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--workers", "2", "--port", str(port),
                                "--threads", "4"], cwd=ROOT, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.1)
        yield process.pid, base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        finally:
            process.kill()
            log.close()


def queue_checks(app, user, count):
    """`count` uploads checked by jobs this process only queues; each file has one bad row, so each
    check ends 待确认 with one audit event."""
    batches = []
    with app.test_request_context():
        for n in range(count):
            rows = [sf.person(100 * n + i) for i in range(5)] + [sf.person(100 * n + 9, phone="12345")]
            batch = ImportBatch.receive("candidates", io.BytesIO(sf.csv_file(rows)), f"名单{n}.csv", False, by=user)
            batches.append(batch.check())
    return batches


def test_two_worker_processes_run_twenty_jobs_each_exactly_once(server, queue_only, make_user):
    pid, base = server
    assert len(children(pid)) == 2
    user = make_user("staff")
    batches = queue_checks(queue_only, user, 20)
    assert all(batch.status == CHECKING for batch in batches)
    deadline = time.monotonic() + 120
    while ImportBatch.select().where(ImportBatch.status == CHECKING).exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    jobs = list(Job.select().order_by(Job.id))
    assert [job.status for job in jobs] == [DONE] * 20, [(job.id, job.message[:300]) for job in jobs if job.status != DONE]
    assert {batch.status for batch in ImportBatch.select()} == {REVIEW}
    # Each check ran once: one audit event per batch, none lost, none doubled.
    checked = [event.object_id for event in AuditEvent.select().where(AuditEvent.action == "import.check")]
    assert sorted(checked) == sorted(str(batch.id) for batch in batches)
    # Run by both server processes, none by this one.
    workers = {job.worker for job in jobs}
    assert len(workers) == 2 and worker_id() not in workers
    assert {int(worker.split(":")[1]) for worker in workers} == children(pid)
    health = json.load(urllib.request.urlopen(base + "/healthz", timeout=5))
    assert health["jobs_stuck"] == 0


def test_a_server_process_that_dies_is_replaced(server):
    pid, base = server
    first = children(pid)
    os.kill(min(first), signal.SIGKILL)
    deadline = time.monotonic() + 30
    while (len(children(pid)) != 2 or children(pid) == first) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(children(pid)) == 2 and min(first) not in children(pid)
    assert urllib.request.urlopen(base + "/login", timeout=5).status == 200
