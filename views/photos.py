"""上传学生照片: the ZIP dialog, its job's status block, and the photo files served only to allowed users."""
import json

from flask import Blueprint, abort, current_app, request, send_file

from models.candidate import Candidate
from models.job import Job
from models.photo import PhotoRules, photo_file, thumbnail_file
from models.photo_zip import KIND, PROBLEMS, RESULT_COLORS, RESULTS, save_upload, start_zip_job, still_without_photo
from models.user import ADMIN, STAFF

from . import get_or_404, me, render, roles

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
    return render("photos/upload.html", block="dialog", rules=PhotoRules.load())


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
    job = start_zip_job(current_app.config["DATA_DIR"], path, file.filename, me())
    return _status(job)


@bp.route("/jobs/<int:job_id>")
@roles(ADMIN, STAFF)
def job_status(job_id):
    """The job's status block: a progress bar while it runs, the result table when it is done."""
    return _status(get_or_404(Job.select().where(Job.kind == KIND), job_id))


def _refuse(rules, problem):
    return render("photos/upload.html", block="form", status=422, rules=rules, error=problem)


def _status(job):
    problems_only = request.args.get("problems") == "1"
    data = job.data
    rows = data.get("rows", [])
    if problems_only:
        rows = [row for row in rows if row["result"] in PROBLEMS]
    headers = {}
    if job.finished and (request.method == "POST" or request.args.get("poll") == "1"):
        # Only the response that first shows the finished job tells the page; the filter toggle does not.
        headers["HX-Trigger"] = json.dumps({"candidatesChanged": True, "candidatesReload": True})
    return render("photos/upload.html", block="status", headers=headers, job=job, data=data,
                  rows=rows[:ROWS_SHOWN], row_count=len(rows), problems_only=problems_only,
                  RESULTS=RESULTS, PROBLEMS=PROBLEMS, RESULT_COLORS=RESULT_COLORS,
                  missing=still_without_photo() if job.finished else None, ROWS_SHOWN=ROWS_SHOWN)
