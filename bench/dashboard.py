"""Benchmark: 首页's server time at N candidates (default 100,000) on SQLite (or DATABASE_URL).

    python bench/dashboard.py [N] [REQUESTS]
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/scratch python bench/dashboard.py

With DATABASE_URL the bench DROPS AND RECREATES every CertDesk table there: give it a scratch database.

Generates a college of N candidates in every status across 6 院系 and 240 班级 (70 % with a photo),
N / 5 待颁证记录 over five certificates and three levels (issued ones spread over the last 12 months),
their sites, quotas and a few import batches, all through bulk inserts. Then times, in-process with
Flask's test client, REQUESTS (default 200) requests of 首页 and of each panel it loads, for staff and
for a reviewer, and prints p50 / p95 / max in milliseconds.
"""
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import models  # noqa: E402
from scratch import scratch_app  # noqa: E402
from models.award import AwardRecord, ISSUED, RETURNED, SUBMITTED  # noqa: E402
from models.import_batch import IMPORTED, REVIEW, ImportBatch  # noqa: E402
from models.candidate import ACCURATE, PENDING, REJECTED, VERIFIED, Candidate  # noqa: E402
from models.catalog import LEVELS, Certificate, Organisation  # noqa: E402
from models.db import db  # noqa: E402
from models.pilot import PilotCertificate  # noqa: E402
from models.quota import Quota  # noqa: E402
from models.site import APPROVED, ENABLED, PENDING as SITE_PENDING, REJECTED as SITE_REJECTED, Site  # noqa: E402
from models.user import REVIEWER, STAFF, User  # noqa: E402

CERTIFICATES = [("Web前端开发", "工业和信息化部教育与考试中心", "WEB"), ("物流管理", "北京中物联物流采购培训中心", "WL"),
                ("汽车运用与维修", "北京中车行高新技术有限公司", "QC"),
                ("云计算平台运维与开发", "南京第五十五所技术开发有限公司", "YJS"), ("智能财税", "中联集团教育科技有限公司", "ZNCS")]
DEPARTMENTS = ["信息工程学院", "经济管理学院", "汽车工程学院", "机电工程学院", "艺术设计学院", "建筑工程学院"]
STATUS_WEIGHTS = [(PENDING, 20), (REJECTED, 5), (VERIFIED, 25), (ACCURATE, 50)]


def seed(n, rng):
    """The college: catalogue, pilots, quotas, sites, N candidates, N / 5 records, a few batches."""
    today = date.today()
    certificates = []
    for name, org_name, code in CERTIFICATES:
        organisation = Organisation.create(name=org_name)
        certificate = Certificate.create(name=name, organisation=organisation, code=code)
        certificates.append(certificate)
        for level in LEVELS:
            PilotCertificate.create(certificate=certificate, level=level, since=date(2020, 9, 1))
            Quota.create(certificate=certificate, level=level, year=today.year, document_no="豫教职成〔2026〕1号",
                         amount=n // 5)
    sites = [Site.create(name=f"考核站点{i}", certificate=certificates[i % 5], levels=",".join(LEVELS), region="郑州",
                         address="文化路", contact="王老师", phone="13800000000", seats=60,
                         review_status=(APPROVED, SITE_PENDING, SITE_REJECTED)[i % 3 if i >= 10 else 0],
                         site_status=ENABLED if i < 10 or i % 3 == 0 else "未启用")
             for i in range(30)]
    statuses = [s for s, w in STATUS_WEIGHTS for _ in range(w)]
    Candidate.bulk_add(({"name": "张三", "id_type": "居民身份证", "id_number": f"4101022000{i:08d}", "gender": "男",
                             "phone": "13812345678", "department": DEPARTMENTS[i % 6],
                             "class_name": f"{DEPARTMENTS[i % 6][:2]}{21 + i % 4}{(i // 24) % 10:02d}",
                             "status": rng.choice(statuses),
                             "photo": f"ab/{i}.jpg" if rng.random() < 0.7 else None}
                            for i in range(n)))
    ids = [i for (i,) in Candidate.select(Candidate.id).where(Candidate.status == ACCURATE).tuples()]
    usable = [s for s in sites if s.review_status == APPROVED]
    records = []
    for number, candidate_id in enumerate(ids[:n // 5]):
        site = usable[number % len(usable)]
        status = (ISSUED, ISSUED, SUBMITTED, RETURNED)[number % 4]
        issued = datetime.combine(today - timedelta(days=rng.randint(0, 360)), datetime.min.time())
        records.append({"candidate": candidate_id, "certificate": site.certificate_id, "level": LEVELS[number % 3],
                        "site": site.id, "exam_date": today - timedelta(days=rng.randint(0, 300)), "status": status,
                        "certificate_number": f"N{number}" if status == ISSUED else None,
                        "issued_at": issued if status == ISSUED else None})
    AwardRecord.bulk_add(records)
    for i in range(20):
        ImportBatch.create(kind="candidates", file_name=f"考生{i}.xlsx", status=REVIEW if i % 5 == 0 else IMPORTED)
    staff = User.create(username="staff", role=STAFF, password_hash="x")
    reviewer = User.create(username="reviewer", role=REVIEWER, password_hash="x",
                           organisation=certificates[0].organisation)
    return staff, reviewer


def timed(client, url, headers, requests):
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], times[-1]


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    requests = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    with scratch_app() as app:
        with db.connection_context():
            started = time.perf_counter()
            with db.atomic():
                staff, reviewer = seed(n, random.Random(1))
            if not models.is_sqlite():
                # What autovacuum does soon after a bulk load: statistics, and the visibility map that lets
                # a COUNT read the index alone.
                db.execute_sql("VACUUM ANALYZE")
            print(f"{n} candidates, {AwardRecord.select().count()} records seeded in "
                  f"{time.perf_counter() - started:.1f} s ({db.obj.__class__.__name__})")
        hx = {"HX-Request": "true"}
        for user, urls in ((staff, ["/", "/home/certificates", "/home/departments", "/home/issued",
                                    "/home/waiting", f"/home/departments/classes?department={DEPARTMENTS[0]}&open=1"]),
                           (reviewer, ["/", "/home/issued", "/home/waiting"])):
            client = app.test_client()
            with client.session_transaction() as session:
                session["_user_id"] = user.get_id()
            client.get("/")  # the first request of a session notes its start
            for url in urls:
                p50, p95, worst = timed(client, url, {} if url == "/" else hx, requests)
                print(f"{user.role:<8} {url:<60} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  max {worst:6.1f} ms")


if __name__ == "__main__":
    main()
