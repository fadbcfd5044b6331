"""Mistakes cost what the file costs, not more: every count exact, the rows stored for the error table and
report capped per column (the cap stated), the error table paged on the server."""
import io
import json
import re

import pytest
from openpyxl import load_workbook

from models.candidate import Candidate
from models.import_batch import IMPORTED, REVIEW, ImportBatch
from sheets import validate
from tests import sheetfiles as sf
from tests.test_import_candidates import app_config, last_batch, staff, text, upload  # noqa: F401 (fixtures)
from tests.test_import_flow import wrong_check_character

HX = {"HX-Request": "true"}


def table_rows(body, level="errors"):
    """The row numbers of the error (or 提示) table in a status block, in order."""
    table = re.search(rf'<table class="table import-errors import-{level}".*?</table>', body, re.S).group(0)
    return [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', table)]


def test_ten_thousand_identical_rows_are_counted_exactly_and_listed_in_part(app, client, staff):
    # An Excel fill-down: 10,000 copies of one person, a 1.3 MB CSV.
    data = sf.csv_file([sf.person(1)] * 10_000)
    response = upload(client, data, name="名单.csv")
    body = text(response)
    batch = last_batch()
    assert (batch.status, batch.total, batch.errors, batch.valid) == (REVIEW, 10_000, 10_000, 0)
    assert "证件号码与第 3、4、5 等行重复（共 10,000 行相同）" in body
    assert "证件号码 列还有 9,700 处错误未列出，修改上面的行后重新上传即可看到" in body
    assert "列出 300 条错误，第 1 / 6 页" in body
    # The status block and what is stored stay small, whatever the number of rows.
    assert len(response.data) < 100_000
    with app.app_context():
        assert batch.path("-errors.json").stat().st_size < 400_000
    sheet = load_workbook(io.BytesIO(client.get(f"/imports/{batch.id}/report").data))["考生信息"]
    assert "证件号码 列还有 9,700 处错误未列出，改正本表中的行后重新上传即可看到" in sheet["A1"].value
    assert sheet.max_row == 2 + 300  # the note, the header, the rows kept
    assert app.test_client().get("/login").status_code == 200


def test_the_error_table_pages_on_the_server_and_keeps_the_other_tables_page(client, staff):
    # Rows 2-121: a bad phone on each of 120 rows; rows 122-181: 60 rows with a wrong check character.
    rows = [sf.person(i, phone="1") for i in range(120)]
    rows += [sf.person(i, id_number=wrong_check_character(sf.id_number(i))) for i in range(201, 261)]
    body = text(upload(client, sf.xlsx(rows)))
    batch = last_batch()
    assert (batch.errors, batch.warned) == (120, 60)
    assert table_rows(body) == list(range(2, 52)) and "共 120 条错误，第 1 / 3 页" in body
    assert table_rows(body, "warnings") == list(range(122, 172)) and "共 60 条提示，第 1 / 2 页" in body
    body = text(client.get(f"/imports/{batch.id}?page=3&wpage=2", headers=HX))
    assert table_rows(body) == list(range(102, 122)) and table_rows(body, "warnings") == list(range(172, 182))
    assert f"/imports/{batch.id}?sort=row&amp;page=2&amp;wpage=2" in body  # 上一页 of the errors keeps 提示 page 2
    assert table_rows(text(client.get(f"/imports/{batch.id}?page=99", headers=HX))) == list(range(102, 122))


def test_rows_left_out_of_the_stored_list_are_still_never_imported(client, staff, monkeypatch):
    monkeypatch.setattr(validate, "DETAILS_PER_COLUMN", 3)
    rows = [sf.person(1), sf.person(2)]
    rows += [sf.person(i, id_number=wrong_check_character(sf.id_number(i))) for i in range(10, 16)]
    body = text(upload(client, sf.xlsx(rows)))
    batch = last_batch()
    assert (batch.valid, batch.warned) == (8, 6)
    assert table_rows(body, "warnings") == [4, 5, 6]
    assert "证件号码 列还有 3 处提示未列出" in body
    body = text(client.post(f"/imports/{batch.id}/confirm", data={"leave_warned": "1"}, headers=HX))
    batch = ImportBatch.get_by_id(batch.id)
    assert (batch.status, batch.imported, batch.errors) == (IMPORTED, 2, 6)
    assert sorted(c.id_number for c in Candidate.select()) == sorted([sf.id_number(1), sf.id_number(2)])
    assert "证件号码 列还有 3 处错误未列出" in body


def test_a_batch_stored_before_the_cap_still_shows_its_errors(app, client, staff):
    upload(client, sf.xlsx([sf.person(1), sf.person(2, phone="1")]))
    batch = last_batch()
    with app.app_context():
        rows = batch.findings().rows
        batch.path("-errors.json").write_text(json.dumps(rows, ensure_ascii=False), "utf-8")
    body = text(client.get(f"/imports/{batch.id}", headers=HX))
    assert table_rows(body) == [3] and client.get(f"/imports/{batch.id}/report").status_code == 200


@pytest.mark.parametrize("per_column, kept, omitted", [(2, [2, 3, 5], {"手机号": 2}),
                                                        (5, [2, 3, 4, 5, 6], {})])
def test_findings_keep_a_row_while_one_of_its_columns_has_room(per_column, kept, omitted):
    def bad(number, *headers):
        return {"row": number, "raw": {}, "issues": [{"row": number, "header": h, "fix": "改", "problem": "错"} for h in headers]}
    found = validate.Findings([bad(2, "手机号"), bad(3, "手机号", "民族"), bad(4, "手机号"), bad(5, "民族", "手机号"),
                               bad(6, "手机号")], per_column)
    assert [row["row"] for row in found.rows] == kept and found.omitted == omitted
    assert len(found) == 5 and [(g["header"], g["count"]) for g in found.groups()] == [("手机号", 5), ("民族", 2)]


def test_a_refused_row_that_is_also_a_duplicate_names_both_problems(app, client, staff):
    rows = [sf.person(1, phone="1"), sf.person(2), sf.person(1)]
    body = text(upload(client, sf.xlsx(rows)))
    batch = last_batch()
    assert (batch.errors, batch.valid) == (2, 1)
    with app.app_context():
        problems = {(i["row"], i["header"]): i["problem"] for i in batch.issues()}
    assert problems == {(2, "手机号"): "手机号「1」格式不正确", (2, "证件号码"): "证件号码与第 4 行重复",
                        (4, "证件号码"): "证件号码与第 2 行重复"}
    assert "证件号码与第 4 行重复" in body


def test_thousands_of_long_unknown_headers_are_named_in_part(client, staff):
    junk = [f"多余的列{n}" + "长" * 1000 for n in range(3000)]
    data = sf.csv_file([sf.person(1)], header=sf.headers() + junk)
    response = upload(client, data, name="名单.csv")
    body = text(response)
    assert "以下列不在模板中，已忽略：多余的列0" in body and "等 3,000 列" in body
    assert len(response.data) < 20_000
