"""The words of an import result's buttons (ImportBatch.import_buttons): each names exactly the rows it writes,
for errors only, 提示 only, both, and 已存在 rows; the dialog prints them as they are."""
import json
import re

import pytest

from models.import_batch import IMPORTED, REVIEW, ImportBatch
from tests import sheetfiles as sf
from tests.test_import_candidates import app_config, staff, upload  # noqa: F401 (fixtures)
from tests.test_import_flow import import_buttons, mixed_rows


def waiting(valid, errors=0, warned=0, existing=0, status=REVIEW, **fields):
    """A 待确认 batch with these counts, as the check leaves it (not stored: the words need no database)."""
    return ImportBatch(kind="candidates", file_name="考生.xlsx", status=status, valid=valid, errors=errors,
                       existing=existing, details=json.dumps({"warned": warned}), **fields)


@pytest.mark.parametrize("counts, buttons", [
    (dict(valid=2, errors=1), [("仅导入正确的 2 行", False)]),
    (dict(valid=4, warned=3), [("导入全部 4 行（含 3 行有提示）", False), ("只导入没有提示的 1 行", True)]),
    (dict(valid=2, warned=2), [("导入全部 2 行（均有提示）", False)]),
    (dict(valid=4, errors=1, warned=3),
     [("导入没有错误的 4 行（含 3 行有提示）", False), ("只导入没有错误和提示的 1 行", True)]),
    (dict(valid=2, errors=1, warned=2), [("导入没有错误的 2 行（均有提示）", False)]),
    (dict(valid=2, existing=1), [("导入新增的 2 行", False)]),
    (dict(valid=2, errors=1, existing=1), [("导入新增且没有错误的 2 行", False)]),
    (dict(valid=2, warned=1, existing=1), [("导入新增的 2 行（含 1 行有提示）", False), ("只导入新增且没有提示的 1 行", True)]),
    (dict(valid=2, errors=1, warned=1, existing=1),
     [("导入新增且没有错误的 2 行（含 1 行有提示）", False), ("只导入新增且没有错误和提示的 1 行", True)]),
], ids=["errors-only", "hints-only", "hints-on-every-row", "errors-and-hints", "errors-and-hints-on-every-row",
        "existing", "existing-and-errors", "existing-and-hints", "existing-errors-and-hints"])
def test_each_import_button_names_exactly_the_rows_it_writes(counts, buttons):
    assert waiting(**counts).import_buttons == buttons


@pytest.mark.parametrize("batch", [
    waiting(valid=0, errors=3),
    waiting(valid=0, existing=2),
    waiting(valid=2, errors=1, duplicate_of=7),  # asks 仍然检查此文件 first
    waiting(valid=2, errors=1, status=IMPORTED),
], ids=["only-errors", "only-existing", "duplicate", "imported"])
def test_no_import_button_when_nothing_can_be_imported(batch):
    assert batch.import_buttons == []


def test_the_dialog_prints_the_batch_s_buttons_and_the_second_leaves_the_hinted_rows_out(client, staff):
    body = upload(client, sf.xlsx(mixed_rows())).get_data(as_text=True)
    batch = ImportBatch.select().order_by(ImportBatch.id.desc()).get()
    assert import_buttons(body) == [words for words, _ in batch.import_buttons]
    second = re.search(r'<button[^>]*hx-post="/imports/\d+/confirm"[^>]*>只导入', body).group(0)
    assert """hx-vals='{"leave_warned": "1"}'""" in second


def test_a_batch_with_nothing_to_import_says_so(client, staff):
    body = upload(client, sf.xlsx([sf.person(1, phone="123")])).get_data(as_text=True)
    assert import_buttons(body) == [] and "没有可以导入的行。" in body
