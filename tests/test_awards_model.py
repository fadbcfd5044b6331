"""颁证 and 退回: certificate numbers are unique even when two reviewers issue at the same moment."""
import threading
from datetime import date

import pytest

from models.audit import AuditEvent
from models.award import ISSUED, RETURNED, SUBMITTED, AwardError, AwardRecord
from models.candidate import Candidate
from models.db import db
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
