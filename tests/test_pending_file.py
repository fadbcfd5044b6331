"""生成待颁证导入文件 and the 导入待颁证记录 template's dropdowns: a file CertDesk fills in, that staff complete
with the results and import as it is."""
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from models.audit import AuditEvent
from models.award import SUBMITTED, AwardRecord
from models.award_fields import AWARD_SHEET
from models.candidate import ACCURATE, VERIFIED, Candidate
from models.catalog import Certificate
from models.pilot import PilotCertificate
from models.quota import Quota
from models.site import APPROVED, ENABLED, Site
from models.user import REVIEWER, STAFF
from sheets.spec import MARKER_SHEET
from tests import sheetfiles as sf
from tests.test_import_awards import filled_template, row, upload

HEADERS = [c.title for c in AWARD_SHEET.columns]


@pytest.fixture
def app_config(app_config):
    return dict(app_config, JOBS_INLINE=True)


def person(name, department, class_name, seq, status=ACCURATE):
    return Candidate.create(name=name, id_type="居民身份证", id_number=sf.id_number(seq, area="410105"), gender="男",
                            phone="13812345678", department=department, class_name=class_name, status=status,
                            photo="ab/x.jpg")


@pytest.fixture
def classes(world):
    """Five more candidates over two departments: one 认证通过, one holding a 待审核 record."""
    made = {
        "赵六": person("赵六", "机电学院", "机电2301", 1),
        "钱七": person("钱七", "信息工程学院", "计应2302", 2),
        "孙八": person("孙八", "信息工程学院", "计应2301", 3),
        "周九": person("周九", "信息工程学院", "计应2301", 4, status=VERIFIED),
        "吴十": person("吴十", "信息工程学院", "计应2301", 5),
    }
    AwardRecord.create(candidate=made["吴十"], certificate=world["cert"], level="中级", site=world["site"],
                       exam_date=date(2026, 3, 1), status=SUBMITTED)
    Quota.update(amount=20).execute()
    return made


def generate(client, world, **args):
    query = "&".join(f"{k}={v}" for k, v in dict(pair=f"{world['cert'].id}|中级", **args).items())
    response = client.get(f"/awards/readiness/file?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def data_sheet(body):
    return load_workbook(io.BytesIO(body))[AWARD_SHEET.title]


def fill_results(body, exam_date="2026-06-15"):
    """What staff do with the file: type 考核日期, 成绩 and 考核结果 on each row, change nothing else."""
    book = load_workbook(io.BytesIO(body))
    sheet = book[AWARD_SHEET.title]
    for cells in sheet.iter_rows(min_row=3):
        cells[6].value, cells[7].value, cells[8].value, cells[9].value = exam_date, 85, 78, "通过"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_file_lists_every_ready_candidate_by_department_class_and_name_and_says_who_was_left_out(
        client, login, world, classes):
    login(STAFF)
    sheet = data_sheet(generate(client, world).data)
    rows = list(sheet.iter_rows(values_only=True))
    note, header, data = rows[0][0], list(rows[1]), rows[2:]
    assert header == HEADERS
    # 张三 has no department: sorted first.
    assert [r[0] for r in data] == ["张三", "孙八", "钱七", "赵六"]
    assert data[1][:6] == ("孙八", "居民身份证", classes["孙八"].id_number, "Web前端开发", "中级", "信息楼机房")
    assert all(r[6] is None and r[9] is None for r in data)
    assert "已填入 4 名可导入 Web前端开发 中级 的考生" in note
    assert "未列入 2 名未就绪的考生（按首个未满足的条件计）：「信息准确」未满足 1 名；「无重复记录」未满足 1 名" in note
    assert f"{date.today().year} 年省厅指标 20 名，已用 1 名，还可导入 19 名" in note
    guide = [r[0] for r in load_workbook(io.BytesIO(generate(client, world).data))["填写说明"].iter_rows(values_only=True)]
    assert guide[1].startswith("本文件已填入 4 名") and any("未列入 2 名" in (line or "") for line in guide)


def test_the_generated_file_with_results_filled_in_imports_cleanly(client, login, world, classes):
    login(STAFF)
    response = generate(client, world)
    assert "attachment" in response.headers["Content-Disposition"]
    body = upload(client, fill_results(response.data)).get_data(as_text=True)
    assert "成功导入 4 条" in body
    assert {r.candidate.name for r in AwardRecord.select().where(AwardRecord.batch_id.is_null(False))} == {
        "张三", "孙八", "钱七", "赵六"}
    event = AuditEvent.get(AuditEvent.action == "award.prefill")
    assert event.object_label == "生成待颁证导入文件（含完整证件号码）" and ("条数", "", "4") in event.change_list


def test_the_ticked_candidates_or_a_class_narrow_the_file(client, login, world, classes):
    login(STAFF)
    ticked = [classes["钱七"].id, classes["周九"].id]
    rows = list(data_sheet(generate(client, world, ids=ticked[0], candidate_id=ticked[1]).data).iter_rows(values_only=True))
    assert [r[0] for r in rows[2:]] == ["钱七"] and "未列入 1 名" in rows[0][0]
    rows = list(data_sheet(generate(client, world, class_name="计应2301").data).iter_rows(values_only=True))
    assert [r[0] for r in rows[2:]] == ["孙八"]


def test_fewer_places_than_ready_candidates_is_said_plainly_and_the_import_refuses_the_rest(
        client, login, world, classes):
    login(STAFF)
    Quota.update(amount=3).execute()  # one place used by 吴十's record: two left for four ready candidates
    response = generate(client, world)
    note = data_sheet(response.data).cell(1, 1).value
    assert "注意：剩余指标只有 2 名，少于本文件的 4 名考生，导入时超出指标的 2 行将被拒绝。" in note
    body = upload(client, fill_results(response.data)).get_data(as_text=True)
    assert "仅导入正确的 2 行" in body and "超出" in body


def test_with_several_usable_sites_the_site_is_left_to_choose_from_those_of_the_level(client, login, world, classes):
    login(STAFF)
    second = Site.create(name="实训楼机房", certificate=world["cert"], levels="初级,中级", region="河南省郑州市",
                         address="文化路3号", contact="王老师", phone="13800000000", seats=40,
                         review_status=APPROVED, site_status=ENABLED)
    Site.create(name="待审核机房", certificate=world["cert"], levels="中级", region="河南省郑州市", address="文化路4号",
                contact="王老师", phone="13800000000", seats=40)
    book = load_workbook(io.BytesIO(generate(client, world).data))
    sheet = book[AWARD_SHEET.title]
    assert {r[5] for r in sheet.iter_rows(min_row=3, values_only=True)} == {None}
    assert "考核站点请从下拉列表中选择（该证书等级有 2 个可用站点）" in sheet.cell(1, 1).value
    assert dropdown(book, "考核站点") == ["信息楼机房", second.name]
    assert dropdown(book, "证书名称") == ["Web前端开发"] and dropdown(book, "证书等级") == ["中级"]


def dropdown(book, header):
    """The values a column's dropdown offers: the hidden sheet's list that its validation points at."""
    position = [c.header for c in AWARD_SHEET.columns].index(header)
    hidden = book[MARKER_SHEET]
    return [r[position + 1] for r in hidden.iter_rows(values_only=True) if r[position + 1] is not None]


def test_without_a_chosen_level_the_file_link_goes_back_to_the_question(client, login, world):
    login(STAFF)
    response = client.get("/awards/readiness/file")
    assert response.status_code == 302 and response.headers["Location"].endswith("/awards/readiness")


def test_reviewers_cannot_generate_the_file(client, login, world):
    login(REVIEWER)
    assert client.get(f"/awards/readiness/file?pair={world['cert'].id}|中级").status_code == 403


# ---- the 导入待颁证记录 template's dropdowns -------------------------------------------------------------
def test_the_template_offers_the_pilot_certificates_levels_usable_sites_and_results_from_the_database(
        client, login, world):
    login(STAFF)
    Certificate.create(name="物流管理", organisation=world["cert"].organisation, code="WL")  # not piloted
    Site.create(name="待审核机房", certificate=world["cert"], levels="中级", region="河南省郑州市", address="文化路4号",
                contact="王老师", phone="13800000000", seats=40)
    book = load_workbook(io.BytesIO(client.get("/imports/awards/template").data))
    assert dropdown(book, "证书名称") == ["Web前端开发"]
    assert dropdown(book, "证书等级") == ["初级", "中级", "高级"]
    assert dropdown(book, "考核站点") == ["信息楼机房"]
    assert dropdown(book, "考核结果") == ["通过", "未通过"]
    assert book[AWARD_SHEET.title].freeze_panes == "A2"  # no note: the header stays on row 1
    # Read when downloaded: a site approved since is offered at once.
    Site.update(review_status=APPROVED, site_status=ENABLED).where(Site.name == "待审核机房").execute()
    book = load_workbook(io.BytesIO(client.get("/imports/awards/template").data))
    assert dropdown(book, "考核站点") == ["信息楼机房", "待审核机房"]


def test_values_typed_by_hand_are_accepted_and_a_site_with_a_slip_is_refused_with_the_site_meant(
        client, login, world):
    login(STAFF)
    waiting = Candidate.create(name="李四", id_type="居民身份证", id_number=sf.id_number(9, area="410105"), gender="男",
                               phone="13812345678", status=ACCURATE, photo="ab/x.jpg")
    body = upload(client, filled_template([row(world["candidate"], id_type="身份证", result="合格"),
                                           row(waiting, site_name="信息楼机")])).get_data(as_text=True)
    assert "考核站点「信息楼机」不存在，是否为「信息楼机房」？" in body
    assert "仅导入正确的 1 行" in body


def test_a_level_that_is_no_longer_piloted_gives_a_file_with_no_rows_and_says_why(client, login, world):
    login(STAFF)
    PilotCertificate.create(certificate=world["cert"], level="高级", since=date(2024, 1, 1))
    response = client.get(f"/awards/readiness/file?pair={world['cert'].id}|高级")
    rows = list(data_sheet(response.data).iter_rows(values_only=True))
    assert len(rows) == 2 and "已填入 0 名" in rows[0][0] and "「考核站点」未满足 1 名" in rows[0][0]


def test_the_award_list_banner_links_to_the_file_of_the_chosen_level(client, login, world):
    login(STAFF)
    page = client.get(f"/awards/?certificate={world['cert'].id}&level=中级").get_data(as_text=True)
    banner = page[page.index('class="alert alert-info readiness-summary"'):]
    banner = banner[:banner.index("</div>")]
    assert f'href="/awards/readiness/file?pair={world["cert"].id}%7C%E4%B8%AD%E7%BA%A7"' in banner and "生成导入文件" in banner
    Candidate.update(status=VERIFIED).execute()  # nobody ready: no file to offer
    page = client.get(f"/awards/?certificate={world['cert'].id}&level=中级").get_data(as_text=True)
    assert "0</strong> 名考生可导入" in page and "生成导入文件" not in page
