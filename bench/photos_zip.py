"""Benchmark: 上传学生照片 with a ZIP of N photos (default 2,000) of 358×441 px on a fresh SQLite database.

    python bench/photos_zip.py [N]
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/scratch python bench/photos_zip.py

With DATABASE_URL the bench DROPS AND RECREATES every CertDesk table there: give it a scratch database.

Generates N distinct ID photos with Pillow (models.photo.demo_jpeg), one candidate per photo, packs them
into a ZIP the way Windows archivers do (stored, in a folder), then times the job itself (process_zip:
read, check, re-encode, store, one transaction) and reports the peak memory growth of the process.
"""
import os
import resource
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import models  # noqa: E402
from app import create_app  # noqa: E402
from models.candidate import VERIFIED, Candidate  # noqa: E402
from models.db import db  # noqa: E402
from models.job import Job  # noqa: E402
from models.photo import demo_jpeg  # noqa: E402
from models.photo_zip import KIND, process_zip  # noqa: E402
from models.user import STAFF, User  # noqa: E402


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_app(tmp):
    """The app on a fresh database (SQLite under `tmp`, or DATABASE_URL's tables dropped and recreated)."""
    app = create_app({"DATA_DIR": tmp, "DATABASE_URL": os.environ.get("DATABASE_URL", ""), "SECRET_KEY": "bench"})
    with app.app_context(), db.connection_context():
        if not models.is_sqlite():
            models.drop_all()
            models.init_schema()
    return app


def bench_candidates(n):
    """A staff user and n 认证通过 candidates without a photo; returns (user, their ID numbers)."""
    staff = User.create(username="bench", role=STAFF, password_hash="x")
    numbers = [f"41010220{i:010d}" for i in range(n)]
    with db.atomic():
        rows = [{"name": "张三", "id_type": "居民身份证", "id_number": number, "gender": "男",
                 "phone": "13812345678", "status": VERIFIED} for number in numbers]
        Candidate.bulk_add(rows)  # its search columns and name index filled, as an import does
    return staff, numbers


def machine():
    """Where the figures come from: the database, the cores and how busy they were."""
    backend = "SQLite" if models.is_sqlite() else "PostgreSQL"
    return f"{backend}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}"


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    with tempfile.TemporaryDirectory() as tmp:
        with bench_app(tmp).app_context(), db.connection_context():
            staff, numbers = bench_candidates(n)

            started = time.perf_counter()
            path = Path(tmp) / "uploads" / "bench.zip"
            path.parent.mkdir()
            with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
                for i, number in enumerate(numbers):
                    archive.writestr(f"2023级照片/{number}.jpg", demo_jpeg(seed=i))
            generated = time.perf_counter() - started
            size_mb = path.stat().st_size / 1024 / 1024

            before = peak_mb()
            job = Job.create(kind=KIND, file_path=str(path), created_by=staff)
            cpu_before, started = os.times(), time.perf_counter()
            result = process_zip(job, tmp, staff, "bench.zip")
            elapsed, cpu_after = time.perf_counter() - started, os.times()
            cpu = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
            after = peak_mb()

            assert result["counts"]["已更新"] == n, result["counts"]
            assert Candidate.without_photo().count() == 0
            print(f"{machine()}: ZIP of {n} photos, {size_mb:.1f} MB (generated in {generated:.1f} s)")
            print(f"job: {elapsed:.2f} s wall, {cpu:.2f} s CPU, {n / elapsed:.0f} photos/s; "
                  f"peak RSS {before:.0f} MB before, {after:.0f} MB after")


if __name__ == "__main__":
    main()
