"""批量人工确认: the queue of 认证通过 candidates one at a time, keyboard first, and its grid of photo cards."""
from flask import Blueprint, current_app, redirect, request, url_for

from models import photo as photos
from models.photo_fix import attach_or_offer
from models.candidate import Candidate, TransitionError
from models.candidate_fields import CANDIDATE_SHEET
from models.confirm_queue import QUEUE_ARGS, QUEUE_FILTERS, ConfirmQueue
from models.normalise import whole_number
from models.user import ADMIN, STAFF

from . import Page, get_or_404, given, hx_events, id_list, list_filters, me, page_arg, refused, render, roles

bp = Blueprint("confirm_queue", __name__, url_prefix="/candidates/queue")
EMPTY = "当前筛选条件下没有认证通过、待人工确认的考生"
NO_PHOTO = "该考生还没有照片，不能人工确认：请先上传照片（选择照片文件，或把照片拖到这里）"


@bp.context_processor
def columns():
    return dict(COLUMNS=CANDIDATE_SHEET.resolved().columns)


@bp.route("/start")
@roles(ADMIN, STAFF)
def start():
    """批量人工确认 from 考生管理: a queue over the list's current filter, starting now at its first member;
    the list's status tab and page are kept for 返回考生管理."""
    args = list_filters(QUEUE_FILTERS + ("status", "page", "per_page"))
    queue = ConfirmQueue(args, came_from=args)
    first = queue.start()
    if first is None:
        return refused(EMPTY, back=(url_for("candidates.index", **queue.list_args), "返回考生管理"))
    url = url_for(".show", **queue.args, at=first.id, pos=1)
    return ("", 204, {"HX-Redirect": url}) if request.htmx else redirect(url, 303)


@bp.route("/")
@roles(ADMIN, STAFF)
def show():
    """The queue at a position (in the URL, so reload and back keep it); htmx gets only the stage."""
    queue = _queue()
    if queue is None:
        # The filters as the list reads them (each cut to 100 characters), not the address as it came.
        return redirect(url_for(".start", **given(list_filters(QUEUE_ARGS))), 303)
    return _stage(queue, queue.step(whole_number(request.args.get("at")), _position()))


@bp.route("/<int:candidate_id>/confirm", methods=["POST"])
@roles(ADMIN, STAFF)
def confirm(candidate_id):
    """Enter: 信息准确 for this candidate, then the next one."""
    queue, candidate = _queue_or_now(), get_or_404(Candidate, candidate_id)
    if candidate.can_confirm and not candidate.photo:
        # Said where the photo goes, and the upload is focused: Enter must never do nothing silently.
        return _stage(queue, queue.step(candidate.id, _position()), status=422, photo_error=NO_PHOTO)
    try:
        candidate.confirm(by=me())
    except TransitionError as exc:
        return refused(exc)
    return _stage(queue, queue.step_after(candidate, position=_position()), push=True, notice=(f"{candidate.name} 已人工确认，状态为信息准确", "ok"))


@bp.route("/<int:candidate_id>/photo", methods=["POST"])
@roles(ADMIN, STAFF)
def photo(candidate_id):
    """A photo chosen or dropped inside the queue, checked by the candidate form's rules; the queue stays."""
    queue, candidate = _queue_or_now(), get_or_404(Candidate, candidate_id)
    upload = request.files.get("photo")
    if upload is None or not upload.filename:
        ok, message, fix = False, "请选择照片文件", None
    else:
        ok, message, fix = attach_or_offer(candidate, upload.read(), current_app.config["DATA_DIR"], me())
    # Once the photo is in, the focus moves to 信息准确, so Enter confirms (not the file chooser again).
    return _stage(queue, queue.step(candidate.id, _position()), status=200 if ok else 422, photo_error=None if ok else message,
                  notice=(f"{candidate.name}：{message}", "ok") if ok else None, focus_confirm=ok, photo_fix=fix)


@bp.route("/grid", methods=["GET", "POST"])
@roles(ADMIN, STAFF)
def grid():
    """The grid: a page of photo cards to look at, tick and confirm together (one transaction)."""
    queue = _queue_or_now()
    notice = None
    if request.method == "POST":
        ticked = list(queue.waiting().where(Candidate.id.in_(id_list(request.form.getlist("ids")))))
        if not ticked:
            return refused("请先勾选核对无误的考生")
        try:
            notice = (f"已人工确认 {Candidate.confirm_many(ticked, by=me())} 名考生，状态为信息准确", "ok")
        except TransitionError as exc:
            return refused(exc)
    page = Page(queue.waiting(), page_arg(), 24)
    done, _ = queue.progress()
    # The grid counts its cards for the pager anyway: its total is exact.
    queue.total = done + page.total
    return render("confirm_queue/grid.html", block="grid", queue=queue, page=page, done=done, total=queue.total,
                  headers=hx_events(notice=notice, candidatesChanged=True) if notice else None)


def _queue():
    """The queue the URL names, or None when it has no start."""
    return ConfirmQueue.from_args(list_filters(QUEUE_ARGS))


def _queue_or_now():
    """The queue the URL names; without a start (the grid opened on its own), its filter starting now."""
    args = list_filters(QUEUE_ARGS)
    return ConfirmQueue.from_args(args) or ConfirmQueue(args, came_from=dict(args, page=args["list_page"]))


def _position():
    """The candidate's place in the queue that the URL carries (第 k 位), or None to count it."""
    return whole_number(request.args.get("pos"))


def _stage(queue, step, status=200, push=False, notice=None, photo_error=None, focus_confirm=False, photo_fix=None):
    if step.candidate is not None:
        step.candidate.record_full_id_view(by=me())
    at = {"at": step.candidate.id, "pos": step.position} if step.candidate else {}
    url = url_for(".show", **queue.args, **at)
    # A notice says a candidate changed (confirmed, edited, a photo stored): the navigation's counts follow.
    headers = hx_events(notice=notice, candidatesChanged=True) if notice else {}
    if request.htmx and (push or step.left):
        headers["HX-Push-Url" if push else "HX-Replace-Url"] = url
    return render("confirm_queue/queue.html", block="stage", status=status, headers=headers, queue=queue,
                  step=step, url=url, photo_error=photo_error, focus_confirm=focus_confirm, photo_fix=photo_fix,
                  photo_rules=photos.PhotoRules.load())
