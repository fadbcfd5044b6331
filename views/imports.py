"""批量导入学生信息 and 导出: the dialog, upload and its polled status block, 仅导入正确的 N 行, the error report,
导入记录 with 撤销本次导入, the template download and the candidate export."""
import json
from datetime import datetime
from io import BytesIO

from flask import Blueprint, abort, request, send_file
from flask_login import current_user

from models import audit
from models.candidate import Candidate
from models.batch import CHECKING, IMPORTED, REFUSED, REVIEW, UNDONE, ImportBatch, ImportRefused, limits
from models.importing import confirm, receive, report_file, start_check
from models.job import FAILED
from models.user import ADMIN, STAFF
from sheets.export import build_export
from sheets.spec import CANDIDATES
from sheets.template import build_template

from . import Page, page_arg, render, roles

bp = Blueprint("imports", __name__, url_prefix="/imports")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILTERS = ("q", "status", "department", "major", "has_photo", "sort")


@bp.context_processor
def statuses():
    return dict(CHECKING=CHECKING, REVIEW=REVIEW, IMPORTED=IMPORTED, REFUSED=REFUSED, UNDONE=UNDONE)


@bp.route("/candidates")
@roles(ADMIN, STAFF)
def candidates_dialog():
    """批量导入学生信息: the rules, the template link, the file input and 保存."""
    return render("imports/dialog.html", block="dialog", **_dialog())


@bp.route("/candidates/template")
@roles(ADMIN, STAFF)
def candidates_template():
    """下载「导入考生信息模板」."""
    return _xlsx(build_template(CANDIDATES), f"{CANDIDATES.template_name}.xlsx")


@bp.route("/candidates", methods=["POST"])
@roles(ADMIN, STAFF)
def upload_candidates():
    """保存: store the file and start checking it; the status block polls until the check is done."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return render("imports/dialog.html", block="missing", status=422, **_dialog())
    batch = receive(CANDIDATES.kind, upload.stream, upload.filename, request.form.get("update_existing") == "1",
                    by=_me())
    if batch.status != REFUSED:
        batch = start_check(batch)
    return _status(batch)


@bp.route("/<int:batch_id>")
@roles(ADMIN, STAFF)
def status(batch_id):
    """The status block of a batch: progress while it runs, then the summary and the error table."""
    return _status(_get(batch_id))


@bp.route("/<int:batch_id>/recheck", methods=["POST"])
@roles(ADMIN, STAFF)
def recheck(batch_id):
    """仍然检查此文件: check a file that was imported before anyway."""
    batch = _get(batch_id)
    if batch.duplicate_of is None or batch.busy:
        abort(409)
    return _status(start_check(batch, force=True))


@bp.route("/<int:batch_id>/confirm", methods=["POST"])
@roles(ADMIN, STAFF)
def confirm_batch(batch_id):
    """仅导入正确的 N 行: write the rows that passed (in a job); the status block polls again."""
    batch = _get(batch_id)
    try:
        batch = confirm(batch)
    except ImportRefused as exc:
        return str(exc), 409, {"Content-Type": "text/plain; charset=utf-8"}
    return _status(batch)


@bp.route("/<int:batch_id>/report")
@roles(ADMIN, STAFF)
def report(batch_id):
    """下载错误报告: the failing rows in the template's layout, bad cells marked, with 错误原因."""
    batch = _get(batch_id)
    if not batch.has_report:
        abort(404)
    name = f"错误报告-{batch.file_name.rsplit('.', 1)[0]}-批次{batch.id}.xlsx"
    return send_file(report_file(batch), mimetype=XLSX, as_attachment=True, download_name=name)


@bp.route("/")
@roles(ADMIN, STAFF)
def history():
    """导入记录: every batch with who, when, file, counts, duration, status, its report and 撤销本次导入."""
    ImportBatch.reconcile()
    return render("imports/history.html", block="results", page=Page(ImportBatch.history(), page_arg(), 30))


@bp.route("/<int:batch_id>/undo", methods=["POST"])
@roles(ADMIN, STAFF)
def undo(batch_id):
    """撤销本次导入: delete what the batch created while none of it was touched since."""
    batch = _get(batch_id)
    try:
        removed = batch.undo(by=_me())
    except ImportRefused as exc:
        return str(exc), 409, {"Content-Type": "text/plain; charset=utf-8"}
    message = f"已撤销批次 #{batch.id}，删除 {removed} 名考生"
    return render("imports/history.html", block="row", batch=batch, headers=_events(
        candidatesChanged=True, candidatesReload=True, notice={"value": message, "kind": "ok"}))


@bp.route("/candidates/export")
@roles(ADMIN, STAFF)
def export_candidates():
    """导出: the filtered candidate list in the template's layout (full ID numbers; audited)."""
    filters = {key: request.args.get(key, "").strip() for key in FILTERS}
    filters["sort"] = filters["sort"] or "-created_at"
    query = Candidate.filtered(**filters)
    body = build_export(CANDIDATES, query.iterator())
    shown = {k: v for k, v in filters.items() if v and k != "sort"}
    audit.record("candidate.export", None, {"筛选条件": (None, shown or "全部"), "条数": (None, query.count())},
                 user=_me(), label="导出考生信息（含完整证件号码）")
    return _xlsx(body, f"考生信息-{datetime.now():%Y%m%d-%H%M}.xlsx")


# ---- helpers -------------------------------------------------------------------------------------
def _me():
    return current_user._get_current_object()


def _get(batch_id):
    return ImportBatch.get_or_none(ImportBatch.id == batch_id) or abort(404)


def _dialog():
    """What the dialog states: the spec's required columns and the upload limits."""
    max_bytes, max_rows = limits()
    return dict(spec=CANDIDATES, max_mb=max_bytes // (1024 * 1024), max_rows=max_rows)


def _status(batch):
    """Render a batch's status block; when it has just been saved, the candidate list refreshes."""
    job = batch.job
    if batch.busy and job is not None and job.status == FAILED:
        batch.job_failed(job.message)
    sort = request.args.get("sort", "row")
    group = request.args.get("group", type=int)
    issues = batch.issues(sort, group) if batch.status == REVIEW and batch.errors else []
    headers = (_events(candidatesChanged=True, candidatesReload=True) if batch.status == IMPORTED
               else None)
    return render("imports/dialog.html", block="status", batch=batch, job=job, info=batch.info,
                  issues=issues[:200], issue_total=len(issues), sort=sort, group=group, headers=headers,
                  **_dialog())


def _events(**events):
    # ASCII JSON: header values must be latin-1; htmx decodes the \u escapes.
    return {"HX-Trigger": json.dumps(events)}


def _xlsx(body, filename):
    return send_file(BytesIO(body), mimetype=XLSX, as_attachment=True, download_name=filename)
