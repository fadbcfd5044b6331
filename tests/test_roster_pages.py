"""颁证名单's pages read a group at a time — a (certificate, level) in its default order, a (院系, 班级) in
按院系、班级、姓名 — row for row the pages of the whole order (the export's), for staff and a reviewer, each
filter, page size and page; the records of a 院系 or 班级 exactly its candidates' (their copy of it,
models/award_class.py); and the whole order read as before wherever the groups would not give it."""
import re
from datetime import date, datetime

import pytest

from models import roster
from models.award import ISSUED, RETURNED, SUBMITTED, AwardRecord
from models.candidate import Candidate
from models.catalog import Certificate, Organisation
from models.db import db, is_sqlite
from models.user import REVIEWER, STAFF
from tests import sheetfiles as sf

# Created in this order, so that their ids are not in their names' order; and by code point the names
# sort otherwise than in pinyin, which a PostgreSQL database of zh_CN sorts them by (see `pinyin`).
NAMES = ("物流管理", "智能财税", "汽车运用与维修")
LEVELS_BY_CODE_POINT = ("中级", "初级", "高级")  # not LEVELS' order 初级, 中级, 高级
# The eight candidates' 院系 and 班级: a class name in two 院系, and neither 院系 nor 班级, or one alone.
PLACES = [("信息工程学院", "计应2302"), ("信息工程学院", "计应2301"), ("机电学院", "计应2301"), ("", ""),
          ("信息工程学院", "计应2301"), ("机电学院", "机电2301"), ("", "计应2301"), ("信息工程学院", "")]


@pytest.fixture
def pinyin(app):
    """On PostgreSQL, certificate names sorted as a zh_CN database sorts them (ICU's zh collation: 汽车, 物流,
    智能, Web where code points give Web, 智能, 汽车, 物流), put back afterwards; SQLite sorts by code point."""
    if is_sqlite():
        yield
        return
    db.execute_sql('ALTER TABLE certificate ALTER COLUMN name TYPE VARCHAR(255) COLLATE "zh-x-icu"')
    yield
    db.execute_sql('ALTER TABLE certificate ALTER COLUMN name TYPE VARCHAR(255) COLLATE "default"')


@pytest.fixture
def issued(world, org, pinyin):
    """Four certificates (two of the world's organisation) × three levels, groups of 0 to 8 issued records
    numbered out of id order, and records waiting or returned among them, which no roster lists."""
    other = Organisation.create(name="北京中物联物流采购培训中心")
    certificates = [world["cert"]] + [Certificate.create(name=name, organisation=(other, org)[i % 2], code=f"C{i}")
                                      for i, name in enumerate(NAMES)]
    people = [Candidate.create(name=f"考生{i}", id_type="居民身份证", id_number=sf.id_number(i, area="410107"),
                               gender="男", department=department, class_name=class_name)
              for i, (department, class_name) in enumerate(PLACES)]
    rows, number = [], 0
    for c, certificate in enumerate(certificates):
        for v, level in enumerate(LEVELS_BY_CODE_POINT):
            for i in range((c * 5 + v * 3) % 9):  # 0 (Web前端开发 中级) to 8 a group
                number += 1
                rows.append({"candidate": people[i].id, "certificate": certificate.id, "level": level,
                             "site": world["site"].id, "exam_date": date(2026, 6, 1), "status": ISSUED,
                             "certificate_number": f"N{(number * 37) % 211:04d}", "issued_at": datetime(2026, 7, 1)})
    waiting = [dict(row, status=(SUBMITTED, RETURNED)[i % 2], certificate_number=None, issued_at=None)
               for i, row in enumerate(rows[::3])]
    AwardRecord.bulk_add(rows[::2] + waiting + rows[1::2])
    return certificates


def order_of(user, **filters):
    """The ids of the roster in the whole order, as the .xlsx and the print view read it."""
    return [record.id for record in roster.issued(user, **filters)]


# A certificate given by its place in the fixture's list (9: an id no certificate has).
FILTERS = [{}, {"level": "中级"}, {"level": "初级"}, {"certificate": 1}, {"certificate": 2},
           {"certificate": 2, "level": "高级"}, {"certificate": 9},
           {"department": "信息工程学院"}, {"department": "机电学院", "level": "中级"},
           {"department": "信息工程学院", "certificate": 2, "level": "高级"},
           {"department": "信息工程学院", "class_name": "计应2301"}, {"class_name": "计应2301"},
           {"department": "没有这个院系"},
           {"sort": "class"}, {"sort": "class", "department": "信息工程学院"}, {"sort": "class", "certificate": 1},
           {"sort": "class", "class_name": "计应2301"}, {"sort": "class", "department": "机电学院", "level": "初级"}]


def listed_by_candidates(user, certificate=None, level="", department="", class_name="", sort=""):
    """The ids of the issued records the roster is to list, chosen in Python by their candidates' 院系 and 班级."""
    seen = {record.id for record in AwardRecord.visible_to(user)}
    return {record.id for record in AwardRecord.select().join(Candidate).switch(AwardRecord)
            if record.id in seen and record.status == ISSUED
            and certificate in (None, record.certificate_id) and level in ("", record.level)
            and department in ("", record.candidate.department) and class_name in ("", record.candidate.class_name)}


@pytest.mark.parametrize("role", [STAFF, REVIEWER])
def test_each_page_read_group_by_group_is_that_page_of_the_whole_order(issued, make_user, role):
    user = make_user(role)
    certificates = dict(AwardRecord.select(AwardRecord.id, AwardRecord.certificate).tuples())
    classes = {record_id: (department, class_name) for record_id, department, class_name in AwardRecord.select(
        AwardRecord.id, Candidate.department, Candidate.class_name).join(Candidate).tuples()}
    group_of = lambda record_id, filters: (classes if filters.get("sort") else certificates)[record_id]
    spans_groups = 0
    for filters in FILTERS:
        if "certificate" in filters:
            place = filters["certificate"]
            filters = dict(filters, certificate=issued[place].id if place < len(issued) else 999_999)
        whole, groups = order_of(user, **filters), roster.page_query(user, **filters)
        assert isinstance(groups, roster.Groups), filters
        assert sum(count for _, count in groups.counts) == len(whole) == roster.total(user, **filters), filters
        assert set(whole) == listed_by_candidates(user, **filters), filters
        for per_page in (1, 4, 7, 20, 50):
            for start in range(0, len(whole) + 2 * per_page, per_page):  # and two pages past the end
                page = [record.id for record in groups.rows(start, start + per_page)]
                assert page == whole[start:start + per_page], (filters, per_page, start)
                spans_groups += len({group_of(record_id, filters) for record_id in page}) > 1
    assert spans_groups


def test_a_reviewer_reads_only_its_organisations_certificates(issued, make_user):
    reviewer = make_user(REVIEWER)
    groups = roster.page_query(reviewer)
    assert {certificate_id for (certificate_id, _), _ in groups.counts} == {issued[0].id, issued[2].id}
    assert roster.page_query(reviewer, certificate=issued[1].id).counts == []


def test_the_groups_follow_the_databases_order_of_names_and_the_levels_order(issued, make_user):
    groups = roster.page_query(make_user(STAFF))
    by_name = [name for (name,) in Certificate.select(Certificate.name).order_by(Certificate.name).tuples()]
    names = {certificate.id: certificate.name for certificate in issued}
    listed = [(names[certificate_id], level) for (certificate_id, level), _ in groups.counts]
    assert listed == sorted(listed, key=lambda group: (by_name.index(group[0]), ("初级", "中级", "高级").index(group[1])))
    if not is_sqlite():
        assert by_name == ["汽车运用与维修", "物流管理", "智能财税", "Web前端开发"]  # not by code point


def roster_page(client, **args):
    """The (序号, 证书编号) of a 颁证名单 page on screen."""
    body = client.get("/awards/roster/", query_string=args, headers={"HX-Request": "true"}).get_data(as_text=True)
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(<td.*?)</tr>", body)]
    return [(int(cells[0]), cells[8]) for cells in rows if len(cells) > 8]


def exported_numbers(user, **filters):
    return [(seq, record.certificate_number) for seq, record in enumerate(roster.issued(user, **filters), start=1)]


@pytest.mark.parametrize("filters", [{}, {"level": "中级"}, {"certificate": 2}], ids=["all", "level", "certificate"])
def test_the_screens_pages_are_the_whole_orders_and_a_page_past_the_end_shows_the_last(client, login, issued, filters):
    user = login(STAFF)
    filters = {name: issued[value].id if name == "certificate" else value for name, value in filters.items()}
    whole = exported_numbers(user, **filters)
    shown = [row for page in range(1, -(-len(whole) // 20) + 1) for row in roster_page(client, page=page, per_page=20,
                                                                                       **filters)]
    assert shown == whole and whole
    assert roster_page(client, page=999, per_page=20, **filters) == whole[(len(whole) - 1) // 20 * 20:]


def test_a_level_outside_the_levels_reads_the_whole_order_as_before(client, login, issued, world):
    """level_rank sorts every other level together, number by number: the groups would not."""
    user = login(STAFF)
    unknown = [{"candidate": world["candidate"].id, "certificate": issued[1].id, "level": level, "site": world["site"].id,
                "exam_date": date(2026, 6, 1), "status": ISSUED, "certificate_number": number,
                "issued_at": datetime(2026, 7, 1)} for level, number in (("特级", "M0001"), ("专项", "M0002"),
                                                                          ("特级", "M0003"))]
    AwardRecord.bulk_add(unknown)
    assert roster.Groups.of(user) is None and roster.Groups.of(user, certificate=issued[1].id) is None
    assert isinstance(roster.page_query(user, level="中级"), roster.Groups)  # the others' levels are not read
    whole = exported_numbers(user)
    assert [number for _, number in whole if number.startswith("M")] == ["M0001", "M0002", "M0003"]
    shown = [row for page in range(1, -(-len(whole) // 20) + 1) for row in roster_page(client, page=page, per_page=20)]
    assert shown == whole


def test_a_date_filter_reads_the_whole_order(issued, make_user):
    user = make_user(STAFF)
    for filters in ({"date_from": "2026-01-01"}, {"date_to": "2026-12-31"},
                    {"date_from": "2026-01-01", "department": "信息工程学院", "sort": "class"}):
        assert roster.Groups.of(user, **filters) is None, filters


def test_the_classes_follow_the_databases_order_and_a_class_lists_its_names_in_pinyin_order(issued, make_user):
    groups = roster.page_query(make_user(STAFF), sort="class")
    keys = [key for key, _ in groups.counts]
    in_order = [key for key in AwardRecord.select(AwardRecord.department, AwardRecord.class_name)
                .where(AwardRecord.status == ISSUED).distinct()
                .order_by(AwardRecord.department, AwardRecord.class_name).tuples()]
    assert keys == in_order and ("", "") in keys and ("信息工程学院", "计应2301") in keys
    assert ("机电学院", "计应2301") in keys  # the same class name in another 院系 is another group


def test_a_candidate_moved_to_another_department_moves_its_certificates_on_screen_and_in_the_export(
        client, login, issued):
    user = login(STAFF)
    moved = Candidate.get(Candidate.name == "考生1")  # 信息工程学院 计应2301
    theirs = {record.certificate_number for record in AwardRecord.select().where(
        AwardRecord.candidate == moved, AwardRecord.status == ISSUED)}
    assert theirs
    shown = lambda **args: {number for _, number in roster_page(client, per_page=200, **args)}
    assert theirs <= shown(department="信息工程学院") and not theirs & shown(department="机电学院")
    moved.edit({"department": "机电学院", "class_name": "机电2301"}, user)
    for args in ({"department": "机电学院"}, {"department": "机电学院", "class_name": "机电2301"},
                 {"department": "机电学院", "sort": "class"}):
        assert theirs <= shown(**args), args
        assert theirs <= {number for _, number in exported_numbers(user, **args)}, args
    assert not theirs & shown(department="信息工程学院") and not theirs & shown(class_name="计应2301")
