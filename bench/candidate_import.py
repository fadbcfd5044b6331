"""Benchmark: 批量导入学生信息 of 10,000 and 50,000-row .xlsx files generated from the column spec.

    python bench/candidate_import.py [N ...]            (default: 10000 50000; REPEAT=3 runs each)

For each N it prints, as ratios to the bare python-calamine parse of the same file (so they hold on a
noisy machine): upload → validated preview (one bad row, so nothing is written), upload → saved (all rows
valid, one transaction), and the peak memory of the process that did it. Each N runs in its own process
on a fresh SQLite database under a temporary directory, through the real upload view. With
DATABASE_URL=postgresql://.../scratch it runs on PostgreSQL instead and DROPS AND RECREATES every CertDesk
table there before each upload: give it a scratch database.
Targets (issue 4): preview ≤ 4×, saved ≤ 8×; 50,000 rows end to end < 5 s and < 300 MB.
"""
import io
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import python_calamine  # noqa: E402
from openpyxl import Workbook  # noqa: E402
from stdnum.cn import ric  # noqa: E402

from models.candidate_fields import CANDIDATE_SHEET as CANDIDATES  # noqa: E402

DEPARTMENTS = ["信息工程学院", "机电工程学院", "经济管理学院", "艺术设计学院"]


def make_rows(n, bad_row=None):
    """n valid candidate rows (text, as typed), keyed by column; `bad_row` gets a malformed phone."""
    rows = []
    for i in range(n):
        # (birth date, sequence) is unique for each i: a thousand people born on each day from 1998.
        born = f"{date(1998, 1, 1) + timedelta(days=i // 1000):%Y%m%d}"
        body = f"410102{born}{i % 1000:03d}"
        number = body + ric.calc_check_digit(body + "0")
        rows.append({
            "name": "张三" if i % 3 else "欧阳娜娜", "id_type": "居民身份证", "id_number": number,
            "gender": "男" if int(number[16]) % 2 else "女", "birth_date": "", "ethnicity": "汉族",
            "phone": f"138{i:08d}", "student_no": f"2023{i:06d}", "department": DEPARTMENTS[i % 4],
            "major": "计算机应用技术", "class_name": f"计应23{i % 40:02d}", "education_level": "高职专科",
            "enrollment_year": "2023",
        })
    if bad_row is not None:
        rows[bad_row]["phone"] = "12345"
    return rows


def write_xlsx(rows, path):
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(CANDIDATES.title)
    sheet.append([c.title for c in CANDIDATES.columns])
    for row in rows:
        sheet.append([row[c.key] for c in CANDIDATES.columns])
    workbook.save(path)


def bare_parse(path):
    started = time.perf_counter()
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    book.get_sheet_by_name(CANDIDATES.title).to_python()
    return time.perf_counter() - started


def timed_upload(path, tmp, name):
    """Upload `path` through the real view (jobs inline) on a fresh database; (seconds, batch)."""
    import models
    from app import create_app
    from models.import_batch import ImportBatch
    from models.db import db
    from models.user import STAFF, User
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{Path(tmp) / name}.db"
    app = create_app({"DATA_DIR": str(Path(tmp) / name), "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                      "JOBS_INLINE": True, "DATABASE_URL": url})
    with app.app_context(), db.connection_context():
        if not models.is_sqlite():  # a scratch PostgreSQL database, emptied for each run
            models.drop_all()
            models.init_schema()
        staff = User.create(username="bench", role=STAFF, password_hash="x")
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = staff.get_id()
    # A running server has loaded its templates and stdnum's area-code table (~0.3 s) long before: one
    # small upload first, so the measurement is the steady state rather than the first request.
    warm_up = Path(tmp) / "warm-up.xlsx"
    if not warm_up.exists():
        write_xlsx(make_rows(5, bad_row=0), warm_up)
    _post(client, warm_up.read_bytes(), warm_up.name)
    data = Path(path).read_bytes()
    started = time.perf_counter()
    response = _post(client, data, Path(path).name)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.status_code
    with app.app_context(), db.connection_context():
        batch = ImportBatch.select().order_by(ImportBatch.id.desc()).get()
    return elapsed, batch


def _post(client, data, name):
    return client.post("/imports/candidates", data={"file": (io.BytesIO(data), name)},
                       headers={"HX-Request": "true"}, content_type="multipart/form-data")


def run(n, repeat, queue):
    with tempfile.TemporaryDirectory() as tmp:
        valid, partial = Path(tmp) / "valid.xlsx", Path(tmp) / "partial.xlsx"
        write_xlsx(make_rows(n), valid)
        write_xlsx(make_rows(n, bad_row=n // 2), partial)
        parses, previews, saves = [], [], []
        # Interleaved and the best of each kept: the shared machine's speed drifts by half within a minute.
        for attempt in range(repeat):
            parses.append(min(bare_parse(valid) for _ in range(3)))
            preview, review = timed_upload(partial, tmp, f"preview{attempt}")
            saved, done = timed_upload(valid, tmp, f"saved{attempt}")
            assert (review.status, review.errors) == ("待确认", 1), (review.status, review.message)
            assert (done.status, done.imported) == ("已导入", done.total), (done.status, done.message)
            previews.append(preview)
            saves.append(saved)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        queue.put((done.total, valid.stat().st_size, min(parses), min(previews), min(saves), peak_mb))


def in_fresh_process(target, *args):
    """What target(*args, queue) puts on the queue, run in a fresh process: its own peak memory."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=args + (queue,))
    process.start()
    result = queue.get(timeout=900)
    process.join()
    return result


def main():
    sizes = [int(a) for a in sys.argv[1:]] or [10_000, 50_000]
    repeat = int(os.environ.get("REPEAT", "3"))
    print(f"{'rows':>7} {'file':>8} {'parse':>7} {'preview':>14} {'saved':>14} {'peak':>8}")
    for n in sizes:
        rows, size, parse, preview, saved, peak = in_fresh_process(run, n, repeat)
        print(f"{rows:>7,} {size / 1e6:>6.1f}MB {parse:>6.2f}s {preview:>6.2f}s ({preview / parse:>4.1f}×) "
              f"{saved:>6.2f}s ({saved / parse:>4.1f}×) {peak:>6.0f}MB")


if __name__ == "__main__":
    main()
