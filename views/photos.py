"""上传学生照片: the ZIP dialog, its job's status block, 自动修正, and the photo files served only to allowed users."""
from datetime import date

from flask import Blueprint, abort, current_app, request, send_file

from models.candidate import Candidate
from models.job import Job
from models.photo import PhotoRules, photo_file, thumbnail_file
from models.photo_fix import accept, fix_candidate, image_file
from models.normalise import FieldError
from models.photo_sheets import missing_workbook, result_workbook
from models.photo_zip import (FIXABLE, KIND, PROBLEMS, RESULT_COLORS, RESULTS, accept_fixes, fixable_tokens,
                              ZIP_FIELD, save_upload, start_zip_job, still_without_photo, what_to_do)
from models.user import ADMIN, STAFF

from .candidates import status_change
from . import xlsx_response, get_or_404, hx_events, me, polling, refused, render, roles, wait_for_job

bp = Blueprint("photos", __name__, url_prefix="/photos")
ROWS_SHOWN = 500


@bp.route("/<int:candidate_id>")
@roles(ADMIN, STAFF)
def image(candidate_id):
    """A candidate's photo (`?size=thumb` for the list's thumbnail); never cached by shared caches."""
    return photo_response(get_or_404(Candidate, candidate_id))


def photo_response(candidate):
    """The photo file of `candidate` (`?size=thumb`: its thumbnail), private to this browser; 404 without one.
    Also what a record's page shows its reviewer."""
    if not candidate.photo:
        abort(404)
    data_dir = current_app.config["DATA_DIR"]
    make = thumbnail_file if request.args.get("size") == "thumb" else photo_file
    path = make(data_dir, candidate.photo)
    if path is None:
        abort(404)
    response = send_file(path, mimetype="image/jpeg", conditional=True, max_age=3600)
    # The URL shows a candidate id, the content can change: private to this browser, revalidated hourly.
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.route("/upload", methods=["GET"])
@roles(ADMIN, STAFF)
def zip_dialog():
    """The 上传学生照片 dialog: the photo rules, then the ZIP to choose and 保存."""
    return render("photos/upload.html", block="dialog", rules=PhotoRules.load(), ZIP_FIELD=ZIP_FIELD)


@bp.route("/upload", methods=["POST"])
@roles(ADMIN, STAFF)
def upload():
    """保存: keep the ZIP, start the job and answer at once with the status block that polls."""
    rules = PhotoRules.load()
    file = request.files.get("file")
    if file is None or not file.filename:
        return _refuse(rules, "请选择要上传的照片压缩包（.zip）")
    path, problem = save_upload(current_app.config["DATA_DIR"], file, rules)
    if problem:
        return _refuse(rules, problem)
    job = start_zip_job(path, file.filename, me())
    return _status(job)


@bp.route("/jobs/<int:job_id>")
@roles(ADMIN, STAFF)
def job_status(job_id):
    """The job's status block: a progress bar while it runs, the result table when it is done. Its
    polling request (`wait=1`, as an import's) is answered when the job ends or moves."""
    job, poll = get_or_404(Job.select().where(Job.kind == KIND), job_id), "load"
    if polling() and not job.finished:
        poll = wait_for_job(job.id)
        job = Job.get_by_id(job.id)
    return _status(job, poll=poll)


@bp.route("/jobs/<int:job_id>/fix", methods=["POST"])
@roles(ADMIN, STAFF)
def fix(job_id):
    """自动修正 on one line (`token`), or 全部修正: the fixed photos are stored and the lines say 已修正."""
    job = get_or_404(Job.select().where(Job.kind == KIND), job_id)
    tokens = request.form.getlist("token") or fixable_tokens(job)
    stored, missed = accept_fixes(job, tokens, current_app.config["DATA_DIR"], me())
    said = f"已保存 {stored} 张修正后的照片"
    if missed:
        said += f"；{missed} 张未能保存（修正已过期，或不是您上传的），请重新上传这些照片"
    return _status(Job.get_by_id(job.id), headers=hx_events(candidatesReload=True), said=(said, "error" if missed else "ok"))


@bp.route("/jobs/<int:job_id>/export")
@roles(ADMIN, STAFF)
def export_results(job_id):
    """The ZIP's result list as .xlsx (file names as uploaded, masked ID numbers)."""
    job = get_or_404(Job.select().where(Job.kind == KIND), job_id)
    filters = {"只看未通过": "是"} if request.args.get("problems") == "1" else None
    body = result_workbook(job, _rows(job), what_to_do, filters, by=me())
    return xlsx_response(body, f"照片处理结果-{job.id}.xlsx")


@bp.route("/missing")
@roles(ADMIN, STAFF)
def export_missing():
    """缺照片的考生 as .xlsx for the class teachers: 姓名, 学号, 院系, 班级, masked 证件号码."""
    return xlsx_response(missing_workbook(me()), f"缺照片的考生-{date.today():%Y%m%d}.xlsx")


@bp.route("/fixes/<token>/<which>.jpg")
@roles(ADMIN, STAFF)
def fix_image(token, which):
    """A waiting fix's picture (`fixed`) or its original (`original`), for the user who uploaded it only."""
    path = image_file(current_app.config["DATA_DIR"], token, me(), original=which == "original")
    if which not in ("fixed", "original"):
        path = None
    if path is None:
        abort(404)
    response = send_file(path, mimetype="image/jpeg", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/fixes/<token>/accept", methods=["POST"])
@roles(ADMIN, STAFF)
def accept_fix(token):
    """自动修正 of one photo (the candidate form, 批量人工确认): the fixed picture becomes the candidate's photo;
    the notice names the candidate, and its new status when a new photo took it back from 信息准确."""
    data_dir = current_app.config["DATA_DIR"]
    candidate = fix_candidate(data_dir, token, me())
    if not accept(data_dir, [token], me()):
        return refused("修正后的照片已过期或已保存，请重新选择照片")
    notice = "已保存修正后的照片"
    if candidate is not None:
        before, candidate = candidate.status, Candidate.get_by_id(candidate.id)
        notice = f"{candidate.name}：{notice}{status_change(candidate, before)}"
    return "", 204, hx_events(closeDialog=True, candidatesReload=True, notice=(notice, "ok"))


def _rows(job):
    rows = job.data.get("rows", [])
    if request.args.get("problems") == "1":
        rows = [row for row in rows if row["result"] in PROBLEMS]
    return rows


def _refuse(rules, problem):
    return render("photos/upload.html", block="form", status=422, rules=rules, ZIP_FIELD=ZIP_FIELD,
                  error=FieldError(problem))


def _status(job, headers=None, said=None, poll="load"):
    problems_only = request.args.get("problems") == "1"
    data = job.data
    rows = _rows(job)
    headers = headers or {}
    if job.finished and (request.method == "POST" or polling()):
        # Only the response that first shows the finished job tells the page; the filter toggle does not.
        headers.update(hx_events(candidatesChanged=True, candidatesReload=True))
    return render("photos/upload.html", block="status", headers=headers, job=job, data=data, poll=poll,
                  rows=rows[:ROWS_SHOWN], row_count=len(rows), problems_only=problems_only,
                  RESULTS=RESULTS, PROBLEMS=PROBLEMS, RESULT_COLORS=RESULT_COLORS, FIXABLE=FIXABLE,
                  what_to_do=what_to_do, mine=job.created_by_id == me().id,
                  missing=still_without_photo() if job.finished else None, ROWS_SHOWN=ROWS_SHOWN, said=said)
