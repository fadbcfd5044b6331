"""The outcome of 颁证 wherever it belongs: the exports, the candidate page and the 颁证名单."""
import io
import json
import re
import unicodedata
from datetime import date, datetime, timedelta
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook

from models.audit import AuditEvent
from models.award import ISSUED, RETURNED, SUBMITTED, AwardRecord
from models.award_fields import AWARD_SHEET
from models.candidate import REJECTED, Candidate, search_keys
from models.catalog import Certificate
from models.candidate_fields import CANDIDATE_SHEET
from models.import_batch import ImportBatch
from models.privacy import mask_id
from models.site import Site
from models.user import REVIEWER, STAFF
from tests import sheetfiles as sf
from tests.conftest import other_candidates
from tests.test_import_awards import filled_template, row, upload


@pytest.fixture
def app_config(app_config):
    return dict(app_config, JOBS_INLINE=True)


def issued_and_returned(world, make_user):
    """Two imported records of the world's certificate: 张三's issued, 李四's returned."""
    reviewer = make_user(REVIEWER, username="shenhe")
    other = other_candidates(1)[0]
    first, second = (AwardRecord.create(candidate=c, certificate=world["cert"], level="中级", site=world["site"],
                                        exam_date="2026-06-01", theory_score=90, practical_score=85.5)
                     for c in (world["candidate"], other))
    AwardRecord.issue_many([first], reviewer)
    second.return_to_college("实操成绩与考核站点记录不符", reviewer)
    return AwardRecord.get_by_id(first.id), AwardRecord.get_by_id(second.id)


def sheet_rows(data, title):
    return list(load_workbook(io.BytesIO(data))[title].iter_rows(values_only=True))


def test_award_export_carries_the_outcome_after_the_template_columns(client, login, world, make_user):
    issued, returned = issued_and_returned(world, make_user)
    login(STAFF)
    header, *rows = sheet_rows(client.get("/awards/export").data, AWARD_SHEET.title)
    template = [c.title for c in AWARD_SHEET.columns]
    assert list(header) == template + ["状态", "证书编号", "颁证日期", "退回原因"]
    by_name = {r[0]: dict(zip(header, r)) for r in rows}
    assert by_name["张三"]["状态"] == ISSUED and by_name["张三"]["证书编号"] == issued.certificate_number
    assert by_name["张三"]["颁证日期"] == issued.issued_at.date().isoformat() and by_name["张三"]["退回原因"] is None
    assert by_name["李四"]["状态"] == RETURNED and by_name["李四"]["退回原因"] == "实操成绩与考核站点记录不符"
    # Scores as typed: 90, not 90.0; a half point stays one.
    assert (by_name["张三"]["理论成绩"], by_name["张三"]["实操成绩"]) == (90, 85.5)
    assert isinstance(by_name["张三"]["理论成绩"], int)


def test_an_exported_file_imports_again_and_its_outcome_columns_are_ignored(client, login, world):
    login(STAFF)
    first, second = world["candidate"], other_candidates(1)[0]
    upload(client, filled_template([row(first, theory_score="90"), row(second)]))
    exported = client.get("/awards/export").data
    assert "状态" in sheet_rows(exported, AWARD_SHEET.title)[0]
    client.post(f"/imports/{ImportBatch.get().id}/undo", headers={"HX-Request": "true"})
    assert AwardRecord.select().count() == 0

    body = upload(client, exported).get_data(as_text=True)
    assert "成功导入 2 条" in body and "已忽略" not in body
    assert sorted(r.theory_score for r in AwardRecord.select()) == [85, 90]


def test_candidate_export_carries_status_and_the_reasons_and_imports_again(client, login, world):
    login(STAFF)
    rejected = other_candidates(1)[0]
    Candidate.update(status=REJECTED, status_reasons="证件号码校验位不符\n性别与证件号码不符").where(
        Candidate.id == rejected.id).execute()
    header, *rows = sheet_rows(client.get("/imports/candidates/export").data, CANDIDATE_SHEET.title)
    assert list(header[len(CANDIDATE_SHEET.columns):]) == ["状态", "认证未通过原因"]
    by_name = {r[0]: dict(zip(header, r)) for r in rows}
    assert by_name["李四"]["状态"] == REJECTED
    assert by_name["李四"]["认证未通过原因"] == "证件号码校验位不符；性别与证件号码不符"
    assert by_name["张三"]["认证未通过原因"] is None

    exported = client.get("/imports/candidates/export").data
    body = client.post("/imports/candidates", data={"file": (io.BytesIO(exported), "考生.xlsx")},
                       headers={"HX-Request": "true"}, content_type="multipart/form-data").get_data(as_text=True)
    batch = ImportBatch.get()
    assert "已忽略" not in body and (batch.total, batch.errors, batch.existing) == (2, 0, 2)


def test_the_candidate_page_lists_its_records_and_certificates(client, login, world, make_user):
    issued, returned = issued_and_returned(world, make_user)
    login(STAFF)
    page = client.get(f"/candidates/{issued.candidate_id}").get_data(as_text=True)
    assert "证书与待颁证记录" in page and issued.certificate_number in page
    assert issued.issued_at.date().isoformat() in page and f'href="/awards/{issued.id}"' in page
    assert "可以导入待颁证记录" not in page
    other = client.get(f"/candidates/{returned.candidate_id}").get_data(as_text=True)
    assert "已退回" in other and "实操成绩与考核站点记录不符" in other


def test_a_ready_candidate_without_records_may_still_be_imported(client, login, world):
    login(STAFF)
    page = client.get(f"/candidates/{world['candidate'].id}").get_data(as_text=True)
    assert "可以导入待颁证记录" in page and "尚无待颁证记录" in page


# ---- 颁证名单 -------------------------------------------------------------------------------------------
def test_the_roster_lists_issued_certificates_with_ids_masked_on_screen(client, login, world, make_user):
    issued, returned = issued_and_returned(world, make_user)
    Candidate.update(department="信息工程学院", class_name="计应2301").where(
        Candidate.id == issued.candidate_id).execute()
    login(STAFF)
    assert 'href="/awards/roster/"' in client.get("/awards/").get_data(as_text=True)
    page = client.get("/awards/roster/").get_data(as_text=True)
    for header in ("序号", "姓名", "证件类型", "证件号码", "院系", "班级", "证书名称", "证书等级", "证书编号", "考核日期",
                   "颁证日期", "考核站点"):
        assert f">{header}</th>" in page, header
    assert issued.certificate_number in page and "张三" in page and "李四" not in page  # returned: no certificate
    assert issued.candidate.id_number not in page and mask_id(issued.candidate.id_number) in page
    today = date.today()
    narrowed = lambda **args: client.get("/awards/roster/", query_string=args).get_data(as_text=True)
    assert issued.certificate_number in narrowed(level="中级", department="信息工程学院", class_name="计应2301",
                                                 date_from=today.isoformat(), date_to=today.isoformat())
    assert issued.certificate_number not in narrowed(level="初级")
    assert issued.certificate_number not in narrowed(date_to=(today - timedelta(days=1)).isoformat())
    assert issued.certificate_number not in narrowed(department="商学院")


def test_the_lists_export_link_follows_each_filter_out_of_band(client, login, world):
    login(STAFF)
    partial = client.get("/awards/", query_string={"certificate": world["cert"].id, "status": ISSUED},
                         headers={"HX-Request": "true"}).get_data(as_text=True)
    link = re.search(r'<a class="btn" id="export-link" hx-swap-oob="true"\s+href="([^"]+)">导出</a>', partial)
    assert link and f"certificate={world['cert'].id}" in link.group(1) and "status=" in link.group(1)


def test_an_export_is_logged_with_its_filters_in_the_pages_words(client, login, world, make_user):
    issued_and_returned(world, make_user)
    login(STAFF)
    client.get("/awards/export", query_string={"certificate": world["cert"].id, "site": world["site"].id,
                                               "status": ISSUED, "issued_from": "2026-01-01"})
    client.get("/imports/candidates/export", query_string={"status": REJECTED, "has_photo": "0", "q": "李"})
    client.get("/imports/candidates/export")
    logged = [json.loads(event.changes)["筛选条件"][1] for event in AuditEvent.select().where(
        AuditEvent.action.in_(["award.export", "candidate.export"])).order_by(AuditEvent.id)]
    assert logged == ["证书：Web前端开发；考核站点：信息楼机房；状态：已颁证；颁证日期从：2026-01-01",
                      "搜索：李；状态：认证未通过；照片：无照片", "全部"]


def test_the_roster_xlsx_carries_full_ids_and_is_audited(client, login, world, make_user):
    issued, _ = issued_and_returned(world, make_user)
    login(STAFF)
    response = client.get("/awards/roster/export", query_string={"level": "中级"})
    header, *rows = sheet_rows(response.data, "颁证名单")
    assert list(header) == ["序号", "姓名", "证件类型", "证件号码", "院系", "班级", "证书名称", "证书等级", "证书编号",
                            "考核日期", "颁证日期", "考核站点"]
    assert rows == [(1, "张三", "居民身份证", issued.candidate.id_number, issued.candidate.department or None,
                     issued.candidate.class_name or None, "Web前端开发", "中级",
                     issued.certificate_number, "2026-06-01", date.today().isoformat(), "信息楼机房")]
    event = AuditEvent.get(AuditEvent.action == "award.roster_export")
    assert "含完整证件号码" in event.object_label
    # What it covered, in words (not the URL's names and ids).
    assert json.loads(event.changes)["筛选条件"] == [None, "全部证书 中级"]
    client.get("/awards/roster/print", query_string={"certificate": world["cert"].id, "sort": "class"})
    printed = AuditEvent.get(AuditEvent.action == "award.roster_print")
    assert json.loads(printed.changes)["筛选条件"] == [None, "Web前端开发，按院系、班级、姓名排列"]


def download_name(response):
    """The name a download is saved under (Content-Disposition's UTF-8 filename*)."""
    return unquote(re.search(r"filename\*=UTF-8''(\S+)", response.headers["Content-Disposition"]).group(1))


def test_the_roster_xlsx_is_named_after_its_filters_and_safe_for_windows(client, login, world):
    login(STAFF)
    today = date.today().isoformat()
    name = lambda **args: download_name(client.get("/awards/roster/export", query_string=args))
    assert name() == f"颁证名单-{today}.xlsx"
    assert name(department="信息工程学院") == f"颁证名单-信息工程学院-{today}.xlsx"
    assert name(certificate=world["cert"].id, level="中级", department="信息工程学院", class_name="计应2301",
                date_from="2026-01-01", date_to="2026-06-30") == (
        f"颁证名单-Web前端开发-中级-信息工程学院-计应2301-颁证日期2026-01-01至2026-06-30-{today}.xlsx")
    assert name(date_from="2026-01-01", sort="class") == f"颁证名单-颁证日期2026-01-01起-{today}.xlsx"
    assert name(date_to="2026-06-30") == f"颁证名单-颁证日期至2026-06-30-{today}.xlsx"
    # A 院系 or 班级 typed into a link: what Windows refuses in a file name is left out, and the name stays short.
    hostile = name(department='信息/工程\\学院:*?"<>|', class_name="计应\t2301 ")
    assert hostile == f"颁证名单-信息工程学院-计应2301-{today}.xlsx"
    assert len(name(department="院" * 1000)) < 200


def test_each_roster_xlsx_column_is_wide_enough_for_what_it_holds(client, login, world, make_user):
    Site.update(name="信息工程学院Web前端开发考核站点").execute()
    issued_and_returned(world, make_user)
    login(STAFF)
    sheet = load_workbook(io.BytesIO(client.get("/awards/roster/export").data))["颁证名单"]
    wide = lambda text: sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))
    for column in sheet.iter_cols():
        width = sheet.column_dimensions[column[0].column_letter].width
        assert all(width >= wide(cell.value) + 1 for cell in column if cell.value is not None), column[0].value
    widths = {cell.value: sheet.column_dimensions[cell.column_letter].width for cell in sheet[1]}
    assert widths["证件号码"] >= 19 and widths["考核站点"] >= 32 and widths["证书编号"] > 12
    assert widths["序号"] < 12  # and no wider than it needs


def test_the_roster_print_view_has_full_ids_no_navigation_and_is_audited(client, login, world, make_user):
    issued, _ = issued_and_returned(world, make_user)
    login(STAFF)
    page = client.get("/awards/roster/print").get_data(as_text=True)
    assert issued.candidate.id_number in page and issued.certificate_number in page
    assert "主导航" not in page and "<thead>" in page and 'class="print-view"' in page
    assert AuditEvent.select().where(AuditEvent.action == "award.roster_print").count() == 1


def test_an_empty_roster_marks_its_message_as_the_empty_row_that_prints_without_the_header(client, login, world):
    login(STAFF)
    page = client.get("/awards/roster/print?department=没有这个院系").get_data(as_text=True)
    assert 'class="empty">没有符合条件的已颁证记录</td>' in page
    # The print stylesheet hides the header row of a table holding only that row.
    css = client.get("/static/app.css").get_data(as_text=True)
    assert ":is(.table, .roster):has(> tbody > tr > td.empty) > thead { display: none; }" in css


def issued_in_classes(world, make_user):
    """Four certificates issued, numbered 1-4 in an order that is not the classes' order."""
    reviewer = make_user(REVIEWER, username="shenhe")
    people = [(world["candidate"], "计应2302", "张三")] + [
        (c, class_name, c.name) for c, class_name in zip(other_candidates(3), ("计应2301", "计应2302", "计应2301"))]
    records = []
    for candidate, class_name, _ in people:
        Candidate.update(department="信息工程学院", class_name=class_name).where(Candidate.id == candidate.id).execute()
        records.append(AwardRecord.create(candidate=candidate, certificate=world["cert"], level="中级",
                                          site=world["site"], exam_date="2026-06-01"))
    AwardRecord.issue_many(records, reviewer)
    return people


def test_the_roster_lists_class_by_class_for_the_class_teachers(client, login, world, make_user):
    people = issued_in_classes(world, make_user)
    login(STAFF)
    by_number = [row[1] for row in sheet_rows(client.get("/awards/roster/export").data, "颁证名单")[1:]]
    assert by_number == [name for _, _, name in people]
    # Class by class, names in pinyin order as 考生管理 sorts them: 李四 before 张三 (by code point 张 is first).
    expected = sorted(people, key=lambda p: (p[1], search_keys(p[2], "")["name_sort"]))
    assert [name for class_name, name in [(p[1], p[2]) for p in expected] if class_name == "计应2302"] == ["李四", "张三"]
    header, *rows = sheet_rows(client.get("/awards/roster/export?sort=class").data, "颁证名单")
    assert [(row[5], row[1]) for row in rows] == [(class_name, name) for _, class_name, name in expected]
    page = client.get("/awards/roster/?sort=class").get_data(as_text=True)
    assert '<option value="class" selected>按院系、班级、姓名</option>' in page
    assert "/awards/roster/print?sort=class" in page and "/awards/roster/export?sort=class" in page
    printed = client.get("/awards/roster/print?sort=class").get_data(as_text=True)
    headings = re.findall(r'<tr class="roster-group"><th[^>]*>(.*?)</th>', printed)
    assert headings == ["信息工程学院 · 计应2301（2 张）", "信息工程学院 · 计应2302（2 张）"]
    assert 'class="roster-group"' not in client.get("/awards/roster/print").get_data(as_text=True)


def roster_screen(client, **args):
    """(序号, 证书编号) of each row of a 颁证名单 page, and the count it says."""
    body = client.get("/awards/roster/", query_string=args, headers={"HX-Request": "true"}).get_data(as_text=True)
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(<td.*?)</tr>", body)]
    listed = [(int(cells[0]), cells[8]) for cells in rows if len(cells) > 8]  # not the empty list's one cell
    return listed, int(re.search(r"共 (\d+) 张证书", body).group(1))


def test_each_roster_page_is_the_next_of_the_export_and_counts_what_it_lists(client, login, world):
    """45 certificates of two certificates, two levels and two 院系, numbered out of order: every page (the
    last read from the end) lists the export's next rows, numbered on, and says the export's count, for
    each filter (a certificate and level alone are counted by the database, the rest on the table)."""
    other = Certificate.create(name="云计算平台运维与开发", organisation=world["cert"].organisation, code="YUN")
    rows = []
    for i in range(45):
        candidate = Candidate.create(name=f"考生{i:02d}", id_type="居民身份证", id_number=sf.id_number(i, area="410107"),
                                     gender="男", department=("信息工程学院", "机电学院")[i % 2],
                                     class_name=f"计应230{i % 3}")
        rows.append({"candidate": candidate.id, "certificate": (world["cert"], other)[i % 3 == 0].id,
                     "level": ("中级", "初级")[i % 4 == 0], "site": world["site"].id, "exam_date": date(2026, 6, 1),
                     "status": ISSUED, "certificate_number": f"N{(i * 7) % 45:03d}",
                     "issued_at": datetime(2026, 7, 1 + i % 20)})
    # And records not issued, which no roster lists or counts.
    waiting = [dict(row, status=SUBMITTED, certificate_number=None, issued_at=None) for row in rows[:5]]
    AwardRecord.bulk_add(rows + waiting)
    login(STAFF)
    cert = world["cert"].id
    for filters, expected in (({}, 45), ({"certificate": other.id}, 15), ({"certificate": cert, "level": "中级"}, 22),
                              ({"department": "机电学院"}, 22), ({"class_name": "计应2301"}, 15),
                              ({"date_from": "2026-07-10"}, 22), ({"department": "机电学院", "class_name": "计应2301"}, 8),
                              ({"sort": "class"}, 45)):
        exported = [row[8] for row in sheet_rows(client.get("/awards/roster/export", query_string=filters).data,
                                                 "颁证名单")[1:]]
        assert len(exported) == expected, filters
        shown = []
        for page in range(1, max(1, -(-len(exported) // 20)) + 1):
            listed, count = roster_screen(client, page=page, per_page=20, **filters)
            assert count == len(exported), filters
            shown += listed
        assert shown == list(enumerate(exported, start=1)), filters
    assert roster_screen(client, level="高级")[1] == 0
    # By certificate, then 初级 before 中级 (not by code point: 中 sorts before 初), then number.
    listed = [(row[6], row[7], row[8]) for row in sheet_rows(client.get("/awards/roster/export").data, "颁证名单")[1:]]
    assert listed == sorted(listed, key=lambda r: (r[0], ("初级", "中级").index(r[1]), r[2]))
    assert [level for _, level, _ in listed[:2]] == ["初级", "初级"]


def test_a_reviewer_gets_no_roster(client, login, world, make_user):
    issued_and_returned(world, make_user)
    login(REVIEWER)
    assert "颁证名单" not in client.get("/awards/").get_data(as_text=True)
    for path in ("/awards/roster/", "/awards/roster/export", "/awards/roster/print"):
        assert client.get(path).status_code == 403, path
