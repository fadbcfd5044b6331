"""Demo 待颁证记录 in every state (待审核, 已颁证, 已退回), reached through the real transitions."""
import random
from datetime import date, timedelta

from ..award import AwardRecord
from ..award_checks import Row, check_row, load_context
from ..candidate import ACCURATE, Candidate
from ..pilot import PilotCertificate
from ..site import Site
from ..user import REVIEWER, User

RECORDS = 40  # about: a quarter issued, a few returned, the rest waiting for review


def seed_awards():
    """Records for 信息准确 candidates at the usable sites, each one passing every import check (once)."""
    if AwardRecord.select().exists():
        return
    rng = random.Random(7)
    usable = [s for s in Site.usable() if s.level_list]
    candidates = list(Candidate.select().where(Candidate.status == ACCURATE).order_by(Candidate.id).limit(RECORDS))
    today = date.today()
    rows = []
    for i, candidate in enumerate(candidates):
        site = usable[i % len(usable)] if usable else None
        if site is None:
            return
        level = rng.choice(site.level_list)
        if not PilotCertificate.is_pilot(site.certificate, level):
            continue
        rows.append(Row(name=candidate.name, id_type=candidate.id_type, id_number=candidate.id_number,
                        certificate=site.certificate, certificate_name=site.certificate.name, level=level,
                        site=site, site_name=site.name, exam_date=today - timedelta(days=rng.randint(10, 200)),
                        theory_score=float(rng.randint(62, 98)), practical_score=float(rng.randint(60, 96)),
                        result="通过", row_number=i + 2))
    ctx = load_context(rows, today)
    records = [AwardRecord.create(candidate=row.candidate, certificate=row.certificate, level=row.level,
                                  site=row.site, exam_date=row.exam_date, theory_score=row.theory_score,
                                  practical_score=row.practical_score)
               for row in rows if not check_row(row, ctx)]
    for index, record in enumerate(records):
        reviewer = (User.select()
                    .where((User.role == REVIEWER) & (User.organisation == record.certificate.organisation))
                    .first())
        if reviewer is None:
            continue
        if index % 4 == 0:
            AwardRecord.issue_many([record], reviewer)
        elif index % 9 == 1:
            record.return_to_college("考核日期与站点考核安排不一致，请核对后重新提交。", reviewer)
