"""Benchmark: every list's server time at 100,000 candidates, 100,000 records and 1,000,000 audit events.

    python bench/lists.py [--requests 20] [--only sites,awards,...]
    python bench/lists.py --database-url postgresql://postgres@127.0.0.1:5432/scratch

With --database-url the bench DROPS AND RECREATES every CertDesk table there: give it a scratch database.
Without it a fresh SQLite file in a temporary directory is used.

Seeds, through bulk inserts: 5 certificates of 5 organisations, 60 sites, 100,000 candidates (all four
statuses, 6 院系, 240 班级) imported in 100 batches, one 待颁证记录 each (100,000, in another 100 batches), a few
batches in other states, and 1,000,000 audit events over two years as an office writes them (office_log:
imports and the set-based work after them write thousands at one time, 人工确认 one at a time; 李老师 writes most).
Then times, in-process with Flask's test client (routing, session, queries, template: the server's share of
a request), REQUESTS requests of each list — page 1, the last page, each filter, sort and search — for each
role where what it sees differs (a reviewer sees only its organisation's sites and records), 审计日志 under each
filter at its first, middle and last page, and prints p50 / p95 / max in milliseconds and the statements one
request runs.
"""
import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import models  # noqa: E402
from app import create_app  # noqa: E402
from models.audit import AuditEvent  # noqa: E402
from models.award import ISSUED, RETURNED, SUBMITTED, AwardRecord  # noqa: E402
from models.candidate import ACCURATE, PENDING, REJECTED, VERIFIED, Candidate  # noqa: E402
from models.catalog import LEVELS, Certificate, Organisation  # noqa: E402
from models.db import bulk_insert, db  # noqa: E402
from models.import_batch import IMPORTED, REFUSED, REVIEW, UNDONE, ImportBatch  # noqa: E402
from models.pilot import PilotCertificate  # noqa: E402
from models.quota import Quota  # noqa: E402
from models.site import APPROVED, DISABLED, ENABLED, INACTIVE, PENDING as SITE_PENDING, REJECTED as SITE_REJECTED, Site  # noqa: E402
from models.user import ADMIN, REVIEWER, STAFF, User  # noqa: E402

CERTIFICATES = [("Web前端开发", "工业和信息化部教育与考试中心", "WEB"), ("物流管理", "北京中物联物流采购培训中心", "WL"),
                ("汽车运用与维修", "北京中车行高新技术有限公司", "QC"),
                ("云计算平台运维与开发", "南京第五十五所技术开发有限公司", "YJS"), ("智能财税", "中联集团教育科技有限公司", "ZNCS")]
DEPARTMENTS = ["信息工程学院", "经济管理学院", "汽车工程学院", "机电工程学院", "艺术设计学院", "建筑工程学院"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华"
STATUSES = [s for s, weight in ((PENDING, 20), (REJECTED, 5), (VERIFIED, 25), (ACCURATE, 50)) for _ in range(weight)]
BATCH_SIZE = 1000
CLASS = "信息2100"  # a class of DEPARTMENTS[0] holding issued records
USERS = ((ADMIN, "admin", "院校管理员"), (STAFF, "staff", "李老师"), (STAFF, "staff2", "王老师"), (STAFF, "staff3", "陈老师"),
         (REVIEWER, "reviewer", "赵审核"))
LOG_DAYS = 730  # the audit log's span: two years of an office's work
# What a certificate office's log is made of, as (share of the events, actions of one piece of work: its last one
# written once per row of the work, the size's range, who does it {username: weight}). Imports and the set-based
# work after them (批量认证, a photos ZIP, 颁证 of the ticked rows) write thousands of events at one time; 人工确认 one
# at a time, seconds apart. Staff's 李老师 does most of it.
STAFF_MIX = {"staff": 7, "staff2": 2, "staff3": 1}
OFFICE_WORK = (
    (0.32, ("import.check", "import.save", "candidate.create"), (50, 3000), STAFF_MIX),
    (0.04, ("import.check", "import.save", "candidate.update"), (20, 500), STAFF_MIX),
    (0.01, ("import.undo", "candidate.delete"), (50, 1000), STAFF_MIX),
    (0.20, ("candidate.authenticate",), (50, 3000), STAFF_MIX),
    (0.12, ("candidate.photo",), (50, 2000), STAFF_MIX),
    (0.10, ("candidate.confirm",), (10, 300), {"staff": 5, "staff2": 3, "staff3": 2}),
    (0.12, ("import.check", "import.save", "award.create"), (50, 2000), STAFF_MIX),
    (0.07, ("award.issue",), (20, 1000), {"reviewer": 1}),
    (0.005, ("award.return",), (1, 30), {"reviewer": 1}),
    (0.01, ("candidate.update",), (1, 10), {"staff": 5, "staff2": 3, "staff3": 2, "admin": 1}),
    (0.005, ("candidate.view_id",), (1, 3), {"staff": 3, "staff2": 2, "admin": 1}),
    (0.002, ("candidate.export",), (1, 1), {"staff": 3, "admin": 1}),
    (0.002, ("award.roster_export",), (1, 1), {"staff": 3, "admin": 1}),
    (0.001, ("site.update",), (1, 1), {"staff": 1}),
)


def seed(n, records, events, rng):
    """The college; returns {username: User}."""
    today = date.today()
    certificates = []
    for name, org_name, code in CERTIFICATES:
        certificate = Certificate.create(name=name, organisation=Organisation.create(name=org_name), code=code)
        certificates.append(certificate)
        for level in LEVELS:
            PilotCertificate.create(certificate=certificate, level=level, since=date(2020, 9, 1))
            Quota.create(certificate=certificate, level=level, year=today.year, document_no="豫教职成〔2026〕1号",
                         amount=n)
    users = {username: User.create(username=username, display_name=shown, role=role, password_hash="x",
                                   organisation=certificates[0].organisation if role == REVIEWER else None)
             for role, username, shown in USERS}
    sites = [Site.create(name=f"考核站点{i:02d}", certificate=certificates[i % 5], levels=",".join(LEVELS),
                         region=("郑州", "洛阳", "开封")[i % 3], address="文化路", contact="王老师", phone="13800000000",
                         seats=60, review_status=APPROVED if i < 30 else (SITE_PENDING, SITE_REJECTED, APPROVED)[i % 3],
                         site_status=ENABLED if i < 30 else (INACTIVE, INACTIVE, DISABLED)[i % 3])
             for i in range(60)]
    # Batches: n / 1000 of candidates and records / 1000 of records (all 已导入), then a few in other states.
    started = datetime.now() - timedelta(days=400)
    batch_rows = [{"kind": kind, "file_name": f"{kind}-{i}.xlsx", "status": IMPORTED, "total": BATCH_SIZE,
                   "valid": BATCH_SIZE, "imported": BATCH_SIZE, "created_by": users["staff"].id,
                   "created_at": started + timedelta(days=i * 2), "saved_at": started + timedelta(days=i * 2),
                   "details": json.dumps({"notes": ["x" * 200]}), "undone_at": None}
                  for kind, count in (("candidates", n), ("awards", records)) for i in range(count // BATCH_SIZE)]
    batch_rows += [dict(batch_rows[0], file_name=f"late-{i}.xlsx", status=(REVIEW, REFUSED, UNDONE)[i % 3],
                        imported=0, created_at=datetime.now() - timedelta(hours=i), saved_at=None,
                        undone_at=datetime.now() if i % 3 == 2 else None)
                   for i in range(12)]
    bulk_insert(ImportBatch, batch_rows)
    batch_ids = {kind: [i for (i,) in ImportBatch.select(ImportBatch.id).where(
        (ImportBatch.kind == kind) & (ImportBatch.status == IMPORTED)).order_by(ImportBatch.id).tuples()]
        for kind in ("candidates", "awards")}
    Candidate.bulk_add(({
        "name": SURNAMES[i % 20] + GIVEN[(i // 20) % 25] + GIVEN[(i // 500) % 25],
        "id_type": "居民身份证", "id_number": f"4101022000{i:08d}", "gender": "男女"[i % 2], "phone": "13812345678",
        "student_no": f"S{i:07d}", "department": DEPARTMENTS[i % 6],
        "class_name": f"{DEPARTMENTS[i % 6][:2]}{21 + i % 4}{(i // 24) % 10:02d}", "status": rng.choice(STATUSES),
        "photo": f"ab/{i}.jpg" if rng.random() < 0.7 else None, "batch_id": batch_ids["candidates"][i // BATCH_SIZE],
        "created_at": started + timedelta(minutes=i)} for i in range(n)))
    usable = [s for s in sites if s.review_status == APPROVED and s.site_status == ENABLED]
    candidate_ids = [i for (i,) in Candidate.select(Candidate.id).order_by(Candidate.id).tuples()]

    def record(number):
        site = usable[number % len(usable)]
        status = (ISSUED, ISSUED, SUBMITTED, RETURNED)[number % 4]
        at = started + timedelta(minutes=number * 5)
        return {"candidate": candidate_ids[number % len(candidate_ids)], "certificate": site.certificate_id,
                "level": LEVELS[(number // 4) % 3], "site": site.id,
                "exam_date": (at - timedelta(days=10)).date(), "theory_score": 80.0, "practical_score": 75.5,
                "status": status, "certificate_number": f"N{number:08d}" if status == ISSUED else None,
                "issued_at": at + timedelta(days=20) if status == ISSUED else None,
                "issued_by": users["reviewer"].id if status == ISSUED else None,
                "return_reason": "照片不合格" if status == RETURNED else "",
                "batch_id": batch_ids["awards"][number // BATCH_SIZE], "created_at": at, "updated_at": at}
    AwardRecord.bulk_add((record(number) for number in range(records)))

    AuditEvent.bulk_add(office_log(events, users, candidate_ids, rng))
    return users, certificates, sites


def office_log(events, users, candidate_ids, rng):
    """`events` audit events over LOG_DAYS, oldest first, as OFFICE_WORK makes them on working days (busier in
    term time), and a login and logout of each user on most of them."""
    today = date.today()
    days = [today - timedelta(days=d) for d in range(LOG_DAYS, 0, -1)]
    days = [d for d in days if d.weekday() < 5]
    busy = [3 if d.month in (3, 4, 5, 6, 9, 10, 11, 12) else 1 for d in days]

    def at(day):
        return datetime.combine(day, datetime.min.time()) + timedelta(seconds=rng.randint(8 * 3600, 17 * 3600))
    work = [(at(day).replace(hour=8, minute=rng.randint(0, 59)), ("auth.login",), 1, username)
            for day in days for username in users if rng.random() < 0.8]
    work += [(at(day).replace(hour=17, minute=rng.randint(30, 59)), ("auth.logout",), 1, username)
             for day in days for username in users if rng.random() < 0.6]
    weights = [share / sum(size) * 2 for share, _, size, _ in OFFICE_WORK]
    written = len(work)
    while written < events:
        _, actions, (low, high), who = rng.choices(OFFICE_WORK, weights)[0]
        size = rng.randint(low, high)
        work.append((at(rng.choices(days, busy)[0]), actions, size, rng.choices(list(who), list(who.values()))[0]))
        written += len(actions) - 1 + size
    work.sort(key=lambda piece: piece[0])
    rows = (row for started, actions, size, username in work for row in piece(started, actions, size, users[username],
                                                                              candidate_ids, rng))
    for _, row in zip(range(events), rows):
        yield row


def piece(started, actions, size, user, candidate_ids, rng):
    """The events of one piece of work: its first actions once, its last one per row (at one time, or one at
    a time, seconds apart)."""
    for action in actions[:-1]:
        yield event(started, user, action, "importbatch", rng.randint(1, 300))
    action, when = actions[-1], started
    kind = "awardrecord" if action.startswith("award") else "candidate"
    for _ in range(size):
        yield event(when, user, action, kind, candidate_ids[rng.randrange(len(candidate_ids))])
        if action in ("candidate.confirm", "candidate.update"):
            when += timedelta(seconds=rng.randint(4, 40))


def event(at, user, action, object_type, object_id):
    return {"at": at, "user_id": user.id, "username": user.username, "action": action, "object_type": object_type,
            "object_id": str(object_id), "object_label": "张三 410102********1234",
            "changes": '{"状态": ["待认证", "认证通过"], "原因": [null, "批量认证"]}', "ip": "10.0.0.8"}


def filtered_log_pages(users):
    """审计日志 under each filter, at page 1, its middle page and its last page (the seed: the busiest action's
    ~330,000 events, 李老师's ~630,000, a month's ~42,000, their combinations, and a rare pair's ~900)."""
    month = (date.today() - timedelta(days=395)).replace(day=1)
    after = (month + timedelta(days=31)).replace(day=1)
    action, span = "candidate.create", f"date_from={month}&date_to={after - timedelta(days=1)}"
    by_action, by_user = AuditEvent.action == action, AuditEvent.user_id == users["staff"].id
    in_month = (AuditEvent.at >= month) & (AuditEvent.at < after)
    filters = (("action", f"action={action}", by_action), ("user", "user=李老师", by_user),
               ("month", span, in_month), ("action+user", f"action={action}&user=李老师", by_action & by_user),
               ("action+month", f"action={action}&{span}", by_action & in_month),
               # A pair that is rare among the action's events: the administrator's 修改考生信息.
               ("rare action+user", "action=candidate.update&user=院校管理员",
                (AuditEvent.action == "candidate.update") & (AuditEvent.user_id == users["admin"].id)))
    out = []
    with db.connection_context():
        for name, args, condition in filters:
            pages = -(-AuditEvent.select().where(condition).count() // 50)
            out += [("admin", f"审计日志 by {name} {where}", f"/admin/audit?{args}&page={page}", True)
                    for where, page in (("page 1", 1), ("middle page", pages // 2), ("last page", pages))]
    return out


def urls(certificates, sites, users):
    """(role, label, url, htmx) of every list measurement."""
    cert, site = certificates[0].id, sites[0].id
    out = []
    for username in ("staff", "reviewer"):
        out += [(username, "考核站点 page 1", "/sites/", False),
                (username, "考核站点 last page", "/sites/?page=9999", True),
                (username, "考核站点 审核状态", f"/sites/?review_status={APPROVED}", True),
                (username, "考核站点 站点状态", f"/sites/?site_status={ENABLED}", True),
                (username, "考核站点 证书", f"/sites/?certificate={cert}", True),
                (username, "考核站点 search", "/sites/?q=郑州", True)]
    for username in ("staff", "reviewer"):
        out += [(username, "待颁证记录 page 1", "/awards/", False),
                (username, "待颁证记录 last page", "/awards/?page=99999", True),
                (username, "待颁证记录 middle page", "/awards/?page=1000", True)]
        out += [(username, f"待颁证记录 状态 {s}", f"/awards/?status={s}", True) for s in (SUBMITTED, ISSUED, RETURNED)]
        # Deep pages under a filter (the seed's records: a certificate's 20,000, a level's 33,333, 已颁证 50,000;
        # a reviewer sees one certificate's): the page in the middle, the deepest read from either end.
        out += [(username, "待颁证记录 middle page of its own", "/awards/?page=200", True)] if username == "reviewer" else []
        out += [(username, "待颁证记录 已颁证 middle page", f"/awards/?status={ISSUED}&page=500", True),
                (username, "待颁证记录 证书 middle page", f"/awards/?certificate={cert}&page=200", True),
                (username, "待颁证记录 等级 middle page", f"/awards/?level={LEVELS[1]}&page=334", True),
                (username, "待颁证记录 证书+等级 middle page", f"/awards/?certificate={cert}&level={LEVELS[1]}&page=67",
                 True)]
        out += [(username, "待颁证记录 证书", f"/awards/?certificate={cert}", True),
                (username, "待颁证记录 等级", f"/awards/?level={LEVELS[1]}", True),
                (username, "待颁证记录 站点", f"/awards/?site={site}", True),
                (username, "待颁证记录 考核日期", f"/awards/?date_from={date.today() - timedelta(days=120)}", True),
                (username, "待颁证记录 颁证日期", f"/awards/?issued_from={date.today() - timedelta(days=120)}", True),
                (username, "待颁证记录 search name", "/awards/?q=王伟", True),
                (username, "待颁证记录 search ID", "/awards/?q=410102200000012345", True),
                (username, "待颁证记录 search number", "/awards/?q=N0000123", True)]
    out += [("staff", "待颁证记录 证书+等级 (summary)", f"/awards/?certificate={cert}&level={LEVELS[1]}", True),
            ("staff", "导入记录 page 1", "/imports/", False),
            ("staff", "导入记录 last page", "/imports/?page=999", True),
            ("staff", "导入记录 candidates", "/imports/?kind=candidates", True),
            ("staff", "导入记录 awards", "/imports/?kind=awards", True),
            ("staff", "导入记录 待确认", f"/imports/?status={REVIEW}", True),
            ("admin", "审计日志 page 1", "/admin/audit", False),
            ("admin", "审计日志 last page", "/admin/audit?page=999999", True),
            ("admin", "审计日志 middle page", "/admin/audit?page=10000", True),
            ("admin", "审计日志 action", "/admin/audit?action=award.issue", True),
            ("admin", "审计日志 rare action", "/admin/audit?action=user.create", True),
            ("admin", "审计日志 user", "/admin/audit?user=王老师", True),
            ("admin", "审计日志 date", f"/admin/audit?date_from={date.today() - timedelta(days=7)}", True),
            ("admin", "审计日志 date+action", f"/admin/audit?date_from={date.today() - timedelta(days=30)}"
                                          "&action=candidate.confirm", True),
        ] + filtered_log_pages(users) + [
            ("staff", "首页", "/", False),
            ("reviewer", "首页", "/", False),
            ("staff", "首页 navigation counts", "/home/waiting", True),
            ("staff", "颁证前检查", f"/awards/readiness?pair={cert}|{LEVELS[1]}", False),
            ("staff", "颁证前检查 院系", f"/awards/readiness?pair={cert}|{LEVELS[1]}&department={DEPARTMENTS[0]}", True),
            ("staff", "颁证名单 page 1", "/awards/roster/", False),
            ("staff", "颁证名单 middle page", "/awards/roster/?page=500", True),
            ("staff", "颁证名单 last page", "/awards/roster/?page=99999", True),
            ("staff", "颁证名单 证书+等级", f"/awards/roster/?certificate={cert}&level={LEVELS[1]}", True),
            ("staff", "颁证名单 院系", f"/awards/roster/?department={DEPARTMENTS[0]}", True),
            ("staff", "颁证名单 院系 last page", f"/awards/roster/?department={DEPARTMENTS[0]}&page=99999", True),
            ("staff", "颁证名单 院系+班级", f"/awards/roster/?department={DEPARTMENTS[0]}&class_name={CLASS}", True),
            ("staff", "颁证名单 班级", f"/awards/roster/?class_name={CLASS}", True),
            # The seed gives the first 院系 the first certificate's 初级 alone.
            ("staff", "颁证名单 院系+证书+等级",
             f"/awards/roster/?department={DEPARTMENTS[0]}&certificate={cert}&level={LEVELS[0]}", True),
            ("staff", "颁证名单 院系 按班级", f"/awards/roster/?department={DEPARTMENTS[0]}&sort=class", True),
            ("staff", "颁证名单 院系 按班级 last page",
             f"/awards/roster/?department={DEPARTMENTS[0]}&sort=class&page=99999", True),
            ("staff", "颁证名单 按班级", "/awards/roster/?sort=class", True),
            ("staff", "颁证名单 按班级 middle page", "/awards/roster/?sort=class&page=500", True)]
    return out


class StatementCounter:
    """Counts the statements the database runs (wraps execute_sql): an N+1 shows as a count that grows."""

    def __init__(self, database):
        self.count = 0
        original = database.execute_sql

        def counted(*args, **kwargs):
            self.count += 1
            return original(*args, **kwargs)
        database.execute_sql = counted


def timed(client, url, headers, requests, counter):
    """(p50, p95, max of the wall time, median CPU time of this process, statements of one request)."""
    times, cpu, statements = [], [], 0
    for _ in range(requests):
        counter.count = 0
        started, cpu_started = time.perf_counter(), time.process_time()
        response = client.get(url, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
        statements = counter.count
        assert response.status_code == 200, (url, response.status_code, response.get_data(as_text=True)[:300])
    times.sort()
    return (statistics.median(times), times[max(0, int(len(times) * 0.95 + 0.5) - 1)], times[-1],
            statistics.median(cpu), statements)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--candidates", type=int, default=100000)
    parser.add_argument("--records", type=int, default=100000)
    parser.add_argument("--events", type=int, default=1000000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--reuse", action="store_true",
                        help="keep the database between runs: seed it only when it holds no users (for trying changes)")
    parser.add_argument("--only", default="", help="only the lists whose label starts with one of these (comma-separated)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"DATA_DIR": tmp, "DATABASE_URL": args.database_url, "SECRET_KEY": "bench"})
        with db.connection_context():
            if args.reuse and User.select().exists():
                users = {user.username: user for user in User.select()}
                certificates, sites = list(Certificate.select().order_by(Certificate.id)), list(Site.select().order_by(Site.id))
                print(f"reusing {Candidate.select().count()} candidates, {AwardRecord.select().count()} records, "
                      f"{AuditEvent.select().count()} audit events ({db.obj.__class__.__name__})")
            else:
                if not models.is_sqlite() or args.reuse:
                    models.drop_all()
                    models.init_schema()
                started = time.perf_counter()
                with db.atomic():
                    users, certificates, sites = seed(args.candidates, args.records, args.events, random.Random(1))
                # What autovacuum (PostgreSQL) or a periodic ANALYZE does soon after a bulk load.
                db.execute_sql("ANALYZE" if models.is_sqlite() else "VACUUM ANALYZE")
                print(f"{args.candidates} candidates, {args.records} records, {args.events} audit events seeded in "
                      f"{time.perf_counter() - started:.1f} s ({db.obj.__class__.__name__})")
        print(f"load average {os.getloadavg()[0]:.1f} (2 cores shared)")
        counter = StatementCounter(db.obj)
        clients = {}
        only = [o for o in args.only.split(",") if o]
        # cpu: this process's CPU time (the app and, on SQLite, the database): steadier than the wall time
        # on a shared machine, but without PostgreSQL's own work.
        print(f"{'role':<9}{'list':<34}{'p50':>8}{'p95':>8}{'max':>8}{'cpu':>8}  statements")
        for username, label, url, htmx in urls(certificates, sites, users):
            if only and not any(label.startswith(o) for o in only):
                continue
            if username not in clients:
                client = clients[username] = app.test_client()
                with client.session_transaction() as session:
                    session["_user_id"] = users[username].get_id()
                client.get("/")  # the first request of a session notes its start
            p50, p95, worst, cpu, statements = timed(clients[username], url, {"HX-Request": "true"} if htmx else {},
                                                     args.requests, counter)
            print(f"{username:<9}{label:<34}{p50:8.1f}{p95:8.1f}{worst:8.1f}{cpu:8.1f}  {statements}", flush=True)


if __name__ == "__main__":
    main()
