"""Benchmark: what a hostile or mistaken spreadsheet costs the web process and the worker that parses it.

    python bench/hostile_files.py

Each file is generated here, then uploaded through the real 批量导入学生信息 view (jobs inline) in a
fresh process on a fresh SQLite database: it prints the outcome, the time, whether /login still answers,
and the peak RSS (Linux) of the web process (VmHWM, before the upload and after) and of the worker
process that parsed the file (run under GNU time, /usr/bin/time). Not ru_maxrss: on Linux a process
started by another also counts, from its exec, the pages of the process that started it. The time
includes the app's first request (templates, the ID checks' tables). While the upload is checked, a
thread asks for /login every 0.2 s: the slowest answer and every status code are printed. The figures
are in docs/security.md.

    python bench/hostile_files.py [NAME-PART ...]      (only the files whose name contains one of them)
"""
import threading
import io
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.candidate_import import in_fresh_process, make_rows, write_xlsx  # noqa: E402
from tests import sheetfiles as sf  # noqa: E402


def valid_rows(n, change=None):
    def make():
        rows = make_rows(n)
        if change:
            rows = [change(i, row) for i, row in enumerate(rows)]
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "rows.xlsx"
            write_xlsx(rows, path)
            return path.read_bytes()
    return make


def identical_csv(n):
    return lambda: sf.csv_file([sf.person(1)] * n)


def every_cell_wrong(i, row):
    return {key: f"坏{i}" for key in row}


# name: (make the file, its name)
FILES = {
    "value in XFD1048576": (sf.far_value_xlsx, "名单.xlsx"),
    "<dimension> of 3,000,000 rows": (lambda: sf.claiming_rows_xlsx(3_000_000), "名单.xlsx"),
    "far cell the pre-check misses": (sf.hidden_far_value_xlsx, "名单.xlsx"),
    "20M-char shared string ×130": (lambda: sf.shared_string_xlsx("x" * 20_000_000, 130), "名单.xlsx"),
    "99,000 rows of long cells": (lambda: sf.long_cells_xlsx(99_000), "名单.xlsx"),
    "10,000 identical rows (CSV)": (identical_csv(10_000), "名单.csv"),
    "100,000 identical rows (CSV)": (identical_csv(100_000), "名单.csv"),
    "10,000 valid rows": (valid_rows(10_000), "名单.xlsx"),
    "100,000 valid rows (the limit)": (valid_rows(100_000), "名单.xlsx"),
    "100,000 rows, every cell wrong": (valid_rows(100_000, every_cell_wrong), "名单.xlsx"),
}


def peak_mb():
    # VmHWM, not ru_maxrss: the latter also counts the pages of the process that started this one.
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0]) / 1024


def timed_workers(report):
    """Start every worker under GNU time, which appends its peak RSS (KB) to `report`; a worker that
    has said all it will is left to end by itself, so that GNU time is not killed before it writes."""
    class Measured(subprocess.Popen):
        def __init__(self, args, **kwargs):
            super().__init__(["/usr/bin/time", "-a", "-o", str(report), "-f", "%M"] + list(args), **kwargs)

        def kill(self):
            pass
    subprocess.Popen = Measured


def ask_for_login(app, stop, answers):
    """GET /login every 0.2 s until `stop` is set; (seconds, status) of each answer into `answers`."""
    client = app.test_client()
    while not stop.wait(0.2):
        started = time.perf_counter()
        status = client.get("/login").status_code
        answers.append((time.perf_counter() - started, status))


def run(data, name, queue):
    from app import create_app
    from models.import_batch import ImportBatch
    from models.db import db
    from models.user import STAFF, User
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "workers.txt"
        timed_workers(report)
        app = create_app({"DATA_DIR": tmp, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False, "JOBS_INLINE": True,
                          "DATABASE_URL": f"sqlite:///{tmp}/bench.db"})
        with app.app_context(), db.connection_context():
            staff = User.create(username="bench", role=STAFF, password_hash="x")
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = staff.get_id()
        client.get("/login")  # the first request loads the templates: not the upload's cost
        before = peak_mb()
        stop, answers = threading.Event(), []
        asker = threading.Thread(target=ask_for_login, args=(app, stop, answers))
        asker.start()
        started = time.perf_counter()
        client.post("/imports/candidates", data={"file": (io.BytesIO(data), name)},
                    headers={"HX-Request": "true"}, content_type="multipart/form-data")
        elapsed = time.perf_counter() - started
        stop.set()
        asker.join()
        with app.app_context(), db.connection_context():
            batch = ImportBatch.select().order_by(ImportBatch.id.desc()).get()
        answers.append((0.0, app.test_client().get("/login").status_code))
        login = f"{max(s for s, _ in answers):.2f}s " + "/".join(sorted({str(code) for _, code in answers}))
        outcome = f"{batch.status} {batch.message[:40]}" if batch.message else f"{batch.status} {batch.total} 行"
        measured = [int(line) for line in report.read_text().split() if line.isdigit()] if report.exists() else []
        worker = max(measured) / 1024 if measured else 0  # a CSV is read in the web process
        queue.put((outcome, elapsed, before, peak_mb(), worker, login))


def main():
    wanted = sys.argv[1:]
    print(f"{'file':32} {'size':>8} {'time':>6} {'web before→after':>17} {'worker':>8}  /login (slowest)  outcome")
    for title, (make, name) in FILES.items():
        if wanted and not any(part in title for part in wanted):
            continue
        data = make()  # here, so that making it does not count in the web process's peak
        outcome, elapsed, before, after, worker, login = in_fresh_process(run, data, name)
        print(f"{title:32} {len(data) / 1024:>6.0f}KB {elapsed:>5.2f}s {before:>7.0f} → {after:>4.0f} MB {worker:>5.0f} MB"
              f"  {login:14}  {outcome}", flush=True)


if __name__ == "__main__":
    main()
