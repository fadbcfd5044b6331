"""Benchmark: what a hostile or mistaken spreadsheet costs the web process and the worker that parses it.

    python bench/hostile_files.py

Each file is generated here, then uploaded through the real 批量导入学生信息 view (jobs inline) in a
fresh process on a fresh SQLite database: it prints the outcome, the time, whether /login still answers,
and the peak RSS (Linux) of the web process (VmHWM, before the upload and after) and of the worker
process that parsed the file (run under GNU time, /usr/bin/time). Not ru_maxrss: on Linux a process
started by another also counts, from its exec, the pages of the process that started it. The time
includes the app's first request (templates, the ID checks' tables). The figures are in
docs/security.md.
"""
import io
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.candidate_import import in_fresh_process, make_rows, write_xlsx  # noqa: E402
from tests import sheetfiles as sf  # noqa: E402


def valid_rows(n):
    def make():
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "rows.xlsx"
            write_xlsx(make_rows(n), path)
            return path.read_bytes()
    return make


FILES = {
    "value in XFD1048576": sf.far_value_xlsx,
    "<dimension> of 3,000,000 rows": lambda: sf.claiming_rows_xlsx(3_000_000),
    "far cell the pre-check misses": sf.hidden_far_value_xlsx,
    "20M-char shared string ×130": lambda: sf.shared_string_xlsx("x" * 20_000_000, 130),
    "10,000 valid rows": valid_rows(10_000),
    "100,000 valid rows (the limit)": valid_rows(100_000),
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


def run(data, queue):
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
        before = peak_mb()
        started = time.perf_counter()
        client.post("/imports/candidates", data={"file": (io.BytesIO(data), "名单.xlsx")},
                    headers={"HX-Request": "true"}, content_type="multipart/form-data")
        elapsed = time.perf_counter() - started
        with app.app_context(), db.connection_context():
            batch = ImportBatch.select().order_by(ImportBatch.id.desc()).get()
        login = app.test_client().get("/login").status_code
        outcome = f"{batch.status} {batch.message[:40]}" if batch.message else f"{batch.status} {batch.total} 行"
        worker = max(int(line) for line in report.read_text().split() if line.isdigit()) / 1024
        queue.put((outcome, elapsed, before, peak_mb(), worker, login))


def main():
    print(f"{'file':32} {'size':>8} {'time':>6} {'web before→after':>17} {'worker':>8}  /login  outcome")
    for name, make in FILES.items():
        data = make()  # here, so that making it does not count in the web process's peak
        outcome, elapsed, before, after, worker, login = in_fresh_process(run, data)
        print(f"{name:32} {len(data) / 1024:>6.0f}KB {elapsed:>5.2f}s {before:>7.0f} → {after:>4.0f} MB {worker:>5.0f} MB"
              f"  {login}     {outcome}")


if __name__ == "__main__":
    main()
