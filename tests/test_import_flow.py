"""An import is never a dead end: warnings that name their rows, the refused rows kept after a partial import,
待确认 batches that can be 继续 or 放弃, and 导入记录 that names the kind of its batches."""
import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from models.audit import AuditEvent
from models.award import AwardRecord
from models.candidate import Candidate
from models.candidate_fields import CANDIDATE_SHEET
from models.identity import CHECK_DIGIT_PROBLEM
from models.import_batch import DISCARDED, IMPORTED, REVIEW, ImportBatch
from models.normalise import file_name
from models.user import STAFF
from sheets.report import BAD_FILL, WARN_FILL
from tests import sheetfiles as sf
from tests.test_import_awards import filled_template, row as award_row
from tests.test_import_candidates import app_config, last_batch, staff  # noqa: F401 (fixtures)

HX = {"HX-Request": "true"}


def upload(client, data, name="考生.xlsx", kind="candidates", update=False):
    form = {"file": (io.BytesIO(data), name)}
    if update:
        form["update_existing"] = "1"
    return client.post(f"/imports/{kind}", data=form, headers=HX, content_type="multipart/form-data")


def wrong_check_character(number):
    return number[:-1] + ("0" if number[-1] != "0" else "1")


def mixed_rows():
    """Spreadsheet rows 2–6: fine, a wrong check character, a gender against the number, an unknown area
    code (all three import with a 提示), and a phone that is an error."""
    fine, typo, gender = sf.person(1), sf.person(2), sf.person(3)
    typo["id_number"] = wrong_check_character(typo["id_number"])
    gender["gender"] = "女" if gender["gender"] == "男" else "男"
    area = sf.person(4, id_number=sf.id_number(4, area="990102"))
    return [fine, typo, gender, area, sf.person(5, phone="123")]


def warning_rows(body):
    """{row number: problem} of the 提示 table in a status block."""
    table = re.search(r'<table class="table import-errors import-warnings".*?</table>', body, re.S).group(0)
    return {int(n): problem for n, problem in
            re.findall(r'<td class="num">(\d+)</td><td class="nowrap">[^<]*</td><td class="raw">.*?</td><td>(.*?)</td>',
                       table, re.S)}


def report_rows(client, batch):
    """{row number in the upload: (错误原因, {header: fill colour of its cell})} of the downloaded report."""
    response = client.get(f"/imports/{batch.id}/report")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data))[CANDIDATE_SHEET.title]
    headers = [cell.value for cell in sheet[1]]
    rows = {}
    for line in sheet.iter_rows(min_row=2):
        reason = line[-1].value
        number = int(re.match(r"第 (\d+) 行", reason).group(1))
        fills = {headers[i]: cell.fill.fgColor.rgb[-6:] for i, cell in enumerate(line[:-1])
                 if cell.fill.fill_type == "solid"}
        rows[number] = (reason, fills)
    return rows


# ---- warnings name their rows -------------------------------------------------------------------
@pytest.mark.parametrize("make", [sf.xlsx, lambda rows: sf.csv_file(rows, encoding="gbk")], ids=["xlsx", "gbk-csv"])
def test_rows_that_will_fail_authentication_are_listed_as_warnings_with_their_row_numbers(client, staff, make):
    name = "考生.csv" if make is not sf.xlsx else "考生.xlsx"
    body = upload(client, make(mixed_rows()), name).get_data(as_text=True)
    batch = last_batch()
    assert batch.status == REVIEW and (batch.valid, batch.errors, batch.warned) == (4, 1, 3)
    assert "<h3 class=\"import-h import-h-warn\">提示" in body
    warned = warning_rows(body)
    assert set(warned) == {3, 4, 5}
    assert warned[3] == CHECK_DIGIT_PROBLEM
    assert "性别与证件号码不符" in warned[4] and "地区码 990102" in warned[5]
    assert "请对照身份证逐位核对整个号码" in body
    assert import_buttons(body) == ["导入没有错误的 4 行（含 3 行有提示）", "只导入没有错误和提示的 1 行"]
    # The error is in the error table, not among the warnings.
    assert "手机号「123」格式不正确" in body and 6 not in warned


def import_buttons(body):
    """The words of a status block's buttons that import the batch, in their order."""
    return [" ".join(words.split()) for words in
            re.findall(r'<button[^>]*hx-post="/imports/\d+/confirm"[^>]*>(.*?)</button>', body, re.S)]


@pytest.mark.parametrize("with_error", [False, True], ids=["new-and-existing", "new-existing-and-errors"])
def test_each_import_button_says_exactly_which_rows_it_writes(client, staff, with_error):
    """A row with a 提示 has no error: the first button writes it and says so; 已存在 rows neither writes."""
    upload(client, sf.xlsx([sf.person(7)]))  # saved at once: no error, no 提示
    fine, typo = mixed_rows()[:2]
    rows = [sf.person(7), fine, typo] + ([sf.person(5, phone="123")] if with_error else [])
    body = upload(client, sf.xlsx(rows)).get_data(as_text=True)
    batch = last_batch()
    assert (batch.valid, batch.warned, batch.existing, batch.errors) == (2, 1, 1, int(with_error))
    assert import_buttons(body) == (["导入新增且没有错误的 2 行（含 1 行有提示）", "只导入新增且没有错误和提示的 1 行"]
                                    if with_error else ["导入新增的 2 行（含 1 行有提示）", "只导入新增且没有提示的 1 行"])
    client.post(f"/imports/{batch.id}/confirm", data={"leave_warned": "1"}, headers=HX)
    assert {c.id_number for c in Candidate.select()} == {sf.person(7)["id_number"], fine["id_number"]}


def test_with_errors_and_no_hint_the_button_reads_import_only_the_correct_rows(client, staff):
    body = upload(client, sf.xlsx([sf.person(1), sf.person(2), sf.person(5, phone="123")])).get_data(as_text=True)
    assert import_buttons(body) == ["仅导入正确的 2 行"]


def test_when_every_row_without_an_error_has_a_hint_one_button_says_so(client, staff):
    body = upload(client, sf.xlsx(mixed_rows()[1:3] + [sf.person(5, phone="123")])).get_data(as_text=True)
    assert import_buttons(body) == ["导入没有错误的 2 行（均有提示）"]


def test_the_report_colours_warnings_apart_from_errors(client, staff):
    upload(client, sf.xlsx(mixed_rows()))
    rows = report_rows(client, last_batch())
    assert set(rows) == {3, 4, 5, 6}
    reason, fills = rows[3]
    assert reason.startswith("第 3 行：【提示】证件号码：") and fills == {"证件号码*": WARN_FILL.fgColor.rgb[-6:]}
    assert rows[4][1] == {"性别*": WARN_FILL.fgColor.rgb[-6:]}
    reason, fills = rows[6]
    assert "【提示】" not in reason and fills == {"手机号*": BAD_FILL.fgColor.rgb[-6:]}


def error_rows(body):
    """[(row number, problem)] of the error table in a status block."""
    table = re.search(r'<table class="table import-errors import-errors".*?</table>', body, re.S).group(0)
    return [(int(n), problem) for n, problem in
            re.findall(r'<td class="num">(\d+)</td><td class="nowrap">[^<]*</td><td class="raw">.*?</td><td>(.*?)</td>',
                       table, re.S)]


def test_a_row_with_an_error_shows_its_warnings_too_in_the_dialog_and_the_report(client, staff):
    both = sf.person(2, phone="123")
    both["id_number"] = wrong_check_character(both["id_number"])
    body = upload(client, sf.xlsx([sf.person(1), both])).get_data(as_text=True)
    batch = last_batch()
    assert (batch.valid, batch.errors, batch.warned) == (1, 1, 0)  # counted once, as a row with an error
    problems = [problem for row, problem in error_rows(body) if row == 3]
    assert "手机号「123」格式不正确" in problems[0]
    assert problems[1] == f'<strong class="issue-level">提示：</strong>{CHECK_DIGIT_PROBLEM}'
    assert [g["header"] for g in batch.info["groups"]] == ["手机号"]  # 按问题分组 groups what refuses rows
    reason, fills = report_rows(client, batch)[3]
    assert "手机号" in reason and f"【提示】证件号码：{CHECK_DIGIT_PROBLEM}" in reason
    assert fills == {"手机号*": BAD_FILL.fgColor.rgb[-6:], "证件号码*": WARN_FILL.fgColor.rgb[-6:]}


def test_a_row_whose_id_number_is_an_error_gets_no_identity_warning(client, staff):
    body = upload(client, sf.xlsx([sf.person(1), sf.person(2, id_number="4101")])).get_data(as_text=True)
    assert "提示：" not in body and len([r for r, _ in error_rows(body) if r == 3]) == 1


def test_a_file_with_only_warnings_waits_and_the_user_may_import_the_rows_with_a_warning(client, staff):
    rows = mixed_rows()[:4]
    body = upload(client, sf.xlsx(rows)).get_data(as_text=True)
    batch = last_batch()
    assert batch.status == REVIEW and Candidate.select().count() == 0
    assert import_buttons(body) == ["导入全部 4 行（含 3 行有提示）", "只导入没有提示的 1 行"]
    assert "下载错误报告" in body
    body = client.post(f"/imports/{batch.id}/confirm", headers=HX).get_data(as_text=True)
    assert "成功导入 4 条" in body and Candidate.select().count() == 4
    assert "提示（已导入，请对照证件核对" in body and set(warning_rows(body)) == {3, 4, 5}


@pytest.mark.parametrize("leave", ["1", "true", " 1", ""])  # a value the button never sends leans to writing less
def test_the_rows_with_a_warning_can_be_left_out_to_be_fixed_first(client, staff, leave):
    upload(client, sf.xlsx(mixed_rows()))
    batch = last_batch()
    body = client.post(f"/imports/{batch.id}/confirm", data={"leave_warned": leave}, headers=HX).get_data(as_text=True)
    batch = ImportBatch.get_by_id(batch.id)
    assert (batch.status, batch.imported, batch.errors) == (IMPORTED, 1, 4)
    assert [c.id_number for c in Candidate.select()] == [sf.person(1)["id_number"]]
    assert "成功导入 1 条" in body and "4 行未导入" in body
    assert set(report_rows(client, batch)) == {3, 4, 5, 6}


# ---- after 仅导入正确的 N 行 ------------------------------------------------------------------------
def test_after_a_partial_import_the_refused_rows_the_report_and_reupload_stay(client, staff):
    rows = [sf.person(1), sf.person(2, phone="123"), sf.person(3)]
    upload(client, sf.xlsx(rows), update=True)
    batch = last_batch()
    body = client.post(f"/imports/{batch.id}/confirm", headers=HX).get_data(as_text=True)
    assert "成功导入 2 条" in body and "未导入的行" in body and "手机号「123」格式不正确" in body
    assert f'/imports/{batch.id}/report' in body and "重新上传修改后的文件" in body
    assert "/imports/candidates?update_existing=1" in body
    assert set(report_rows(client, batch)) == {3}
    # Shown again (closing and reopening the batch from 导入记录) the table is still there.
    again = client.get(f"/imports/{batch.id}", headers=HX).get_data(as_text=True)
    assert "手机号「123」格式不正确" in again
    dialog = client.get("/imports/candidates?update_existing=1", headers=HX).get_data(as_text=True)
    assert 'name="update_existing" value="1" checked' in dialog
    history = client.get("/imports/", headers=HX).get_data(as_text=True)
    assert "已导入 2 / 未导入 1" in history and f"/imports/{batch.id}/report" in history


def test_after_a_partial_award_import_the_refused_rows_and_the_report_stay(client, login, world):
    login(STAFF)
    rows = [award_row(world["candidate"]), award_row(world["candidate"], site_name="操场", level="高级")]
    upload(client, filled_template(rows), "待颁证.xlsx", kind="awards")
    batch = last_batch()
    body = client.post(f"/imports/{batch.id}/confirm", headers=HX).get_data(as_text=True)
    assert "成功导入 1 条" in body and "未导入的行" in body and "重新上传修改后的文件" in body
    assert "/imports/awards" in body and AwardRecord.select().count() == 1
    assert client.get(f"/imports/{batch.id}/report").status_code == 200


# ---- 待确认 batches: 继续 and 放弃 -------------------------------------------------------------------
def test_a_waiting_batch_is_offered_in_the_dialog_and_continue_checks_it_again(client, staff):
    rows = [sf.person(1), sf.person(2, phone="123"), sf.person(3)]
    upload(client, sf.xlsx(rows))
    batch = last_batch()
    dialog = client.get("/imports/candidates", headers=HX).get_data(as_text=True)
    assert "待确认的批次" in dialog and f"/imports/{batch.id}/resume" in dialog and f"/imports/{batch.id}/discard" in dialog
    # Meanwhile one of its people is stored: 继续 checks the file again and says so.
    upload(client, sf.xlsx([sf.person(1)]), "另一个.xlsx")
    body = client.post(f"/imports/{batch.id}/resume", headers=HX).get_data(as_text=True)
    batch = ImportBatch.get_by_id(batch.id)
    assert batch.status == REVIEW and (batch.valid, batch.existing, batch.errors) == (1, 1, 1)
    assert 'class="dialog-head"' in body and "导入新增且没有错误的 1 行" in body and "手机号「123」格式不正确" in body
    assert f"批次 #{batch.id}「考生.xlsx」" in body  # no file is chosen above it: the result names its file


def test_continue_never_imports_even_when_every_row_is_fine_now(client, staff):
    upload(client, sf.xlsx([sf.person(1)]))
    upload(client, sf.xlsx([sf.person(1), sf.person(2)]), "两人.xlsx")
    batch = last_batch()
    assert batch.existing == 1
    Candidate.get(Candidate.id_number == sf.person(1)["id_number"]).delete_instance()
    client.post(f"/imports/{batch.id}/resume", headers=HX)
    batch = ImportBatch.get_by_id(batch.id)
    assert (batch.status, batch.valid, batch.existing) == (REVIEW, 2, 0) and Candidate.select().count() == 0


def test_discard_keeps_the_batch_as_abandoned_and_deletes_its_stored_files_audited(app, client, staff):
    upload(client, sf.xlsx([sf.person(1), sf.person(2, phone="123")]))
    batch = last_batch()
    folder = Path(app.config["DATA_DIR"]) / "imports"
    client.get(f"/imports/{batch.id}/report")
    assert {p.name for p in folder.iterdir()} == {f"{batch.id}-upload.xlsx", f"{batch.id}-errors.json",
                                                   f"{batch.id}-errors.xlsx"}
    response = client.post(f"/imports/{batch.id}/discard", headers=HX)
    assert response.status_code == 200 and "notice" in response.headers["HX-Trigger"]
    kept = ImportBatch.get_by_id(batch.id)
    assert kept.status == DISCARDED and "放弃，上传的文件已删除" in kept.message
    assert not any(folder.iterdir())
    event = AuditEvent.get(AuditEvent.action == "import.discard")
    assert str(event.object_id) == str(batch.id) and event.user_id == staff.id


def test_a_batch_after_a_discarded_one_never_takes_its_number(client, staff):
    upload(client, sf.xlsx([sf.person(1), sf.person(2, phone="123")]))
    discarded = last_batch()
    client.post(f"/imports/{discarded.id}/discard", headers=HX)
    upload(client, sf.xlsx([sf.person(3)]), "下一个.xlsx")
    later = last_batch()
    assert later.id > discarded.id and later.file_name == "下一个.xlsx"
    assert ImportBatch.get_by_id(discarded.id).file_name == "考生.xlsx"


def test_history_lists_a_discarded_batch_under_its_state_and_the_row_answers_discard(client, staff):
    upload(client, sf.xlsx([sf.person(1), sf.person(2, phone="123")]))
    batch = last_batch()
    row = client.post(f"/imports/{batch.id}/discard", data={"show": "row"}, headers=HX).get_data(as_text=True)
    assert row.startswith(f'<tr id="batch-{batch.id}">') and "已放弃" in row and ">继续</button>" not in row
    assert "可导入" not in row  # nothing waits to be imported any more
    listed = client.get("/imports/?status=已放弃").get_data(as_text=True)
    assert f'<tr id="batch-{batch.id}">' in listed and '<option value="已放弃" selected' in listed
    assert f'<tr id="batch-{batch.id}">' not in client.get("/imports/?status=待确认").get_data(as_text=True)


def test_discard_in_the_dialog_starts_it_afresh_without_that_batch(client, staff):
    upload(client, sf.xlsx([sf.person(1), sf.person(2, phone="123")]), "先.xlsx")
    first = last_batch()
    upload(client, sf.xlsx([sf.person(3), sf.person(4, phone="123")]), "后.xlsx")
    second = last_batch()
    body = client.post(f"/imports/{second.id}/discard", data={"show": "dialog"}, headers=HX).get_data(as_text=True)
    assert 'class="dialog-head"' in body and 'name="file"' in body and "import-summary" not in body
    assert f'id="waiting-{first.id}"' in body and f'id="waiting-{second.id}"' not in body


def test_only_a_waiting_batch_can_be_continued_or_discarded(client, staff):
    upload(client, sf.xlsx([sf.person(1)]))
    batch = last_batch()
    assert batch.status == IMPORTED
    assert client.post(f"/imports/{batch.id}/discard", headers=HX).status_code == 409
    assert client.post(f"/imports/{batch.id}/resume", headers=HX).status_code == 409
    assert ImportBatch.get_by_id(batch.id).status == IMPORTED


def test_history_offers_continue_and_discard_for_a_waiting_batch(client, staff):
    upload(client, sf.xlsx([sf.person(1), sf.person(2, phone="123")]))
    batch = last_batch()
    row = re.search(rf'<tr id="batch-{batch.id}">(.*?)</tr>', client.get("/imports/").get_data(as_text=True), re.S).group(1)
    assert ">继续</button>" in row and ">放弃</button>" in row


def test_history_shows_no_counts_for_a_file_not_checked_because_it_was_imported_before(client, staff):
    data = sf.xlsx([sf.person(1)])
    upload(client, data)
    first = last_batch()
    upload(client, data, "又一次.xlsx")
    again = last_batch()
    row = re.search(rf'<tr id="batch-{again.id}">(.*?)</tr>', client.get("/imports/").get_data(as_text=True), re.S).group(1)
    assert f"未检查：与批次 #{first.id} 是同一文件" in row and "可导入" not in row and ">继续</button>" in row


# ---- 导入记录 fits the kind ---------------------------------------------------------------------------
def test_history_of_one_kind_names_that_kind_in_breadcrumb_title_and_button(client, staff):
    awards = client.get("/imports/?kind=awards").get_data(as_text=True)
    assert '<a href="/awards/">待颁证记录</a> / 导入待颁证记录 / 导入记录' in awards
    assert "<h1>导入待颁证记录：导入记录</h1>" in awards
    assert ">导入待颁证记录</button>" in awards and "批量导入学生信息" not in awards and "考生管理</a> /" not in awards
    candidates = client.get("/imports/?kind=candidates").get_data(as_text=True)
    assert "考生管理</a> / 批量导入学生信息 / 导入记录" in candidates and ">批量导入学生信息</button>" in candidates


def test_history_is_linked_from_each_import_menu_and_the_dialog(client, staff):
    assert 'href="/imports/?kind=candidates">导入记录</a>' in client.get("/candidates/").get_data(as_text=True)
    assert 'href="/imports/?kind=awards">导入记录</a>' in client.get("/awards/").get_data(as_text=True)
    assert 'href="/imports/?kind=awards">导入记录</a>' in client.get("/imports/awards", headers=HX).get_data(as_text=True)


def test_a_check_shorter_than_a_tenth_of_a_second_reads_less_than_0_1_s(client, staff):
    upload(client, sf.xlsx([sf.person(1)]))
    batch = last_batch()
    ImportBatch.update(duration=0.04).where(ImportBatch.id == batch.id).execute()
    history = client.get("/imports/").get_data(as_text=True)
    assert "不到 0.1 秒" in history and "0.0 秒" not in history


def test_a_file_name_is_stored_without_control_or_direction_characters_and_keeps_its_extension(client, staff):
    # A NUL cannot be stored in PostgreSQL (the upload answered 500 there, and a SQLite college holding one could
    # not move); U+202E shows what follows it reversed; a long name was cut before its extension was checked.
    # (A path before it is dropped too: test_file_names_as_stored; how a client quotes one in the form varies.)
    name = "名单\x00\u202e" + "长" * 300 + ".xlsx"
    upload(client, sf.xlsx([sf.person(8)]), name=name)
    batch = ImportBatch.select().order_by(ImportBatch.id.desc()).get()
    assert batch.status == IMPORTED, batch.message
    assert batch.file_name.startswith("名单长") and batch.file_name.endswith("长.xlsx")
    assert len(batch.file_name) == 200 and "\x00" not in batch.file_name and "\u202e" not in batch.file_name
    labels = [e.object_label for e in AuditEvent.select().where(AuditEvent.object_type == "importbatch")]
    assert labels and not any("\x00" in label or "\u202e" in label for label in labels)


@pytest.mark.parametrize("name, stored", [("", "未命名"), ("..", "未命名"), ("a/b\\c.xlsx", "c.xlsx"),
                                          ("\x07\u200f名单.CSV", "名单.CSV"), ("x." + "y" * 40, "x." + "y" * 40)])
def test_file_names_as_stored(name, stored):
    assert file_name(name) == stored
