"""Benchmark: 批量人工确认's next candidate, server time, at 100,000 candidates (or N).

    python bench/confirm_queue.py [N]
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/scratch python bench/confirm_queue.py

With DATABASE_URL the bench DROPS AND RECREATES every CertDesk table there: give it a scratch database.

Half the candidates are 认证通过 with a photo, spread over 8 院系 and 40 班级. Through Flask's test client
(the whole request: session, queries, template), it times Enter (POST confirm → the next candidate's
stage) and → (GET the next position) for the whole college, one 院系 and one 班级 (searched by name), and
reports the queue's start (the one count of its members) once.
"""
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import models  # noqa: E402
from app import create_app  # noqa: E402
from models.candidate import ACCURATE, PENDING, VERIFIED, Candidate  # noqa: E402
from models.confirm_queue import ConfirmQueue  # noqa: E402
from models.db import db, now  # noqa: E402
from models.user import STAFF, User  # noqa: E402

STEPS = int(os.environ.get("STEPS", 40))
HX = {"HX-Request": "true"}


def make_rows(n, rng):
    at = now() - timedelta(days=30)
    for i in range(n):
        department = f"第{i % 8 + 1}学院"
        status = rng.choices((VERIFIED, ACCURATE, PENDING), (5, 4, 1))[0]
        yield {"name": f"考生{i:06d}", "id_type": "居民身份证", "id_number": f"4101{i:014d}",
               "gender": "男", "phone": "13812345678", "department": department, "major": "软件技术",
               "class_name": f"软件{i % 40 + 2301}", "status": status, "photo": f"ab/{i:064x}.jpg",
               "created_at": at + timedelta(seconds=i), "updated_at": at,
               "confirmed_at": at if status == ACCURATE else None}


def timed(call, steps):
    times = []
    for _ in range(steps):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), sorted(times)[int(len(times) * 0.95) - 1]


def walk(client, filters, label):
    # A queue's start is kept to the second: one started in the second of the last walk's confirmations
    # would count them as its own.
    time.sleep(1.1)
    queue = ConfirmQueue(filters)
    started = time.perf_counter()
    at = queue.start()  # the one count of the queue's members, as 批量人工确认 starts (…/start)
    start_ms = (time.perf_counter() - started) * 1000
    # The place (第 k 位) is carried from step to step, as the page's links and buttons carry it.
    state = {"at": at, "pos": 1}

    def confirm():
        response = client.post(f"/candidates/queue/{state['at'].id}/confirm",
                               query_string={**queue.args, "pos": state["pos"]}, headers=HX)
        assert response.status_code == 200, response.text[:200]
        state.update(at=queue.after(state["at"]), pos=state["pos"] + 1)

    def forward():
        following = queue.after(state["at"])
        response = client.get("/candidates/queue/", query_string={**queue.args, "at": following.id,
                                                                   "pos": state["pos"] + 1}, headers=HX)
        assert response.status_code == 200
        state.update(at=following, pos=state["pos"] + 1)

    enter = timed(confirm, STEPS)
    right = timed(forward, STEPS)
    print(f"{label:<18} {queue.total:>7,} waiting   start {start_ms:5.1f} ms   Enter {enter[0]:5.1f} ms "
          f"(p95 {enter[1]:5.1f})   → {right[0]:5.1f} ms (p95 {right[1]:5.1f})")


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"DATA_DIR": tmp, "DATABASE_URL": os.environ.get("DATABASE_URL", ""),
                          "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})
        with db.connection_context():
            if not models.is_sqlite():
                models.drop_all()
                models.init_schema()
            staff = User.create(username="bench", role=STAFF, password_hash="x")
            rows = list(make_rows(n, random.Random(1)))
            with db.atomic():
                Candidate.bulk_add(rows)  # its search columns and name index filled, as an import does
            if not models.is_sqlite():
                # What autovacuum does soon after a bulk load: PostgreSQL plans the walk from its statistics.
                db.execute_sql("VACUUM ANALYZE candidate")
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = staff.get_id()
        print(f"{n:,} candidates ({db.obj.__class__.__name__}), {STEPS} steps each, median and p95:")
        walk(client, {}, "whole college")
        walk(client, {"department": "第3学院"}, "one 院系")
        walk(client, {"q": "软件2317"}, "one 班级 (search)")
        walk(client, {"q": "软件2318", "sort": "name"}, "one 班级 by 姓名")


if __name__ == "__main__":
    main()
