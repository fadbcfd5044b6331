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


def serving(port):
    """Every live process started as `app.py ... --port <port>`, whoever its parent is now."""
    found = set()
    for proc in Path("/proc").iterdir():
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if b"--port" in args and args[args.index(b"--port") + 1:][:1] == [str(port).encode()] and state != "Z":
            found.add(int(proc.name))
    return found


def wait_for(condition, seconds):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)
    return condition()


@pytest.fixture
def queue_only(app):
    # This test process only queues: the server processes started below run every job.
    app.config["JOBS_DISPATCH"] = False
    return app


@pytest.fixture
def server(queue_only, app_config, tmp_path):
    """`python app.py --workers 2` on the test's database and data directory; yields (process, base url,
    log file). Whatever the test did, no process of it outlives the test: one left claiming jobs from this
    database with a data directory that is gone fails every later test's jobs (上传的文件已不在服务器上)."""
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
        yield process, base, tmp_path / "server.log"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        finally:
            process.kill()
            log.close()
            for pid in serving(port):
                os.kill(pid, signal.SIGKILL)


def queue_checks(app, user, count):
    """`count` uploads checked by jobs this process only queues; each file has one bad row, so each
    check ends 待确认 with one audit event. 300 rows each, so that one process cannot run all twenty before the
    other's dispatcher has looked."""
    batches = []
    with app.test_request_context():
        for n in range(count):
            rows = [sf.person(1000 * n + i) for i in range(299)] + [sf.person(1000 * n + 999, phone="12345")]
            batch = ImportBatch.receive("candidates", io.BytesIO(sf.csv_file(rows)), f"名单{n}.csv", False, by=user)
            batches.append(batch.check())
    return batches


def test_two_worker_processes_run_twenty_jobs_each_exactly_once(request, queue_only, make_user):
    batches = queue_checks(queue_only, make_user("staff"), 20)
    assert all(batch.status == CHECKING for batch in batches)
    # Started once all twenty wait: both processes' dispatchers look at once, not one only after a second's poll.
    process, base, _ = request.getfixturevalue("server")
    pid = process.pid
    assert len(children(pid)) == 2
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
    process, base, _ = server
    pid = process.pid
    first = children(pid)
    os.kill(min(first), signal.SIGKILL)
    deadline = time.monotonic() + 30
    while (len(children(pid)) != 2 or children(pid) == first) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(children(pid)) == 2 and min(first) not in children(pid)
    assert urllib.request.urlopen(base + "/login", timeout=5).status == 200


def test_a_sigterm_while_a_dead_process_is_being_replaced_stops_them_all(server):
    process, base, log = server
    port = int(base.rsplit(":", 1)[1])
    os.kill(min(children(process.pid)), signal.SIGKILL)
    # The parent logs the death, then waits a second before replacing it: stop it inside that second.
    assert wait_for(lambda: "1 秒后重新启动" in log.read_text(encoding="utf-8"), 30)
    process.send_signal(signal.SIGTERM)
    process.wait(20)  # used to replace the child after the SIGTERM, then wait for it forever
    assert wait_for(lambda: not serving(port), 10), serving(port)


def test_server_processes_stop_when_their_parent_is_killed(server):
    process, base, _ = server
    port = int(base.rsplit(":", 1)[1])
    assert len(serving(port)) == 3
    process.kill()  # SIGKILL: the parent cannot pass anything on
    process.wait(5)
    assert wait_for(lambda: not serving(port), 10), serving(port)
