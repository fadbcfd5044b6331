"""The 批量导入 dialog around a result: which results empty the file field, how an older 待确认 batch is told
apart from the new result, and the swaps that bring a result in view."""
import re

import pytest

from models.import_batch import CHECKING, DISCARDED, IMPORTED, REFUSED, REVIEW, SAVING, UNDONE, ImportBatch
from tests import sheetfiles as sf
from tests.test_import_candidates import app_config, staff, upload  # noqa: F401 (fixtures)


@pytest.mark.parametrize("status, closed", [(IMPORTED, True), (REFUSED, True), (UNDONE, True), (DISCARDED, True),
                                            (REVIEW, False), (CHECKING, False), (SAVING, False)])
def test_a_batch_is_closed_once_nothing_is_left_to_decide_about_its_file(status, closed):
    assert ImportBatch(kind="candidates", file_name="考生.xlsx", status=status).closed is closed


def status_block(body):
    return re.search(r'<div id="import-status"[^>]*>', body).group(0)


def test_an_imported_or_refused_result_asks_to_empty_the_file_field_and_a_waiting_one_does_not(client, staff):
    waiting = upload(client, sf.xlsx([sf.person(1), sf.person(2, phone="123")])).get_data(as_text=True)
    assert "data-clears-file" not in status_block(waiting)
    saved = upload(client, sf.xlsx([sf.person(3)])).get_data(as_text=True)
    batch = ImportBatch.select().order_by(ImportBatch.id.desc()).get()
    assert f'data-clears-file="import-file" data-batch="{batch.id}"' in status_block(saved)
    refused = upload(client, b"not a sheet", name="名单.txt").get_data(as_text=True)
    assert 'data-clears-file="import-file"' in status_block(refused)
