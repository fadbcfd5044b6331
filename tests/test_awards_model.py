"""颁证 and 退回: certificate numbers are unique even when two reviewers issue at the same moment."""
import threading
from datetime import date

import pytest

from models.audit import AuditEvent
from models.award import ISSUED, RETURNED, SUBMITTED, AwardError, AwardRecord
from models.candidate import Candidate
from models.db import db, is_sqlite
from models.user import REVIEWER
from tests.conftest import other_candidates


@pytest.fixture
def records(world, make_user):
    reviewer = make_user(REVIEWER)
    made = [AwardRecord.create(candidate=c, certificate=world["cert"], level="中级", site=world["site"],
                               exam_date=date(2026, 6, 1)) for c in other_candidates(6)]
    return reviewer, made


def test_issue_gives_numbers_from_the_pattern_and_audits(records):
    reviewer, made = records
    AwardRecord.issue_many(made[:2], reviewer)
    numbers = [AwardRecord.get_by_id(r.id).certificate_number for r in made[:2]]
    year = date.today().year
    assert numbers == [f"WEB2{year}000001", f"WEB2{year}000002"]
    assert AwardRecord.get_by_id(made[0].id).status == ISSUED
    assert AuditEvent.select().where(AuditEvent.action == "award.issue").count() == 2


def test_issue_refuses_records_not_pending(records):
    reviewer, made = records
    AwardRecord.issue_many(made[:1], reviewer)
    with pytest.raises(AwardError, match="只有待审核的记录可以颁证"):
        AwardRecord.issue_many([AwardRecord.get_by_id(made[0].id)], reviewer)


def test_return_needs_a_reason(records):
    reviewer, made = records
    with pytest.raises(AwardError, match="请填写退回原因"):
        made[0].return_to_college(" ", reviewer)
    made[0].return_to_college("考核日期有误", reviewer)
    assert AwardRecord.get_by_id(made[0].id).status == RETURNED


def test_candidate_with_a_record_cannot_be_deleted(records):
    from models.candidate import TransitionError
    _, made = records
    with pytest.raises(TransitionError, match="不能删除"):
        Candidate.get_by_id(made[0].candidate_id).remove(None)


def test_two_reviewers_issuing_at_once_never_share_a_number(records):
    reviewer, made = records
    db.close()  # each thread opens its own connection
    barrier = threading.Barrier(2)
    errors = []

    def issue(batch):
        try:
            with db.connection_context():
                fresh = [AwardRecord.get_by_id(r.id) for r in batch]
                barrier.wait()
                AwardRecord.issue_many(fresh, reviewer)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=issue, args=(made[i::2],)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    numbers = [r.certificate_number for r in AwardRecord.select()]
    assert len(numbers) == 6 and len(set(numbers)) == 6 and all(numbers)
    assert AwardRecord.select().where(AwardRecord.status == SUBMITTED).count() == 0


def test_the_issue_preview_names_the_numbers_issuing_then_gives_without_reserving_any(records):
    reviewer, made = records
    AwardRecord.issue_many(made[:1], reviewer)
    year = date.today().year
    elementary = AwardRecord.create(candidate=made[5].candidate, certificate=made[5].certificate, level="初级",
                                    site=made[5].site, exam_date=date(2026, 6, 1))
    chosen = [AwardRecord.get_by_id(r.id) for r in made[1:4]] + [elementary]
    groups = AwardRecord.issue_preview(chosen)
    assert [(g.level, len(g.records), g.span) for g in groups] == [
        ("中级", 3, f"WEB2{year}000002–004"), ("初级", 1, f"WEB1{year}000001")]
    assert AwardRecord.issue_preview(chosen)[0].numbers == groups[0].numbers  # nothing was reserved
    AwardRecord.issue_many(chosen, reviewer)
    issued = [AwardRecord.get_by_id(r.id).certificate_number for r in chosen]
    assert issued == groups[0].numbers + groups[1].numbers


def test_the_issue_preview_refuses_what_issuing_would_refuse(records):
    reviewer, made = records
    AwardRecord.issue_many(made[:1], reviewer)
    with pytest.raises(AwardError, match="只有待审核的记录可以颁证（1 条"):
        AwardRecord.issue_preview([AwardRecord.get_by_id(made[0].id), made[1]])


@pytest.mark.parametrize("numbers, shown", [
    (["WEB22026000014"], "WEB22026000014"),
    (["WEB22026000014", "WEB22026000025"], "WEB22026000014–025"),
    (["WEB22026000099", "WEB22026000100"], "WEB22026000099–100"),
    (["WEB22026001999", "WEB22026002000"], "WEB22026001999–2000"),
    (["HN0014-2026", "HN0025-2026"], "HN0014-2026–25-2026"),
])
def test_a_run_of_numbers_is_shown_as_one_range(numbers, shown):
    from models.numbering import span
    assert span(numbers) == shown


def test_return_many_returns_every_record_with_one_reason_and_audits_each(records):
    reviewer, made = records
    AwardRecord.return_many(made[:3], "考核站点安排与记录不符", reviewer)
    assert {AwardRecord.get_by_id(r.id).return_reason for r in made[:3]} == {"考核站点安排与记录不符"}
    assert AuditEvent.select().where(AuditEvent.action == "award.return").count() == 3


def test_return_many_changes_nothing_when_one_record_is_not_waiting(records):
    reviewer, made = records
    AwardRecord.issue_many(made[2:3], reviewer)
    with pytest.raises(AwardError, match="只有待审核的记录可以退回"):
        AwardRecord.return_many([made[0], made[1], AwardRecord.get_by_id(made[2].id)], "成绩有误", reviewer)
    assert AwardRecord.select().where(AwardRecord.status == RETURNED).count() == 0


def test_a_page_found_by_walking_the_newest_first_index_is_the_page_found_through_the_filters(world, make_user):
    from datetime import datetime, timedelta

    from models.catalog import Certificate
    other = Certificate.create(name="物联网安装调试与运维", organisation=world["cert"].organisation)
    start = datetime(2026, 6, 1, 8)
    for i, candidate in enumerate(other_candidates(24)):
        # Interleaved certificates and levels, some records created in the same second.
        AwardRecord.create(candidate=candidate, certificate=world["cert"] if i % 3 else other,
                           level="中级" if i % 2 else "初级", site=world["site"], exam_date=date(2026, 6, 1),
                           created_at=start + timedelta(seconds=i // 2))
    staff = make_user("staff")
    for filters in ({"certificate": str(world["cert"].id), "level": "中级"}, {"certificate": str(other.id)},
                    {"level": "初级", "status": SUBMITTED}, {}):
        walked = [r.id for r in AwardRecord.filtered(staff, walk=True, **filters)]
        found = [r.id for r in AwardRecord.filtered(staff, **filters)]
        assert walked == found and found
        for page in (1, 2, 3):
            assert ([r.id for r in AwardRecord.filtered(staff, walk=True, **filters).paginate(page, 4)]
                    == found[(page - 1) * 4:page * 4])
    assert AwardRecord.walks(staff, "", 5000, 50) is is_sqlite()
    assert not AwardRecord.walks(staff, "", 10, 50) and not AwardRecord.walks(staff, "李", 5000, 50)
