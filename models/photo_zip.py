"""上传学生照片 from one ZIP: the job that reads it entry by entry and attaches each photo to its candidate.

Nothing is ever extracted to a path taken from the archive: each entry is read into memory (bounded),
checked by models.photo.check_photo and stored under a content-hash name. The photo references are
written in one transaction at the end, so an interrupted or failed job changes nothing in the database.

When the same 证件号码 appears more than once in the ZIP, none of those photos is used (all are 重复):
the system cannot know which one the user meant.

A photo that breaks only a rule 自动修正 can mend is not stored: its fix waits (models/photo_fix.py)
until the user accepts it on its result line or with 全部修正.
"""
import json
import os
import posixpath
import re
import secrets
import zipfile
import zlib
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from flask import current_app

from sheets.spec import Column

from . import audit
from .candidate import Candidate
from .db import db
from .job import Job, JobError, runner, start
from .normalise import FieldError, file_name, id_number
from .photo import PhotoRules, check_photo, delete_photo_file, store_photo
from .photo_fix import MAX_ORIGINAL_BYTES, accept, offer, offer_details, prune, propose_fix
from .privacy import mask_id

KIND = "photos.zip"
# 上传学生照片's one field: the rules it must meet are listed above it in the dialog.
ZIP_FIELD = Column("file", "照片压缩包", required=True, input="file")
UPDATED, NOT_FOUND, INVALID, DUPLICATE, SKIPPED = "已更新", "未找到考生", "格式不符", "重复", "已跳过"
FIXABLE, FIXED = "可自动修正", "已修正"
RESULTS = (UPDATED, FIXED, FIXABLE, NOT_FOUND, INVALID, DUPLICATE, SKIPPED)
# 只看未通过: every line whose photo is not (yet) the candidate's.
PROBLEMS = (FIXABLE, NOT_FOUND, INVALID, DUPLICATE)
RESULT_COLORS = {UPDATED: "green", FIXED: "green", FIXABLE: "blue", NOT_FOUND: "orange", INVALID: "red",
                 DUPLICATE: "orange", SKIPPED: "gray"}
# What to do about each refusal, shown on its line.
WHAT_TO_DO = {
    NOT_FOUND: "先在考生管理中新增或导入该考生，或把文件改名为考生的证件号码，再重新上传",
    INVALID: "按照片要求（点「继续上传」可再看）重新拍摄或导出该照片，再重新上传",
    DUPLICATE: "只保留一张照片，再重新上传",
    FIXABLE: "点击「自动修正」查看修正后的照片，确认后保存",
}

UPLOADS = "uploads"
# A PNG, BMP or WebP named by 证件号码 is read too: 自动修正 offers it as a JPEG.
PICTURE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
REPORT_EVERY = 20
WORKERS = max(1, min(4, os.cpu_count() or 1))
# Files operating systems leave in folders; skipped without a word of blame.
_JUNK = {"thumbs.db", "desktop.ini", ".ds_store"}
_UTF8_FLAG = 0x800
# Every 证件类型's number is letters and digits once normalised (a passport's too).
_ID_LIKE = re.compile(r"^[0-9A-Z]{5,30}$")


def is_zip_name(filename):
    return (filename or "").lower().endswith(".zip")


def save_upload(data_dir, upload, rules):
    """Save an uploaded ZIP under <data_dir>/uploads/; returns (path, problem) with one of them None."""
    if not is_zip_name(upload.filename):
        return None, "请选择 .zip 格式的压缩包"
    folder = Path(data_dir) / UPLOADS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"photos-{secrets.token_hex(8)}.zip"
    upload.save(path)
    size = path.stat().st_size
    problem = None
    if size > rules.zip_max_bytes:
        problem = f"压缩包 {size / 1024 / 1024:.0f} MB，超过 {rules.zip_max_bytes // (1024 * 1024)} MB 的上限，请分成几个压缩包上传"
    elif not zipfile.is_zipfile(path):
        problem = "文件不是有效的 ZIP 压缩包（可能是改了扩展名的其他文件，或已损坏）"
    if problem:
        path.unlink(missing_ok=True)
        return None, problem
    return path, None


def start_zip_job(path, filename, by):
    """Create the job row for a saved ZIP and start it; returns the Job."""
    filename = file_name(filename)
    job = Job.queue(KIND, {"filename": filename}, file_path=str(path), created_by=by, message=filename)
    start(job)
    return Job.get_by_id(job.id)


@runner(KIND)
def _zip_job(job):
    """The job behind start_zip_job(), re-created from its row by whichever server process claims it."""
    return process_zip(job, current_app.config["DATA_DIR"], job.created_by, job.arguments.get("filename", ""))


def process_zip(job, data_dir, by, filename=""):
    """The job: every entry classified, matching photos checked and stored, then one transaction."""
    path = Path(job.file_path)
    prune(data_dir)
    try:
        return _process(job, path, data_dir, by, PhotoRules.load(), filename)
    finally:
        # The ZIP holds personal information: it is not kept once read.
        path.unlink(missing_ok=True)


def _process(job, path, data_dir, by, rules, filename):
    _check_entry_count(path, rules)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise JobError("文件不是有效的 ZIP 压缩包（可能是改了扩展名的其他文件，或已损坏）")
    with archive:
        entries = _classify(archive.infolist(), rules)
        photos = [e for e in entries if e["result"] is None]
        if not entries:
            raise JobError("压缩包是空的，没有任何文件")
        if len(photos) > rules.zip_max_files:
            raise JobError(f"压缩包内有 {len(photos)} 张照片，超过每次 {rules.zip_max_files} 张的上限，请分成几个压缩包上传")
        _mark_duplicates(photos)
        _match_candidates([e for e in photos if e["result"] is None])
        job.report(0, len(entries))
        updates = _check_and_store(job, archive, entries, data_dir, rules, by)
    _apply(updates, data_dir, by, job)
    return _summary(entries, filename)


def _entry_limit(rules):
    # macOS archivers add one __MACOSX/._ entry per photo, and folders count as entries too.
    return rules.zip_max_files * 3 + 100


def _check_entry_count(path, rules):
    """Refuse an absurd archive from its end record, before zipfile reads its whole directory into memory."""
    try:
        with open(path, "rb") as handle:
            end = zipfile._EndRecData(handle)  # private but stable since Python 2; None when not a ZIP
    except OSError:
        end = None
    if end is None:
        raise JobError("文件不是有效的 ZIP 压缩包（可能是改了扩展名的其他文件，或已损坏）")
    count = end[zipfile._ECD_ENTRIES_TOTAL]
    if count > _entry_limit(rules):
        raise JobError(f"压缩包内有 {count} 个条目，远超每次 {rules.zip_max_files} 张照片的上限")


def _classify(infos, rules):
    """One entry dict per file; skipped, misnamed or folder entries get their result at once."""
    # Checked again here: the end record's count can disagree with the directory it describes.
    if len(infos) > _entry_limit(rules):
        raise JobError(f"压缩包内有 {len(infos)} 个条目，远超每次 {rules.zip_max_files} 张照片的上限")
    entries = []
    for info in infos:
        if info.is_dir():
            continue
        name = _decoded_name(info)
        parts = [p for p in name.replace("\\", "/").split("/") if p]
        base = parts[-1] if parts else name
        entry = {"info": info, "file": name, "id": "", "candidate": "", "candidate_id": None,
                 "result": None, "detail": "", "fix": None}
        stem, ext = posixpath.splitext(base)
        if "__MACOSX" in parts[:-1] or base.startswith("._"):
            entry.update(result=SKIPPED, detail="macOS 生成的附属文件，已忽略")
        elif base.startswith(".") or base.lower() in _JUNK:
            entry.update(result=SKIPPED, detail="隐藏文件或系统文件，已忽略")
        elif ext.lower() not in PICTURE_EXTENSIONS:
            entry.update(result=INVALID, detail=f"不是 .jpg / .jpeg 文件（扩展名为「{ext or '无'}」）")
        else:
            try:
                entry["number"] = id_number(stem)
            except FieldError as exc:
                entry.update(result=INVALID, detail=f"文件名不是证件号码：{exc.problem}")
            else:
                if not _ID_LIKE.match(entry["number"]):
                    entry.update(result=INVALID, detail=f"文件名「{stem}」不是证件号码；照片应以证件号码命名，"
                                                        "例如 410102200301051233.jpg")
        entries.append(entry)
    return entries


def _decoded_name(info):
    """The entry's name; Chinese Windows archivers write GBK without the UTF-8 flag."""
    if info.flag_bits & _UTF8_FLAG:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    for encoding in ("utf-8", "gbk"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return info.filename


def _mark_duplicates(photos):
    by_number = {}
    for entry in photos:
        if entry["result"] is None:
            by_number.setdefault(entry["number"], []).append(entry)
    for group in by_number.values():
        if len(group) > 1:
            names = "、".join(e["file"] for e in group[:5]) + ("等" if len(group) > 5 else "")
            for entry in group:
                entry.update(result=DUPLICATE,
                             detail=f"压缩包中有 {len(group)} 张照片对应此证件号码（{names}），均未使用；请只保留一张")


def _match_candidates(photos):
    """Find every named candidate in a few set-based queries (not one per file)."""
    numbers = sorted({e["number"] for e in photos})
    found = {}
    for offset in range(0, len(numbers), 500):
        query = (Candidate
                 .select(Candidate.id, Candidate.id_number, Candidate.name, Candidate.status, Candidate.photo)
                 .where(Candidate.id_number.in_(numbers[offset:offset + 500])))
        for candidate in query:
            found.setdefault(candidate.id_number, []).append(candidate)
    for entry in photos:
        matches = found.get(entry["number"], [])
        if not matches:
            entry.update(result=NOT_FOUND, detail="没有证件号码为此号码的考生")
        elif len(matches) > 1:
            entry.update(result=DUPLICATE, detail=f"有 {len(matches)} 名考生使用此证件号码（证件类型不同），"
                                                  "请在考生信息中分别上传照片")
        else:
            entry["match"] = matches[0]
            entry.update(candidate=matches[0].name, candidate_id=matches[0].id, id=mask_id(matches[0].id_number))


def _check_and_store(job, archive, entries, data_dir, rules, by):
    """Read, check and store each matched photo; returns [(candidate, path)] to attach.

    This thread reads the entries in order; a small pool checks and re-encodes them (Pillow releases the
    GIL while it decodes and encodes, so two cores do twice the work). At most a few photos are in
    flight at once, so memory does not grow with the size of the ZIP.
    """
    updates, total_read, in_flight = [], 0, deque()

    def finish(entry, future):
        result, path, size, fix = future.result()
        if fix is not None:
            entry.update(result=FIXABLE, detail=result.problem, fix=fix)
        elif not result.ok:
            entry.update(result=INVALID, detail=result.problem)
        elif entry["match"].photo == path:
            entry.update(result=SKIPPED, detail="与该考生现有照片相同，未更改")
        else:
            entry.update(result=UPDATED, detail=f"{result.width}×{result.height} 像素，{size // 1024} KB")
            updates.append((entry["match"], path))

    with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="certdesk-photo") as pool:
        for index, entry in enumerate(entries, 1):
            if index % REPORT_EVERY == 0:
                job.report(index)
            if entry["result"] is not None:
                continue
            data, problem = _read(archive, entry["info"], rules)
            if problem:
                entry.update(result=INVALID, detail=problem)
                continue
            total_read += len(data)
            if total_read > 2 * rules.zip_max_bytes:
                raise JobError("压缩包解压后的总大小异常，已停止处理，未写入任何数据")
            in_flight.append((entry, pool.submit(_check_and_store_one, data, rules, data_dir, by,
                                                 entry["candidate_id"])))
            while len(in_flight) > WORKERS * 4:
                finish(*in_flight.popleft())
        while in_flight:
            finish(*in_flight.popleft())
    job.report(len(entries))
    return updates


def _check_and_store_one(data, rules, data_dir, by, candidate_id):
    result = check_photo(data, rules)
    path = store_photo(data_dir, data, result.image) if result.ok else None
    result.image = None  # free the decoded picture now
    fix = None
    if not result.ok:
        mended, why = propose_fix(data, rules)
        if mended is not None:
            fix = offer_details(offer(data_dir, mended, by, candidate_id), mended)
        elif result.width and why:
            # A picture that 自动修正 could not mend: the user is told why, not left to guess.
            result.problem += f"（无法自动修正：{why}）"
    return result, path, len(data), fix


def _read(archive, info, rules):
    """An entry's bytes, never more than a fix may read (a zip bomb stops here, not in memory)."""
    # Larger than the rule allows is read all the same, up to a bound: 自动修正 may shrink it.
    limit = max(rules.max_bytes, MAX_ORIGINAL_BYTES)
    if info.file_size > limit:
        if info.file_size > 100 * max(info.compress_size, 1):
            return None, (f"压缩后 {_size(info.compress_size)}、解压后 {_size(info.file_size)}，"
                          "压缩比异常（疑似压缩炸弹），未解压")
        return None, f"文件 {_size(info.file_size)}，应在 {rules.size_range} 之间，且过大，无法自动修正"
    try:
        with archive.open(info) as stream:
            data = stream.read(limit + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
        if isinstance(exc, RuntimeError) and "encrypted" in str(exc):
            return None, "文件已加密，请上传不带密码的压缩包"
        return None, "压缩包中的这个文件已损坏，无法读取"
    if len(data) > limit:
        return None, f"文件解压后超过 {_size(limit)}（与压缩包记录的大小不符），已拒绝"
    return data, None


def _size(size):
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"


def _apply(updates, data_dir, by, job):
    """Attach every stored photo in one transaction; then drop old files nobody refers to."""
    paths = {candidate.id: path for candidate, path in updates}
    with db.atomic():
        # Set-based, and reading the rows again inside the transaction: a candidate may have been
        # confirmed or given another photo while the job was reading the ZIP.
        old_paths = Candidate.set_photo_many(paths, by)
        audit.record("photo.zip", job, {"已更新": (None, len(updates))}, user=by,
                     label=f"照片压缩包（任务 {job.id}）")
    for path in old_paths:
        delete_photo_file(data_dir, path)


def _summary(entries, archive_name):
    counts = dict.fromkeys(RESULTS, 0)
    rows = []
    for entry in entries:
        counts[entry["result"]] += 1
        # The file name stays as the user wrote it (their own file, which they must find to fix); the
        # candidate it matched is shown by name and masked ID, like every list.
        rows.append({key: entry[key] for key in ("file", "id", "candidate", "candidate_id", "result", "detail",
                                                  "fix")})
    # Problems first, in the order a user fixes them; the file order inside each group.
    order = {FIXABLE: 0, NOT_FOUND: 1, INVALID: 2, DUPLICATE: 3, UPDATED: 4, FIXED: 5, SKIPPED: 6}
    rows.sort(key=lambda row: order[row["result"]])
    return {"counts": counts, "rows": rows, "files": len(entries), "name": archive_name}


def still_without_photo():
    return Candidate.without_photo().count()


def what_to_do(result):
    return WHAT_TO_DO.get(result, "")


def fixable_tokens(job):
    """The tokens of the job's fixes still waiting: what 全部修正 accepts."""
    return [row["fix"]["token"] for row in job.data.get("rows", []) if row["result"] == FIXABLE and row.get("fix")]


def accept_fixes(job, tokens, data_dir, by):
    """自动修正 on some lines (or 全部修正 on all): store the fixed photos and mark only the lines whose
    photo was stored 已修正; returns (stored, not stored): a fix expired, or not this user's, stays offered."""
    wanted = set(tokens) & set(fixable_tokens(job))
    accepted = accept(data_dir, wanted, by)
    data = job.data
    for row in data.get("rows", []):
        fix = row.get("fix")
        if row["result"] == FIXABLE and fix and fix["token"] in accepted:
            data["counts"][FIXABLE] -= 1
            data["counts"][FIXED] += 1
            row.update(result=FIXED, detail="；".join(fix["changes"]), fix=None)
    Job.update(result=json.dumps(data, ensure_ascii=False)).where(Job.id == job.id).execute()
    return len(accepted), len(wanted) - len(accepted)
