"""导入待颁证记录 through the shared engine: template → fill → import, each check refusing its row."""
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from models.audit import AuditEvent
from models.award import SUBMITTED, AwardRecord
from models.award_fields import AWARD_SHEET as AWARDS
from models.import_batch import IMPORTED, REVIEW, ImportBatch
from models.candidate import VERIFIED, Candidate
from models.user import STAFF
from sheets.template import build_template
from tests.conftest import other_candidates


@pytest.fixture
def app_config(app_config):
    return dict(app_config, JOBS_INLINE=True)


def filled_template(rows):
    """The downloadable template with rows typed into its data sheet, as a user would."""
    book = load_workbook(io.BytesIO(build_template(AWARDS)))
    sheet = book[AWARDS.title]
    keys = [c.key for c in AWARDS.columns]
    for row in rows:
        sheet.append([row.get(k, "") for k in keys])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def row(candidate, **changes):
    values = {"name": candidate.name, "id_type": candidate.id_type, "id_number": candidate.id_number,
              "certificate_name": "Web前端开发", "level": "中级", "site_name": "信息楼机房",
              "exam_date": "2026/6/15", "theory_score": "85", "practical_score": "78", "result": "通过"}
    values.update(changes)
    return values


def upload(client, data):
    return client.post("/imports/awards", data={"file": (io.BytesIO(data), "待颁证.xlsx")},
                       headers={"HX-Request": "true"}, content_type="multipart/form-data")


def test_dialog_and_template_are_the_awards_ones(client, login, world):
    login(STAFF)
    dialog = client.get("/imports/awards", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "导入待颁证记录" in dialog and "更新已有考生" not in dialog
    template = client.get("/imports/awards/template")
    book = load_workbook(io.BytesIO(template.data))
    headers = [c.value for c in book[AWARDS.title][1]]
    assert headers[:3] == ["姓名*", "证件类型*", "证件号码*"] and "考核结果*" in headers


def test_all_valid_rows_become_pending_records_at_once(client, login, world):
    login(STAFF)
    response = upload(client, filled_template([row(world["candidate"])]))
    body = response.get_data(as_text=True)
    assert "成功导入 1 条" in body and "awardsChanged" in response.headers["HX-Trigger-After-Swap"]
    record = AwardRecord.get()
    assert (record.status, record.level, record.exam_date, record.theory_score) == (SUBMITTED, "中级", date(2026, 6, 15), 85)
    assert ImportBatch.get().status == IMPORTED


def test_rows_failing_checks_are_listed_and_nothing_is_written_until_confirmed(client, login, world):
    login(STAFF)
    waiting = other_candidates(1)[0]
    Candidate.update(status=VERIFIED).where(Candidate.id == waiting.id).execute()
    rows = [row(world["candidate"]), row(waiting), row(world["candidate"], site_name="操场", exam_date="2099-01-01")]
    body = upload(client, filled_template(rows)).get_data(as_text=True)
    assert "考生状态为「认证通过」，还需完成人工确认" in body
    assert "考核站点「操场」不存在" in body and "在未来" in body
    assert "仅导入正确的 1 行" in body
    assert AwardRecord.select().count() == 0
    batch = ImportBatch.get()
    assert batch.status == REVIEW and batch.errors == 2
    confirmed = client.post(f"/imports/{batch.id}/confirm", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "成功导入 1 条" in confirmed
    assert AwardRecord.select().count() == 1


def test_duplicate_in_the_file_refuses_only_the_later_row(client, login, world):
    login(STAFF)
    body = upload(client, filled_template([row(world["candidate"]), row(world["candidate"])])).get_data(as_text=True)
    assert "与第 2 行重复" in body and ImportBatch.get().errors == 1


def test_quota_used_up_between_preview_and_confirm_is_not_exceeded(client, login, world):
    login(STAFF)
    c1, c2, c3 = other_candidates(3)
    Candidate.update(status=VERIFIED).where(Candidate.id == c3.id).execute()
    body = upload(client, filled_template([row(c1), row(c2), row(c3)])).get_data(as_text=True)
    assert "仅导入正确的 2 行" in body
    for taken in (world["candidate"], c3):  # other imports took two places meanwhile (quota is 3)
        AwardRecord.create(candidate=taken, certificate=world["cert"], level="中级", site=world["site"],
                           exam_date=date(2026, 5, 1))
    batch = ImportBatch.get()
    client.post(f"/imports/{batch.id}/confirm", headers={"HX-Request": "true"})
    assert AwardRecord.select().count() == 3  # the quota, exactly: one kept row no longer fits
    assert AwardRecord.select().where(AwardRecord.batch_id == batch.id).count() == 1
    # The row refused now joins the error report, next to the one refused at the preview.
    report = load_workbook(io.BytesIO(client.get(f"/imports/{batch.id}/report").data))["待颁证记录"]
    reasons = [row[-1] for row in report.iter_rows(min_row=2, values_only=True)]
    assert len(reasons) == 2 and ImportBatch.get_by_id(batch.id).errors == 2
    assert any("超出" in reason and "省厅指标" in reason for reason in reasons)


def test_undo_an_award_import_while_nothing_was_reviewed(client, login, world):
    login(STAFF)
    upload(client, filled_template([row(world["candidate"])]))
    batch = ImportBatch.get()
    record = AwardRecord.get()
    label = str(record)
    assert client.post(f"/imports/{batch.id}/undo", headers={"HX-Request": "true"}).status_code == 200
    assert AwardRecord.select().count() == 0
    created, deleted = (AuditEvent.get(AuditEvent.action == action) for action in ("award.create", "award.delete"))
    assert (created.object_type, created.object_id, created.object_label) == ("awardrecord", str(record.id), label)
    assert (deleted.object_id, deleted.object_label) == (str(record.id), label)
    assert ("状态", SUBMITTED, "") in deleted.change_list


def test_a_record_given_the_id_of_one_undone_shows_only_its_own_history(client, login, world):
    login(STAFF)
    upload(client, filled_template([row(world["candidate"])]))
    client.post(f"/imports/{ImportBatch.get().id}/undo", headers={"HX-Request": "true"})
    upload(client, filled_template([row(world["candidate"], exam_date="2026/6/20")]))
    record = AwardRecord.get()
    assert AuditEvent.select().where(AuditEvent.object_id == str(record.id)).count() >= 1
    page = client.get(f"/awards/{record.id}").get_data(as_text=True)
    assert "导入待颁证记录" in page and "撤销导入的记录" not in page
