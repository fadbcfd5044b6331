"""Benchmark: 考生管理's 院系 → 专业 → 班级 choices, and a page of the list, at N candidates (default 100,000).

    python bench/filter_choices.py [N] [REPEATS]
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/scratch python bench/filter_choices.py

With DATABASE_URL the bench DROPS AND RECREATES every CertDesk table there: give it a scratch database.

Generates N candidates over 6 院系, 24 专业 (4 a 院系) and 240 班级 through bulk inserts, then times, REPEATS
(default 200) times each, the choices of every select for each depth of the cascade (Candidate.distinct_values:
a loose index scan where an index leads with the chosen columns), the same lists by a plain SELECT DISTINCT
for comparison, and the list page itself (full page and the htmx partial) through Flask's test client.
Prints the median and p95 in milliseconds.
"""
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import models  # noqa: E402
from scratch import scratch_app  # noqa: E402
from models.candidate import Candidate  # noqa: E402
from models.db import db  # noqa: E402
from models.user import STAFF, User  # noqa: E402

DEPARTMENTS = ["信息工程学院", "经济管理学院", "汽车工程学院", "机电工程学院", "艺术设计学院", "建筑工程学院"]


def seed(n):
    def rows():
        for i in range(n):
            department = DEPARTMENTS[i % 6]
            major = f"{department[:2]}专业{(i // 6) % 4}"
            yield {"name": "张三", "id_type": "居民身份证", "id_number": f"4101022000{i:08d}", "gender": "男",
                   "department": department, "major": major, "class_name": f"{major}{(i // 24) % 10:02d}班"}
    Candidate.bulk_add(rows())
    return User.create(username="staff", role=STAFF, password_hash="x")


def timed(call, repeats):
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def plain_distinct(field, **chosen):
    query = Candidate.select(field).where(field != "")
    for name, value in chosen.items():
        query = query.where(getattr(Candidate, name) == value)
    return list(query.distinct().order_by(field).tuples())


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    department, major = DEPARTMENTS[0], f"{DEPARTMENTS[0][:2]}专业1"
    cases = [("院系", Candidate.department, {}), ("专业", Candidate.major, {}), ("班级", Candidate.class_name, {}),
             ("专业 | 院系", Candidate.major, {"department": department}),
             ("班级 | 院系, 专业", Candidate.class_name, {"department": department, "major": major}),
             ("班级 | 院系 (no index: DISTINCT)", Candidate.class_name, {"department": department})]
    with scratch_app() as app:
        with db.connection_context():
            with db.atomic():
                staff = seed(n)
            if not models.is_sqlite():
                db.execute_sql("VACUUM ANALYZE")
            print(f"{n} candidates ({db.obj.__class__.__name__})")
            for label, field, chosen in cases:
                found = len(Candidate.distinct_values(field, **chosen))
                p50, p95 = timed(lambda: Candidate.distinct_values(field, **chosen), repeats)
                q50, _ = timed(lambda: plain_distinct(field, **chosen), repeats)
                print(f"{label:<34} {found:4d} values  p50 {p50:6.2f} ms  p95 {p95:6.2f} ms"
                      f"   (SELECT DISTINCT: p50 {q50:6.2f} ms)")
            filters = {"department": department, "major": major, "class_name": ""}
            p50, p95 = timed(lambda: Candidate.cascade_choices(dict(filters)), repeats)
            print(f"{'all three selects (院系+专业 chosen)':<34}              p50 {p50:6.2f} ms  p95 {p95:6.2f} ms")
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = staff.get_id()
        client.get("/")
        for label, url, headers in (("list page", f"/candidates/?department={department}", {}),
                                    ("list partial (htmx)", f"/candidates/?department={department}&major={major}",
                                     {"HX-Request": "true"})):
            p50, p95 = timed(lambda: client.get(url, headers=headers), max(20, repeats // 10))
            print(f"{label:<34}              p50 {p50:6.2f} ms  p95 {p95:6.2f} ms")


if __name__ == "__main__":
    main()
