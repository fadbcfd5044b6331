"""The 待颁证记录 counted per status, certificate, level and site by the database (models/award.py TALLY,
models/tally.py): right after every kind of write, rebuilt on start when they disagree with the table, and
the same as counting the list's filters, for staff and for a reviewer."""
import itertools
import re
from collections import Counter
from datetime import date

import pytest

import models
from models.award import ISSUED, RETURNED, STATUSES, SUBMITTED, TALLY, AwardRecord
from models.catalog import Certificate, Organisation
from models.db import db, where_all
from models.site import Site
from models.user import REVIEWER, STAFF
from tests.conftest import other_candidates


def kept():
    """{(status, certificate, level, site): n} as the tally has it."""
    rows = db.execute_sql(f"SELECT status, certificate_id, level, site_id, SUM(n) FROM {TALLY.table} "
                          "GROUP BY status, certificate_id, level, site_id").fetchall()
    return {tuple(row[:-1]): int(row[-1]) for row in rows if row[-1]}


def counted():
    return Counter((r.status, r.certificate_id, r.level, r.site_id) for r in AwardRecord.select())


def by_table(user, **filters):
    """{status: n} of the list's filters counted on the table (what the list counted before the tally)."""
    chosen = where_all(AwardRecord.select(), AwardRecord._conditions(user, **dict(filters, status="")))
    counts = Counter(status for (status,) in chosen.select(AwardRecord.status).tuples())
    return {status: counts.get(status, 0) for status in STATUSES}


@pytest.fixture
def college(world, make_user):
    """Two certificates of two organisations, two sites, and 24 records over both levels and all statuses."""
    other_org = Organisation.create(name="北京中物联物流采购培训中心")
    logistics = Certificate.create(name="物流管理", organisation=other_org, code="WL")
    second_site = Site.get_by_id(world["site"].id)
    second_site.id, second_site.name = None, "实训楼机房"
    second_site.save(force_insert=True)
    people = other_candidates(24)
    AwardRecord.create(candidate=people[0], certificate=world["cert"], level="中级", site=world["site"],
                       exam_date=date(2026, 6, 1))
    with db.atomic():
        AwardRecord.bulk_add({"candidate": person.id, "certificate": (world["cert"], logistics)[i % 2].id,
                              "level": ("初级", "中级")[i % 3 == 0], "site": (world["site"], second_site)[i % 4 == 0].id,
                              "exam_date": date(2026, 6, 1 + i % 20), "status": STATUSES[i % 3]}
                             for i, person in enumerate(people[1:], start=1))
    return {"cert": world["cert"], "logistics": logistics, "sites": (world["site"], second_site),
            "staff": make_user(STAFF), "reviewer": make_user(REVIEWER, username="reviewer-user")}


def test_counts_follow_every_kind_of_write(college):
    with db.connection_context():
        assert kept() == counted() and sum(kept().values()) == 24
        AwardRecord.update(status=ISSUED, certificate_number="WEB-1").where(AwardRecord.id == 1).execute()
        AwardRecord.update(status=RETURNED).where(AwardRecord.status == SUBMITTED).execute()
        AwardRecord.update(exam_date=date(2026, 7, 1)).execute()
        AwardRecord.update(level="高级").where(AwardRecord.id.in_([5, 10, 15, 20])).execute()
        AwardRecord.update(site=college["sites"][1].id).where(AwardRecord.id.in_([7, 14, 21])).execute()
        AwardRecord.update(certificate=college["logistics"].id).where(AwardRecord.id == 2).execute()
        record = AwardRecord.get_by_id(3)
        record.status = SUBMITTED
        record.save()
        AwardRecord.delete().where(AwardRecord.id > 20).execute()
        assert kept() == counted() and sum(kept().values()) == 20
        assert AwardRecord.counts_seen_by(college["staff"]) == by_table(college["staff"])


def test_the_list_counts_are_those_of_its_filters_for_staff_and_a_reviewer(college):
    cert, logistics = str(college["cert"].id), str(college["logistics"].id)
    sites = [str(site.id) for site in college["sites"]]
    with db.connection_context():
        for user in (college["staff"], college["reviewer"]):
            for certificate, level, site, status in itertools.product(["", cert, logistics, "abc"], ["", "初级", "中级"],
                                                                      ["", *sites], ["", RETURNED]):
                filters = dict(certificate=certificate, level=level, site=site, status=status)
                assert AwardRecord.filtered_counts(user, **filters) == by_table(user, **filters), (user.role, filters)
        # A reviewer sees its organisation's certificate only, whatever the URL asks for.
        assert sum(AwardRecord.filtered_counts(college["reviewer"], certificate=logistics).values()) == 0
        assert sum(AwardRecord.filtered_counts(college["reviewer"]).values()) == 12
        # A search or a date counts on the table (the tally knows neither).
        for user, filters in itertools.product((college["staff"], college["reviewer"]), (
                {"q": "李四"}, {"date_from": "2026-06-10"}, {"issued_to": "2026-12-31"},
                {"date_from": "2026-06-10", "certificate": cert, "status": RETURNED})):
            assert AwardRecord.filtered_counts(user, **filters) == by_table(user, **filters), (user.role, filters)
        assert AwardRecord.filtered_counts(college["staff"], date_from="2026-13-45") == by_table(college["staff"])


def test_the_issued_records_are_counted_per_certificate_and_level_a_user_may_see(college):
    """颁证名单 reads its pages group by group by these counts (models/roster.py Groups)."""
    issued = AwardRecord.select().where(AwardRecord.status == ISSUED)
    for user in (college["staff"], college["reviewer"]):
        seen = issued.where(AwardRecord.certificate.in_([college["cert"].id] if user.role == REVIEWER else
                                                        [college["cert"].id, college["logistics"].id]))
        for certificate, level in itertools.product(["", str(college["logistics"].id)], ["", "中级"]):
            chosen = seen.where(AwardRecord.certificate == certificate) if certificate else seen
            chosen = chosen.where(AwardRecord.level == level) if level else chosen
            assert (AwardRecord.issued_counts_seen_by(user, certificate=certificate, level=level)
                    == Counter((r.certificate_id, r.level) for r in chosen)), (user.role, certificate, level)
    assert TALLY.counts() == Counter(r.status for r in AwardRecord.select())  # by the first key column, as before
    with pytest.raises(ValueError):
        TALLY.counts(by=("candidate_id",))


@pytest.mark.parametrize("damage", ["wrong", "dropped"])
def test_a_start_rebuilds_record_counts_that_disagree_with_the_table(college, damage):
    with db.connection_context():
        if damage == "wrong":
            db.execute_sql(f"UPDATE {TALLY.table} SET n = n + 3")
            assert kept() != counted()
        else:
            TALLY.drop()
        models.init_schema()
        AwardRecord.update(status=ISSUED).where(AwardRecord.id == 4).execute()  # the triggers count again
        assert kept() == counted()


def test_the_navigation_shows_the_records_that_wait(client, login, college):
    with db.connection_context():
        returned = AwardRecord.select().where(AwardRecord.status == RETURNED).count()
        waiting = (AwardRecord.select().where((AwardRecord.status == SUBMITTED)
                                              & (AwardRecord.certificate == college["cert"].id)).count())
        AwardRecord.update(status=RETURNED).where(AwardRecord.id == 1).execute()
    login(STAFF, username="staff-2")
    assert badge(client) == f"{returned + 1} 已退回"
    login(REVIEWER, username="reviewer-2")
    assert badge(client) == f"{waiting - 1} 待审核"


def badge(client):
    return re.search(r'id="nav-badge-awards">([^<]*)</span>', client.get("/").get_data(as_text=True)).group(1)
