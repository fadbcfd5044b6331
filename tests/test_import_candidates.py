"""批量导入学生信息: formats, every rejection with its message, the all-valid and partial paths, updates."""
import io
import json
import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from models import setting
from models.audit import AuditEvent
from models.candidate import PENDING, VERIFIED, Candidate
from models.db import db, now
from models.import_batch import IMPORTED, REFUSED, REVIEW, UNDONE, ImportBatch
from models.user import STAFF
from tests import sheetfiles as sf


@pytest.fixture
def app_config(app_config):
    return dict(app_config, JOBS_INLINE=True)


@pytest.fixture
def staff(login):
    return login(STAFF)


def upload(client, data, name="考生.xlsx", update=False):
    form = {"file": (io.BytesIO(data), name)}
    if update:
        form["update_existing"] = "1"
    return client.post("/imports/candidates", data=form, headers={"HX-Request": "true"},
                       content_type="multipart/form-data")


def last_batch():
    return ImportBatch.select().order_by(ImportBatch.id.desc()).first()


def text(response):
    return response.get_data(as_text=True)


# ---- the all-valid path and each accepted format ------------------------------------------------
def test_all_valid_rows_are_saved_at_once_in_pending_and_the_list_refreshes(client, staff):
    response = upload(client, sf.xlsx([sf.person(i) for i in range(3)]))
    body = text(response)
    assert response.status_code == 200 and "<html" not in body
    assert "成功导入 3 条" in body
    assert "candidatesChanged" in response.headers["HX-Trigger-After-Swap"]
    batch = last_batch()
    assert (batch.status, batch.total, batch.imported, batch.errors) == (IMPORTED, 3, 3, 0)
    stored = list(Candidate.select().order_by(Candidate.id))
    assert [c.status for c in stored] == [PENDING] * 3 and {c.batch_id for c in stored} == {batch.id}
    assert AuditEvent.select().where(AuditEvent.action == "candidate.create").count() == 3
    assert AuditEvent.select().where(AuditEvent.action == "import.save").count() == 1


FORMATS = {
    "xlsx": (lambda rows: sf.xlsx(rows), "考生.xlsx", ""),
    "xls": (lambda rows: sf.xls(rows), "考生.xls", ""),
    "csv-utf8": (lambda rows: sf.csv_file(rows), "考生.csv", "UTF-8"),
    "csv-utf8-bom": (lambda rows: sf.csv_file(rows, bom=True), "考生.csv", "UTF-8（带 BOM）"),
    "csv-gbk": (lambda rows: sf.csv_file(rows, encoding="gbk"), "考生.csv", "GBK（GB18030）"),
}


@pytest.mark.parametrize("kind", FORMATS)
def test_each_format_round_trips_every_field(client, staff, kind):
    make, name, encoding = FORMATS[kind]
    rows = [sf.person(1, name="欧阳·娜娜", ethnicity="维吾尔"), sf.person(2, birth_date="2003/1/5", id_type="身份证")]
    response = upload(client, make(rows), name)
    body = text(response)
    assert "成功导入 2 条" in body, body
    if encoding:
        assert f"编码 <strong>{encoding}</strong>" in body
        assert "第 2 行读作" in body and "欧阳·娜娜" in body
    first = Candidate.by_identity("居民身份证", rows[0]["id_number"])
    assert first.name == "欧阳·娜娜" and first.ethnicity == "维吾尔族"
    assert first.birth_date.isoformat() == "2003-01-05" and first.enrollment_year == 2023
    assert first.phone == rows[0]["phone"] and first.student_no == rows[0]["student_no"]
    assert Candidate.by_identity("居民身份证", rows[1]["id_number"]).birth_date.isoformat() == "2003-01-05"


def test_headers_match_in_any_order_with_spaces_stars_and_aliases_and_unknown_columns_are_listed(client, staff):
    keys = ["phone", "id_number", "name", "gender", "id_type"]
    header = [" 联系电话 ", "*身份证号", "名字*", "性别 *", "证件类型", "备注"]
    data = sf.xlsx([sf.person(1)], keys=keys + ["name"], header=header)
    body = text(upload(client, data))
    assert "成功导入 1 条" in body
    assert "以下列不在模板中，已忽略：备注" in body


def test_excel_typed_cells_are_read_as_text(client, staff):
    from datetime import date
    row = sf.person(1, birth_date=date(2003, 1, 5), enrollment_year=2023, phone=int(sf.person(1)["phone"]))
    body = text(upload(client, sf.xlsx([row])))
    assert "成功导入 1 条" in body
    stored = Candidate.get()
    assert stored.birth_date == date(2003, 1, 5) and stored.enrollment_year == 2023
    assert stored.phone == row["phone"].__str__()


# ---- rejections: each has its message ----------------------------------------------------------
def test_an_id_excel_turned_into_a_number_is_an_error_naming_the_row(client, staff):
    row = sf.person(1, id_number=410102200301051234)  # a number cell: Excel keeps 15 digits
    body = text(upload(client, sf.xlsx([sf.person(2), row])))
    assert "被 Excel 当作数字" in body and "4.10102200301051E+17" in body
    assert '<td class="num">3</td>' in body
    assert Candidate.select().count() == 0 and last_batch().status == REVIEW


def test_an_id_in_scientific_notation_in_a_csv_is_an_error(client, staff):
    body = text(upload(client, sf.csv_file([sf.person(1, id_number="4.10102E+17")]), "a.csv"))
    assert "证件号码被 Excel 当作数字显示为「4.10102E+17」" in body
    assert "将证件号码列设为「文本」格式" in body


def test_an_id_with_15_digits_then_000_is_an_error(client, staff):
    number = next(n for n in (f"4101022003010{i:02d}000" for i in range(10, 99))
                  if sf.ric.calc_check_digit(n) != "0")
    body = text(upload(client, sf.csv_file([sf.person(1, id_number=number)]), "a.csv"))
    assert "末三位为 000，疑似被 Excel 当作数字截断" in body


def test_a_missing_required_header_refuses_the_file_naming_the_columns(client, staff):
    keys = ["name", "id_type", "gender", "ethnicity"]
    body = text(upload(client, sf.xlsx([sf.person(1)], keys=keys)))
    assert "文件未导入" in body and "缺少必填列：证件号码、手机号" in body
    assert last_batch().status == REFUSED and Candidate.select().count() == 0


def test_an_empty_sheet_and_a_header_only_sheet_are_refused(client, staff):
    from openpyxl import Workbook
    buffer = io.BytesIO()
    Workbook().save(buffer)
    assert "工作表是空的" in text(upload(client, buffer.getvalue()))
    assert "只有表头，没有考生数据" in text(upload(client, sf.xlsx([])))
    assert "文件是空的（0 字节）" in text(upload(client, b"", "a.csv"))


def test_an_unsupported_file_is_refused(client, staff):
    assert "不支持的文件类型「.pdf」：请上传 .xlsx、.xls 或 .csv 文件" in text(upload(client, b"%PDF-1.4", "名单.pdf"))
    assert "内容不是 Excel 工作簿" in text(upload(client, b"just text", "名单.xlsx"))
    assert "请把扩展名改为 .xlsx" in text(upload(client, sf.xlsx([sf.person(1)]), "名单.csv"))
    assert "无法识别文件编码" in text(upload(client, b"\xff\xfe\xfa\x80\x81 bad", "名单.csv"))


def test_no_file_chosen_is_a_422_with_a_message(client, staff):
    response = client.post("/imports/candidates", data={}, headers={"HX-Request": "true"})
    assert response.status_code == 422 and "请先选择要导入的文件" in text(response)


def test_two_rows_with_the_same_id_are_both_errors_naming_each_other(client, staff):
    twin = sf.person(1, name="李四")
    body = text(upload(client, sf.xlsx([sf.person(1), sf.person(2), twin])))
    assert "证件号码与第 4 行重复" in body and "证件号码与第 2 行重复" in body
    batch = last_batch()
    assert (batch.errors, batch.valid) == (2, 1)


def test_limits_on_rows_and_size_are_enforced_with_a_message(client, staff):
    setting.put("import_max_rows", "2")
    assert "超过 2 行的上限" in text(upload(client, sf.xlsx([sf.person(i) for i in range(3)])))
    setting.put("import_max_mb", "1")
    assert "文件超过 1 MB 的上限" in text(upload(client, b"x" * (1024 * 1024 + 1)))


def test_a_file_from_another_template_is_refused_and_an_outdated_template_says_what_changed(client, staff, monkeypatch):
    from dataclasses import replace

    from models.importers import IMPORTERS
    from sheets import readers
    from models.candidate_fields import CANDIDATE_SHEET as CANDIDATES
    from sheets.template import build_template
    template = build_template(CANDIDATES)
    newer = replace(CANDIDATES, version=2, changes={1: "首个版本", 2: "新增「政治面貌」列"})
    monkeypatch.setattr(IMPORTERS["candidates"], "spec", newer)
    body = text(upload(client, _fill(template, [sf.person(1)])))
    assert "此文件使用的是旧版模板（第 1 版），当前为第 2 版" in body and "第 2 版：新增「政治面貌」列" in body
    assert "成功导入 1 条" in body
    other = replace(CANDIDATES, kind="awards", template_name="导入待颁证记录模板")
    with pytest.raises(readers.SheetError, match="这个文件是用「导入待颁证记录模板」填写的"):
        path = _tmp_file(build_template(other))
        readers.read(path, CANDIDATES, known=[other])


# ---- stored candidates: 已存在, 更新已有考生, 未变化 --------------------------------------------------
def test_an_existing_id_is_reported_and_left_alone_unless_update_is_ticked(client, staff):
    upload(client, sf.xlsx([sf.person(1)]))
    changed = sf.person(1, phone="13900000000")
    body = text(upload(client, sf.xlsx([changed, sf.person(2)])))
    assert "有 <strong>1</strong> 行的证件号码已存在" in body and "导入新增的 1 行" in body
    batch = last_batch()
    assert (batch.status, batch.existing, batch.valid) == (REVIEW, 1, 1)
    assert Candidate.select().count() == 1
    assert Candidate.get().phone == sf.person(1)["phone"]


def test_update_existing_changes_fields_and_a_key_field_change_needs_authentication_again(client, staff):
    upload(client, sf.xlsx([sf.person(1), sf.person(2)]))
    first = Candidate.by_identity("居民身份证", sf.person(1)["id_number"])
    Candidate.authenticate_many(list(Candidate.select()), by=staff)
    assert Candidate.get_by_id(first.id).status == VERIFIED
    rows = [sf.person(1, name="张新名", class_name=""), sf.person(2, phone="13900000000")]
    body = text(upload(client, sf.xlsx(rows), update=True))
    assert "更新 2 条" in body
    first = Candidate.get_by_id(first.id)
    assert (first.name, first.status, first.class_name) == ("张新名", PENDING, "计应2301")  # blank keeps
    second = Candidate.by_identity("居民身份证", sf.person(2)["id_number"])
    assert (second.phone, second.status) == ("13900000000", VERIFIED)


def test_identical_rows_count_as_unchanged(client, staff):
    upload(client, sf.xlsx([sf.person(1), sf.person(2)]))
    body = text(upload(client, sf.csv_file([sf.person(1), sf.person(2)]), "a.csv", update=True))
    assert "没有需要导入或更新的考生" in body and "2 行与系统中的信息完全相同" in body
    assert last_batch().unchanged == 2


# ---- the partial path, the error table and the error report -------------------------------------
def test_with_errors_nothing_is_written_until_only_the_valid_rows_are_confirmed(client, staff):
    rows = [sf.person(1), sf.person(2, gender="M?"), sf.person(3), sf.person(4, phone="123")]
    body = text(upload(client, sf.xlsx(rows)))
    assert "仅导入正确的 2 行" in body and "下载错误报告" in body
    for label in ("行号", "列", "原值", "问题", "如何修改"):
        assert label in body
    assert "性别「M?」不是可选值" in body and "手机号「123」格式不正确" in body
    assert Candidate.select().count() == 0
    batch = last_batch()
    response = client.post(f"/imports/{batch.id}/confirm", headers={"HX-Request": "true"})
    assert "成功导入 2 条" in text(response) and "2 行未导入" in text(response)
    assert "candidatesChanged" in response.headers["HX-Trigger-After-Swap"]
    assert {c.id_number for c in Candidate.select()} == {rows[0]["id_number"], rows[2]["id_number"]}
    again = client.post(f"/imports/{batch.id}/confirm", headers={"HX-Request": "true"})
    assert again.status_code == 409 and Candidate.select().count() == 2


def test_confirm_rechecks_ids_stored_since_the_preview(client, staff):
    upload(client, sf.xlsx([sf.person(1), sf.person(2, phone="1")]))
    batch = last_batch()
    upload(client, sf.xlsx([sf.person(1)]))  # someone else imports the same candidate meanwhile
    client.post(f"/imports/{batch.id}/confirm", headers={"HX-Request": "true"})
    batch = ImportBatch.get_by_id(batch.id)
    assert (batch.status, batch.imported, batch.existing) == (IMPORTED, 0, 1)
    assert Candidate.select().count() == 1


def test_confirm_writes_only_rows_that_passed_and_adds_rows_failing_now_to_the_report(app, client, staff):
    rows = [sf.person(1), sf.person(2, phone="1"), sf.person(3)]
    upload(client, sf.xlsx(rows))
    batch = last_batch()
    kept = sorted(p.name for p in (Path(app.config["DATA_DIR"]) / "imports").iterdir())
    assert kept == [f"{batch.id}-errors.json", f"{batch.id}-upload.xlsx"]  # valid rows are not copied to disk
    assert client.get(f"/imports/{batch.id}/report").status_code == 200
    # Meanwhile someone stores person 3 and fixes row 2's phone in the system: row 2 must still not be
    # written (the user confirmed the table that refused it), row 3 now counts as 已存在.
    upload(client, sf.xlsx([sf.person(3)]))
    client.post(f"/imports/{batch.id}/confirm", headers={"HX-Request": "true"})
    batch = ImportBatch.get_by_id(batch.id)
    assert (batch.status, batch.imported, batch.existing, batch.errors) == (IMPORTED, 1, 1, 1)
    assert {c.id_number for c in Candidate.select()} == {rows[0]["id_number"], rows[2]["id_number"]}


def test_an_upload_is_deleted_once_no_step_will_read_it_again(app, client, staff):
    folder = Path(app.config["DATA_DIR"]) / "imports"
    upload(client, sf.xlsx([sf.person(1)]))                      # saved at once
    upload(client, b"not a workbook", "考生.xlsx")                  # refused
    upload(client, sf.xlsx([sf.person(2), sf.person(3, phone="1")]))  # waits for 仅导入正确的 N 行
    waiting = last_batch()
    assert sorted(p.name for p in folder.glob("*-upload.*")) == [f"{waiting.id}-upload.xlsx"]
    client.post(f"/imports/{waiting.id}/confirm", headers={"HX-Request": "true"})
    assert not list(folder.glob("*-upload.*")) and (folder / f"{waiting.id}-errors.json").exists()


def test_a_batch_left_waiting_expires_after_the_kept_days_and_its_upload_is_deleted(app, client, staff):
    from datetime import datetime, timedelta
    upload(client, sf.xlsx([sf.person(1), sf.person(2, phone="1")]))
    old = last_batch()
    upload(client, sf.xlsx([sf.person(3), sf.person(4, phone="1")]))
    recent = last_batch()
    ImportBatch.update(created_at=datetime.now() - timedelta(days=15)).where(ImportBatch.id == old.id).execute()
    page = text(client.get("/imports/"))
    assert "超过 14 天未确认导入，上传的文件已删除" in page
    assert ImportBatch.get_by_id(old.id).status == REFUSED and ImportBatch.get_by_id(recent.id).status == REVIEW
    folder = Path(app.config["DATA_DIR"]) / "imports"
    assert sorted(p.name for p in folder.glob("*-upload.*")) == [f"{recent.id}-upload.xlsx"]
    assert client.post(f"/imports/{old.id}/confirm", headers={"HX-Request": "true"}).status_code == 409


def test_confirm_without_the_stored_upload_writes_nothing_and_says_so(app, client, staff):
    upload(client, sf.xlsx([sf.person(1), sf.person(2, phone="1")]))
    batch = last_batch()
    (Path(app.config["DATA_DIR"]) / "imports" / f"{batch.id}-upload.xlsx").unlink()
    body = text(client.post(f"/imports/{batch.id}/confirm", headers={"HX-Request": "true"}))
    assert "无法再次读取上传的文件（上传的文件已不在服务器上），未写入任何数据，请重新上传" in body
    assert "仅导入正确的" not in body and "上传的文件已不在服务器上" in text(client.get("/imports/"))
    assert ImportBatch.get_by_id(batch.id).status == REFUSED and Candidate.select().count() == 0


def test_a_repeated_bad_value_is_an_error_on_every_row(app, client, staff):
    # The import cleans each distinct 民族/性别 text once; a refused text must be refused on every row.
    rows = [sf.person(i, ethnicity="火星族") for i in range(3)] + [sf.person(3, ethnicity="汉")]
    upload(client, sf.xlsx(rows))
    batch = last_batch()
    assert (batch.errors, batch.valid) == (3, 1)
    with app.app_context():
        assert [i["row"] for i in batch.issues()] == [2, 3, 4]


def test_hundreds_of_errors_are_grouped_by_problem_and_sortable(client, staff):
    rows = [sf.person(i, gender="X") if i % 2 else sf.person(i, phone="1") for i in range(300)]
    body = text(upload(client, sf.xlsx(rows)))
    assert "按问题分组" in body and "共 300 条错误，第 1 / 6 页" in body
    batch = last_batch()
    group = text(client.get(f"/imports/{batch.id}?group=0&sort=column&page=3", headers={"HX-Request": "true"}))
    assert "仅显示一组问题" in group and "共 150 条错误，第 3 / 3 页" in group
    assert group.count("<tr><td class=\"num\">") == 50


def test_error_report_marks_bad_cells_and_once_fixed_imports(client, staff):
    rows = [sf.person(1), sf.person(2, id_number="41010220030105"), sf.person(3, ethnicity="火星族")]
    upload(client, sf.xlsx(rows))
    batch = last_batch()
    response = client.get(f"/imports/{batch.id}/report")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    sheet = book["考生信息"]
    header = [c.value for c in sheet[1]]
    assert header[-1] == "错误原因" and header[:-1] == sf.headers()
    assert sheet.max_row == 3
    id_cell, ethnicity_cell = sheet["C2"], sheet["F3"]
    assert id_cell.fill.fgColor.rgb.endswith("F8D7DA") and "格式不正确" in id_cell.comment.text
    assert "如何修改" in ethnicity_cell.comment.text
    assert sheet.cell(2, len(header)).value.startswith("第 3 行：证件号码")
    assert sheet["A2"].fill.fgColor.rgb != id_cell.fill.fgColor.rgb
    id_cell.value = sf.person(2)["id_number"]
    ethnicity_cell.value = "汉族"
    fixed = io.BytesIO()
    book.save(fixed)
    body = text(upload(client, fixed.getvalue(), "错误报告.xlsx"))
    assert "成功导入 2 条" in body and "已忽略" not in body


# ---- template, export, fingerprint, undo, history -----------------------------------------------
def _fill(template, rows):
    book = load_workbook(io.BytesIO(template))
    sheet = book["考生信息"]
    for row in rows:
        sheet.append([row[c.key] for c in sf.CANDIDATES.columns])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _tmp_file(data, suffix=".xlsx"):
    import tempfile
    handle = tempfile.NamedTemporaryFile(suffix=suffix, delete=False)
    handle.write(data)
    handle.close()
    return handle.name


def test_the_template_has_marked_headers_text_ids_dropdowns_a_guide_and_no_example_rows(client, staff):
    response = client.get("/imports/candidates/template")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["考生信息", "填写说明", "_certdesk"] and book["_certdesk"].sheet_state == "hidden"
    sheet = book["考生信息"]
    assert [c.value for c in sheet[1]][:4] == ["姓名*", "证件类型*", "证件号码*", "性别*"]
    assert sheet.max_row == 1 and sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["C"].number_format == "@"
    dropdowns = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in sheet.data_validations.dataValidation}
    # Excel warns about a value outside the list but lets it stand (汉 is accepted for 汉族).
    assert {dv.errorStyle for dv in sheet.data_validations.dataValidation} == {"warning"}
    assert set(dropdowns) == {"B2", "D2", "F2", "L2"}
    hidden = book["_certdesk"]
    assert hidden["A1"].value == "certdesk:candidates:v1"
    ethnicities = [hidden.cell(r, 7).value for r in range(1, 57)]
    assert dropdowns["F2"] == "'_certdesk'!$G$1:$G$56" and ethnicities[0] == "汉族" and len(set(ethnicities)) == 56
    guide = [row for row in book["填写说明"].iter_rows(values_only=True)]
    assert ("证件号码", "是") == guide[[r[0] for r in guide].index("证件号码")][:2]
    body = text(upload(client, _fill(response.data, [sf.person(1), sf.person(2)])))
    assert "成功导入 2 条" in body and "旧版模板" not in body


def test_export_of_the_filtered_list_reimports_unchanged_and_is_audited(client, staff):
    rows = [sf.person(1, class_name="=1+2"), sf.person(2, department="-机电学院"), sf.person(3, department="商学院")]
    upload(client, sf.csv_file(rows), "a.csv")
    response = client.get("/imports/candidates/export?department=-机电学院")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data))["考生信息"]
    assert sheet.max_row == 2 and sheet["C2"].value == rows[1]["id_number"]
    assert sheet["I2"].value == "'-机电学院"
    everyone = client.get("/imports/candidates/export").data
    assert load_workbook(io.BytesIO(everyone))["考生信息"].max_row == 4
    event = AuditEvent.select().where(AuditEvent.action == "candidate.export").first()
    assert event is not None and "-机电学院" in event.changes
    body = text(upload(client, everyone, "导出.xlsx", update=True))
    assert "3 行与系统中的信息完全相同" in body
    assert Candidate.get(Candidate.class_name == "=1+2")


def test_undo_asks_about_the_candidates_still_there_not_those_once_imported(client, staff):
    upload(client, sf.xlsx([sf.person(1), sf.person(2), sf.person(3)]))
    batch = last_batch()
    assert "将删除批次 #%d 导入的 3 名考生" % batch.id in text(client.get("/imports/"))
    # One deleted by hand since: the question counts the two the undo will really delete.
    client.delete(f"/candidates/{Candidate.by_identity('居民身份证', sf.person(2)['id_number']).id}",
                  headers={"HX-Request": "true"})
    assert batch.imported == 3 and Candidate.select().count() == 2
    page = text(client.get("/imports/"))
    assert "将删除批次 #%d 导入的 2 名考生" % batch.id in page and "导入的 3 名考生" not in page
    response = client.post(f"/imports/{batch.id}/undo", headers={"HX-Request": "true"})
    assert "删除 2 名考生" in json.loads(response.headers["HX-Trigger"])["notice"]["value"]


def test_a_file_imported_before_is_recognised_before_anything_is_written(client, staff):
    data = sf.xlsx([sf.person(1)])
    upload(client, data)
    first = last_batch()
    body = text(upload(client, data, update=True))
    stamp = f"{first.created_at.month}月{first.created_at.day}日 {first.created_at:%H:%M}"
    assert f"此文件已于 {stamp} 导入，批次 #{first.id}" in body and "仍然检查此文件" in body
    batch = last_batch()
    assert batch.total == 0 and Candidate.select().count() == 1
    rechecked = text(client.post(f"/imports/{batch.id}/recheck", headers={"HX-Request": "true"}))
    assert "1 行与系统中的信息完全相同" in rechecked


def test_a_batch_is_undone_whole_while_untouched_and_says_why_not_otherwise(client, staff):
    upload(client, sf.xlsx([sf.person(1), sf.person(2)]))
    first = last_batch()
    upload(client, sf.xlsx([sf.person(3), sf.person(4)]))
    second = last_batch()
    Candidate.by_identity("居民身份证", sf.person(3)["id_number"]).authenticate(by=staff)
    page = text(client.get("/imports/"))
    # (认证 also changes updated_at: when it lands in a later second the reason "导入后被修改过" joins in.)
    assert "不可撤销：本批次中1 名考生已认证或已人工确认" in page and "不能整体撤销" in page
    refused = client.post(f"/imports/{second.id}/undo", headers={"HX-Request": "true"})
    assert refused.status_code == 409 and Candidate.select().count() == 4
    response = client.post(f"/imports/{first.id}/undo", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "已撤销" in text(response)
    assert "已撤销批次" in json.loads(response.headers["HX-Trigger"])["notice"]["value"]
    assert ImportBatch.get_by_id(first.id).status == UNDONE
    assert Candidate.select().count() == 2
    assert AuditEvent.select().where(AuditEvent.action == "import.undo").count() == 1
    deleted = AuditEvent.select().where(AuditEvent.action == "candidate.delete")
    assert deleted.count() == 2
    event = deleted.first()
    gone = sf.person(1)
    assert event.object_type == "candidate" and event.username == staff.username
    assert event.object_label in {f"{p['name']}（{p['id_number'][:6]}********{p['id_number'][-4:]}）"
                                  for p in (gone, sf.person(2))}
    assert ("原因", "", f"撤销导入批次 #{first.id}") in event.change_list


def test_the_history_page_reads_what_its_rows_need_once_per_page_not_per_row(client, staff, monkeypatch):
    def history_queries():
        executed = []
        real = db.obj.execute_sql
        with monkeypatch.context() as patch:
            patch.setattr(db.obj, "execute_sql", lambda sql, *args, **kw: executed.append(sql) or real(sql, *args, **kw))
            page = text(client.get("/imports/", headers={"HX-Request": "true"}))
        return page, len(executed)

    upload(client, sf.xlsx([sf.person(1)]))
    upload(client, sf.xlsx([sf.person(2)]))
    Candidate.by_identity("居民身份证", sf.person(2)["id_number"]).authenticate(by=staff)
    page, few = history_queries()
    assert page.count(">撤销本次导入</button>") == 2 and "不可撤销：本批次中1 名考生已认证或已人工确认" in page
    for i in range(3, 9):
        upload(client, sf.xlsx([sf.person(i)]))
    upload(client, b"x", "a.txt")
    page, many = history_queries()
    assert page.count('id="batch-') == 9 and page.count("不可撤销") == 1
    assert many == few


def test_history_lists_every_batch_with_counts_status_and_report(client, staff):
    upload(client, sf.xlsx([sf.person(1), sf.person(2, gender="?")]))
    upload(client, b"x", "a.txt")
    page = text(client.get("/imports/"))
    assert "导入记录" in page and "考生.xlsx" in page and "a.txt" in page
    assert "待确认" in page and "未导入" in page and "下载错误报告" in page
    assert text(client.get("/imports/candidates", headers={"HX-Request": "true"})).count("导入记录") >= 1


def test_the_dialog_states_rules_limits_and_offers_the_template(client, staff):
    body = text(client.get("/imports/candidates", headers={"HX-Request": "true"}))
    assert "<html" not in body and "批量导入学生信息" in body
    assert "20 MB、100,000 行" in body and '下载“导入考生信息模板”' in body
    assert 'accept=".xlsx,.xls,.csv"' in body and "更新已有考生" in body and "保存" in body


def test_reviewers_may_not_import_or_export(client, login):
    login("reviewer")
    assert client.get("/imports/candidates").status_code == 403
    assert client.get("/imports/candidates/export").status_code == 403
    assert client.get("/imports/").status_code == 403


def test_the_planners_statistics_learn_the_imported_rows_after_the_result_is_stored(client, staff, monkeypatch):
    # ANALYZE reads every index of the table (~0.2 s at 100,000 candidates): not inside the import's transaction,
    # not before the page can show the result.
    seen = []
    monkeypatch.setattr("models.importers.refresh_statistics",
                        lambda models: seen.append((models, db.in_transaction(), last_batch().status)))
    assert "成功导入 3 条" in text(upload(client, sf.xlsx([sf.person(i) for i in range(3)])))
    assert seen == [([Candidate], False, IMPORTED)]


# ---- the background job path --------------------------------------------------------------------
@pytest.fixture
def threaded(app):
    app.config["JOBS_INLINE"] = False
    return app


def test_a_check_longer_than_the_uploads_wait_shows_its_progress_and_the_status_block_waits_for_the_job_to_end(
        threaded, client, staff, monkeypatch):
    monkeypatch.setattr("views.imports.UPLOAD_WAIT_SECONDS", 0)
    response = upload(client, sf.xlsx([sf.person(i) for i in range(50)]))
    body = text(response)
    batch = last_batch()
    if "成功导入" not in body:
        # The block asks again at once, and that request is answered when the job ends.
        assert "正在检查" in body and 'hx-trigger="load"' in body
        assert f'hx-get="/imports/{batch.id}?wait=1&amp;progress=' in body
    for _ in range(30):
        if "成功导入" in body:
            break
        body = text(client.get(f"/imports/{batch.id}?wait=1&progress=0", headers={"HX-Request": "true"}))
    assert "成功导入 50 条" in body and "hx-get" not in body.split("import-status", 2)[1].split(">", 1)[0]
    assert Candidate.select().count() == 50


def test_the_uploads_answer_waits_for_the_checks_outcome_and_shows_it(app, client, staff, monkeypatch):
    # A file of a few thousand rows is checked and saved within the wait: its result comes with 保存's answer,
    # without a status request after it.
    from models.job import Job
    from views.imports import UPLOAD_WAIT_SECONDS
    app.config.update(JOBS_INLINE=False, JOBS_DISPATCH=False)  # queued; the job "ends" during the wait below
    waits = []

    def wait(job_id, progress_shown, seconds=None, limit=4, outcome=None, redraw=None):
        waits.append((job_id, seconds, redraw, outcome()))
        ImportBatch.update(status=IMPORTED, total=3, valid=3, imported=3).where(ImportBatch.job_id == job_id).execute()
        return True
    monkeypatch.setattr(Job, "wait", wait)
    body = text(upload(client, sf.xlsx([sf.person(i) for i in range(3)])))
    assert waits == [(last_batch().job_id, UPLOAD_WAIT_SECONDS, UPLOAD_WAIT_SECONDS, False)]
    assert "成功导入 3 条" in body and "hx-get" not in body.split("import-status", 2)[1].split(">", 1)[0]


def test_a_status_request_over_the_limit_of_waiting_requests_asks_again_after_a_pause(app, client, staff):
    from models.job import Job
    app.config["JOBS_MAX_WAITERS"] = 0
    job = Job.queue("import.candidates")  # no process runs it: a wait would last its whole time
    batch = ImportBatch.create(kind="candidates", file_name="a.xlsx", status="检查中", created_by=staff, job_id=job.id)
    body = text(client.get(f"/imports/{batch.id}?wait=1&progress=0", headers={"HX-Request": "true"}))
    assert "正在检查" in body and 'hx-trigger="load delay:1s"' in body


def test_a_status_request_waits_for_the_batch_outcome_not_for_the_end_of_its_job(app, client, staff, monkeypatch):
    from models.job import Job
    batch = ImportBatch.create(kind="candidates", file_name="a.xlsx", status="检查中", created_by=staff,
                               job_id=Job.queue("import.candidates").id)
    answers = []

    def wait(job_id, progress_shown, seconds=None, limit=4, outcome=None, redraw=None):
        answers.append(outcome())
        ImportBatch.update(status=IMPORTED, imported=1).where(ImportBatch.id == batch.id).execute()
        answers.append(outcome())
        return True
    monkeypatch.setattr(Job, "wait", wait)
    body = text(client.get(f"/imports/{batch.id}?wait=1&progress=0", headers={"HX-Request": "true"}))
    assert answers == [False, True] and "成功导入 1 条" in body


def test_a_busy_status_block_asks_again_without_htmx_settle_delay(app, client, staff):
    # A swapped-in block's hx-trigger="load" fires only once htmx has settled it: 20 ms late by default.
    from models.job import Job
    batch = ImportBatch.create(kind="candidates", file_name="a.xlsx", status="检查中", created_by=staff,
                               job_id=Job.queue("import.candidates").id)
    app.config["JOBS_MAX_WAITERS"] = 0
    block = text(client.get(f"/imports/{batch.id}?wait=1&progress=0", headers={"HX-Request": "true"}))
    assert 'hx-swap="outerHTML settle:0ms show:top"' in re.search(r'<div id="import-status"[^>]*>', block).group(0)
    dialog = text(client.get("/imports/candidates", headers={"HX-Request": "true"}))
    assert 'hx-swap="outerHTML settle:0ms show:top"' in re.search(r'<form class="import-form"[^>]*>', dialog).group(0)


def test_an_interrupted_job_leaves_a_failed_batch_and_writes_nothing(client, staff):
    from models.job import FAILED, Job
    batch = ImportBatch.create(kind="candidates", file_name="a.xlsx", status="检查中", created_by=staff)
    job = Job.create(kind="import.candidates", status=FAILED, message="服务器重启，任务已中断，未写入任何数据，请重新上传")
    batch.job_id = job.id
    batch.save()
    page = text(client.get("/imports/"))
    assert "服务器重启" in page and ImportBatch.get_by_id(batch.id).status == REFUSED


def kill_the_job_of(batch):
    """As if the server process running the batch's job were killed: it claimed the job and stopped beating."""
    from models.job import RUNNING, Job
    Job.update(status=RUNNING, worker="gone:4242:0ld70ken", heartbeat_at=now() - timedelta(minutes=1)).where(
        Job.id == batch.job_id).execute()
    assert Job.reap() == 1


def test_a_check_whose_process_died_says_so_and_the_file_can_be_uploaded_again(app, client, staff):
    app.config.update(JOBS_INLINE=False, JOBS_DISPATCH=False)  # queued, and no process here runs it
    data = sf.xlsx([sf.person(i) for i in range(3)])
    upload(client, data)
    batch = last_batch()
    assert batch.status == "检查中"
    kill_the_job_of(batch)
    body = text(client.get(f"/imports/{batch.id}?wait=1&progress=0", headers={"HX-Request": "true"}))
    assert "文件未导入" in body and "服务器进程已停止" in body and "未写入任何数据，请重新上传" in body
    assert ImportBatch.get_by_id(batch.id).status == REFUSED
    with app.test_request_context():
        assert not batch.upload_path.exists()  # its personal data is not kept
    # 重新上传: the same file, this time checked to the end.
    app.config.update(JOBS_INLINE=True)
    assert "成功导入 3 条" in text(upload(client, data)) and Candidate.select().count() == 3


def test_a_save_whose_process_died_goes_back_to_review_and_can_be_retried_or_discarded(app, client, staff):
    upload(client, sf.xlsx([sf.person(1), sf.person(2), sf.person(3, phone="12345")]))
    batch = last_batch()
    app.config.update(JOBS_INLINE=False, JOBS_DISPATCH=False)
    client.post(f"/imports/{batch.id}/confirm", headers={"HX-Request": "true"})
    assert ImportBatch.get_by_id(batch.id).status == "导入中"
    kill_the_job_of(ImportBatch.get_by_id(batch.id))
    body = text(client.get(f"/imports/{batch.id}?wait=1&progress=0", headers={"HX-Request": "true"}))
    assert "导入未完成，未写入任何数据：处理任务的服务器进程已停止" in body
    assert "仅导入正确的 2 行" in body and "放弃" in body and Candidate.select().count() == 0
    app.config.update(JOBS_INLINE=True)
    body = text(client.post(f"/imports/{batch.id}/confirm", headers={"HX-Request": "true"}))
    assert "成功导入 2 条" in body and Candidate.select().count() == 2


def test_a_fill_down_of_identical_rows_is_reported_once_per_row_in_a_few_words(app, client, staff):
    same = sf.person(1)
    upload(client, sf.csv_file([same] * 3000), "名单.csv")
    batch = last_batch()
    assert (batch.total, batch.errors) == (3000, 3000)
    with app.app_context():
        messages = [i["problem"] for i in batch.issues() if "重复" in i["problem"]]
    # Each names three other rows and the group's size, not the 2,999 others (a quadratic report).
    assert messages and max(map(len, messages)) < 80
    assert "证件号码与第 3、4、5 等行重复（共 3,000 行相同）" in messages


def test_a_candidate_given_the_id_of_one_undone_shows_only_its_own_history(client, staff):
    # SQLite gives a new row the id of a deleted one when it was the highest: an import undone, then
    # another, gives its candidates the ids of those undone. Their 操作记录 must not show the others'.
    upload(client, sf.xlsx([sf.person(1)]))
    undone = Candidate.by_identity("居民身份证", sf.person(1)["id_number"])
    assert client.post(f"/imports/{last_batch().id}/undo", headers={"HX-Request": "true"}).status_code == 200
    upload(client, sf.xlsx([sf.person(7)]))
    again = Candidate.by_identity("居民身份证", sf.person(7)["id_number"])
    page = text(client.get(f"/candidates/{again.id}"))
    history = re.search(r'<ol class="timeline">(.*?)</ol>', page, re.S).group(1)
    assert history.count("<li>") == 1 and f"导入批次：#{last_batch().id}" in history  # its import only
    assert "删除考生" not in history and f"撤销导入批次 #" not in history
    if again.id == undone.id:  # what SQLite does; PostgreSQL's sequence never gives an id twice
        assert AuditEvent.select().where(AuditEvent.object_id == str(again.id)).count() > 1
