"""The sheet engine is domain-free, and each sheet's one declaration drives the form, template and export."""
import ast
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from models import normalise
from models.award_fields import AWARD_SHEET
from models.candidate import Candidate
from models.candidate_fields import CANDIDATE_SHEET
from models.user import STAFF
from sheets import readers
from sheets.export import build_export
from sheets.spec import Column, SheetSpec
from sheets.template import build_template
from tests import sheetfiles as sf

SHEETS = Path(__file__).resolve().parent.parent / "sheets"


def _imports(path):
    """Every module a file imports, wherever the import statement is (relative ones with their dots)."""
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield "." * node.level + (node.module or "")


def test_the_sheet_engine_imports_nothing_from_models_or_views():
    found = {path.name: list(_imports(path)) for path in sorted(SHEETS.glob("*.py"))}
    assert "spec.py" in found and "readers.py" in found
    for name, modules in found.items():
        for module in modules:
            assert not module.startswith(("models", "views", "..")), f"sheets/{name} imports {module}"


def test_choices_given_as_a_callable_are_read_each_time_a_template_is_built(tmp_path):
    offered = ["Web前端开发"]
    spec = SheetSpec(kind="demo", title="证书", template_name="证书模板", noun="证书", unit="个",
                     columns=(Column("name", "证书名称", choices=lambda: offered, required=True),))
    first = load_workbook(io.BytesIO(build_template(spec)))
    offered.append("物流管理")
    second = load_workbook(io.BytesIO(build_template(spec)))
    assert [c.value for c in first["_certdesk"]["B"]] == ["Web前端开发"]
    assert [c.value for c in second["_certdesk"]["B"]] == ["Web前端开发", "物流管理"]


def test_an_export_sizes_each_column_to_its_values_counting_cjk_double_and_writes_every_row():
    spec = SheetSpec(kind="demo", title="名单", template_name="名单", noun="人", unit="名",
                     columns=(Column("seq", "序号"), Column("id_number", "证件号码", as_text=True),
                              Column("site", "考核站点"), Column("note", "备注")))
    rows = [{"seq": i, "id_number": "41010220030105123X", "site": "信息楼机房", "note": ""} for i in range(1, 301)]
    rows[3]["site"] = "信息工程学院Web前端开发考核站点"  # 14 CJK characters and 3 letters: 31 wide
    rows[5]["note"] = "很" * 100
    rows[-1]["site"] = "只有第三百行才有的更长的考核站点名称" * 2  # beyond the rows read ahead
    sheet = load_workbook(io.BytesIO(build_export(spec, iter(rows))))["名单"]
    widths = [sheet.column_dimensions[letter].width for letter in "ABCD"]
    assert widths == [10, 20, 33, 50]  # 序号 as its header needs; a long 备注 stops at 50
    assert sheet.max_row == 1 + 300 and sheet["A301"].value == 300


def test_a_header_only_file_names_its_own_kind_of_rows(tmp_path):
    path = tmp_path / "待颁证记录.csv"
    path.write_text(",".join(c.title for c in AWARD_SHEET.columns) + "\n", "utf-8")
    with pytest.raises(readers.SheetError, match="没有待颁证记录数据"):
        readers.read(path, AWARD_SHEET)


def test_a_column_added_to_the_candidate_sheet_shows_in_the_form_the_template_and_the_export(
        client, login, monkeypatch):
    login(STAFF)
    remark = Column("remark", "备注", normalise.text, example="班长", help="选填")
    monkeypatch.setattr(CANDIDATE_SHEET, "columns", CANDIDATE_SHEET.columns + (remark,))
    # The stored field a real column would add with its migration.
    monkeypatch.setattr(Candidate, "remark", "学习委员", raising=False)
    person = sf.person(1)
    Candidate.create(**{k: v for k, v in person.items() if k not in ("birth_date", "enrollment_year")})

    form = client.get("/candidates/new", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'name="remark"' in form and ">备注</label>" in form and "例如 班长" in form

    template = load_workbook(io.BytesIO(client.get("/imports/candidates/template").data))
    assert [c.value for c in template["考生信息"][1]][-1] == "备注"
    guide = [row[0] for row in template["填写说明"].iter_rows(values_only=True)]
    assert "备注" in guide

    export = load_workbook(io.BytesIO(client.get("/imports/candidates/export").data))["考生信息"]
    # The template's columns end with 备注; the export-only columns (状态 …) follow them.
    last = len(CANDIDATE_SHEET.columns)
    assert export.cell(1, last).value == "备注" and export.cell(2, last).value == "学习委员"
