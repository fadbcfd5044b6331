"""The lists made fast for 1,000,000 audit events and 100,000 records (issue 16) show what they showed before:
each compared, through the test client, with the plain query it replaced."""
import re
from datetime import date, datetime, timedelta

import pytest
from flask import url_for

from models import audit
from models import award as award_model
from models.audit import AuditEvent
from models.award import ISSUED, RETURNED, STATUSES, SUBMITTED, AwardRecord
from models.candidate import ACCURATE, Candidate
from models.catalog import Certificate, Organisation
from models.db import db
from models.site import APPROVED, ENABLED, Site
from models.user import ADMIN, REVIEWER, STAFF, User
from tests.conftest import TEST_DATABASE_URL
from tests.test_identity import make_id
from views import row_url

ROW = re.compile(r'<tr id="award-(\d+)"')
COUNT = re.compile(r'badge-\w+">(待审核|已颁证|已退回) (\d+)<')


@pytest.fixture
def records(world):
    """30 records of 10 candidates over two organisations' certificates, in every status."""
    other_org = Organisation.create(name="北京中物联物流采购培训中心")
    other = Certificate.create(name="物流管理", organisation=other_org, code="WL")
    other_site = Site.create(name="物流实训室", certificate=other, levels="中级", region="郑州", address="文化路",
                             contact="王老师", phone="13800000000", seats=60, review_status=APPROVED,
                             site_status=ENABLED)
    names = ["王伟", "王伟华", "李娜", "张伟", "刘洋", "陈静", "杨帆", "黄伟", "赵敏", "周杰"]
    candidates = [Candidate.create(name=name, id_type="居民身份证", id_number=make_id(seq=f"{i + 60:02d}"),
                                   gender="男", phone="13812345678", status=ACCURATE) for i, name in enumerate(names)]
    for i in range(30):
        mine = i % 3 != 0
        status = STATUSES[i % 3]
        AwardRecord.create(candidate=candidates[i % 10], certificate=world["cert"] if mine else other,
                           level=("初级", "中级", "高级")[i % 3], site=world["site"] if mine else other_site,
                           exam_date=date(2026, 1, 1) + timedelta(days=i), status=status,
                           certificate_number=f"WEB26{i:04d}" if status == ISSUED else None,
                           issued_at=datetime(2026, 3, 1) + timedelta(days=i) if status == ISSUED else None,
                           created_at=datetime(2026, 1, 1) + timedelta(hours=i % 7))  # ties: the id decides
    return candidates


def reference(user, q="", status="", level=""):
    """The list's query as it was: every join, one OR across the tables, newest first."""
    query = AwardRecord.visible_to(user)
    if q:
        number = q.upper()
        id_match = (Candidate.id_number == number if user.role == REVIEWER
                    else Candidate.id_number.startswith(number) | Candidate.id_number.endswith(number))
        query = query.where(Candidate.name.contains(q) | AwardRecord.certificate_number.startswith(q) | id_match)
    if level:
        query = query.where(AwardRecord.level == level)
    if status:
        query = query.where(AwardRecord.status == status)
    return [r.id for r in query.order_by(AwardRecord.created_at.desc(), AwardRecord.id.desc())]


def shown(client, url):
    """(every row id over every page, the counts per status) of 待颁证记录 at `url`."""
    ids, page, counts = [], 1, None
    while True:
        body = client.get(f"{url}&page={page}&per_page=5", headers={"HX-Request": "true"}).get_data(as_text=True)
        ids += [int(i) for i in ROW.findall(body)]
        counts = counts or {status: int(n) for status, n in COUNT.findall(body)}
        if "下一页" not in body:
            return ids, counts
        page += 1


SEARCHES = ["", "王伟", "伟", "WEB26", "web2600", "0003", "nobody"]


@pytest.mark.parametrize("role", [STAFF, REVIEWER])
@pytest.mark.parametrize("found", ["sorted", "listed", "broad"])
def test_award_list_shows_the_same_rows_and_counts_as_the_plain_query(client, login, records, role, found,
                                                                       monkeypatch):
    if found != "sorted":  # the page walks the created_at index for the ids found instead of sorting them
        monkeypatch.setattr(award_model, "SORTED_SEARCH", 2)
    if found == "broad":  # the search hands on a subquery instead of a list of ids
        monkeypatch.setattr(award_model, "SEARCH_LIST", 2)
    user = login(role)
    monkeypatch.setattr("views.PAGE_SIZES", (5, 20, 50, 100, 200))  # 5 a page: many pages
    searches = SEARCHES + [records[3].id_number, records[3].id_number[:6], records[3].id_number[-4:]]
    for q in searches:
        for status in ("", SUBMITTED, ISSUED, RETURNED):
            ids, counts = shown(client, f"/awards/?q={q}&status={status}")
            assert ids == reference(user, q, status), (q, status)
            assert counts == {s: len(reference(user, q, s)) for s in STATUSES}, q
    ids, _ = shown(client, "/awards/?level=中级")
    assert ids == reference(user, level="中级")
    # A reviewer's search finds an ID number only whole; staff by its first or last digits too.
    assert bool(shown(client, f"/awards/?q={records[3].id_number[:6]}")[0]) == (role == STAFF)


def test_the_last_pages_read_from_the_end_are_the_tail_of_the_list(client, login, records, monkeypatch):
    user = login(STAFF)
    monkeypatch.setattr("views.PAGE_SIZES", (4, 20, 50, 100, 200))
    everything = reference(user)
    pages = [[int(i) for i in ROW.findall(client.get(f"/awards/?page={p}&per_page=4", headers={"HX-Request": "true"})
                                         .get_data(as_text=True))] for p in range(1, 9)]
    assert [i for page in pages for i in page] == everything and len(pages[-1]) == 2
    last = client.get("/awards/?page=999&per_page=4", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert [int(i) for i in ROW.findall(last)] == everything[-2:] and "第 8 / 8 页" in last


@pytest.fixture
def events(app, make_user):
    """Events by two users (one found by display name), a user deleted since, and the system."""
    admin, staff = make_user(ADMIN, username="boss"), make_user(STAFF, username="clerk")
    staff.display_name = "李老师"
    staff.save()
    start = datetime(2026, 1, 1)
    rows = [{"at": start + timedelta(minutes=i % 40), "user_id": user_id, "username": username,
             "action": ("auth.login", "user.update", "user.create")[i % 3], "object_type": "user",
             "object_id": "1", "object_label": f"事件{i}", "changes": "", "ip": ""}
            for i, (user_id, username) in enumerate([(admin.id, "boss"), (staff.id, "clerk"), (None, "system"),
                                                     (9999, "ghost")] * 15)]
    AuditEvent.bulk_add(rows)
    return admin


def audit_reference(name="", action=""):
    """The log's filters as they were: the logged login name compared in every event, and the name the page
    shows for each (a user's display name, 系统 for an event without a user)."""
    query = AuditEvent.select().order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if name:
        named = User.select(User.id).where(User.display_name.contains(name))
        condition = AuditEvent.username.contains(name) | AuditEvent.user_id.in_(named)
        if name in "系统":
            condition |= AuditEvent.user_id.is_null()
        query = query.where(condition)
    if action:
        query = query.where(AuditEvent.action == action)
    return [e.object_label for e in query]


def audit_shown(client, url):
    labels, page = [], 1
    while True:
        body = client.get(f"{url}&page={page}", headers={"HX-Request": "true"}).get_data(as_text=True)
        labels += re.findall(r"<td>(事件\d+)</td>", body)
        if "下一页" not in body:
            return labels, body
        page += 1


@pytest.mark.parametrize("name", ["boss", "OSS", "李老师", "老师", "clerk", "sys", "系统", "系", "ghost", "gho", "nobody",
                                  "s"])
def test_audit_log_by_user_shows_the_same_events_as_matching_each_logged_name(client, events, name):
    with client.session_transaction() as session:
        session["_user_id"] = events.get_id()
    for action in ("", "user.update"):
        labels, _ = audit_shown(client, f"/admin/audit?user={name}&action={action}")
        assert labels == audit_reference(name, action), (name, action)


# Every event of the fixture is on or after this day: a date filter that keeps them all.
SINCE = "date_from=2025-12-31"


@pytest.mark.parametrize("filters, name, action", [(SINCE, "", ""), ("user=李老师", "李老师", ""), ("user=老师", "老师", ""),
                                                   ("user=系统", "系统", ""), ("user=gho", "gho", ""),
                                                   ("user=o&action=user.update", "o", "user.update"),
                                                   (f"user=boss&{SINCE}&action=auth.login", "boss", "auth.login")])
def test_audit_log_by_user_or_date_counts_its_events_exactly(client, events, filters, name, action):
    """The database keeps the events per action, user and day (AuditEvent.days): every filter's count is exact,
    its pager knows its last page, and the last page is the filter's oldest events."""
    with client.session_transaction() as session:
        session["_user_id"] = events.get_id()
    expected = audit_reference(name, action)
    pages = -(-len(expected) // 20)
    first = client.get(f"/admin/audit?{filters}&page=1&per_page=20").get_data(as_text=True)
    assert f"共 {len(expected)} 条记录，第 1 / {pages} 页" in first
    last = client.get(f"/admin/audit?{filters}&page=999&per_page=20").get_data(as_text=True)
    assert f"共 {len(expected)} 条记录，第 {pages} / {pages} 页" in last
    assert re.findall(r"<td>(事件\d+)</td>", last) == expected[(pages - 1) * 20:]


def test_audit_log_whole_or_by_action_knows_its_exact_count(client, events):
    """The database keeps the events per action (AuditEvent.kept_count): no page counts them, and the pager
    knows its last page however long the log."""
    with client.session_transaction() as session:
        session["_user_id"] = events.get_id()
    first = client.get("/admin/audit?page=1&per_page=20").get_data(as_text=True)
    assert "共 60 条记录，第 1 / 3 页" in first
    last = client.get("/admin/audit?page=3&per_page=20").get_data(as_text=True)
    assert re.findall(r"<td>(事件\d+)</td>", last) == audit_reference()[40:]
    # Events written by each of the log's ways (one, several, the same change for many) are counted at once.
    with db.connection_context():
        audit.record("user.update", events, {"显示名": ("a", "b")}, user=events)
        audit.record_many("user.update", [(events, {"显示名": ("b", "c")})] * 3, user=events)
        assert audit.record_same("user.create", User.select(), User.username, {}, user=events) == 2  # boss, clerk
        assert AuditEvent.kept_count() == AuditEvent.select().count() == 66
        assert AuditEvent.kept_count("user.update") == 24 and AuditEvent.kept_count("user.create") == 22
        assert AuditEvent.kept_count("auth.logout") == 0
    assert "共 66 条记录，第 1 / 4 页" in client.get("/admin/audit?per_page=20").get_data(as_text=True)
    updates = client.get("/admin/audit?action=user.update&per_page=20").get_data(as_text=True)
    assert "共 24 条记录，第 1 / 2 页" in updates
    assert re.findall(r"<td>(事件\d+)</td>", updates)[-16:] == audit_reference(action="user.update")[4:20]


def test_a_start_counts_the_audit_log_anew_when_its_tally_is_new_or_its_total_is_off(app, events):
    """Counted from the table when the tally is new (an older CertDesk's database), or when its total is not the
    table's (events written uncounted, by an older CertDesk or another tool); else kept as it is."""
    with db.connection_context():
        audit.TALLY.drop()
        audit.TALLY.create()
        assert AuditEvent.kept_count() == 60 and AuditEvent.kept_count("user.update") == 20
        AuditEvent.insert_many([{"action": "user.update", "object_label": f"外来{i}"} for i in range(5)]).execute()
        audit.TALLY.create()
        assert AuditEvent.kept_count() == 65 and AuditEvent.kept_count("user.update") == 25


def test_a_start_counts_the_audit_log_per_day_anew_when_new_or_its_total_is_off(app, events):
    """The events per day and per action, user and day (AuditEvent.days, which 审计日志's pages start from, and
    filtered, count by) are made when new, and again when they do not add up to the log, also when the count per
    action (read on the same start) does."""
    from models import tally
    with db.connection_context():
        audit.DAYS.drop()
        audit.FILTERED.drop()
        tally.create_all()
        assert AuditEvent.days() == [(date(2026, 1, 1), 60)]
        assert AuditEvent.days("user.update", [None]) == [(date(2026, 1, 1), 5)]
        AuditEvent.insert_many([{"action": "user.update", "at": datetime(2026, 1, 3, 23, 59, 59)}] * 5).execute()
        tally.create_all()
        assert AuditEvent.days() == [(date(2026, 1, 3), 5), (date(2026, 1, 1), 60)]
        assert AuditEvent.days("user.update", [None]) == [(date(2026, 1, 3), 5), (date(2026, 1, 1), 5)]
        for kept in (audit.DAYS, audit.FILTERED):
            db.execute_sql(f"DELETE FROM {kept.table}")
        tally.create_all()
        assert AuditEvent.days() == [(date(2026, 1, 3), 5), (date(2026, 1, 1), 60)]
        assert AuditEvent.days(users=[None], since=date(2026, 1, 2)) == [(date(2026, 1, 3), 5)]
        assert AuditEvent.kept_count() == 65


def test_the_events_per_day_are_folded_with_the_events_per_action_when_those_are_read(app, events):
    """PostgreSQL keeps a row per statement that wrote the log, in each tally; 审计日志 reads the events per action
    on every page of the whole log or of an action, the events per day only past the first, and the events per
    action, user and day filtered: the read of the first folds all three, and so does a filtered page."""
    from models.tally import FOLD_ABOVE
    with db.connection_context():
        for i in range(FOLD_ABOVE + 20):
            audit.record("user.update", events, {"显示名": (str(i), str(i + 1))}, user=events)
        assert AuditEvent.kept_count() == 60 + FOLD_ABOVE + 20
        rows = db.execute_sql(f"SELECT COUNT(*) FROM {audit.DAYS.table}").fetchone()[0]
        assert rows == len(AuditEvent.days()) == 2
        assert sum(n for _, n in AuditEvent.days()) == AuditEvent.select().count()
        # action × user (boss, clerk, none, ghost) × day
        assert db.execute_sql(f"SELECT COUNT(*) FROM {audit.FILTERED.table}").fetchone()[0] == 3 * 4 + 1
        for i in range(FOLD_ABOVE + 20):
            audit.record("user.update", events, {"显示名": (str(i), str(i + 1))}, user=events)
        assert AuditEvent.days(users=[events.id]) == [(date.today(), 2 * (FOLD_ABOVE + 20)), (date(2026, 1, 1), 15)]
        assert db.execute_sql(f"SELECT COUNT(*) FROM {audit.FILTERED.table}").fetchone()[0] == 3 * 4 + 1


# SQLite's statistics of a log of 1,000,000 events, 18 actions and 5 users (ANALYZE of the bench's).
LONG_LOG = {"audit_event_user_id_at_id": "1000000 200000 7 1", "audit_event_action_at_id": "1000000 55556 7 1",
            "audit_event_object_id": "1000000 11", "audit_event_at": "1000000 7"}


@pytest.mark.skipif(TEST_DATABASE_URL.startswith("postgres"), reason="PostgreSQL's insert triggers count the new rows")
def test_an_audited_write_counts_its_event_by_id_however_long_the_log(app, events, monkeypatch):
    """Told by its statistics that the log is long, SQLite grouped the events counted after a write along the
    (action, at, id) index and tested the id of every event in it (58 ms an audited write at 1,000,000 events,
    87 for the events per action, user and day): each of the log's tallies reads the new events by id."""
    with db.connection_context():
        db.execute_sql("ANALYZE")
        for index, stat in LONG_LOG.items():
            db.execute_sql("UPDATE sqlite_stat1 SET stat = ? WHERE idx = ?", [stat, index])
        db.execute_sql("ANALYZE sqlite_schema")  # the statistics read again
        seen, execute = [], db.obj.execute_sql
        monkeypatch.setattr(db.obj, "execute_sql", lambda sql, params=None, *rest, **named: (
            seen.append((sql, params)), execute(sql, params, *rest, **named))[1])
        audit.record("user.update", events, {"显示名": ("a", "b")}, user=events)
        monkeypatch.undo()
        counting = [(sql, params) for sql, params in seen if re.match(r"INSERT INTO audit_\w*tally", sql)]
        assert len(counting) == 3
        for sql, params in counting:
            select = sql[sql.index("SELECT"):sql.index(" ON CONFLICT")]
            plan = " ".join(row[-1] for row in db.execute_sql(f"EXPLAIN QUERY PLAN {select}", params))
            assert "USING INTEGER PRIMARY KEY" in plan and "INDEX audit_event" not in plan, plan


def test_a_row_url_is_the_url_url_for_builds(app):
    with app.test_request_context("/candidates/"):
        for ident in (1, 42, 8_765_432_109, 2 ** 63 - 1):
            for endpoint, values in (("candidates.detail", {}), ("photos.image", {"size": "thumb", "v": "ab&c d"})):
                assert row_url(endpoint, candidate_id=ident, **values) == url_for(endpoint, candidate_id=ident, **values)
        # Not exactly one id: url_for itself.
        assert row_url("candidates.index", q="张") == url_for("candidates.index", q="张")
        assert row_url("candidates.index", page=2, per_page=20) == url_for("candidates.index", page=2, per_page=20)


def test_an_action_the_log_does_not_have_is_named_and_the_log_shown_whole(client, events):
    with client.session_transaction() as session:
        session["_user_id"] = events.get_id()
    body = client.get("/admin/audit?action=乱写", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "筛选条件“操作：乱写”无效，已改为“全部”。" in body and "没有符合条件的记录" not in body
    assert "共 60 条记录" in body
