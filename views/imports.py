"""批量导入学生信息 and 导入待颁证记录 through the ImportBatch: the dialog, the template download, the upload and
its polled status block, its import buttons (导入没有错误的 N 行 …), the error report, 导入记录 with 撤销本次导入;
and the candidate 导出."""
from datetime import datetime

from flask import Blueprint, abort, request, url_for

from models import audit
from models.candidate import DEFAULT_SORT, LIST_FILTERS, Candidate
from models.candidate_fields import CANDIDATE_SHEET
from models.import_batch import STATUS_COLORS, ImportBatch, ImportRefused, limits
from models.importers import IMPORTERS
from models.normalise import whole_number
from models.user import ADMIN, STAFF
from sheets.export import build_export
from sheets.template import build_template
from sheets.validate import WARNING

from . import (xlsx_response, Page, get_or_404, hx_events, in_words, list_filters, me, page_arg, paged, polling,
               refused, render, roles, wait_for_job)
from .candidates import filter_words

bp = Blueprint("imports", __name__, url_prefix="/imports")
ISSUES_PER_PAGE = 50  # lines of the error (or 提示) table in the import dialog
# How long 保存's answer waits for the check's outcome: a file of ten thousand rows is checked (and saved)
# within it, even on a busy server, and its result comes with that answer, a status request and a swap
# sooner. A bigger file's answer shows its progress then, and its status block waits on.
UPLOAD_WAIT_SECONDS = 2


# ---- 批量导入学生信息 and 导入待颁证记录: the same dialog for each kind ----------------------------------
@bp.route("/candidates")
@roles(ADMIN, STAFF)
def candidates_dialog():
    """批量导入学生信息: the rules, the template link, the file input and 保存."""
    return _dialog("candidates")


@bp.route("/candidates/template")
@roles(ADMIN, STAFF)
def candidates_template():
    """下载「导入考生信息模板」."""
    return _template("candidates")


@bp.route("/candidates", methods=["POST"])
@roles(ADMIN, STAFF)
def candidates_upload():
    """保存: store the file and start checking it; the status block polls until the check is done."""
    return _upload("candidates")


@bp.route("/awards")
@roles(ADMIN, STAFF)
def awards_dialog():
    """导入待颁证记录: the same dialog, with the pending-certificate sheet's rules and template."""
    return _dialog("awards")


@bp.route("/awards/template")
@roles(ADMIN, STAFF)
def awards_template():
    """下载「导入待颁证记录模板」."""
    return _template("awards")


@bp.route("/awards", methods=["POST"])
@roles(ADMIN, STAFF)
def awards_upload():
    """保存 of 导入待颁证记录."""
    return _upload("awards")


# ---- one batch: its status block, 仍然检查此文件, its import buttons, 下载错误报告 -------------------------
@bp.route("/<int:batch_id>")
@roles(ADMIN, STAFF)
def status(batch_id):
    """The status block of a batch: progress while it runs, then the summary and the error table. Its
    polling request (`wait=1`) is answered when the batch's outcome is stored, or the job ends or moves."""
    batch, poll = get_or_404(ImportBatch, batch_id), "load"
    if polling() and batch.busy and batch.job_id:
        poll = wait_for_job(batch.job_id, outcome=batch.settled)
        batch = ImportBatch.get_by_id(batch.id)
    return _status(batch, poll=poll)


@bp.route("/<int:batch_id>/recheck", methods=["POST"])
@roles(ADMIN, STAFF)
def recheck(batch_id):
    """仍然检查此文件: check a file that was imported before anyway."""
    try:
        batch = get_or_404(ImportBatch, batch_id).check(force=True, by=me())
    except ImportRefused as exc:
        return refused(exc)
    return _status(batch)


@bp.route("/<int:batch_id>/confirm", methods=["POST"])
@roles(ADMIN, STAFF)
def confirm_batch(batch_id):
    """An import button (导入没有错误的 N 行 …, or 只导入没有…提示的 M 行): write those rows in a job; the block polls."""
    try:
        batch = get_or_404(ImportBatch, batch_id).commit(me(), leave_warned="leave_warned" in request.form)
    except ImportRefused as exc:
        return refused(exc)
    return _status(batch)


@bp.route("/<int:batch_id>/resume", methods=["POST"])
@roles(ADMIN, STAFF)
def resume(batch_id):
    """继续 a 待确认 batch: checked again against what is stored now, shown in its kind's dialog."""
    try:
        batch = get_or_404(ImportBatch, batch_id).resume(me())
    except ImportRefused as exc:
        return refused(exc)
    return _status(batch, block="dialog")


@bp.route("/<int:batch_id>/discard", methods=["POST"])
@roles(ADMIN, STAFF)
def discard(batch_id):
    """放弃 a 待确认 batch: it becomes 已放弃 and its stored files are deleted; 导入记录 (`show=row`) gets its
    row again, the dialog (`show=dialog`) starts afresh (no file chosen), its list of the other waiting batches
    (`show=waiting`, beside the result of batch `beside`) a line less."""
    batch = get_or_404(ImportBatch, batch_id)
    try:
        batch.discard(by=me())
    except ImportRefused as exc:
        return refused(exc)
    headers = hx_events(notice=(f"已放弃批次 #{batch.id}，上传的文件已删除", "ok"))
    show = request.form.get("show")
    if show == "row":
        return render("imports/history.html", block="row", batch=batch, headers=headers)
    if show == "dialog":
        return render("imports/dialog.html", block="dialog", headers=headers,
                      update_existing=batch.update_existing, **_dialog_context(batch.kind))
    if show == "waiting":
        beside_id = whole_number(request.form.get("beside"))  # a forged one no column holds: none
        beside = None if beside_id is None else ImportBatch.get_or_none(ImportBatch.id == beside_id)
        return render("imports/dialog.html", block="waiting", batch=beside, headers=headers,
                      **_dialog_context(batch.kind))
    return "", 200, headers


@bp.route("/<int:batch_id>/report")
@roles(ADMIN, STAFF)
def report(batch_id):
    """下载错误报告: the failing rows in the template's layout, bad cells marked, with 错误原因."""
    batch = get_or_404(ImportBatch, batch_id)
    if not batch.has_report:
        abort(404)
    name = f"错误报告-{batch.file_name.rsplit('.', 1)[0]}-批次{batch.id}.xlsx"
    report_file = batch.report_file()
    audit.record_download("import.report", batch.report_rows, obj=batch, by=me(), full_ids=True)
    return xlsx_response(report_file, name)


# ---- 导入记录 and 撤销本次导入 ---------------------------------------------------------------------------
@bp.route("/")
@roles(ADMIN, STAFF)
def history():
    """导入记录 (of one kind, or all): every batch with who, when, file, counts, duration, status, its report,
    继续 / 放弃 while it waits and 撤销本次导入."""
    ImportBatch.reconcile()
    filters = list_filters(("kind", "status"), known={"kind": ("导入类型", tuple(IMPORTERS)),
                                                      "status": ("状态", STATUS_COLORS)})
    kind, state = filters["kind"] or None, filters["status"]
    page = paged(ImportBatch.history(kind, status=state), 30)
    ImportBatch.read_undo_blockers(page.items)
    args = {key: value for key, value in (("kind", kind), ("status", state)) if value}
    return render("imports/history.html", block="results", page=page, kind=kind, state=state, args=args,
                  filters=filters, states=STATUS_COLORS, importer=IMPORTERS.get(kind), importers=IMPORTERS)


@bp.route("/<int:batch_id>/undo", methods=["POST"])
@roles(ADMIN, STAFF)
def undo(batch_id):
    """撤销本次导入: delete what the batch created while none of it was touched since."""
    batch = get_or_404(ImportBatch, batch_id)
    try:
        removed = batch.undo(by=me())
    except ImportRefused as exc:
        return refused(exc)
    message = f"已撤销批次 #{batch.id}，删除 {batch.spec.count(removed)}"
    return render("imports/history.html", block="row", batch=batch,
                  headers=hx_events(**_changed(batch.kind), notice=(message, "ok")))


@bp.route("/candidates/export")
@roles(ADMIN, STAFF)
def export_candidates():
    """导出: the filtered candidate list in the template's layout (full ID numbers; audited)."""
    filters = list_filters(LIST_FILTERS)
    Candidate.cascade_choices(filters)  # drops a 专业 or 班级 the chosen 院系 does not have, as the list does
    query = Candidate.filtered(**dict(filters, sort=filters["sort"] or DEFAULT_SORT))
    body = build_export(CANDIDATE_SHEET, query.iterator())
    audit.record_download("candidate.export", query.count(), filters=in_words(filter_words(filters)), by=me(),
                          full_ids=True)
    return xlsx_response(body, f"考生信息-{datetime.now():%Y%m%d-%H%M}.xlsx")


# ---- helpers -------------------------------------------------------------------------------------
def _changed(kind):
    """The events after an import of `kind` was saved or undone: its list (candidatesChanged and
    candidatesReload on the candidate list, awardsChanged on the pending-certificate list) refreshes."""
    return {f"{kind}Changed": True, f"{kind}Reload": True}


def _dialog_context(kind):
    """What the dialog states: the kind's importer and sheet, and the upload limits."""
    max_bytes, max_rows = limits()
    importer = IMPORTERS[kind]
    return dict(kind=kind, importer=importer, spec=importer.spec, max_mb=max_bytes // (1024 * 1024),
                max_rows=max_rows, template_url=url_for(f".{kind}_template"), upload_url=url_for(f".{kind}_upload"),
                dialog_url=url_for(f".{kind}_dialog"), waiting=ImportBatch.waiting_for(kind, me()))


def _dialog(kind):
    """The dialog; 重新上传修改后的文件 opens it again with the options of the batch it came from."""
    return render("imports/dialog.html", block="dialog", update_existing=request.args.get("update_existing") == "1",
                  **_dialog_context(kind))


def _template(kind):
    spec = IMPORTERS[kind].spec
    return xlsx_response(build_template(spec), f"{spec.template_name}.xlsx")


def _upload(kind):
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return render("imports/dialog.html", block="missing", status=422, **_dialog_context(kind))
    batch = ImportBatch.receive(kind, upload.stream, upload.filename, request.form.get("update_existing") == "1",
                                by=me()).check()
    poll = "load"
    if batch.busy and batch.job_id:
        poll = wait_for_job(batch.job_id, outcome=batch.settled, seconds=UPLOAD_WAIT_SECONDS,
                            redraw=UPLOAD_WAIT_SECONDS)
        batch = ImportBatch.get_by_id(batch.id)
    return _status(batch, poll=poll)


def _status(batch, block="status", poll="load"):
    """Render a batch's status block (or the whole dialog around it); when it has just been saved, its list
    refreshes once the result is on screen (its requests started before the swap held the result back ~10
    ms). `poll`: the hx-trigger of a busy batch's next status request."""
    batch.settle()
    sort = request.args.get("sort", "row")
    group = request.args.get("group", type=int)
    # The error and 提示 tables page apart: each keeps the other's page in its pager's links.
    issues = Page(batch.issues(sort, group), page_arg(), ISSUES_PER_PAGE)
    warnings = Page(batch.warnings(sort), request.args.get("wpage", 1, type=int), ISSUES_PER_PAGE)
    return render("imports/dialog.html", block=block, batch=batch, job=batch.job, info=batch.info,
                  issues=issues, warnings=warnings, left_out=batch.left_out(), warnings_left_out=batch.left_out(WARNING),
                  sort=sort, group=group, update_existing=batch.update_existing, poll=poll,
                  headers=hx_events(after_swap=True, **_changed(batch.kind)) if batch.saved else None,
                  **_dialog_context(batch.kind))


