"""Every example CertDesk shows (template, 填写说明, form placeholders, hints, photo rules) passes its own checks:
a user who copies one is never refused for it."""
import re
from datetime import date

import pytest

from models.award_fields import AWARD_SHEET
from models.candidate_fields import CANDIDATE_SHEET
from models.identity import EXAMPLE_ID, identity_findings, identity_notes
from models.photo import PhotoRules
from sheets.spec import FieldError

SHEETS = [CANDIDATE_SHEET, AWARD_SHEET]
COLUMNS = [(spec.kind, column) for spec in SHEETS for column in spec.columns if column.example]


@pytest.mark.parametrize("kind, column", COLUMNS, ids=[f"{kind}-{column.key}" for kind, column in COLUMNS])
def test_each_declared_example_passes_its_columns_clean(kind, column):
    try:
        column.clean(column.example)
    except FieldError as exc:
        pytest.fail(f"{column.header} 的示例「{column.example}」未通过检查：{exc.message}")


@pytest.mark.parametrize("column", [c for spec in SHEETS for c in spec.columns if "例如" in c.help],
                         ids=lambda column: column.key)
def test_each_example_in_a_hint_passes_its_columns_clean(column):
    for example in re.findall(r"例如 (\S+)", column.help):
        column.clean(example)


@pytest.mark.parametrize("spec", SHEETS, ids=lambda spec: spec.kind)
def test_a_row_of_the_examples_passes_the_checks_across_columns(spec):
    values, errors = spec.clean({column.key: column.example for column in spec.columns})
    assert errors == {}, {key: error.message for key, error in errors.items()}


def test_the_example_row_of_the_candidate_sheet_passes_authentication():
    values, _ = CANDIDATE_SHEET.clean({column.key: column.example for column in CANDIDATE_SHEET.columns})
    findings = identity_findings(values["name"], values["id_type"], values["id_number"], values["gender"],
                                 values["birth_date"], today=date(2026, 9, 1))
    assert findings == [] and identity_notes(values["id_type"], values["id_number"]) == []


def test_the_photo_rules_name_a_file_after_an_id_that_passes_authentication(app):
    with app.app_context():
        naming = dict(PhotoRules.load().describe())["命名"]
    assert re.findall(r"例如 (\w+)\.jpg", naming) == [EXAMPLE_ID]
    assert identity_findings("张三", "居民身份证", EXAMPLE_ID, "男", None, today=date(2026, 9, 1)) == []
