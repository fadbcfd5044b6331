"""自动修正: each mendable rule gives a photo that passes the check, stored only once the user accepts it."""
import io
import json
import time

import pytest
from openpyxl import load_workbook
from PIL import Image

from models.audit import AuditEvent
from models.candidate import Candidate
from models.photo import check_photo, demo_jpeg
from models.photo_fix import EXPIRES_AFTER, accept, fixes_dir, offer, pending, prune, propose_fix
from tests.test_photos import (ID_A, ID_B, ID_C, RULES, app_config, build_zip, data_dir,  # noqa: F401
                               last_job, make_candidate, results, upload)


def encoded(image, fmt="JPEG", **options):
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def picture(width=358, height=441, seed=1):
    return Image.open(io.BytesIO(demo_jpeg(width, height, seed=seed)))


def rotated():
    exif = Image.Exif()
    exif[0x0112] = 6  # shown turned 90° clockwise: the stored pixels are lying on their side
    return encoded(picture(441, 358), quality=92, exif=exif)


def with_red_top(width, height, band):
    """A picture whose top `band` rows are red."""
    image = picture(width, height)
    image.paste((255, 0, 0), (0, 0, width, band))
    return encoded(image, quality=92)


def phone_photo():
    """A 12-million-pixel phone photo taken upright, stored lying on its side with an EXIF orientation."""
    exif = Image.Exif()
    exif[0x0112] = 6
    return encoded(picture(441, 358).resize((4032, 3024)), quality=90, exif=exif)


FIXABLE = {
    "file too large": demo_jpeg(1000, 1300, quality=98),
    "landscape": demo_jpeg(800, 600),
    "phone photo of 12 million pixels": phone_photo(),
    "file too small": demo_jpeg(quality=15),
    "too wide": demo_jpeg(500, 500),
    "too tall": demo_jpeg(358, 700),
    "PNG": encoded(picture(), "PNG"),
    "PNG with an opaque alpha channel": encoded(picture().convert("RGBA"), "PNG"),
    "BMP": encoded(picture(), "BMP"),
    "WebP": encoded(picture(), "WEBP", quality=90),
    "EXIF orientation": rotated(),
    "CMYK": encoded(picture().convert("CMYK"), quality=92),
}


@pytest.mark.parametrize("rule", FIXABLE)
def test_each_mendable_rule_gives_a_photo_that_passes_the_same_check(rule):
    data = FIXABLE[rule]
    assert not check_photo(data, RULES).ok
    fix, problem = propose_fix(data, RULES)
    assert fix is not None, problem
    result = check_photo(fix.data, RULES)
    assert result.ok, result.problem
    assert fix.changes and fix.after["格式"] == "JPEG"


def test_a_rotated_photo_is_turned_upright():
    fix, _ = propose_fix(rotated(), RULES)
    assert Image.open(io.BytesIO(fix.data)).size == (358, 441)
    assert "按拍摄方向转正" in fix.changes


def test_a_too_tall_photo_is_cropped_keeping_the_upper_part():
    # 800 rows cut to 533: a centred crop would take 133 rows off the top, and with them all the red.
    fix, _ = propose_fix(with_red_top(358, 800, band=120), RULES)
    image = Image.open(io.BytesIO(fix.data)).convert("RGB")
    assert image.width == 358 and 1.2 <= image.height / image.width <= 1.5
    red, green, _ = image.getpixel((179, 2))
    assert red > 200 and green < 80  # the top is still there: the cut was mostly from the bottom


@pytest.mark.parametrize("data, problem", [
    (demo_jpeg(240, 330, quality=98), "照片不能放大"),
    (b"hello" * 10000, "不是图片文件"),
    (demo_jpeg()[:30000], "图片已损坏或不完整"),
    (encoded(Image.new("RGB", (2100, 2800)), quality=50), "400 万像素"),
    (encoded(picture(), "GIF"), "实际为 GIF"),
    (encoded(Image.new("RGBA", (358, 441), (0, 0, 0, 0)), "PNG"), "透明背景"),
])
def test_a_photo_below_the_minimum_unreadable_or_not_a_photo_is_still_refused(data, problem):
    fix, why = propose_fix(data, RULES)
    assert fix is None and problem in why


def test_the_fix_says_what_it_does_in_the_pictures_own_pixels():
    fix, _ = propose_fix(demo_jpeg(800, 600), RULES)
    assert fix.changes[0].startswith("裁剪为 ") and "左右居中" in fix.changes[0]
    assert fix.changes[-1] == f"压缩到 {fix.after['大小']}"
    fix, _ = propose_fix(FIXABLE["phone photo of 12 million pixels"], RULES)
    assert fix.before["像素"] == "4032×3024"
    assert fix.changes[0] == "按拍摄方向转正" and f"缩放到 {fix.after['像素']} 像素" in fix.changes
    width, height = map(int, fix.after["像素"].split("×"))
    assert height > width  # upright
    fix, _ = propose_fix(FIXABLE["file too large"], RULES)  # decoded at half its size: still said
    assert f"缩放到 {fix.after['像素']} 像素" in fix.changes


def test_a_landscape_picture_lower_than_the_minimum_is_refused_and_says_why():
    fix, why = propose_fix(demo_jpeg(500, 380), RULES)
    assert fix is None and why == "500×380 像素，小于 295×413；照片不能放大，请重新拍摄或扫描"


def test_a_fix_waits_for_its_own_user_and_is_stored_only_on_accepting(data_dir, make_user):
    staff, other = make_user("staff"), make_user("staff", "other-staff")
    candidate = make_candidate(ID_A)
    fix, _ = propose_fix(FIXABLE["PNG"], RULES)
    token = offer(data_dir, fix, staff, candidate.id)
    assert Candidate.get_by_id(candidate.id).photo is None
    assert pending(data_dir, token, other) is None and pending(data_dir, "../" + token, staff) is None
    assert accept(data_dir, [token], other) == set()
    assert accept(data_dir, [token], staff) == {token}
    stored = Candidate.get_by_id(candidate.id).photo
    assert (data_dir / "photos" / stored).read_bytes() == fix.data  # the server's picture, not re-encoded
    assert not list(fixes_dir(data_dir).iterdir())
    event = AuditEvent.get(AuditEvent.action == "photo.fix")
    assert json.loads(event.changes)["格式"] == ["PNG", "JPEG"] and "大小" in json.loads(event.changes)


def test_expired_fixes_are_removed(data_dir, make_user):
    staff = make_user("staff")
    fix, _ = propose_fix(FIXABLE["PNG"], RULES)
    token = offer(data_dir, fix, staff)
    assert prune(data_dir, now=time.time() + EXPIRES_AFTER + 1) == 1
    assert pending(data_dir, token, staff) is None and not list(fixes_dir(data_dir).iterdir())


# ---- in the ZIP result ---------------------------------------------------------------------------

def fixable_zip():
    return build_zip([(f"张三-照片/{ID_A}.png", FIXABLE["PNG"]), (f"{ID_B}.jpg", FIXABLE["too wide"]),
                      (f"{ID_C}.jpg", demo_jpeg(240, 330, quality=98))])


def test_zip_offers_the_fix_and_stores_nothing_until_accepted(client, login, data_dir):
    login("staff")
    for number, name in ((ID_A, "张三"), (ID_B, "李四"), (ID_C, "王五")):
        make_candidate(number, name=name)
    body = upload(client, fixable_zip()).get_data(as_text=True)
    found = results(last_job())
    assert found[f"张三-照片/{ID_A}.png"][0] == found[f"{ID_B}.jpg"][0] == "可自动修正"
    assert found[f"{ID_C}.jpg"][0] == "格式不符"
    assert "无法自动修正：240×330 像素，小于 295×413；照片不能放大" in found[f"{ID_C}.jpg"][1]
    assert "全部修正（2）" in body and "自动修正" in body and "修正后" in body
    assert f"{ID_A}.png" in body  # the file name as uploaded
    assert "重新拍摄或导出该照片" in body  # what to do about the refusal
    assert not Candidate.select().where(Candidate.photo.is_null(False)).exists()
    token = last_job().data["rows"][0]["fix"]["token"]
    image = client.get(f"/photos/fixes/{token}/fixed.jpg")
    assert image.status_code == 200 and image.headers["Cache-Control"] == "private, no-store"
    assert client.get(f"/photos/fixes/{token}/original.jpg").status_code == 200


def test_one_line_fix_then_fix_all_attaches_the_fixed_photos(client, login, data_dir):
    login("staff")
    a, b, c = make_candidate(ID_A), make_candidate(ID_B, name="李四"), make_candidate(ID_C, name="王五")
    upload(client, fixable_zip())
    job = last_job()
    row = next(r for r in job.data["rows"] if r["file"] == f"{ID_B}.jpg")
    response = client.post(f"/photos/jobs/{job.id}/fix", data={"token": row["fix"]["token"]},
                           headers={"HX-Request": "true"})
    assert "candidatesReload" in response.headers["HX-Trigger"]
    assert Candidate.get_by_id(b.id).photo and not Candidate.get_by_id(a.id).photo
    assert "全部修正（1）" in response.get_data(as_text=True)
    response = client.post(f"/photos/jobs/{job.id}/fix", headers={"HX-Request": "true"})
    assert Candidate.get_by_id(a.id).photo and not Candidate.get_by_id(c.id).photo
    assert results(last_job())[f"张三-照片/{ID_A}.png"][0] == "已修正"
    assert "全部修正" not in response.get_data(as_text=True)
    assert AuditEvent.select().where(AuditEvent.action == "photo.fix").count() == 2
    assert check_photo((data_dir / "photos" / Candidate.get_by_id(a.id).photo).read_bytes(), RULES).ok


def test_another_user_cannot_accept_or_see_someone_elses_fixes(client, login, data_dir):
    login("staff")
    make_candidate(ID_A), make_candidate(ID_B, name="李四"), make_candidate(ID_C, name="王五")
    upload(client, fixable_zip())
    job = last_job()
    token = job.data["rows"][0]["fix"]["token"]
    login("staff", username="other-staff")
    assert client.get(f"/photos/fixes/{token}/fixed.jpg").status_code == 404
    assert "全部修正" not in client.get(f"/photos/jobs/{job.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    response = client.post(f"/photos/jobs/{job.id}/fix", headers={"HX-Request": "true"})
    assert not Candidate.select().where(Candidate.photo.is_null(False)).exists()
    # Nothing was stored, so no line says 已修正, and the answer says why.
    assert {result for result, _ in results(last_job()).values()} == {"可自动修正", "格式不符"}
    assert "已保存 0 张修正后的照片；2 张未能保存" in response.get_data(as_text=True)


def test_fix_all_marks_only_the_lines_stored_and_counts_those_it_could_not(client, login, data_dir):
    login("staff")
    a, b = make_candidate(ID_A), make_candidate(ID_B, name="李四")
    make_candidate(ID_C, name="王五")
    upload(client, fixable_zip())
    job = last_job()
    expired = next(r for r in job.data["rows"] if r["file"] == f"{ID_B}.jpg")["fix"]["token"]
    (fixes_dir(data_dir) / f"{expired}.json").unlink()  # gone, as an expired fix is
    response = client.post(f"/photos/jobs/{job.id}/fix", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert "已保存 1 张修正后的照片；1 张未能保存（修正已过期，或不是您上传的）" in body
    found = results(last_job())
    assert found[f"张三-照片/{ID_A}.png"][0] == "已修正" and found[f"{ID_B}.jpg"][0] == "可自动修正"
    assert Candidate.get_by_id(a.id).photo and not Candidate.get_by_id(b.id).photo
    counts = last_job().data["counts"]
    assert (counts["已修正"], counts["可自动修正"]) == (1, 1)


def test_the_result_list_and_the_missing_photos_export_to_xlsx(client, login):
    login("staff")
    make_candidate(ID_A), make_candidate(ID_B, name="李四")
    Candidate.update(student_no="2023010101", department="信息工程学院", class_name="计应2301").execute()
    upload(client, build_zip([(f"{ID_A}.jpg", demo_jpeg()), ("110101199901019999.jpg", demo_jpeg())]))
    job = last_job()
    sheet = load_workbook(io.BytesIO(client.get(f"/photos/jobs/{job.id}/export?problems=1").data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("文件名", "考生", "证件号码", "结果", "说明", "如何处理")
    assert len(rows) == 2 and rows[1][0] == "110101199901019999.jpg" and rows[1][3] == "未找到考生"
    assert "新增或导入该考生" in rows[1][5]
    body = client.get("/photos/jobs/%d" % job.id, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "/photos/missing" in body
    sheet = load_workbook(io.BytesIO(client.get("/photos/missing").data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows == [("姓名", "学号", "院系", "班级", "证件号码"),
                    ("李四", "2023010101", "信息工程学院", "计应2301", "110101********1234")]
    assert AuditEvent.select().where(AuditEvent.action == "photo.missing_export").exists()


def test_the_dialog_says_fixable_photos_will_be_offered_a_fix(client, login):
    login("staff")
    body = client.get("/photos/upload", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "自动修正" in body and "确认后才保存" in body


# ---- one photo in the candidate form -------------------------------------------------------------

def candidate_form(photo, name="photo.png"):
    from tests.test_candidates import form
    return dict(form(), photo=(io.BytesIO(photo), name))


def test_the_candidate_form_offers_a_fix_beside_the_original_and_stores_it_on_accepting(client, login, data_dir):
    login("staff")
    response = client.post("/candidates/new", data=candidate_form(FIXABLE["too wide"]),
                           headers={"HX-Request": "true"}, content_type="multipart/form-data")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "高宽比 1.00" in body and "可以自动修正" in body and "原图 500×500" in body and "修正后 413×500" in body
    candidate = Candidate.get(Candidate.name == "张三")
    assert candidate.photo is None  # shown, not stored
    token = next(p.name[:32] for p in fixes_dir(data_dir).glob("*.json"))
    response = client.post(f"/photos/fixes/{token}/accept", headers={"HX-Request": "true"})
    assert response.status_code == 204 and "closeDialog" in response.headers["HX-Trigger"]
    photo = Candidate.get_by_id(candidate.id).photo
    assert photo and check_photo((data_dir / "photos" / photo).read_bytes(), RULES).ok
    assert client.post(f"/photos/fixes/{token}/accept", headers={"HX-Request": "true"}).status_code == 409


def test_accepting_the_fix_of_an_accurate_candidate_names_it_and_where_it_went(client, login, data_dir):
    login("staff")
    client.post("/candidates/new", data=candidate_form(demo_jpeg()), headers={"HX-Request": "true"},
                content_type="multipart/form-data")
    candidate = Candidate.get(Candidate.name == "张三")
    Candidate.update(status="信息准确").where(Candidate.id == candidate.id).execute()
    for tab, rule, words in (("信息准确", "too wide", "张三：已保存修正后的照片，已移到「认证通过」，需重新人工确认"),
                             ("", "too tall", "张三：已保存修正后的照片，状态改为认证通过，需重新人工确认")):
        data = dict(candidate_form(FIXABLE[rule]), candidate_id=str(candidate.id), status=tab)
        response = client.post(f"/candidates/{candidate.id}/edit", data=data, headers={"HX-Request": "true"},
                               content_type="multipart/form-data")
        assert response.status_code == 422 and "照片可以自动修正" in response.get_data(as_text=True)
        token = next(p.name[:32] for p in fixes_dir(data_dir).glob("*.json"))
        response = client.post(f"/photos/fixes/{token}/accept", data={"status": tab}, headers={"HX-Request": "true"})
        assert json.loads(response.headers["HX-Trigger"])["notice"] == {"value": words, "kind": "ok"}
        assert Candidate.get_by_id(candidate.id).status == "认证通过"
        Candidate.update(status="信息准确").where(Candidate.id == candidate.id).execute()
    # Not 信息准确: the photo alone changed.
    data = dict(candidate_form(FIXABLE["landscape"]), candidate_id=str(candidate.id), status="认证通过")
    client.post(f"/candidates/{candidate.id}/edit", data=data, headers={"HX-Request": "true"},
                content_type="multipart/form-data")
    Candidate.update(status="认证通过").where(Candidate.id == candidate.id).execute()
    token = next(p.name[:32] for p in fixes_dir(data_dir).glob("*.json"))
    response = client.post(f"/photos/fixes/{token}/accept", data={"status": "认证通过"}, headers={"HX-Request": "true"})
    assert json.loads(response.headers["HX-Trigger"])["notice"]["value"] == "张三：已保存修正后的照片"


def test_the_candidate_form_still_refuses_a_photo_no_fix_can_mend(client, login, data_dir):
    login("staff")
    response = client.post("/candidates/new", data=candidate_form(demo_jpeg(240, 330, quality=98), "p.jpg"),
                           headers={"HX-Request": "true"}, content_type="multipart/form-data")
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "宽 240 像素，至少 295" in body
    assert "自动修正</button>" not in body and not fixes_dir(data_dir).exists()


@pytest.mark.parametrize("rule", FIXABLE)
def test_each_mendable_rule_is_offered_in_the_form_and_stored_only_after_accepting(rule, client, login, data_dir):
    login("staff")
    response = client.post("/candidates/new", data=candidate_form(FIXABLE[rule]),
                           headers={"HX-Request": "true"}, content_type="multipart/form-data")
    assert response.status_code == 422 and "照片可以自动修正" in response.get_data(as_text=True)
    candidate = Candidate.get(Candidate.name == "张三")
    assert candidate.photo is None
    token = next(p.name[:32] for p in fixes_dir(data_dir).glob("*.json"))
    assert client.post(f"/photos/fixes/{token}/accept", headers={"HX-Request": "true"}).status_code == 204
    photo = Candidate.get_by_id(candidate.id).photo
    assert check_photo((data_dir / "photos" / photo).read_bytes(), RULES).ok
