"""The eight preconditions of a 待颁证记录, each with its own message (颁证前检查 reads them too: test_readiness.py)."""
from datetime import date

from models.award import ISSUED, RETURNED, SUBMITTED, AwardRecord
from models.award_checks import Row, check_row, load_context
from models.candidate import VERIFIED, Candidate
from models.quota import Quota
from models.site import APPROVED, ENABLED, INACTIVE, PENDING as SITE_PENDING, Site
from tests.conftest import other_candidates
from tests.test_identity import make_id

TODAY = date(2026, 11, 29)


def row_for(world, **overrides):
    c = world["candidate"]
    values = dict(name=c.name, id_type=c.id_type, id_number=c.id_number, certificate=world["cert"],
                  certificate_name="Web前端开发", level="中级", site=world["site"], site_name="信息楼机房",
                  exam_date=date(2026, 6, 15), theory_score=80.0, practical_score=75.0, result="通过", row_number=2)
    values.update(overrides)
    return Row(**values)


def problems(world, **overrides):
    row = row_for(world, **overrides)
    ctx = load_context([row], TODAY)
    return [(p.column, p.message) for p in check_row(row, ctx)]


def test_a_row_meeting_every_precondition_passes(world):
    assert problems(world) == []


def test_unknown_candidate(world):
    assert problems(world, id_number=make_id(seq="77")) == [
        ("证件号码", f"系统中没有居民身份证「{make_id(seq='77')}」的考生")]


def test_name_differs(world):
    assert problems(world, name="张四") == [("姓名", "姓名「张四」与考生信息中的「张三」不一致")]


def test_candidate_not_accurate_names_status_and_step(world):
    Candidate.update(status=VERIFIED).execute()
    assert problems(world) == [("证件号码", "考生状态为「认证通过」，还需完成人工确认")]


def test_not_a_pilot_certificate_level(world):
    assert ("证书等级", "「Web前端开发 高级」不是本院校的试点证书") in problems(world, level="高级")


def test_unknown_certificate(world):
    assert problems(world, certificate=None, certificate_name="花艺") == [("证书名称", "证书「花艺」不在证书目录中")]


def test_site_missing_wrong_or_not_enabled(world):
    assert problems(world, site=None, site_name="操场") == [("考核站点", "考核站点「操场」不存在")]
    Site.update(review_status=SITE_PENDING, site_status=INACTIVE).execute()
    assert problems(world, site=Site.get_by_id(world["site"].id)) == [("考核站点", "考核站点「信息楼机房」审核状态为待审核、站点状态为未启用")]


def test_a_site_name_typed_with_a_slip_is_refused_with_the_usable_site_it_resembles(world):
    long_name = "信息工程学院Web前端开发考核站点"
    Site.create(name=long_name, certificate=world["cert"], levels="中级", region="河南省郑州市", address="文化路1号",
                contact="王老师", phone="13800000000", seats=60, review_status=APPROVED, site_status=ENABLED)
    assert problems(world, site=None, site_name="信息工程学院Web前端开发考核站") == [
        ("考核站点", f"考核站点「信息工程学院Web前端开发考核站」不存在，是否为「{long_name}」？")]
    # Only a usable site of that certificate level is suggested, and only one that is really alike.
    Site.update(site_status=INACTIVE).where(Site.name == long_name).execute()
    assert problems(world, site=None, site_name="信息工程学院Web前端开发考核站") == [
        ("考核站点", "考核站点「信息工程学院Web前端开发考核站」不存在")]
    assert problems(world, site=None, site_name="实训楼机房") == [("考核站点", "考核站点「实训楼机房」不存在")]


def test_result_and_scores(world):
    assert problems(world, result="未通过") == [("考核结果", "考核结果为「未通过」")]
    assert problems(world, theory_score=59.5) == [("理论成绩", "理论成绩 59.5 低于合格分数 60")]


def test_exam_date_missing_unparseable_or_future_but_past_is_fine(world):
    assert problems(world, exam_date=None) == [("考核日期", "考核日期为空")]
    assert problems(world, exam_date="下周") == [("考核日期", "考核日期「下周」无法识别")]
    assert problems(world, exam_date=date(2026, 12, 1)) == [("考核日期", "考核日期 2026-12-01 在未来")]
    Quota.create(certificate=world["cert"], level="中级", year=2019, document_no="豫教职成〔2019〕3号", amount=5)
    assert problems(world, exam_date=date(2019, 5, 1)) == []


def test_duplicate_against_database_and_inside_the_file(world):
    AwardRecord.create(candidate=world["candidate"], certificate=world["cert"], level="中级", site=world["site"],
                       exam_date=date(2026, 5, 1), status=SUBMITTED)
    assert problems(world) == [("证书等级", "该考生已有 Web前端开发 中级 的待审核或已颁证记录")]
    AwardRecord.update(status=RETURNED).execute()
    assert problems(world) == []
    first, second = row_for(world), row_for(world, row_number=3)
    ctx = load_context([first, second], TODAY)
    assert check_row(first, ctx) == []
    assert [p.message for p in check_row(second, ctx)] == ["与第 2 行重复：同一考生的 Web前端开发 中级"]


def test_quota_exactly_at_one_over_and_crossing_inside_a_file(world):
    c1, c2, c3 = other_candidates(3)
    for c in (c1, c2):
        AwardRecord.create(candidate=c, certificate=world["cert"], level="中级", site=world["site"],
                           exam_date=date(2026, 5, 1), status=ISSUED)
    assert problems(world) == []  # 2 used + 1 = 3: exactly at the quota
    mine = row_for(world)
    theirs = row_for(world, name="李四", id_number=c3.id_number, row_number=3)
    ctx = load_context([mine, theirs], TODAY)
    assert check_row(mine, ctx) == []
    assert [p.message for p in check_row(theirs, ctx)] == ["超出 2026 年 Web前端开发 中级 省厅指标（已用 3 / 指标 3）"]


def test_missing_quota_for_the_year(world):
    assert problems(world, exam_date=date(2025, 3, 1)) == [
        ("证书等级", "2025 年 Web前端开发 中级 尚无省厅指标")]
