"""Benchmark: 批量认证 of N candidates (default 10,000) on a fresh SQLite database (or DATABASE_URL).

    python bench/bulk_authenticate.py [N]
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/scratch python bench/bulk_authenticate.py

With DATABASE_URL the bench DROPS AND RECREATES every CertDesk table there: give it a scratch database.

Generates valid and invalid ID numbers, inserts the candidates in bulk, then times
Candidate.authenticate_many over all of them (what 批量认证 on "all rows of the filter" does).
"""
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stdnum.cn import ric  # noqa: E402

import models  # noqa: E402
from app import create_app  # noqa: E402
from models.candidate import PENDING, Candidate  # noqa: E402
from models.db import db  # noqa: E402
from models.user import STAFF, User  # noqa: E402

AREAS = ["410102", "410105", "410302", "411302", "510107", "999999"]


def make_candidates(n, rng):
    rows = []
    for i in range(n):
        born = f"{rng.randint(1998, 2008)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        body = f"{rng.choice(AREAS)}{born}{i % 1000:03d}"
        number = body + ric.calc_check_digit(body + "0")
        if i % 20 == 0:  # one in twenty has a wrong check character
            number = number[:-1] + ("1" if number[-1] != "1" else "2")
        gender = "男" if int(number[16]) % 2 else "女"
        rows.append({"name": "张三", "id_type": "居民身份证", "id_number": number, "gender": gender,
                     "phone": "13812345678", "status": PENDING})
    # The seq digits repeat across areas/dates rarely; drop any accidental duplicate pair.
    unique = {r["id_number"]: r for r in rows}
    return list(unique.values())


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    with tempfile.TemporaryDirectory() as tmp:
        create_app({"DATA_DIR": tmp, "DATABASE_URL": os.environ.get("DATABASE_URL", ""),
                          "SECRET_KEY": "bench"})
        with db.connection_context():
            if not models.is_sqlite():
                models.drop_all()
                models.init_schema()
            staff = User.create(username="bench", role=STAFF, password_hash="x")
            rows = make_candidates(n, random.Random(1))
            with db.atomic():
                Candidate.bulk_add(rows)
            started = time.perf_counter()
            candidates = list(Candidate.select())
            loaded = time.perf_counter()
            passed, failed, skipped = Candidate.authenticate_many(candidates, staff)
            done = time.perf_counter()
        print(f"{len(rows)} candidates ({db.obj.__class__.__name__}): load {loaded - started:.2f} s, "
              f"authenticate+write {done - loaded:.2f} s, total {done - started:.2f} s; "
              f"passed {passed}, failed {failed}, skipped {skipped}")


if __name__ == "__main__":
    main()
