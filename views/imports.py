"""批量导入学生信息 and 导出: the dialog, upload and its polled status block, 仅导入正确的 N 行, the error report,
导入记录 with 撤销本次导入, the template download and the candidate export."""
from datetime import datetime
from io import BytesIO

from flask import Blueprint, abort, request, send_file
from flask_login import current_user

from models import audit
from models.candidate import Candidate
from models.batch import (CHECKING, IMPORTED, REFUSED, REVIEW, STATUS_COLORS, UNDONE, ImportBatch, ImportRefused,
                          limits)
from models.importing import confirm, receive, report_file, start_check
from models.job import FAILED
from models.user import ADMIN, STAFF
from sheets.export import build_export
from sheets.spec import AWARDS, CANDIDATES
from sheets.template import build_template

from . import Page, hx_events, page_arg, refused, render, roles

bp = Blueprint("imports", __name__, url_prefix="/imports")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILTERS = ("q", "status", "department", "major", "has_photo", "sort")


@bp.context_processor
def statuses():
    return dict(CHECKING=CHECKING, REVIEW=REVIEW, IMPORTED=IMPORTED, REFUSED=REFUSED, UNDONE=UNDONE,
                STATUSES=STATUS_COLORS)


@bp.route("/candidates")
@roles(ADMIN, STAFF)
def candidates_dialog():
    """批量导入学生信息: the rules, the template link, the file input and 保存."""
    return render("imports/dialog.html", block="dialog", **_dialog(CANDIDATES.kind))


@bp.route("/candidates/template")
@roles(ADMIN, STAFF)
def candidates_template():
    """下载「导入考生信息模板」."""
    return _xlsx(build_template(CANDIDATES), f"{CANDIDATES.template_name}.xlsx")


@bp.route("/candidates", methods=["POST"])
@roles(ADMIN, STAFF)
def upload_candidates():
    """保存: store the file and start checking it; the status block polls until the check is done."""
    return _upload(CANDIDATES.kind)


@bp.route("/awards")
@roles(ADMIN, STAFF)
def awards_dialog():
    """导入待颁证记录: the same dialog, with the pending-certificate sheet's rules and template."""
    return render("imports/dialog.html", block="dialog", **_dialog(AWARDS.kind))


@bp.route("/awards/template")
@roles(ADMIN, STAFF)
def awards_template():
    """下载「导入待颁证记录模板」."""
    return _xlsx(build_template(AWARDS), f"{AWARDS.template_name}.xlsx")


@bp.route("/awards", methods=["POST"])
@roles(ADMIN, STAFF)
def upload_awards():
    """保存 of 导入待颁证记录."""
    return _upload(AWARDS.kind)


def _upload(kind):
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return render("imports/dialog.html", block="missing", status=422, **_dialog(kind))
    batch = receive(kind, upload.stream, upload.filename, request.form.get("update_existing") == "1", by=_me())
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
        return refused(exc)
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
    state = request.args.get("status", "")
    return render("imports/history.html", block="results", state=state,
                  page=Page(ImportBatch.history(status=state), page_arg(), 30))


@bp.route("/<int:batch_id>/undo", methods=["POST"])
@roles(ADMIN, STAFF)
def undo(batch_id):
    """撤销本次导入: delete what the batch created while none of it was touched since."""
    batch = _get(batch_id)
    try:
        removed = batch.undo(by=_me())
    except ImportRefused as exc:
        return refused(exc)
    message = f"已撤销批次 #{batch.id}，删除 {removed} {'名考生' if batch.kind == CANDIDATES.kind else '条记录'}"
    return render("imports/history.html", block="row", batch=batch, headers=hx_events(
        **dict.fromkeys(KINDS[batch.kind]["events"], True), notice=(message, "ok")))


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


# What differs between the two imports the dialog serves.
KINDS = {
    CANDIDATES.kind: dict(spec=CANDIDATES, title="批量导入学生信息", row_noun="每位考生一行", noun="考生",
                          template="imports.candidates_template", upload="imports.upload_candidates",
                          saved_note="新导入的考生状态为“待认证”。", events=("candidatesChanged", "candidatesReload")),
    AWARDS.kind: dict(spec=AWARDS, title="导入待颁证记录", row_noun="每条记录一行", noun="记录",
                      template="imports.awards_template", upload="imports.upload_awards",
                      saved_note="导入的记录状态为“待审核”，等待培训评价组织审核颁证。", events=("awardsChanged",)),
}


def _dialog(kind):
    """What the dialog states: the spec's required columns, the upload limits and the kind's wording."""
    max_bytes, max_rows = limits()
    texts = KINDS[kind]
    return dict(spec=texts["spec"], kind=kind, texts=texts, max_mb=max_bytes // (1024 * 1024), max_rows=max_rows)


def _status(batch):
    """Render a batch's status block; when it has just been saved, the candidate list refreshes."""
    job = batch.job
    if batch.busy and job is not None and job.status == FAILED:
        batch.job_failed(job.message)
    sort = request.args.get("sort", "row")
    group = request.args.get("group", type=int)
    issues = batch.issues(sort, group) if batch.status == REVIEW and batch.errors else []
    headers = (hx_events(**dict.fromkeys(KINDS[batch.kind]["events"], True)) if batch.status == IMPORTED
               else None)
    return render("imports/dialog.html", block="status", batch=batch, job=job, info=batch.info,
                  issues=issues[:200], issue_total=len(issues), sort=sort, group=group, headers=headers,
                  **_dialog(batch.kind))


def _xlsx(body, filename):
    return send_file(BytesIO(body), mimetype=XLSX, as_attachment=True, download_name=filename)
