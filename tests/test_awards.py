"""待颁证记录 routes: reviewer scoping, 颁证, 退回, resubmission and 颁证前检查."""
import re
from datetime import date

import pytest

from models.audit import AuditEvent
from models.award import ISSUED, RETURNED, SUBMITTED, AwardRecord
from models.catalog import Certificate, Organisation
from models.db import db
from models.numbering import NumberSequence
from models.quota import Quota
from models.site import Site
from models.user import REVIEWER, STAFF
from tests.conftest import other_candidates


@pytest.fixture
def record(world):
    candidate = other_candidates(1)[0]
    return AwardRecord.create(candidate=candidate, certificate=world["cert"], level="中级", site=world["site"],
                              exam_date=date(2026, 6, 1), theory_score=80, practical_score=70)


def test_staff_sees_records_with_masked_ids(client, login, record):
    login(STAFF)
    page = client.get("/awards/").get_data(as_text=True)
    assert "李四" in page and record.candidate.id_number not in page and "********" in page
    assert "颁证</button>" not in page  # only reviewers issue


def test_reviewer_of_another_organisation_sees_nothing_and_gets_404(client, login, record):
    other = Organisation.create(name="北京中物联物流采购培训中心")
    Certificate.create(name="物流管理", organisation=other, code="WL")
    login(REVIEWER, organisation=other)
    page = client.get("/awards/").get_data(as_text=True)
    assert "李四" not in page
    # Its 证书 filter offers its organisation's certificates, not the others'.
    assert ">物流管理</option>" in page and ">Web前端开发</option>" not in page
    assert client.get(f"/awards/{record.id}").status_code == 404
    assert client.post("/awards/issue", data={"ids": [record.id]}).status_code == 409
    assert AwardRecord.get_by_id(record.id).status == SUBMITTED


def test_reviewer_issues_and_the_record_shows_its_number(client, login, record):
    login(REVIEWER)
    response = client.post("/awards/issue", data={"ids": [record.id]}, headers={"HX-Request": "true"})
    assert response.status_code == 204 and "awardsChanged" in response.headers["HX-Trigger"]
    issued = AwardRecord.get_by_id(record.id)
    assert issued.status == ISSUED and issued.certificate_number.startswith("WEB2")
    assert issued.certificate_number in client.get(f"/awards/{record.id}").get_data(as_text=True)


def test_return_requires_a_reason_then_staff_resubmit(client, login, record, make_user):
    login(REVIEWER)
    empty = client.post("/awards/return", data={"ids": record.id, "reason": ""}, headers={"HX-Request": "true"})
    assert empty.status_code == 422 and "请填写退回原因" in empty.get_data(as_text=True)
    assert client.post("/awards/return", data={"ids": record.id, "reason": "成绩有误"}).status_code == 204
    assert AwardRecord.get_by_id(record.id).status == RETURNED
    staff = make_user(STAFF, username="staff2")
    with client.session_transaction() as session:
        session["_user_id"] = staff.get_id()
    bad = client.post(f"/awards/{record.id}/resubmit", data={"site": record.site_id, "exam_date": "2099-01-01",
                                                             "theory_score": "85", "practical_score": "70"})
    assert bad.status_code == 422 and "在未来" in bad.get_data(as_text=True)
    ok = client.post(f"/awards/{record.id}/resubmit", data={"site": record.site_id, "exam_date": "2026-06-02",
                                                            "theory_score": "85", "practical_score": "70"})
    assert ok.status_code == 204
    again = AwardRecord.get_by_id(record.id)
    assert again.status == SUBMITTED and again.theory_score == 85
    # The record's 操作记录 shows the scores as typed, not as the floats stored.
    event = AuditEvent.get(AuditEvent.action == "award.resubmit")
    assert ("理论成绩", f"{record.theory_score:g}", "85") in event.change_list
    assert not any(".0" in after for _, _, after in event.change_list)


def test_staff_cannot_issue_and_reviewer_cannot_resubmit(client, login, record):
    login(STAFF)
    assert client.post("/awards/issue", data={"ids": [record.id]}).status_code == 403


def test_readiness_for_ticked_candidates(client, login, world):
    login(STAFF)
    cert = Certificate.get(Certificate.name == "Web前端开发")
    page = client.get(f"/awards/readiness?candidate_id={world['candidate'].id}&pair={cert.id}|中级").get_data(as_text=True)
    assert "可导入" in page and "试点证书" in page and "✓" in page


def test_list_summary_counts_ready_candidates_for_the_chosen_level(client, login, world):
    login(STAFF)
    other_candidates(1)
    cert = Certificate.get(Certificate.name == "Web前端开发")
    page = client.get(f"/awards/?certificate={cert.id}&level=中级").get_data(as_text=True)
    assert "名考生可导入" in page


def test_list_summary_says_how_many_ready_candidates_exceed_the_quota_as_readiness_does(client, login, world):
    login(STAFF)
    other_candidates(4)  # five ready candidates, and this year's quota has 3 places
    Quota.update(year=date.today().year).execute()
    cert = world["cert"]
    said = "剩余指标只有 3 名，少于 5 名可导入的考生：导入时超出指标的 2 行将被拒绝。"
    banner = client.get(f"/awards/?certificate={cert.id}&level=中级", headers={"HX-Request": "true"}).text
    assert "<strong>5</strong> 名考生可导入" in banner and said in banner
    assert 'class="alert alert-warn readiness-summary"' in banner
    sentence = re.sub(r"<[^>]+>", "", re.search(r'readiness-summary">(.*?)<a |readiness-summary">(.*?)</div>', banner,
                                                 re.S).group(0))
    assert "本年度省厅指标 3 名，已用 0 名，还可导入 3 名。剩余指标只有" in sentence
    assert " 。" not in sentence and "未就绪 " not in sentence  # no stray space
    assert said in client.get(f"/awards/readiness?pair={cert.id}|中级").text
    # A level the college does not pilot: the banner says why it counts nobody.
    page = client.get(f"/awards/?certificate={cert.id}&level=高级", headers={"HX-Request": "true"}).text
    assert "不是本院校的试点证书" in page and "选择证书和等级后" not in page and "名考生可导入" not in page
    assert "选择证书和等级后" in client.get("/awards/").text
    # With room for all of them, neither says it.
    Quota.update(amount=5).execute()
    assert "剩余指标只有" not in client.get(f"/awards/?certificate={cert.id}&level=中级").text
    assert "剩余指标只有" not in client.get(f"/awards/readiness?pair={cert.id}|中级").text


def test_quota_page_counts_pending_and_issued_records(client, login, record):
    from models.quota import Quota
    quota = Quota.get()
    assert quota.used() == 1 and quota.remaining() == 2
    AwardRecord.update(status=RETURNED).execute()
    assert quota.used() == 0


def test_a_certificate_levels_quota_use_counts_its_own_records_of_the_exam_year(world):
    """Counted for one certificate level (颁证前检查, a quota's page) as for all: pending and issued, by the year
    of the exam date, the year's last day in it and the next year's first out."""
    candidates = [world["candidate"], *other_candidates(5)]
    for candidate, level, day, status in zip(candidates, ["中级", "中级", "初级", "中级", "中级", "中级"],
                                             ["2026-12-31", "2026-01-01", "2026-06-01", "2027-01-01", "2025-12-31",
                                              "2026-07-01"], [SUBMITTED, SUBMITTED, SUBMITTED, SUBMITTED, SUBMITTED,
                                                              RETURNED]):
        AwardRecord.create(candidate=candidate, certificate=world["cert"], level=level, site=world["site"],
                           exam_date=day, status=status)
    cert = world["cert"].id
    for year, used in ((2025, 1), (2026, 2), (2027, 1)):
        assert AwardRecord.used_by_quota([year], cert, "中级") == {(cert, "中级", year): used}
        assert AwardRecord.used_by_quota([year]).get((cert, "中级", year)) == used
    assert AwardRecord.used_by_quota([2026], cert, "初级") == {(cert, "初级", 2026): 1}


def test_export_is_the_import_layout_with_full_ids_and_audited(client, login, record):
    import io

    from openpyxl import load_workbook

    from models.audit import AuditEvent
    login(STAFF)
    response = client.get("/awards/export?status=待审核")
    sheet = load_workbook(io.BytesIO(response.data))["待颁证记录"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("姓名*", "证件类型*", "证件号码*")
    assert rows[1][2] == record.candidate.id_number and rows[1][3] == "Web前端开发"
    assert AuditEvent.select().where(AuditEvent.action == "award.export").count() == 1


def test_reviewer_cannot_export(client, login, record):
    login(REVIEWER)
    assert client.get("/awards/export").status_code == 403


def test_readiness_for_candidates_ticked_in_the_list(client, login, world):
    login(STAFF)
    page = client.get(f"/awards/readiness?ids={world['candidate'].id}&pair={world['cert'].id}|中级").get_data(as_text=True)
    assert "张三" in page and "可导入" in page


def _other_site(world):
    other = Certificate.create(name="物流管理", organisation=world["cert"].organisation, code="WL")
    return Site.create(name="物流实训中心", certificate=other, levels="中级", region="河南省郑州市", address="文化路2号",
                       contact="李老师", phone="13800000001", seats=40)


def test_the_site_filter_lists_only_sites_of_the_chosen_certificate(client, login, world):
    login(STAFF)
    logistics = _other_site(world)
    page = client.get("/awards/").get_data(as_text=True)
    assert "信息楼机房" in page and "物流实训中心" in page and "hx-swap-oob" not in page
    narrowed = client.get(f"/awards/?certificate={world['cert'].id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    site_select = narrowed[narrowed.index('<select name="site" id="award-site" hx-swap-oob="true">'):]
    site_select = site_select[:site_select.index("</select>")]
    assert "信息楼机房" in site_select and "物流实训中心" not in site_select
    # A site of another certificate, still in the URL from before, no longer filters (nor empties) the list.
    stale = client.get(f"/awards/?certificate={world['cert'].id}&site={logistics.id}", headers={"HX-Request": "true"})
    assert 'option value="%d" selected' % logistics.id not in stale.get_data(as_text=True)


def test_odd_digit_characters_in_filters_are_ignored_not_a_crash(client, login, world):
    login(STAFF)
    assert client.get("/awards/", query_string={"certificate": "²", "site": "²"}).status_code == 200



def test_a_reviewer_finds_a_record_by_the_whole_id_number_only(client, login, record):
    organisation = Organisation.get(Organisation.name == "工业和信息化部教育与考试中心")
    login(REVIEWER, organisation=organisation)
    number = record.candidate.id_number
    found = lambda q: record.candidate.name in client.get("/awards/", query_string={"q": q}).get_data(as_text=True)
    assert found(number)
    assert not found(number[:10])
    assert not found(number[-8:])


def test_staff_may_search_by_part_of_the_id_number(client, login, record):
    login(STAFF)
    body = client.get("/awards/", query_string={"q": record.candidate.id_number[:10]}).get_data(as_text=True)
    assert record.candidate.name in body


def test_a_search_is_found_once_for_the_counts_and_the_page(client, login, record, monkeypatch):
    login(STAFF)
    searched, find = [], AwardRecord._find.__func__
    monkeypatch.setattr(AwardRecord, "_find", classmethod(lambda cls, user, q: searched.append(q) or find(cls, user, q)))
    body = client.get("/awards/", query_string={"q": record.candidate.name}).get_data(as_text=True)
    assert record.candidate.id_number[-4:] in body and "共 1 条" in body
    assert searched == [record.candidate.name]


def search_statements(client, monkeypatch, q):
    """(body, statements on the record table) of 待颁证记录's partial for a search."""
    executed, real = [], db.obj.execute_sql
    monkeypatch.setattr(db.obj, "execute_sql", lambda sql, *a, **kw: executed.append(sql) or real(sql, *a, **kw))
    body = client.get("/awards/", query_string={"q": q}, headers={"HX-Request": "true"}).get_data(as_text=True)
    return body, [sql for sql in executed if '"award_record"' in sql]


def test_a_search_reads_the_records_three_times_the_search_one_grouped_count_and_the_page(client, login, record,
                                                                                          monkeypatch):
    login(STAFF)
    body, executed = search_statements(client, monkeypatch, record.candidate.name)
    assert "待审核 1<" in body and "已颁证 0<" in body
    searched, counted, page = executed
    assert counted.count("COUNT(") == 1 and "GROUP BY" in counted
    # The ids found are written into the statements: a peewee node each cost ~15 µs.
    assert f"IN ({record.id})" in counted and f"IN ({record.id})" in page
    # So few found are sorted, not looked for along the created_at index (an expression no index has).
    assert re.search(r'ORDER BY \("t1"\."created_at" (\|\||\+) ', page), page


def test_a_search_that_found_more_than_a_few_walks_the_created_at_index(client, login, record, monkeypatch):
    login(STAFF)
    monkeypatch.setattr("models.award.SORTED_SEARCH", 0)
    page = search_statements(client, monkeypatch, record.candidate.name)[1][-1]
    assert 'ORDER BY "t1"."created_at" DESC' in page, page


def _zhang_record(world, level="中级"):
    """A second pending record, 张三's, beside the fixture's (李四's)."""
    return AwardRecord.create(candidate=world["candidate"], certificate=world["cert"], level=level,
                              site=world["site"], exam_date=date(2026, 6, 1))


def test_issue_confirmation_names_count_certificate_and_numbers_without_using_them(client, login, record, world):
    second = _zhang_record(world)
    login(REVIEWER)
    response = client.get("/awards/issue", query_string={"ids": [record.id, second.id]},
                          headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    year = date.today().year
    assert response.status_code == 200 and "<html" not in body
    assert f"为 <strong>2</strong> 条 Web前端开发 中级 记录颁证，证书编号 <strong class=\"nowrap\">WEB2{year}000001–002</strong>" in body
    assert "张三" in body and "李四" in body and 'hx-post="/awards/issue"' in body
    assert NumberSequence.select().count() == 0 and AwardRecord.get_by_id(record.id).status == SUBMITTED
    assert client.post("/awards/issue", data={"ids": [record.id, second.id]}).status_code == 204
    assert AwardRecord.get_by_id(second.id).certificate_number == f"WEB2{year}000002"


def test_issue_confirmation_refuses_records_not_waiting_and_an_empty_choice(client, login, record):
    login(REVIEWER)
    assert client.get("/awards/issue").status_code == 409
    record.return_to_college("成绩有误", None)
    refusal = client.get("/awards/issue", query_string={"ids": record.id})
    assert refusal.status_code == 409 and "只有待审核的记录可以颁证" in refusal.get_data(as_text=True)
    assert client.get("/awards/return", query_string={"ids": record.id}).status_code == 409


def test_staff_do_not_get_the_issue_or_return_dialogs(client, login, record):
    login(STAFF)
    assert client.get("/awards/issue", query_string={"ids": record.id}).status_code == 403
    assert client.get("/awards/return", query_string={"ids": record.id}).status_code == 403


def test_return_of_ticked_records_with_one_reason(client, login, record, world):
    second = _zhang_record(world)
    login(REVIEWER)
    dialog = client.get("/awards/return", query_string={"ids": [record.id, second.id]},
                        headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "退回 <strong>2</strong> 条记录" in dialog and "张三" in dialog and "李四" in dialog
    response = client.post("/awards/return", data={"ids": [record.id, second.id], "reason": "考核日期有误"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 204 and "closeDialog" in response.headers["HX-Trigger"]
    assert [r.status for r in AwardRecord.select()] == [RETURNED, RETURNED]
    assert AuditEvent.select().where(AuditEvent.action == "award.return").count() == 2


def test_reviewer_rows_carry_their_own_issue_and_return_buttons(client, login, record):
    login(REVIEWER)
    page = client.get("/awards/").get_data(as_text=True)
    assert f'hx-get="/awards/issue?ids={record.id}"' in page and f'hx-get="/awards/return?ids={record.id}"' in page
    assert "hx-confirm" not in page  # CertDesk's own dialog, never the browser's confirm()


def test_the_record_page_shows_the_reviewer_every_field_to_judge_and_the_photo(client, login, record, app):
    from models.photo import demo_jpeg, store_photo
    candidate = record.candidate
    candidate.photo = store_photo(app.config["DATA_DIR"], demo_jpeg())
    candidate.department, candidate.class_name = "信息工程学院", "计应2301"
    candidate.save()
    login(REVIEWER)
    page = client.get(f"/awards/{record.id}").get_data(as_text=True)
    for text in ("居民身份证", "性别</dt><dd>男", "信息工程学院 / 计应2301", "信息楼机房", "审核通过", "已启用",
                 "理论成绩</dt><dd>80", "考生状态"):
        assert text in page, text
    assert candidate.id_number not in page and candidate.id_number[-4:] in page
    assert f'src="/awards/{record.id}/photo?v=' in page
    photo = client.get(f"/awards/{record.id}/photo")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    assert client.get(f"/photos/{candidate.id}").status_code == 403  # not the whole photo library


def test_a_reviewer_of_another_organisation_gets_no_photo(client, login, record):
    login(REVIEWER, organisation=Organisation.create(name="北京中物联物流采购培训中心"))
    assert client.get(f"/awards/{record.id}/photo").status_code == 404


def test_issue_confirmation_lists_each_certificate_level_of_the_ticked_records(client, login, record, world):
    elementary = _zhang_record(world, "初级")
    login(REVIEWER)
    body = client.get("/awards/issue", query_string={"ids": [record.id, elementary.id]},
                      headers={"HX-Request": "true"}).get_data(as_text=True)
    year = date.today().year
    assert "为 <strong>2</strong> 条记录颁证：" in body
    assert f"1 条 Web前端开发 中级，证书编号 <strong class=\"nowrap\">WEB2{year}000001</strong>" in body
    assert f"1 条 Web前端开发 初级，证书编号 <strong class=\"nowrap\">WEB1{year}000001</strong>" in body
