"""Benchmark: 考生管理 (the candidate list) at 100,000 candidates, server time of every kind of request.

    python bench/candidate_list.py [N] [REQUESTS]
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/scratch python bench/candidate_list.py
    FRESH_ROWS=1 python bench/candidate_list.py     (every row rendered anew: see below)

With DATABASE_URL the bench DROPS AND RECREATES every CertDesk table there: give it a scratch database.

Seeds N candidates (default 100,000) through the import's own bulk path (`Candidate.bulk_add`, so the
pinyin columns and the search index are filled as an import fills them): names drawn from the 100 most
common surnames and common given names, 6 院系, 18 专业, 108 班级, every status, 70 % with a photo. Then
times, in-process with Flask's test client (the whole request: session, queries, template), REQUESTS
(default 20) requests of each case, as a full page and as the htmx partial that a filter, a sort or
the search box asks for, and prints p50 and p95 of the wall time and the median CPU time in milliseconds.
A case's requests repeat one page, whose rows the app keeps rendered (views/list_rows.py) after the first:
with FRESH_ROWS=1 they are forgotten before each request, as for a page no one has opened yet.
"""
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import models  # noqa: E402
from scratch import scratch_app  # noqa: E402
from models.candidate import ACCURATE, PENDING, REJECTED, VERIFIED, Candidate  # noqa: E402
from models.db import db, now  # noqa: E402
from models.demo.candidates import GIVEN, SURNAMES  # noqa: E402
from models.user import STAFF, User  # noqa: E402
from views import list_rows  # noqa: E402

FRESH_ROWS = os.environ.get("FRESH_ROWS") == "1"

DEPARTMENTS = {f"{name}学院": [f"{name}{major}" for major in ("技术", "管理", "应用")]
               for name in ("信息工程", "经济管理", "汽车工程", "机电工程", "艺术设计", "建筑工程")}
STATUS_WEIGHTS = ((PENDING, 20), (REJECTED, 5), (VERIFIED, 25), (ACCURATE, 50))


def rows(n, rng):
    statuses = [status for status, weight in STATUS_WEIGHTS for _ in range(weight)]
    departments = list(DEPARTMENTS.items())
    at = now() - timedelta(days=60)
    for i in range(n):
        gender = "男" if i % 2 else "女"
        given = GIVEN[gender]
        name = rng.choice(SURNAMES) + "".join(rng.choice(given) for _ in range(rng.choice((1, 2, 2))))
        department, majors = departments[i % 6]
        major = majors[i // 6 % 3]
        year = 2021 + i % 4
        yield {"name": name, "id_type": "居民身份证", "id_number": f"41{i % 97:04d}{2000 + i % 6}{i:08d}"[:18],
               "gender": gender, "phone": "13812345678", "department": department, "major": major,
               "class_name": f"{major[-4:]}{year % 100}{i // 18 % 6 + 1:02d}", "student_no": f"{year}{i:06d}",
               "enrollment_year": year, "status": rng.choice(statuses),
               "photo": f"ab/{i:064x}.jpg" if rng.random() < 0.7 else None,
               "created_at": at + timedelta(seconds=i), "updated_at": at}


def cases(sample):
    """(label, query string) of every request timed; `sample` is one seeded candidate to search for."""
    name = sample.name
    return [
        ("page 1", {}),
        ("last page", {"page": 100000}),
        ("middle page", {"page": 1000}),
        ("sort 姓名, a quarter in", {"sort": "name", "page": 500}),
        ("filter 状态 待认证", {"status": PENDING}),
        ("filter 状态 信息准确", {"status": ACCURATE}),
        ("filter 院系", {"department": "汽车工程学院"}),
        ("filter 专业", {"major": "汽车工程技术"}),
        ("filter 无照片", {"has_photo": "0"}),
        ("filter 院系 + 状态 + 照片", {"department": "汽车工程学院", "status": VERIFIED, "has_photo": "1"}),
        ("sort 姓名 (pinyin)", {"sort": "name"}),
        ("sort 姓名, last page", {"sort": "-name", "page": 100000}),
        ("sort 院系", {"sort": "department"}),
        ("sort 状态", {"sort": "-status"}),
        ("sort 学号", {"sort": "student_no"}),
        (f"search name {len(name)} chars", {"q": name}),
        ("search name 2 chars", {"q": name[:2]}),
        ("search surname 1 char", {"q": name[0]}),
        ("search given name", {"q": name[1:]}),
        ("search pinyin initials", {"q": sample.name_initials[:2]}),
        ("search full pinyin", {"q": sample.name_pinyin}),
        ("search ID prefix 10", {"q": sample.id_number[:10]}),
        ("search ID whole", {"q": sample.id_number}),
        ("search ID last 4", {"q": sample.id_number[-4:]}),
        ("search 学号", {"q": sample.student_no}),
        ("search 班级", {"q": sample.class_name}),
        ("search + 院系 + sort 姓名", {"q": name[0], "department": "汽车工程学院", "sort": "name"}),
        ("search, no match", {"q": "不存在的人"}),
    ]


def timed(client, query, headers, requests):
    """(p50, p95) of the wall time and the median CPU time of this process (the app and, on SQLite, the
    database itself: steadier than the wall time on a shared machine), in ms."""
    times, cpu = [], []
    for _ in range(requests):
        if FRESH_ROWS:
            list_rows.ROWS.rendered.clear()
        started, used = time.perf_counter(), time.process_time()
        response = client.get("/candidates/", query_string=query, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - used) * 1000)
        assert response.status_code == 200, (query, response.status_code)
    times.sort()
    return statistics.median(times), times[max(0, round(len(times) * 0.95) - 1)], statistics.median(cpu)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    requests = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    with scratch_app() as app:
        with db.connection_context():
            started = time.perf_counter()
            with db.atomic():
                Candidate.bulk_add(rows(n, random.Random(1)))
            if not models.is_sqlite():
                db.execute_sql("VACUUM ANALYZE")  # what autovacuum does soon after a bulk load
            seeded = time.perf_counter() - started
            staff = User.create(username="bench", role=STAFF, password_hash="x")
            sample = Candidate.get_by_id(n // 3)
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = staff.get_id()
        client.get("/candidates/")  # the first request of a session notes its start
        load = os.getloadavg()[0]
        print(f"{n:,} candidates seeded in {seeded:.1f} s ({db.obj.__class__.__name__}); {requests} requests a case; "
              f"load average {load:.2f}; searching for {sample.name}")
        print(f"{'case':<28} {'rows':>7}  {'full page p50 / p95 (cpu)':>27}  {'htmx p50 / p95 (cpu)':>23}")
        for label, query in cases(sample):
            full = timed(client, query, {}, requests)
            partial = timed(client, query, {"HX-Request": "true"}, requests)
            with app.test_request_context():
                found = Candidate.filtered(**{k: str(v) for k, v in query.items() if k != "page"}).count()
            print(f"{label:<28} {found:>7,}  {full[0]:8.1f} / {full[1]:6.1f} ({full[2]:5.1f}) ms  "
                  f"{partial[0]:6.1f} / {partial[1]:6.1f} ({partial[2]:5.1f}) ms")


if __name__ == "__main__":
    main()
