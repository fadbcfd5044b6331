"""Benchmark: 自动修正 of one photo, and 全部修正 of N fixable photos (default 500) in a ZIP.

    python bench/photo_fix.py [N]
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/scratch python bench/photo_fix.py

With DATABASE_URL the bench DROPS AND RECREATES every CertDesk table there: give it a scratch database.

One photo: the median over 50 runs of propose_fix for each kind of mendable photo (a 1.2 MB phone-size
JPEG, a square one, a PNG, a CMYK JPEG, a rotated one, a 12-million-pixel phone photo of ~3 MB). The ZIP: N photos that each break one mendable
rule (a quarter square, a quarter PNG, a quarter too large, a quarter CMYK), one candidate each; timed
is the job that checks them and prepares every fix (process_zip) plus 全部修正 (accept_fixes), which
stores the fixed photos and attaches them in one transaction.
"""
import io
import json
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from models.candidate import Candidate  # noqa: E402
from models.db import db  # noqa: E402
from models.job import Job  # noqa: E402
from models.photo import PhotoRules, demo_jpeg  # noqa: E402
from models.photo_fix import propose_fix  # noqa: E402
from models.photo_zip import KIND, accept_fixes, fixable_tokens, process_zip  # noqa: E402
from photos_zip import bench_app, bench_candidates, machine  # noqa: E402  (bench/ is the script's own folder)


def encoded(image, fmt="JPEG", **options):
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def rotated(seed):
    exif = Image.Exif()
    exif[0x0112] = 6
    return encoded(Image.open(io.BytesIO(demo_jpeg(441, 358, seed=seed))), quality=92, exif=exif)


def phone_photo(seed):
    """A 12-million-pixel phone photo taken upright, stored lying on its side (EXIF orientation 6)."""
    exif = Image.Exif()
    exif[0x0112] = 6
    picture = Image.open(io.BytesIO(demo_jpeg(441, 358, seed=seed))).resize((4032, 3024))
    noise = Image.effect_noise((4032, 3024), 30).convert("RGB")  # a camera's grain: a realistic file size
    return encoded(Image.blend(picture, noise, 0.08), quality=90, exif=exif)


def kinds(seed, phone=False):
    picture = Image.open(io.BytesIO(demo_jpeg(seed=seed)))
    return {
        "square 500×500": demo_jpeg(500, 500, seed=seed),
        "PNG": encoded(picture, "PNG"),
        "phone size 1200×1600, 1.2 MB": demo_jpeg(1200, 1600, seed=seed, quality=98),
        "CMYK": encoded(picture.convert("CMYK"), quality=92),
        "rotated (EXIF)": rotated(seed),
        **({"phone photo 4032×3024, lying on its side (EXIF)": phone_photo(seed)} if phone else {}),
    }


def one_photo(rules):
    for name, data in kinds(1, phone=True).items():
        propose_fix(data, rules)  # warm up
        times, cpu = [], []
        for _ in range(50):
            started, cpu_started = time.perf_counter(), time.process_time()
            fix, _ = propose_fix(data, rules)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
        assert fix is not None
        print(f"自动修正 of one photo, {name} ({len(data) // 1024} KB): median {statistics.median(times):.1f} ms wall, "
              f"{statistics.median(cpu):.1f} ms CPU")


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    with tempfile.TemporaryDirectory() as tmp:
        with bench_app(tmp).app_context(), db.connection_context():
            one_photo(PhotoRules.load())
            staff, numbers = bench_candidates(n)
            path = Path(tmp) / "uploads" / "bench.zip"
            path.parent.mkdir()
            names = ["square 500×500", "PNG", "phone size 1200×1600, 1.2 MB", "CMYK"]
            with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
                for i, number in enumerate(numbers):
                    kind = names[i % len(names)]
                    archive.writestr(f"照片/{number}.jpg", kinds(i)[kind])
            size_mb = path.stat().st_size / 1024 / 1024

            job = Job.create(kind=KIND, file_path=str(path), created_by=staff)
            started, cpu_started = time.perf_counter(), time.process_time()
            result = process_zip(job, tmp, staff, "bench.zip")
            checked, checked_cpu = time.perf_counter() - started, time.process_time() - cpu_started
            assert result["counts"]["可自动修正"] == n, result["counts"]
            Job.update(status="done", result=json.dumps(result, ensure_ascii=False)).where(Job.id == job.id).execute()
            job = Job.get_by_id(job.id)
            started, cpu_started = time.perf_counter(), time.process_time()
            stored, missed = accept_fixes(job, fixable_tokens(job), tmp, staff)
            fixed, fixed_cpu = time.perf_counter() - started, time.process_time() - cpu_started
            assert (stored, missed) == (n, 0) and Candidate.without_photo().count() == 0
            print(f"{machine()}: ZIP of {n} fixable photos, {size_mb:.0f} MB")
            print(f"job (check + prepare every fix): {checked:.2f} s wall, {checked_cpu:.2f} s CPU; "
                  f"全部修正 (store + attach): {fixed:.2f} s wall, {fixed_cpu:.2f} s CPU; total {checked + fixed:.2f} s wall")


if __name__ == "__main__":
    main()
