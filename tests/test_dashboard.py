"""首页 per role: each to-do line counts exactly what its list shows; the funnel, groups and months add up;
the navigation's counts; panels load through htmx only."""
import logging
import re
from datetime import date, datetime, timedelta
from html import unescape

import pytest

from models import progress, unchanged
from models.award import ISSUED, RETURNED, SUBMITTED, AwardRecord
from models.import_batch import REVIEW, ImportBatch
from models.candidate import ACCURATE, PENDING, REJECTED, VERIFIED, Candidate
from models.catalog import Certificate, Organisation
from models.db import now
from models.pinyin import text_order
from models.quota import Quota
from models.site import PENDING as SITE_PENDING, Site
from models.user import ADMIN, REVIEWER, STAFF, User
from tests.test_identity import make_id

HX = {"HX-Request": "true"}
TODO = re.compile(r'<a class="todo-link" href="([^"]+)"><span class="todo-count">(\d+)</span> '
                  r'<span class="todo-label">([^<]+)</span>')


def todo_lines(client):
    """(label, count, url) of each to-do line on 首页."""
    page = client.get("/").get_data(as_text=True)
    return [(label, int(count), unescape(url)) for url, count, label in TODO.findall(page)]


def shown_total(client, url):
    """The total a list page shows under its table (共 N 名考生, 共 N 条记录), or 0 when it shows no row."""
    page = client.get(url).get_data(as_text=True)
    found = re.search(r"共 (\d+) \S+，第", page)
    return int(found.group(1)) if found else 0


def as_user(client, user):
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()


def people(n, first=0):
    """n 信息准确 candidates with distinct ID numbers (a test may ask twice with another `first`)."""
    return [Candidate.create(name="王五", id_type="居民身份证", gender="男", phone="13812345678", status=ACCURATE,
                             photo="ab/x.jpg", id_number=make_id(born=f"2004{1 + i // 28:02d}{1 + i % 28:02d}"))
            for i in range(first, first + n)]


def record(world, candidate, status=SUBMITTED, exam_date=None, issued_at=None, level="中级"):
    return AwardRecord.create(candidate=candidate, certificate=world["cert"], level=level, site=world["site"],
                              exam_date=exam_date or date(date.today().year, 1, 2), status=status,
                              issued_at=issued_at, theory_score=80, practical_score=70)


# ---- the college's to-do -------------------------------------------------------------------------
@pytest.mark.parametrize("role", [STAFF, ADMIN])
def test_each_todo_line_links_to_the_list_that_shows_the_same_number(client, login, demo, role):
    ImportBatch.create(kind="candidates", file_name="有错误.xlsx", status=REVIEW)
    stale = ImportBatch.create(kind="candidates", file_name="过期.xlsx", status=REVIEW)
    ImportBatch.update(created_at=now() - timedelta(days=30)).where(ImportBatch.id == stale.id).execute()
    login(role)
    lines = todo_lines(client)
    assert [label for label, _, _ in lines] == ["待认证", "认证未通过", "认证通过（待人工确认）", "无照片",
                                                "已退回的待颁证记录", "审核不通过的考核站点", "待确认的导入记录"]
    for label, count, url in lines:
        assert count > 0, label  # the demo college has something of every kind to do
        assert shown_total(client, url) == count, (label, url)


def test_todo_counts_match_the_database(client, login, demo):
    login(STAFF)
    counts = {label: count for label, count, _ in todo_lines(client)}
    by_status = Candidate.status_counts()
    assert counts["待认证"] == by_status[PENDING]
    assert counts["认证未通过"] == by_status[REJECTED]
    assert counts["认证通过（待人工确认）"] == by_status[VERIFIED]
    assert counts["无照片"] == Candidate.select().where(Candidate.photo.is_null()).count()
    assert counts["已退回的待颁证记录"] == AwardRecord.select().where(AwardRecord.status == RETURNED).count()


def test_staff_home_has_no_reviewer_queue_and_loads_its_panels_lazily(client, login, demo):
    login(STAFF)
    page = client.get("/").get_data(as_text=True)
    assert "待办事项" in page and "待我审核" not in page
    for url in ("/home/certificates", "/home/departments", "/home/issued"):
        assert f'hx-get="{url}"' in page
        assert client.get(url).status_code == 303  # opened directly, not by htmx: back to 首页
        panel = client.get(url, headers=HX)
        assert panel.status_code == 200 and "<html" not in panel.get_data(as_text=True)


# ---- the reviewer's queue ------------------------------------------------------------------------
def test_reviewer_sees_its_queue_with_links_that_show_the_same_number(client, demo):
    reviewer = User.by_username("reviewer")
    as_user(client, reviewer)
    page = client.get("/").get_data(as_text=True)
    lines = todo_lines(client)
    assert [label for label, _, _ in lines] == ["待审核的考核站点", "待审核的待颁证记录", "本月已颁证"]
    for label, count, url in lines:
        assert count > 0, label
        assert shown_total(client, url) == count, (label, url)
    own = Certificate.select(Certificate.id).where(Certificate.organisation == reviewer.organisation_id)
    assert dict((label, n) for label, n, _ in lines)["待审核的待颁证记录"] == (
        AwardRecord.select().where((AwardRecord.status == SUBMITTED) & AwardRecord.certificate.in_(own)).count())
    for staff_only in ("待办事项", "认证未通过", "省厅指标", "各院系进度", 'hx-get="/home/certificates"'):
        assert staff_only not in page
    assert client.get("/home/certificates", headers=HX).status_code == 403
    assert client.get("/home/departments", headers=HX).status_code == 403


def test_issued_this_month_counts_only_this_months_certificates_of_the_organisation(client, login, world):
    reviewer = login(REVIEWER)
    this_month, last_month = now(), now().replace(day=1) - timedelta(days=1)
    for candidate, at in zip(people(3), (this_month, this_month, last_month)):
        record(world, candidate, ISSUED, issued_at=at)
    assert progress.reviewer_queue(reviewer)["issued"] == 2
    other = User.create(username="wl", role=REVIEWER, password_hash="x",
                        organisation=Organisation.create(name="北京中物联物流采购培训中心"))
    assert progress.reviewer_queue(other)["issued"] == 0


# ---- the funnel, the groups, the months --------------------------------------------------------------
def test_funnel_imported_is_what_the_quota_counts_as_used(app, world):
    year = date.today().year
    quota, _ = Quota.get_or_create(certificate=world["cert"], level="中级", year=year,
                                   defaults={"document_no": "豫教职成〔2026〕1号", "amount": 10})
    some = people(5)
    record(world, some[0])
    record(world, some[1], ISSUED, issued_at=now())
    record(world, some[2], RETURNED)
    record(world, some[3], exam_date=date(year - 1, 6, 1))  # last year's quota
    (level,) = progress.certificate_progress(year)
    assert (level.certificate, level.level, level.submitted, level.issued) == ("Web前端开发", "中级", 1, 1)
    assert level.imported == Quota.for_year(world["cert"], "中级", year).used() == 2
    assert (level.quota, level.remaining) == (quota.amount, quota.amount - 2)
    assert (level.candidates, level.accurate) == (Candidate.select().count(), 6)


def test_departments_add_up_to_all_candidates_and_classes_to_their_department(demo):
    year = date.today().year
    departments = progress.group_progress(year)
    assert sum(g.total for g in departments) == Candidate.select().count()
    held = AwardRecord.select().where(AwardRecord.status.in_([SUBMITTED, ISSUED])
                                      & (AwardRecord.exam_date >= date(year, 1, 1)))
    assert sum(g.imported for g in departments) == held.count()
    for department in departments:
        classes = progress.group_progress(year, department.name)
        assert progress.GroupProgress.sum_of(department.name, classes) == department
    # In pinyin order, as the filters offer them (经济 jing before 汽车 qi before 信息 xin), unnamed last.
    names = [g.name for g in departments]
    assert names == sorted(names, key=lambda name: (not name, text_order(name))) and names != sorted(names)
    assert names.index("经济管理学院") < names.index("汽车工程学院") < names.index("信息工程学院")


def test_department_row_opens_to_its_classes_and_closes_again(client, login, demo):
    login(STAFF)
    department = progress.group_progress(date.today().year)[0]
    opened = client.get("/home/departments/classes", query_string={"department": department.name, "open": "1"},
                        headers=HX).get_data(as_text=True)
    assert "<tbody>" in opened and "<html" not in opened
    assert 'aria-expanded="true"' in opened and opened.count('class="class-row"') > 1
    closed = client.get("/home/departments/classes", query_string={"department": department.name, "open": "0"},
                        headers=HX).get_data(as_text=True)
    assert 'aria-expanded="false"' in closed and 'class="class-row"' not in closed


def test_issued_per_month_covers_twelve_months_and_a_reviewer_sees_its_own(app, world, make_user):
    today = date.today()
    some = people(3)
    record(world, some[0], ISSUED, issued_at=datetime.combine(today, datetime.min.time()))
    record(world, some[1], ISSUED, issued_at=datetime.combine(today.replace(day=1) - timedelta(days=40),
                                                                 datetime.min.time()))
    record(world, some[2], ISSUED, issued_at=datetime(today.year - 2, 1, 1))  # too old to show
    months = progress.issued_per_month(make_user(STAFF), today=today)
    assert len(months) == 12 and months[-1] == (today.replace(day=1), 1)
    assert sum(n for _, n in months) == 2
    stranger = make_user(REVIEWER, username="wl", organisation=Organisation.create(name="北京中物联物流采购培训中心"))
    assert sum(n for _, n in progress.issued_per_month(stranger, today=today)) == 0


# ---- the filters the to-do links need ------------------------------------------------------------
def test_award_list_filters_by_issue_date(client, login, world):
    login(STAFF)
    some = people(2)
    record(world, some[0], ISSUED, issued_at=datetime(2026, 3, 31, 23, 59))
    record(world, some[1], ISSUED, issued_at=datetime(2026, 4, 1, 8, 0))
    assert shown_total(client, "/awards/?issued_from=2026-03-01&issued_to=2026-03-31") == 1
    assert shown_total(client, "/awards/?issued_from=2026-03-01&issued_to=2026-04-01") == 2


def test_import_history_filters_by_state(client, login):
    login(STAFF)
    ImportBatch.create(kind="candidates", file_name="a.xlsx", status=REVIEW)
    ImportBatch.create(kind="candidates", file_name="b.xlsx", status="已导入")
    page = client.get("/imports/?status=待确认").get_data(as_text=True)
    assert "a.xlsx" in page and "b.xlsx" not in page


def test_the_waiting_imports_hint_names_the_buttons_its_list_shows(client, login):
    """Not 仅导入正确的行: that is one import button of several, and the list it links to shows 继续 and 放弃."""
    login(STAFF)
    ImportBatch.create(kind="candidates", file_name="a.xlsx", status=REVIEW, created_at=now())
    home = client.get("/").get_data(as_text=True)
    hint = re.search(r'待确认的导入记录</span></a>\s*<span class="todo-hint">([^<]+)</span>', home).group(1)
    named = re.findall(r"「([^」]+)」", unescape(hint))
    assert named == ["继续", "放弃"] and "仅导入正确的行" not in home
    waiting = client.get("/imports/?status=待确认").get_data(as_text=True)
    buttons = [" ".join(words.split()) for words in re.findall(r"<button[^>]*>([^<]+)</button>", waiting)]
    assert set(named) <= set(buttons)


# ---- the navigation's counts ---------------------------------------------------------------------
def test_navigation_shows_what_waits_for_staff(client, login, demo):
    login(STAFF)
    page = client.get("/candidates/").get_data(as_text=True)
    returned = AwardRecord.select().where(AwardRecord.status == RETURNED).count()
    verified = Candidate.select().where(Candidate.status == VERIFIED).count()
    assert f'id="nav-badge-awards">{returned} 已退回</span>' in page
    assert f'id="nav-badge-candidates">{verified} 待人工确认</span>' in page


def test_navigation_counts_come_back_out_of_band_after_a_reviewer_issues(client, login, world):
    login(REVIEWER)
    first, second = (record(world, c) for c in people(2))
    assert 'id="nav-badge-awards">2 待审核</span>' in client.get("/awards/").get_data(as_text=True)
    response = client.post("/awards/issue", data={"ids": [first.id]}, headers=HX)
    assert "awardsChanged" in response.headers["HX-Trigger"]
    badges = client.get("/home/waiting", headers=HX).get_data(as_text=True)
    assert 'id="nav-badge-awards" hx-swap-oob="true">1 待审核</span>' in badges
    assert 'id="nav-badge-sites" hx-swap-oob="true"></span>' in badges  # nothing waits: an empty badge


def test_navigation_counts_are_kept_apart_by_role_and_organisation(client, make_user, world):
    first, second = (record(world, c) for c in people(2))
    other = Organisation.create(name="另一个评价组织")
    mine, theirs = make_user(REVIEWER, "reviewer1"), make_user(REVIEWER, "reviewer2", organisation=other)
    staff = make_user(STAFF)
    for user, badge in ((mine, "2 待审核"), (theirs, ""), (staff, ""), (mine, "2 待审核")):
        with client.session_transaction() as session:
            session["_user_id"], session["_fresh"] = user.get_id(), True
        assert f'id="nav-badge-awards">{badge}</span>' in client.get("/awards/").get_data(as_text=True)
    AwardRecord.update(status=ISSUED).where(AwardRecord.id == first.id).execute()
    assert 'id="nav-badge-awards">1 待审核</span>' in client.get("/awards/").get_data(as_text=True)


def test_a_site_review_on_the_list_announces_itself_to_the_navigation(client, login, world):
    site = Site.create(name="新机房", certificate=world["cert"], levels="中级", region="郑州", address="文化路",
                       contact="王", phone="13800000000", seats=30, review_status=SITE_PENDING)
    login(REVIEWER)
    response = client.post(f"/sites/{site.id}/approve", headers=HX)
    assert response.status_code == 200 and "sitesReviewed" in response.headers["HX-Trigger"]


def test_home_and_navigation_cost_the_same_few_queries_however_many_candidates(client, login, world):
    login(STAFF)

    def statements():
        unchanged.forget_all()  # counted as a process that kept nothing yet
        counted = []
        handler = logging.Handler()
        handler.emit = lambda entry: counted.append(entry.getMessage())
        logger = logging.getLogger("peewee")
        level = logger.level
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
        try:
            assert client.get("/").status_code == 200
        finally:
            logger.removeHandler(handler)
            logger.setLevel(level)
        return len(counted)

    statements()  # the first request of a session notes its start; later ones read the idle limit
    few = statements()
    people(30, first=100)
    for candidate in people(5):
        record(world, candidate, RETURNED)
    assert statements() == few
    # The user, two settings, the idle limit, one to-do statement, the navigation's sites, and four reads of
    # the counts the database keeps (to-do: per status and without a photo; navigation: 认证通过, 已退回).
    assert few <= 10
