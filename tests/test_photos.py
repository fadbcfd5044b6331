"""上传学生照片: the photo checker, the ZIP job with every kind of bad archive, and who may see a photo."""
import io
import os
import threading
import time
from datetime import timedelta
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from models.audit import AuditEvent
from models.candidate import ACCURATE, VERIFIED, Candidate
from models.demo.photos import seed_photos
from models.db import now
from models.job import FAILED, RUNNING, Job, JobError
from app import create_app
from models.photo import (PhotoRules, attach_photo, check_photo, delete_photo_file, demo_jpeg, photo_file,
                          store_photo, thumbnail_file)
from models.photo_zip import process_zip

ID_A = "11010120030105123X"
ID_B = "110101200302061234"
ID_C = "110101200303071245"
RULES = PhotoRules(20 * 1024, 200 * 1024, 295, 413, 1.2, 1.5, 10000, 300 * 1024 * 1024)


@pytest.fixture
def app_config(app_config):
    return dict(app_config, JOBS_INLINE=True)


@pytest.fixture
def data_dir(app):
    return Path(app.config["DATA_DIR"])


def make_candidate(number, name="张三", status=VERIFIED, photo=None):
    return Candidate.create(name=name, id_type="居民身份证", id_number=number, gender="男",
                            phone="13812345678", status=status, photo=photo)


def jpeg_of(width, height, quality=10, color="white"):
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "JPEG", quality=quality)
    return out.getvalue()


def png_named_jpg():
    out = io.BytesIO()
    Image.open(io.BytesIO(demo_jpeg(seed=3))).save(out, "PNG")
    return out.getvalue()


class GbkInfo(zipfile.ZipInfo):
    """A ZipInfo written the way Chinese Windows archivers write names: GBK bytes, no UTF-8 flag."""

    def _encodeFilenameFlags(self):
        return self.filename.encode("cp437"), self.flag_bits


def gbk_entry(name):
    info = GbkInfo(name.encode("gbk").decode("cp437"))
    info.flag_bits = 0
    return info


def build_zip(entries, compression=zipfile.ZIP_STORED):
    """entries: [(name or ZipInfo, bytes)] -> the ZIP's bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in entries:
            archive.writestr(name, data, compress_type=compression)
    return out.getvalue()


def upload(client, data, filename="照片.zip"):
    return client.post("/photos/upload", data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data", headers={"HX-Request": "true"})


def last_job():
    return Job.select().order_by(Job.id.desc()).get()


def results(job_or_result):
    """{file name: (result, detail)} of a finished job (or of process_zip's return value)."""
    data = job_or_result if isinstance(job_or_result, dict) else job_or_result.data
    return {row["file"]: (row["result"], row["detail"]) for row in data["rows"]}


def files_under(root):
    return {p for p in Path(root).rglob("*") if p.is_file()}


def assert_nothing_written_outside(tmp_path, data_dir):
    for path in files_under(tmp_path):
        assert data_dir in path.parents or path.name.startswith("test.db"), path
    assert not (tmp_path / "x.jpg").exists() and not (tmp_path.parent / "x.jpg").exists()


# ---- the checker ---------------------------------------------------------------------------------
def test_a_good_id_photo_passes():
    result = check_photo(demo_jpeg(), RULES)
    assert result.ok and (result.width, result.height) == (358, 441)


@pytest.mark.parametrize("data, problem", [
    (lambda: demo_jpeg(quality=15), "应在 20–200 KB 之间"),
    (lambda: demo_jpeg(1000, 1300, quality=98), "应在 20–200 KB 之间"),
    (lambda: demo_jpeg(240, 330, quality=98), "宽 240 像素，至少 295"),
    (lambda: jpeg_of(2100, 2800), "超过 400 万像素的上限"),
    (lambda: demo_jpeg(413, 413, quality=95), "高宽比 1.00"),
    (png_named_jpg, "不是 JPEG 图片（实际为 PNG）"),
    (lambda: demo_jpeg()[:30000], "图片已损坏或不完整"),
    (lambda: b"not a picture" * 3000, "不是图片文件"),
])
def test_the_checker_names_the_measured_value_and_the_rule(data, problem):
    result = check_photo(data(), RULES)
    assert not result.ok
    assert problem in result.problem


def test_small_files_are_refused_before_decoding_with_their_size():
    small = demo_jpeg(120, 150, quality=60)
    assert check_photo(small, RULES).problem == f"文件 {round(len(small) / 1024, 1):g} KB，应在 20–200 KB 之间"
    dot = jpeg_of(1, 1)
    assert len(dot) < 1024 and check_photo(dot, RULES).problem == f"文件 {len(dot)} 字节，应在 20–200 KB 之间"


@pytest.mark.parametrize("data, problem", [
    (b"hello\n" * 50, "不是图片文件（文件只有 300 字节）"),
    (b"", "不是图片文件（文件只有 0 字节）"),
    (b"\xff\xd8" + b"0" * 15000, "不是图片文件（文件只有 14.7 KB）"),
])
def test_a_small_file_that_is_no_picture_says_so_with_its_real_size(data, problem):
    assert check_photo(data, RULES).problem == problem


def test_a_pixel_bomb_is_refused_even_with_pillows_warning_filter_untouched():
    import warnings
    before = list(warnings.filters)
    assert "2100×2800" in check_photo(jpeg_of(2100, 2800), RULES).problem
    assert list(warnings.filters) == before


def test_stored_photo_is_reencoded_without_exif_and_named_by_content(data_dir):
    image = Image.open(io.BytesIO(demo_jpeg()))
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"
    exif[0x0112] = 6  # rotated: stored upright, so width and height swap
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92, exif=exif)
    path = store_photo(data_dir, out.getvalue())
    stored = Image.open(photo_file(data_dir, path))
    assert stored.size == (441, 358)
    assert not stored.getexif()
    assert path.startswith(path.split("/")[1][:2] + "/") and path.endswith(".jpg")
    assert store_photo(data_dir, out.getvalue()) == path


def test_single_upload_uses_the_same_checker(data_dir, make_user):
    staff = make_user("staff")
    candidate = make_candidate(ID_A)
    ok, message = attach_photo(candidate, demo_jpeg(240, 330, quality=98), data_dir, staff, RULES)
    assert not ok and "宽 240 像素，至少 295" in message
    ok, _ = attach_photo(candidate, demo_jpeg(), data_dir, staff, RULES)
    assert ok and Candidate.get_by_id(candidate.id).photo


def test_replacing_the_photo_of_an_accurate_candidate_sends_it_back_and_removes_the_old_file(data_dir, make_user):
    staff = make_user("staff")
    first = store_photo(data_dir, demo_jpeg(seed=1))
    candidate = make_candidate(ID_A, status=ACCURATE, photo=first)
    ok, _ = attach_photo(candidate, demo_jpeg(seed=2), data_dir, staff, RULES)
    candidate = Candidate.get_by_id(candidate.id)
    assert ok and candidate.status == VERIFIED and candidate.photo != first
    assert photo_file(data_dir, first) is None
    event = AuditEvent.for_object("candidate", candidate.id).first()
    assert event.action == "candidate.photo"
    assert ("原因", "", "更换了照片，需重新人工确认") in event.change_list
    assert ("照片", "原照片", "新照片") in event.change_list  # in words, not the files' paths


def test_a_photo_file_shared_by_two_candidates_is_kept_until_the_last_one_goes(data_dir):
    path = store_photo(data_dir, demo_jpeg())
    make_candidate(ID_A, photo=path)
    assert not delete_photo_file(data_dir, path)
    assert photo_file(data_dir, path) is not None


def test_temporary_files_left_by_killed_photo_writes_are_removed_at_start_but_not_one_being_written(
        app_config, data_dir):
    stored = store_photo(data_dir, demo_jpeg())
    photo, thumb = photo_file(data_dir, stored), thumbnail_file(data_dir, stored)
    killed = [photo.parent / ".tmp-k1lled.jpg", thumb.parent / ".tmp-k1lled.jpg"]
    writing = photo.parent / ".tmp-wr1ting.jpg"  # another server process is writing it now
    for path in killed + [writing]:
        path.write_bytes(b"\xff\xd8\xff half a photo")
    two_hours_ago = time.time() - 2 * 3600
    for path in killed + [photo, thumb]:  # the stored photo and thumbnail are old too, and stay
        os.utime(path, (two_hours_ago, two_hours_ago))

    create_app(app_config)  # the next start

    assert [path for path in killed if path.exists()] == []
    assert writing.exists() and photo.exists() and thumb.exists()


# ---- the ZIP job ------------------------------------------------------------------------------------
def test_all_good_photos_are_attached_with_counts_and_the_missing_count(client, login, data_dir):
    login("staff")
    a, b = make_candidate(ID_A), make_candidate(ID_B, name="李四")
    make_candidate(ID_C, name="王五")
    response = upload(client, build_zip([(f"{ID_A}.jpg", demo_jpeg(seed=1)), (f"{ID_B}.jpg", demo_jpeg(seed=2))]))
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<html" not in body
    assert "已更新" in body and "还有 <strong>1</strong> 名考生没有照片" in body
    assert "/candidates/?has_photo=0" in body
    assert "candidatesChanged" in response.headers["HX-Trigger"]
    job = last_job()
    assert job.status == "done" and job.data["counts"]["已更新"] == 2
    assert Candidate.get_by_id(a.id).photo and Candidate.get_by_id(b.id).photo
    # The file is named as the user named it (their own file); the candidate it matched shows masked.
    assert f"{ID_A}.jpg</td>" in body and "张三</a>" in body and "110101********123X" in body
    assert not list((data_dir / "uploads").iterdir())  # the ZIP is not kept


def test_names_match_with_jpeg_upper_case_lowercase_x_and_nested_folders(client, login):
    login("staff")
    a, b = make_candidate(ID_A), make_candidate(ID_B)
    upload(client, build_zip([(f"2023级/计应2301/{ID_A.lower()}.JPG", demo_jpeg(seed=1)),
                              (f"deep/er/{ID_B}.jpeg", demo_jpeg(seed=2))]))
    assert {r for r, _ in results(last_job()).values()} == {"已更新"}
    assert Candidate.get_by_id(a.id).photo and Candidate.get_by_id(b.id).photo


def test_each_bad_photo_gets_its_own_clear_result(client, login, tmp_path, data_dir):
    login("staff")
    ids = ["11010120030105%04d" % n for n in range(1, 9)]
    for number in ids:
        make_candidate(number)
    entries = [
        (f"{ids[0]}.jpg", png_named_jpg()),
        (f"{ids[1]}.jpg", demo_jpeg(quality=15)),
        (f"{ids[2]}.jpg", demo_jpeg(1000, 1300, quality=98)),
        (f"{ids[3]}.jpg", demo_jpeg(240, 330, quality=98)),
        (f"{ids[4]}.jpg", jpeg_of(2100, 2800)),
        (f"{ids[5]}.jpg", demo_jpeg(413, 413, quality=95)),
        (f"{ids[6]}.jpg", demo_jpeg()[:30000]),
        (f"{ids[7]}.png", demo_jpeg()),
        ("110101199901019999.jpg", demo_jpeg()),
        ("readme.txt", b"hello"),
    ]
    upload(client, build_zip(entries))
    found = results(last_job())
    # Format, file size and ratio can be mended (offered, not stored); too few or too many pixels, a
    # damaged file or a file that is not a picture cannot.
    expected = [("可自动修正", "实际为 PNG"), ("可自动修正", "应在 20–200 KB 之间"),
                ("可自动修正", "应在 20–200 KB 之间"), ("格式不符", "宽 240 像素，至少 295"),
                ("格式不符", "400 万像素"), ("可自动修正", "高宽比 1.00"), ("格式不符", "图片已损坏或不完整"),
                ("已更新", "358×441 像素"), ("未找到考生", "没有证件号码为此号码的考生"),
                ("格式不符", "不是 .jpg / .jpeg 文件")]
    for (name, _), (result, detail) in zip(entries, expected):
        assert found[name][0] == result, name
        assert detail in found[name][1], (name, found[name])
    assert Candidate.select().where(Candidate.photo.is_null(False)).count() == 1  # the JPEG named .png
    assert_nothing_written_outside(tmp_path, data_dir)


def test_two_photos_for_one_id_are_both_refused_as_duplicates(client, login):
    login("staff")
    candidate = make_candidate(ID_A)
    upload(client, build_zip([(f"{ID_A}.jpg", demo_jpeg(seed=1)), (f"补拍/{ID_A}.JPEG", demo_jpeg(seed=2))]))
    found = results(last_job())
    assert found[f"{ID_A}.jpg"][0] == found[f"补拍/{ID_A}.JPEG"][0] == "重复"
    assert "压缩包中有 2 张照片对应此证件号码" in found[f"{ID_A}.jpg"][1]
    assert Candidate.get_by_id(candidate.id).photo is None


def test_gbk_names_from_chinese_windows_are_decoded(client, login):
    login("staff")
    candidate = make_candidate(ID_A)
    upload(client, build_zip([(gbk_entry(f"计应2301班照片/{ID_A}.jpg"), demo_jpeg()),
                              (gbk_entry("张三.jpg"), demo_jpeg())]))
    found = results(last_job())
    assert found[f"计应2301班照片/{ID_A}.jpg"][0] == "已更新"
    assert found["张三.jpg"] == ("格式不符", found["张三.jpg"][1])
    assert "文件名「张三」不是证件号码" in found["张三.jpg"][1]
    assert Candidate.get_by_id(candidate.id).photo


def test_macos_resource_files_and_hidden_files_are_skipped(client, login):
    login("staff")
    make_candidate(ID_A)
    upload(client, build_zip([(f"照片/{ID_A}.jpg", demo_jpeg()), (f"__MACOSX/照片/._{ID_A}.jpg", b"\0" * 4000),
                              ("照片/.DS_Store", b"\0" * 100), ("照片/Thumbs.db", b"\0" * 100)]))
    job = last_job()
    assert job.data["counts"] == {"已更新": 1, "已修正": 0, "可自动修正": 0, "未找到考生": 0, "格式不符": 0, "重复": 0,
                                  "已跳过": 3}


def test_a_zip_bomb_entry_is_refused_without_being_decompressed(client, login, tmp_path, data_dir):
    login("staff")
    make_candidate(ID_A)
    bomb = build_zip([(f"{ID_A}.jpg", b"\0" * (50 * 1024 * 1024))], zipfile.ZIP_DEFLATED)
    assert len(bomb) < 100 * 1024
    upload(client, bomb)
    result, detail = results(last_job())[f"{ID_A}.jpg"]
    assert result == "格式不符" and "疑似压缩炸弹" in detail and "50.0 MB" in detail
    assert_nothing_written_outside(tmp_path, data_dir)


def test_an_entry_whose_declared_size_lies_is_read_no_further_than_the_limit(data_dir, make_user, tmp_path):
    staff = make_user("staff")
    make_candidate(ID_A)
    data = bytearray(build_zip([(f"{ID_A}.jpg", b"\0" * (5 * 1024 * 1024))], zipfile.ZIP_DEFLATED))
    # Rewrite the declared uncompressed size (local header offset 22, central directory +24) to 30 KB.
    data[22:26] = (30 * 1024).to_bytes(4, "little")
    central = data.rfind(b"PK\x01\x02")
    data[central + 24:central + 28] = (30 * 1024).to_bytes(4, "little")
    row = run_job(data_dir, bytes(data), staff)["rows"][0]
    assert row["result"] == "格式不符" and ("已损坏" in row["detail"] or "不是图片" in row["detail"])


def test_a_zip_slip_name_writes_nothing_outside_the_data_directory(client, login, tmp_path, data_dir):
    login("staff")
    candidate = make_candidate(ID_A)
    upload(client, build_zip([("../../x.jpg", demo_jpeg(seed=1)), (f"../../{ID_A}.jpg", demo_jpeg(seed=2)),
                              (f"/etc/{ID_B}.jpg", demo_jpeg(seed=3))]))
    found = results(last_job())
    assert found["../../x.jpg"][0] == "格式不符"
    assert found[f"../../{ID_A}.jpg"][0] == "已更新"
    assert found[f"/etc/{ID_B}.jpg"][0] == "未找到考生"
    assert photo_file(data_dir, Candidate.get_by_id(candidate.id).photo) is not None
    assert_nothing_written_outside(tmp_path, data_dir)


def test_a_non_zip_file_renamed_zip_is_refused_at_once(client, login, data_dir):
    login("staff")
    response = upload(client, b"PK not really" + b"\0" * 5000, "photos.zip")
    assert response.status_code == 422
    assert "文件不是有效的 ZIP 压缩包" in response.get_data(as_text=True)
    assert Job.select().count() == 0
    assert not list((data_dir / "uploads").iterdir())


def test_a_zip_name_is_kept_without_control_or_direction_characters(client, login):
    # A NUL cannot be stored in PostgreSQL, and U+202E shows what follows it reversed.
    login("staff")
    upload(client, build_zip([(f"{ID_A}.jpg", demo_jpeg())]), "2023级\x00\u202e照片.zip")
    job = last_job()
    assert job.arguments["filename"] == "2023级照片.zip" and "\x00" not in job.message


def test_a_file_that_is_not_named_zip_is_refused(client, login):
    login("staff")
    response = upload(client, build_zip([(f"{ID_A}.jpg", demo_jpeg())]), "photos.rar")
    assert response.status_code == 422
    assert "请选择 .zip 格式的压缩包" in response.get_data(as_text=True)


def run_job(data_dir, data, by):
    path = data_dir / "uploads" / "test.zip"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return process_zip(Job.create(kind="photos.zip", file_path=str(path)), data_dir, by)


def test_a_truncated_zip_fails_the_job_with_a_clear_message(data_dir, make_user):
    good = build_zip([(f"{ID_A}.jpg", demo_jpeg()), (f"{ID_B}.jpg", demo_jpeg())])
    with pytest.raises(JobError, match="文件不是有效的 ZIP 压缩包"):
        run_job(data_dir, good[:len(good) // 2], make_user("staff"))


def test_a_damaged_entry_inside_a_readable_zip_is_reported_on_its_own(data_dir, make_user):
    make_candidate(ID_A), make_candidate(ID_B)
    good = bytearray(build_zip([(f"{ID_A}.jpg", demo_jpeg(seed=1)), (f"{ID_B}.jpg", demo_jpeg(seed=2))],
                               zipfile.ZIP_DEFLATED))
    good[200:400] = b"\0" * 200  # inside the first entry's compressed data
    found = results(run_job(data_dir, bytes(good), make_user("staff")))
    assert found[f"{ID_A}.jpg"][0] == "格式不符" and "已损坏" in found[f"{ID_A}.jpg"][1]
    assert found[f"{ID_B}.jpg"][0] == "已更新"


def test_an_empty_zip_fails_with_a_clear_message(client, login):
    login("staff")
    response = upload(client, build_zip([]))
    job = last_job()
    assert job.status == FAILED and job.message == "压缩包是空的，没有任何文件"
    assert "压缩包是空的" in response.get_data(as_text=True)


def test_a_replaced_photo_on_an_accurate_candidate_sends_it_back_to_verified(client, login, data_dir):
    login("staff")
    candidate = make_candidate(ID_A, status=ACCURATE, photo=store_photo(data_dir, demo_jpeg(seed=1)))
    upload(client, build_zip([(f"{ID_A}.jpg", demo_jpeg(seed=2))]))
    assert Candidate.get_by_id(candidate.id).status == VERIFIED
    upload(client, build_zip([(f"{ID_A}.jpg", demo_jpeg(seed=2))]))
    assert results(last_job())[f"{ID_A}.jpg"] == ("已跳过", "与该考生现有照片相同，未更改")


def test_the_problem_filter_shows_only_problems(client, login):
    login("staff")
    make_candidate(ID_A)
    upload(client, build_zip([(f"{ID_A}.jpg", demo_jpeg()), ("110101199901019999.jpg", demo_jpeg())]))
    job = last_job()
    body = client.get(f"/photos/jobs/{job.id}?problems=1", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "110101199901019999.jpg" in body and "未找到考生" in body
    assert f"{ID_A}.jpg" not in body
    assert "HX-Trigger" not in client.get(f"/photos/jobs/{job.id}?problems=1").headers
    all_rows = client.get(f"/photos/jobs/{job.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f"{ID_A}.jpg" in all_rows


def test_the_status_block_polls_while_the_job_runs(client, login):
    login("staff")
    job = Job.create(kind="photos.zip", status=RUNNING, progress=40, total=100, message="照片.zip")
    response = client.get(f"/photos/jobs/{job.id}", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert 'hx-trigger="load"' in body and '<progress value="40" max="100"' in body
    # The same long-poll argument as an import's status (wait=1).
    assert f'hx-get="/photos/jobs/{job.id}?wait=1&amp;progress=40"' in body
    assert "HX-Trigger" not in response.headers


def test_the_polling_request_waits_for_the_job_unless_too_many_wait_already(app, client, login):
    login("staff")
    job = Job.create(kind="photos.zip", status=RUNNING, progress=40, total=100, message="照片.zip")
    app.config["JOBS_MAX_WAITERS"] = 0
    body = client.get(f"/photos/jobs/{job.id}?wait=1&progress=40", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'hx-trigger="load delay:1s"' in body
    app.config["JOBS_MAX_WAITERS"] = 4
    # Another process finishes the job while the request waits: it answers with the result.
    threading.Timer(0.3, lambda: Job.update(status=FAILED, message="压缩包已损坏").where(Job.id == job.id)
                    .execute()).start()
    body = client.get(f"/photos/jobs/{job.id}?wait=1&progress=40", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "hx-trigger" not in body.split("photo-job", 1)[1].split(">", 1)[0] and "压缩包已损坏" in body


def test_a_page_loaded_before_the_rename_still_long_polls_with_poll_1(app, client, login):
    login("staff")
    job = Job.create(kind="photos.zip", status=RUNNING, progress=40, total=100, message="照片.zip")
    threading.Timer(0.3, lambda: Job.update(status=FAILED, message="压缩包已损坏").where(Job.id == job.id)
                    .execute()).start()
    response = client.get(f"/photos/jobs/{job.id}?poll=1&progress=40", headers={"HX-Request": "true"})
    # It waited for the job, and told the page the job ended (the candidate list reloads).
    assert "压缩包已损坏" in response.get_data(as_text=True)
    assert "candidatesReload" in response.headers["HX-Trigger"]


def test_an_interrupted_job_is_marked_failed_on_restart(app):
    # A job left running by a server process that stopped beating a minute ago.
    job = Job.create(kind="photos.zip", status=RUNNING, worker="old:1:dead", heartbeat_at=now() - timedelta(minutes=1))
    assert Job.reap() == 1
    job = Job.get_by_id(job.id)
    assert job.status == FAILED and "服务器进程已停止" in job.message


# ---- dialog and photo access ------------------------------------------------------------------------
def test_the_dialog_states_the_rules_from_the_settings(client, login):
    from models import setting
    setting.put("photo_max_kb", "150")
    login("staff")
    body = client.get("/photos/upload", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in body
    assert "每张 20–150 KB" in body and "宽至少 295、高至少 413 像素" in body and "1.2–1.5" in body
    assert 'accept=".zip,application/zip"' in body and "保存" in body
    assert "<html" in client.get("/photos/upload").get_data(as_text=True)


def test_photos_are_served_to_staff_only_privately(app, client, login, make_user, data_dir):
    candidate = make_candidate(ID_A, photo=store_photo(data_dir, demo_jpeg()))
    assert client.get(f"/photos/{candidate.id}").status_code == 302  # anonymous: to the login page
    login("staff")
    response = client.get(f"/photos/{candidate.id}")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.headers["Cache-Control"].startswith("private")
    thumb = client.get(f"/photos/{candidate.id}?size=thumb")
    assert Image.open(io.BytesIO(thumb.data)).size[1] <= 120
    assert client.get(f"/photos/{make_candidate(ID_B).id}").status_code == 404


def test_reviewers_cannot_see_photos(client, login, data_dir):
    candidate = make_candidate(ID_A, photo=store_photo(data_dir, demo_jpeg()))
    login("reviewer")
    assert client.get(f"/photos/{candidate.id}").status_code == 403


def test_seed_demo_photos_gives_most_verified_candidates_a_photo_once(data_dir):
    for n in range(10):
        make_candidate(f"1101012003010{n:05d}")
    assert seed_photos(data_dir) == 8
    assert seed_photos(data_dir) == 0
    assert Candidate.without_photo().count() == 2
