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


HX = {"HX-Request": "true"}


def test_beside_a_new_result_the_older_waiting_batches_fold_away_and_their_buttons_name_them(client, staff):
    upload(client, sf.xlsx([sf.person(1), sf.person(2, phone="123")]), name="甲.xlsx")
    upload(client, sf.xlsx([sf.person(3), sf.person(4, phone="123")]), name="乙.xlsx")
    first, second = ImportBatch.select().order_by(ImportBatch.id)[:2]
    body = upload(client, sf.xlsx([sf.person(5), sf.person(6, phone="123")]), name="丙.xlsx").get_data(as_text=True)
    third = ImportBatch.select().order_by(ImportBatch.id.desc()).get()
    folded = re.search(r'<details class="import-waiting">\s*<summary>(.*?)</summary>', body, re.S).group(1)
    assert folded == f"另有 2 个之前上传、尚未导入的批次：「乙.xlsx」（批次 #{second.id}）、「甲.xlsx」（批次 #{first.id}）"
    assert f">放弃批次 #{third.id}</button>" in body and f">继续批次 #{first.id}</button>" in body
    # Without a result (the dialog opened afresh) they are in view.
    dialog = client.get("/imports/candidates", headers=HX).get_data(as_text=True)
    assert "<details" not in dialog and f">放弃批次 #{third.id}</button>" in dialog


def test_giving_up_an_older_batch_draws_the_others_again_beside_the_result(client, staff):
    for name in ("甲.xlsx", "乙.xlsx", "丙.xlsx"):
        upload(client, sf.xlsx([sf.person(1), sf.person(2, phone="123")]), name=name)
    first, second, third = ImportBatch.select().order_by(ImportBatch.id)
    form = {"show": "waiting", "beside": str(third.id)}
    body = client.post(f"/imports/{first.id}/discard", data=form, headers=HX).get_data(as_text=True)
    assert body.strip().startswith('<div id="import-waiting">') and "<details class=\"import-waiting\" open>" in body
    assert "「乙.xlsx」" in body and "甲.xlsx" not in body and "丙.xlsx" not in body
    body = client.post(f"/imports/{second.id}/discard", data=form, headers=HX).get_data(as_text=True)
    assert body.strip() == ""  # none left: the fold goes
    assert ImportBatch.get_by_id(third.id).status == REVIEW


@pytest.mark.parametrize("beside", ["99999999999999999999", "x", "-1", ""])
def test_a_forged_beside_draws_the_older_batches_without_a_result(client, staff, beside):
    for name in ("甲.xlsx", "乙.xlsx"):
        upload(client, sf.xlsx([sf.person(1), sf.person(2, phone="123")]), name=name)
    first, second = ImportBatch.select().order_by(ImportBatch.id)
    response = client.post(f"/imports/{first.id}/discard", data={"show": "waiting", "beside": beside}, headers=HX)
    assert response.status_code == 200 and "「乙.xlsx」" in response.get_data(as_text=True)
