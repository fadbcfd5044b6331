"""Every download of people's data is in the audit log, written one way (audit.record_download): who, which
rows, how many; and the import's later steps are audited as the user who clicked, not as the uploader."""
import io
import zipfile

import pytest

from models.audit import AuditEvent
from models.candidate import Candidate
from models.import_batch import ImportBatch
from models.job import Job
from models.user import ADMIN, STAFF
from tests import sheetfiles as sf

HX = {"HX-Request": "true"}


@pytest.fixture
def app_config(app_config):
    return dict(app_config, JOBS_INLINE=True)


def upload(client, rows, name="考生.xlsx"):
    data = rows if isinstance(rows, bytes) else sf.xlsx(rows)
    client.post("/imports/candidates", data={"file": (io.BytesIO(data), name)}, headers=HX,
                content_type="multipart/form-data")
    return ImportBatch.select().order_by(ImportBatch.id.desc()).first()


def waiting_batch(client):
    """A 待确认 batch: one good row, one with an error."""
    return upload(client, [sf.person(1), sf.person(2, phone="123")])


def photo_job(client, world):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(f"{world['candidate'].id_number}.jpg", b"not a photo")
    client.post("/photos/upload", data={"file": (io.BytesIO(archive.getvalue()), "照片.zip")}, headers=HX,
                content_type="multipart/form-data")
    return Job.select().order_by(Job.id.desc()).first()


DOWNLOADS = {
    "candidate.export": lambda client, world: "/imports/candidates/export",
    "award.export": lambda client, world: "/awards/export",
    "award.prefill": lambda client, world: f"/awards/readiness/file?pair={world['cert'].id}|中级",
    "award.readiness_export": lambda client, world: f"/awards/readiness/export?pair={world['cert'].id}|中级",
    "award.roster_export": lambda client, world: "/awards/roster/export",
    "award.roster_print": lambda client, world: "/awards/roster/print",
    "photo.missing_export": lambda client, world: "/photos/missing",
    "photo.result_export": lambda client, world: f"/photos/jobs/{photo_job(client, world).id}/export?problems=1",
    "import.report": lambda client, world: f"/imports/{waiting_batch(client).id}/report",
}


@pytest.mark.parametrize("action", DOWNLOADS)
def test_every_download_is_audited_with_who_which_rows_and_how_many(client, login, world, action):
    user = login(STAFF)
    url = DOWNLOADS[action](client, world)
    assert client.get(url).status_code == 200
    event = AuditEvent.get(AuditEvent.action == action)
    assert event.user_id == user.id
    changes = {field: after for field, _, after in event.change_list}
    assert {"筛选条件", "条数"} <= set(changes) and changes["条数"].isdigit(), changes
    assert event.object_label.startswith(event.action_label), (event.object_label, event.action_label)


def test_the_error_report_download_names_its_batch_and_counts_its_rows(client, login, world):
    user = login(STAFF)
    batch = waiting_batch(client)
    client.get(f"/imports/{batch.id}/report")
    event = AuditEvent.get(AuditEvent.action == "import.report")
    assert (event.object_type, event.object_id, event.user_id) == ("importbatch", str(batch.id), user.id)
    assert event.object_label == f"下载错误报告：{batch}（含完整证件号码）"
    assert ("条数", "", "1") in event.change_list
    assert client.get(f"/imports/{batch.id + 1}/report").status_code == 404
    assert AuditEvent.select().where(AuditEvent.action == "import.report").count() == 1


def test_confirm_recheck_and_continue_are_audited_as_the_user_who_clicked(client, login):
    uploader = login(STAFF, username="uploader")
    one = sf.xlsx([sf.person(1)])
    upload(client, one)  # imported at once
    again = upload(client, one, "同一文件.xlsx")  # the same file: waits for 仍然检查此文件
    assert again.duplicate_of is not None
    waiting = upload(client, [sf.person(3), sf.person(2, phone="123")])
    admin = login(ADMIN, username="another")
    client.post(f"/imports/{again.id}/recheck", headers=HX)
    client.post(f"/imports/{waiting.id}/resume", headers=HX)
    client.post(f"/imports/{waiting.id}/confirm", headers=HX)

    def actors(action, batch):
        events = AuditEvent.select().where((AuditEvent.action == action) & (AuditEvent.object_id == str(batch.id)))
        return [event.user_id for event in events.order_by(AuditEvent.id)]

    assert actors("import.check", again) == [admin.id]
    assert actors("import.check", waiting) == [uploader.id, admin.id]
    assert actors("import.save", waiting) == [admin.id]
    created = Candidate.get(Candidate.id_number == sf.person(3)["id_number"])
    assert [e.user_id for e in AuditEvent.for_object("candidate", created.id)] == [admin.id]
