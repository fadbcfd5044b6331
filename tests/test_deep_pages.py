"""A page deep in a list reads its ids first and then their rows (views._rows_at): every page of every list, in
every order and under filters, lists the same rows as read by skipping rows, forwards and from the end."""
import re

import pytest

import views
from models.db import db

LISTS = ["/candidates/?sort={sort}", "/candidates/?status=待认证&sort={sort}", "/candidates/?q=zs&sort={sort}",
         "/candidates/?department=信息工程学院&sort={sort}"]
SORTS = ["", "name", "-name", "status", "-status", "department", "-department", "class_name", "student_no",
         "-student_no", "created_at"]
OTHER_LISTS = ["/awards/", "/awards/?status=已颁证", "/admin/audit", "/imports/"]


def every_page(client, url):
    pages, page = [], 1
    while True:
        body = client.get(f"{url}{'&' if '?' in url else '?'}per_page=20&page={page}").get_data(as_text=True)
        assert "<tbody" in body, url
        pages.append(re.search(r"<tbody.*?</tbody>", body, re.S).group(0))
        total = re.search(r"第 \d+ / (\d+) 页", body)
        if total is None or page >= int(total.group(1)):
            return pages
        page += 1


@pytest.mark.parametrize("url", [each.format(sort=sort) for each in LISTS for sort in SORTS] + OTHER_LISTS)
def test_pages_read_by_id_list_what_skipping_rows_lists(client, login, demo, monkeypatch, url):
    login("admin")
    monkeypatch.setattr(views, "SKIPPED_BY_ID", 10**9)
    monkeypatch.setattr(views, "JOINED_SKIPPED_BY_ID", 10**9)
    skipped = every_page(client, url)
    monkeypatch.setattr(views, "SKIPPED_BY_ID", 0)
    monkeypatch.setattr(views, "JOINED_SKIPPED_BY_ID", 0)
    by_id = every_page(client, url)
    assert by_id == skipped
    if url.startswith("/candidates/?sort"):
        assert len(skipped) >= 5  # the demo college's candidates: pages from the start and from the end


# 待颁证记录 beyond the demo's: 300 of every certificate, level and state, ten at a time (the order's ties are
# broken by id) and the times not in the order of the ids, so that each filter's pages lie deep enough to be read
# from either end.
AWARD_LISTS = ["", "level=中级", "status=已颁证", "certificate={cert}", "certificate={cert}&level=中级",
               "level=初级&status=待审核", "site={site}", "certificate={cert}&status=已退回"]


@pytest.fixture
def records(demo):
    from datetime import date, datetime, timedelta

    from models.award import STATUSES, AwardRecord
    from models.candidate import Candidate
    from models.catalog import LEVELS
    from models.site import Site
    candidates = [c.id for c in Candidate.select(Candidate.id).order_by(Candidate.id)]
    sites = list(Site.select().order_by(Site.id))
    start = datetime(2026, 3, 1, 8, 0)
    AwardRecord.bulk_add({
        "candidate": candidates[i % len(candidates)], "certificate": sites[i % len(sites)].certificate_id,
        "site": sites[i % len(sites)].id, "level": LEVELS[i // 7 % 3], "exam_date": date(2026, 2, 1),
        "status": STATUSES[i // 3 % 3], "certificate_number": f"T{i:05d}" if STATUSES[i // 3 % 3] == "已颁证" else None,
        "created_at": start + timedelta(minutes=i * 37 % 300 // 10), "updated_at": start} for i in range(300))
    return sites[0]


def listed_ids(pages):
    return [int(i) for page in pages for i in re.findall(r'id="award-(\d+)"', page)]


@pytest.mark.parametrize("role", ["staff", "reviewer"])
@pytest.mark.parametrize("query", AWARD_LISTS)
def test_award_pages_read_by_id_walked_or_sorted_list_every_record_once_in_order(client, login, records,
                                                                                 monkeypatch, role, query):
    """Every page of 待颁证记录, under each filter and for a reviewer (its organisation's records alone), read
    by skipping rows, by id, along the newest-first index or sorted, lists the records a plain query finds."""
    from models.award import AwardRecord
    from models.catalog import Certificate
    user = login(role)
    query = query.format(cert=records.certificate_id, site=records.id)
    filters = dict(part.split("=") for part in query.split("&") if part)
    expected = AwardRecord.select(AwardRecord.id).join(Certificate).order_by(AwardRecord.created_at.desc(),
                                                                            AwardRecord.id.desc())
    if role == "reviewer":
        expected = expected.where(Certificate.organisation == user.organisation_id)
    for name, value in filters.items():
        expected = expected.where(getattr(AwardRecord, name) == value)
    expected = [record.id for record in expected]
    assert expected
    url = f"/awards/?{query}"
    monkeypatch.setattr(views, "SKIPPED_BY_ID", 10**9)
    monkeypatch.setattr(views, "JOINED_SKIPPED_BY_ID", 10**9)
    skipped = every_page(client, url)
    assert listed_ids(skipped) == expected
    monkeypatch.setattr(views, "SKIPPED_BY_ID", 0)
    monkeypatch.setattr(views, "JOINED_SKIPPED_BY_ID", 0)
    for walked_per_sorted in (0, 10**9):  # SQLite: sorted, then walked, whatever the page
        monkeypatch.setattr("models.award.WALKED_PER_SORTED", walked_per_sorted)
        assert every_page(client, url) == skipped


@pytest.fixture
def log(app, make_user):
    """300 audit events over nine days, at times not in the order of their ids, several at the same time, some
    at a day's first and last second."""
    from datetime import datetime, timedelta

    from models.audit import AuditEvent
    admin = make_user("admin")
    start = datetime(2026, 3, 1)
    AuditEvent.bulk_add({
        "at": start + timedelta(days=i * 7 % 9, seconds=(0, 86399, 600, 600, 3600)[i % 5]), "user_id": admin.id,
        "username": admin.username, "action": "user.update", "object_type": "user", "object_id": "1",
        "object_label": f"事件{i}"} for i in range(300))
    return admin


@pytest.mark.parametrize("near", [0, 45, 10**9])  # every page placed by day; those near an end skipped to; none
@pytest.mark.parametrize("per_page", [20, 50])
def test_audit_pages_read_from_the_day_they_start_in_list_what_skipping_rows_lists(client, log, monkeypatch, near,
                                                                                   per_page):
    """The whole log (AuditEvent.days places a page in its first day) pages as a plain query lists it, also with
    events written since the counts were made: by one write, by several, by the database from a query."""
    from models import audit
    from models.audit import AuditEvent
    from models.user import User
    monkeypatch.setattr(audit, "NEAR", near)
    with client.session_transaction() as session:
        session["_user_id"] = log.get_id()
    for write in (None, lambda: audit.record("user.update", log, {"显示名": ("a", "b")}, user=log, label="事件新1"),
                  lambda: audit.record_each("user.update", User, [(log.id, f"事件新{i}", {}) for i in (2, 3)], user=log),
                  lambda: audit.record_same("user.update", User.select(), User.username, {}, user=log)):
        if write:
            with db.connection_context():
                write()
        expected = [e.object_label for e in AuditEvent.select().order_by(AuditEvent.at.desc(), AuditEvent.id.desc())]
        shown, page = [], 1
        while True:
            body = client.get(f"/admin/audit?per_page={per_page}&page={page}").get_data(as_text=True)
            shown += re.findall(r"<td>(事件[^<]*|admin-user)</td>", body)
            if page >= int(re.search(r"第 \d+ / (\d+) 页", body).group(1)):
                break
            page += 1
        assert shown == expected


@pytest.fixture
def mixed_log(app, make_user):
    """400 audit events over nine days, of three actions, by an administrator (admin-user), 李老师 (clerk), the
    system and a user deleted since (ghost), at times not in the order of their ids, several at the same time,
    some at a day's first and last second."""
    from datetime import datetime, timedelta

    from models.audit import AuditEvent
    admin, staff = make_user("admin"), make_user("staff", username="clerk")
    staff.display_name = "李老师"
    staff.save()
    actors = [(admin.id, admin.username), (staff.id, "clerk"), (None, "system"), (9999, "ghost")]
    start = datetime(2026, 3, 1)
    AuditEvent.bulk_add({
        "at": start + timedelta(days=i * 7 % 9, seconds=(0, 86399, 600, 600, 3600)[i % 5]),
        "user_id": actors[i * 5 % 7 % 4][0], "username": actors[i * 5 % 7 % 4][1],
        "action": ("user.update", "auth.login", "user.create")[i // 2 % 3], "object_type": "user", "object_id": "1",
        "object_label": f"事件{i}"} for i in range(400))
    return admin, staff


# 审计日志's filters (an action; a user by display name, by login names that find several users, the system and
# a user deleted since by its logged name, or no one; days), alone and together: (query, action, user, first day,
# last day).
LOG_FILTERS = [("action=user.update", "user.update", "", None, None),
               ("user=李老师", "", "李老师", None, None),
               ("user=s", "", "s", None, None),
               ("date_from=2026-03-03&date_to=2026-03-06", "", "", "2026-03-03", "2026-03-06"),
               ("date_to=2026-03-04", "", "", None, "2026-03-04"),
               ("action=user.update&user=李老师", "user.update", "李老师", None, None),
               ("action=auth.login&date_from=2026-03-02&date_to=2026-03-05", "auth.login", "", "2026-03-02",
                "2026-03-05"),
               ("user=s&date_from=2026-03-04", "", "s", "2026-03-04", None),
               ("action=user.create&user=s&date_from=2026-03-02&date_to=2026-03-08", "user.create", "s", "2026-03-02",
                "2026-03-08"),
               ("user=nobody", "", "nobody", None, None),
               ("action=auth.logout", "auth.logout", "", None, None)]


def logged(action, name, first, last):
    """The labels of the events a filter selects, newest first, found as the log's filters were: the logged login
    name compared in every event, or the display name of the user an event names (系统 for one without)."""
    from datetime import date, timedelta

    from models.audit import AuditEvent
    from models.user import User
    query = AuditEvent.select().order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if action:
        query = query.where(AuditEvent.action == action)
    if name:
        named = User.select(User.id).where(User.display_name.contains(name))
        condition = AuditEvent.username.contains(name) | AuditEvent.user_id.in_(named)
        query = query.where(condition | AuditEvent.user_id.is_null() if name in "系统" else condition)
    if first:
        query = query.where(AuditEvent.at >= date.fromisoformat(first))
    if last:
        query = query.where(AuditEvent.at < date.fromisoformat(last) + timedelta(days=1))
    return [event.object_label for event in query]


def log_pages_list_what_skipping_rows_lists(client, per_page=20):
    """Every page of 审计日志 under each of LOG_FILTERS holds the events a plain query skips to (OFFSET), and the
    pager counts them all."""
    for query, *filters in LOG_FILTERS:
        with db.connection_context():
            expected = logged(*filters)
        pages = max(1, -(-len(expected) // per_page))
        for page in range(1, pages + 1):
            body = client.get(f"/admin/audit?{query}&per_page={per_page}&page={page}").get_data(as_text=True)
            assert re.findall(r"<td>(事件[^<]*)</td>", body) == expected[(page - 1) * per_page:page * per_page], \
                (query, page)
            assert not expected or f"共 {len(expected)} 条记录，第 {page} / {pages} 页" in body, (query, page)


@pytest.mark.parametrize("near", [0, 10**9])  # an action's pages (counted whole) placed by day, or skipped to
def test_filtered_audit_pages_start_in_their_day_and_list_what_skipping_rows_lists(client, mixed_log, monkeypatch,
                                                                                     near):
    """审计日志 filtered by action, user and days counts its events per action, user and day (AuditEvent.days) and
    starts each page in its day: every page lists what a plain query lists, also after events are written since
    the counts were made (one, several, the database's INSERT … SELECT of an import), moved to another day, action
    or user (an UPDATE), or deleted."""
    from datetime import datetime

    from peewee import Value

    from models import audit
    from models.audit import AuditEvent
    from models.user import User
    monkeypatch.setattr(audit, "NEAR", near)
    admin, staff = mixed_log
    with client.session_transaction() as session:
        session["_user_id"] = admin.get_id()
    moved = AuditEvent.id.in_([3, 40, 41, 200])
    changes = [
        None,
        lambda: audit.record("user.update", staff, {"显示名": ("a", "b")}, user=staff, label="事件新1"),
        lambda: audit.record_each("auth.login", User, [(staff.id, f"事件新{i}", {}) for i in (2, 3)], user=None),
        lambda: audit.record_same("user.create", User.select(), Value("事件").concat(User.username), {}, user=admin),
        lambda: AuditEvent.update(at=datetime(2026, 2, 27, 9, 0)).where(moved).execute(),  # a day with none
        lambda: AuditEvent.update(at=datetime(2026, 3, 5, 12, 0), action="auth.login").where(
            AuditEvent.id.in_([5, 6, 7, 300])).execute(),
        lambda: AuditEvent.update(user_id=None, username="system").where(AuditEvent.user_id == staff.id).where(
            AuditEvent.action == "auth.login").execute(),
        lambda: AuditEvent.update(user_id=staff.id, username="clerk").where(AuditEvent.username == "ghost").where(
            AuditEvent.at < datetime(2026, 3, 4)).execute(),
        lambda: AuditEvent.delete().where(AuditEvent.id.in_([1, 2, 100, 101, 102, 399])).execute(),
        lambda: AuditEvent.delete().where(AuditEvent.at >= datetime(2026, 3, 8)).execute(),  # a whole day
    ]
    for change in changes:
        if change:
            with db.connection_context():
                change()
        log_pages_list_what_skipping_rows_lists(client)
