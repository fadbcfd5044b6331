"""An upload setting never promises more than the server accepts, and a file the server refuses (413) gets a
Chinese message naming the limit the dialog stated, as a page or as the notice of an htmx request."""
import io

import pytest

from models import setting
from models.setting import MAX_UPLOAD_MB
from models.user import ADMIN, STAFF


@pytest.fixture
def app_config(app_config):
    # A small server limit, so a test can exceed it without sending hundreds of megabytes.
    return dict(app_config, MAX_CONTENT_LENGTH=64 * 1024, WTF_CSRF_ENABLED=True)


def too_big(client, url, headers=None):
    return client.post(url, data={"file": (io.BytesIO(b"x" * 128 * 1024), "大文件.xlsx")}, headers=headers or {},
                       content_type="multipart/form-data")


@pytest.mark.parametrize("key", ["import_max_mb", "photo_zip_max_mb"])
def test_an_upload_setting_cannot_exceed_what_the_server_accepts(key):
    field = setting.BY_KEY[key]
    assert field.check(str(MAX_UPLOAD_MB)) == MAX_UPLOAD_MB
    with pytest.raises(setting.FieldError) as refused:
        field.check(str(MAX_UPLOAD_MB + 1))
    assert f"不在 1–{MAX_UPLOAD_MB} 之间" in refused.value.problem


def test_a_refused_import_names_the_import_limit_as_a_page_and_as_a_notice(client, login):
    login(STAFF)
    setting.put("import_max_mb", "20")
    page = too_big(client, "/imports/candidates")
    body = page.get_data(as_text=True)
    assert page.status_code == 413 and "<html" in body
    assert "上传的文件过大：不能超过 20 MB，请拆分为多个文件分批上传" in body
    notice = too_big(client, "/imports/awards", {"HX-Request": "true"})
    assert notice.status_code == 413 and notice.mimetype == "text/plain"
    assert notice.get_data(as_text=True) == "上传的文件过大：不能超过 20 MB，请拆分为多个文件分批上传"


def test_a_refused_photo_zip_names_the_zip_limit_and_other_uploads_the_servers(client, login):
    login(ADMIN)
    setting.put("photo_zip_max_mb", "300")
    body = too_big(client, "/photos/upload", {"HX-Request": "true"}).get_data(as_text=True)
    assert body == "上传的文件过大：不能超过 300 MB，请拆分为多个文件分批上传"
    body = too_big(client, "/candidates/new", {"HX-Request": "true"}).get_data(as_text=True)
    assert body == f"上传的文件过大：服务器一次最多接收 {MAX_UPLOAD_MB} MB"
