"""考生管理: the candidate list, 新增学生信息 and edit, 认证 / 批量认证, 人工确认, the detail page and delete."""
from flask import Blueprint, abort, current_app, redirect, request, url_for

from models import photo as photos
from models.photo_fix import attach_or_offer
from models.audit import AuditEvent
from models.award import AwardRecord
from models.candidate import (AUTHENTICABLE, CASCADE, DEFAULT_SORT, LIST_FILTERS, LISTED, PENDING, STATUSES,
                              VERIFIED, Candidate, TransitionError)
from models.candidate_fields import CANDIDATE_SHEET
from models.confirm_queue import QUEUE_FILTERS, ConfirmQueue
from models.identity import identity_problems, implied_by_number
from models.normalise import FieldError
from models.setting import SettingError
from models.user import ADMIN, STAFF

from . import (cascade, get_or_404, given, hx_events, id_list, list_filters, me, paged, refused, render, roles,
               wants_partial)
from .kept_answers import kept_partial

bp = Blueprint("candidates", __name__, url_prefix="/candidates")
SKIPPED_NOTE = "（状态不是待认证或认证未通过）"
# The list's filters with a fixed set of values: another one is dropped, and the list says so.
KNOWN = {"status": ("状态", STATUSES), "has_photo": ("照片", ("1", "0"))}
PHOTO_WORDS = {"1": "有照片", "0": "无照片"}


def filter_words(filters):
    """The list's filter in words, [(label, value)] of those set: 批量认证's dialog and the export's audit event."""
    words = (("搜索", filters.get("q")), ("状态", filters.get("status")), ("院系", filters.get("department")),
             ("专业", filters.get("major")), ("班级", filters.get("class_name")),
             ("照片", PHOTO_WORDS.get(filters.get("has_photo"), "")))
    return [(label, value) for label, value in words if value]


@bp.context_processor
def statuses():
    return dict(STATUSES=STATUSES, PENDING=PENDING, COLUMNS=CANDIDATE_SHEET.resolved().columns,
                PHOTO_FIELD=photos.PHOTO_FIELD)


# ---- the list ------------------------------------------------------------------------------------
@bp.route("/")
@roles(ADMIN, STAFF)
def index():
    """考生管理: search, filters, sorting and paging kept in the URL; htmx gets only the results block (and
    the 专业 / 班级 choices the 院系 chosen allows, out of band), kept whole until the database changes."""
    return kept_partial(_index)


def _index():
    filters, (choices, cleared) = _filters_and_choices(request.args)
    context = _list_context(filters)
    page, headers = context["page"], None
    # The list read again after the user's own action (candidatesReload: `reread`). A delete or a row that left
    # its status tab can empty the last page: the page before it shows, without 没有第 N 页 (nobody asked for
    # page N), and the address follows, replaced (the user went nowhere).
    reread = request.args.get("reread") == "1"
    moved = reread and page.beyond
    if moved:
        page.beyond = None
    if cleared or moved:
        shown = url_for(".index", **context["args"], **({"page": page.page} if page.page > 1 else {}))
        headers = {"HX-Replace-Url" if reread else "HX-Push-Url": shown}
    return render("candidates/list.html", block="results", partial=wants_partial(), choices=choices,
                  headers=headers, **context)


@bp.route("/counts")
@roles(ADMIN, STAFF)
def counts():
    """The counts per status above the table, re-fetched after a row action changed them, and the pager's
    total (the page the list shows stays as it is)."""
    filters = _filters(request.args)
    if not request.htmx:
        return redirect(url_for(".index", **given(filters)), 303)
    counts = Candidate.list_counts(filters)
    return render("candidates/list.html", block="counts", filters=filters, counts=counts,
                  page_total=paged([], total=_total(counts, filters)))


# ---- 新增学生信息 and edit -----------------------------------------------------------------------
@bp.route("/new", methods=["GET", "POST"])
@roles(ADMIN, STAFF)
def new():
    """新增学生信息: the dialog, and 保存 that creates the candidate in 待认证."""
    if request.method == "POST":
        return _save(None)
    return _form(None, {"id_type": CANDIDATE_SHEET.column("id_type").choices[0]})


@bp.route("/<int:candidate_id>/edit", methods=["GET", "POST"])
@roles(ADMIN, STAFF)
def edit(candidate_id):
    """修改 a candidate; a changed key field sends it back to 待认证 (the model decides)."""
    candidate = _get(candidate_id)
    if request.method == "POST":
        return _save(candidate)
    return _form(candidate, _display_values(candidate))


@bp.route("/validate/<key>", methods=["POST"])
@roles(ADMIN, STAFF)
def validate(key):
    """Inline validation as the user leaves a field: its error or hint; an ID fills 出生日期/性别 if empty."""
    field = CANDIDATE_SHEET.resolved().column(key) or abort(404)
    raw = request.form.to_dict()
    candidate = _get(raw["candidate_id"]) if raw.get("candidate_id") else None
    fills = _implied_fills(raw) if key in ("id_number", "id_type") else []
    _, errors, notes = _check(raw, candidate)
    # A changed 院系 or 专业 narrows the suggestions of those after it, and a changed 院系 may make the 专业 or
    # 班级 typed one of another 院系 (their 提示 are sent alone: their inputs may be being typed in).
    after = CASCADE[CASCADE.index(key) + 1:] if key in CASCADE[:-1] else ()
    hinted = [CANDIDATE_SHEET.resolved().column(k) for k, _ in ELSEWHERE_HINTED] if key == "department" else []
    return render("candidates/_validate.html", field=field, fills=fills, raw=raw, errors=errors, notes=notes,
                  suggested={name: values for name, values in _suggested(raw).items() if name in after}, hinted=hinted)


# ---- 认证, 批量认证 and 人工确认 --------------------------------------------------------------------
@bp.route("/<int:candidate_id>/authenticate", methods=["POST"])
@roles(ADMIN, STAFF)
def authenticate(candidate_id):
    """认证 one row: run the identity verifier and return the updated row."""
    candidate = _get(candidate_id)
    try:
        passed = candidate.authenticate(by=me())
    except (TransitionError, SettingError) as exc:
        return refused(exc)
    if passed:
        notice = (f"{candidate.name}：认证通过", "ok")
    else:
        notice = (f"{candidate.name}：认证未通过（{'；'.join(candidate.reasons)}）", "error")
    return _row(candidate, notice, _tab())


@bp.route("/bulk-authenticate", methods=["GET", "POST"])
@roles(ADMIN, STAFF)
def bulk_authenticate():
    """批量认证 of the ticked rows or of every row matching the filter: the confirming dialog, then the work."""
    filters = _filters(request.values)
    ids = id_list(request.values.getlist("ids"))
    scope = request.values.get("scope") or ("selected" if ids else "all")
    if request.method == "GET":
        matching = Candidate.filtered(**filters)
        return render("candidates/bulk.html", block="dialog", filters=filters, words=filter_words(filters), ids=ids,
                      scope=scope, matching=matching.count(), todo=matching.where(Candidate.status.in_(AUTHENTICABLE)).count())
    query = Candidate.select().where(Candidate.id.in_(ids)) if scope == "selected" else Candidate.filtered(**filters)
    try:
        passed, failed, skipped = Candidate.authenticate_many(list(query), by=me())
    except SettingError as exc:
        return refused(exc)
    message = f"认证通过 {passed} 人，认证未通过 {failed} 人，跳过 {skipped} 人{SKIPPED_NOTE if skipped else ''}"
    if not request.htmx:
        return redirect(url_for(".index", **{k: v for k, v in filters.items() if v}), 303)
    return render("candidates/bulk.html", block="result", message=message, failed=failed,
                  headers=hx_events(candidatesReload=True, notice=(message, "ok" if not failed else "info")))


@bp.route("/<int:candidate_id>/confirm", methods=["GET", "POST"])
@roles(ADMIN, STAFF)
def confirm(candidate_id):
    """人工确认: every field (the full ID, audited) beside the photo; 保存 marks the candidate 信息准确, and
    保存并确认下一位 then opens the next 认证通过 candidate of the list's filter."""
    candidate = _get(candidate_id)
    try:
        candidate.check_confirmable()
    except TransitionError as exc:
        return refused(exc)
    if request.method == "GET":
        candidate.record_full_id_view(by=me())
        return render("candidates/confirm.html", block="dialog", c=candidate)
    try:
        candidate.confirm(by=me())
    except TransitionError as exc:
        return refused(exc)
    notice = f"{candidate.name} 已人工确认，" + (_moved(candidate, _tab()) or "状态为信息准确")
    if request.form.get("next"):
        following = ConfirmQueue(list_filters(QUEUE_FILTERS, request.form)).next_waiting(candidate)
        if following is not None:
            following.record_full_id_view(by=me())
            return render("candidates/confirm.html", block="dialog", c=following,
                          headers=hx_events(candidatesReload=True, notice=(notice, "ok")))
        notice += "；列表中已没有待人工确认的考生"
    return "", 204, hx_events(closeDialog=True, candidatesReload=True, notice=(notice, "ok"))


# ---- detail and delete ---------------------------------------------------------------------------
@bp.route("/<int:candidate_id>")
@roles(ADMIN, STAFF)
def detail(candidate_id):
    """The candidate's page: every field with the full ID (audited), photo, status, what is missing, its
    records and certificates, history."""
    candidate = _get(candidate_id)
    candidate.record_full_id_view(by=me())
    events = list(AuditEvent.for_object("candidate", candidate.id)
                  .where(AuditEvent.action != "candidate.view_id")
                  .limit(200))
    return render("candidates/detail.html", block="detail", c=candidate, events=events,
                  awards=list(AwardRecord.of_candidate(candidate)))


@bp.route("/<int:candidate_id>", methods=["DELETE"])
@roles(ADMIN, STAFF)
def delete(candidate_id):
    """Delete a candidate (refused while it has certificate records) and its photo file."""
    candidate = _get(candidate_id)
    try:
        photo = candidate.remove(by=me())
    except TransitionError as exc:
        return refused(exc)
    if photo:
        photos.delete_photo_file(current_app.config["DATA_DIR"], photo)
    # The list part is read again, as after 人工确认 or 保存: the row may have been the page's last (the page then
    # shows the last one that has rows, or says none match) or its 班级's last (the choice goes with it).
    # After the swap: htmx then sends the events from the page's body when the clicked button is gone (the
    # row swapped out, or the list drawn again while the request was out), where before the swap it sent
    # them from a button no longer on the page, and no one heard them.
    headers = hx_events(after_swap=True, candidatesReload=True, notice=(f"已删除考生 {candidate.name}", "ok"))
    if request.values.get("from") == "detail":
        headers["HX-Redirect"] = url_for(".index")
    return "", 200, headers


# ---- helpers -------------------------------------------------------------------------------------
def _get(candidate_id):
    return get_or_404(Candidate, candidate_id)


def _filters(args):
    return _filters_and_choices(args)[0]


def _filters_and_choices(args):
    """The list's filters from `args`, a 专业 or 班级 that the chosen 院系 does not have dropped, and
    cascade()'s choices and whether one was dropped."""
    filters = list_filters(LIST_FILTERS, args, KNOWN)
    filters["sort"] = filters["sort"] or DEFAULT_SORT
    return filters, cascade(filters)


def _list_context(filters):
    """What the list page shows: `chosen` the filters set (what 导出 carries), `args` those and the page size
    (what the sort links keep)."""
    chosen = {k: v for k, v in filters.items() if v and not (k == "sort" and v == DEFAULT_SORT)}
    counts = Candidate.list_counts(filters)
    total = _total(counts, filters)
    page = paged(Candidate.filtered(**filters), total=total, plan=lambda through: Candidate.filtered(
        **filters, plan=Candidate.page_plan(filters["q"], total, through)).select(*LISTED).objects(Candidate.as_read))
    return dict(filters=filters, chosen=chosen, args=dict(chosen, **page.size_arg), page=page, counts=counts)


def _total(counts, filters):
    """How many candidates the list shows: its status tab's count, or all of them."""
    return counts.get(filters.get("status"), sum(counts.values()))


def _tab():
    """The status tab the list is on ("" for 全部), as a row action's request names it (`status`)."""
    return list_filters(("status",), request.values, {"status": KNOWN["status"]})["status"]


def _moved(candidate, tab):
    """Where a row action took the candidate when that took it out of the status tab the list is on (its row
    leaves the list, which is read again), or "" when it stays (on 全部 it shows its new status)."""
    return f"已移到「{candidate.status}」" if tab and candidate.status != tab else ""


def _not_listed(candidate, tab):
    """What 新增's notice adds when the new candidate is not of the status tab the list is on: the list read
    again does not show it."""
    return f"，不在「{tab}」列表中" if tab and candidate.status != tab else ""


def _row(candidate, notice, tab):
    """A row action's answer: the candidate's row, or, when it has left the status tab `tab`, nothing (the
    row goes) and the list read again."""
    if not request.htmx:
        return redirect(url_for(".index"), 303)
    # After the swap, as 删除's: the events then go from the page's body when the clicked button is gone.
    text, kind = notice
    moved = _moved(candidate, tab)
    if moved:
        return "", 200, hx_events(after_swap=True, candidatesReload=True, notice=(f"{text}，{moved}", kind))
    return render("candidates/_row.html", c=candidate,
                  headers=hx_events(after_swap=True, candidatesChanged=True, notice=notice))


def _display_values(candidate):
    values = candidate.field_values()
    return {k: "" if v is None else (v.isoformat() if hasattr(v, "isoformat") else str(v))
            for k, v in values.items()}


def _form(candidate, raw, errors=None, notes=None, status=200, headers=None, photo_fix=None):
    return render("candidates/form.html", block="dialog", status=status, headers=headers, candidate=candidate,
                  raw=raw, errors=errors or {}, notes=notes or {}, photo_rules=photos.PhotoRules.load(), tab=_tab(),
                  searched=_searched(),
                  photo_fix=photo_fix, suggested=_suggested(raw))


def _suggested(raw):
    """The 院系, 专业 and 班级 the form suggests for what is typed (Candidate.suggested_values)."""
    return Candidate.suggested_values(_typed(raw, "department"), _typed(raw, "major"))


def _typed(raw, key):
    """A field's value as 保存 would store it ("" when empty), or None when 保存 would refuse it."""
    try:
        return CANDIDATE_SHEET.column(key).check(raw.get(key)) or ""
    except FieldError:
        return None


def _check(raw, candidate):
    """Clean the form with the one validator, then add what the form also shows: ID hints and duplicates."""
    values, errors = CANDIDATE_SHEET.clean(raw)
    notes = {}
    id_type, number = values.get("id_type"), values.get("id_number")
    if id_type and number and "id_number" not in errors:
        other = Candidate.by_identity(id_type, number)
        if other is not None and (candidate is None or other.id != candidate.id):
            errors["id_number"] = FieldError(f"该证件号码已存在（考生 {other.name}）",
                                             "请勿重复新增；如需修改，请在列表中搜索该考生后点击「修改」")
        born, gender = implied_by_number(id_type, number)
        hints = [("ok", f"证件号码表示：{born:%Y-%m-%d} 出生，{gender}")] if born else []
        problems = identity_problems(values.get("name"), id_type, number, values.get("gender"),
                                     values.get("birth_date"))
        notes["name"] = [("warn", p) for p in problems if p.startswith("姓名")]
        notes["id_number"] = hints + [("warn", p + "（可以保存，但认证将不通过）")
                                      for p in problems if not p.startswith("姓名")]
    for key, label in ELSEWHERE_HINTED:
        note = _elsewhere_note(key, label, values.get(key), values.get("department"))
        if note:
            notes[key] = [("warn", note)]
    closest = Candidate.department_unheard_of(values.get("department"))
    if closest is not None:
        asked = f"，是否为「{closest}」？" if closest else "；"
        notes["department"] = [("warn", f"提示：已有考生中没有院系「{values['department']}」{asked}"
                                        "如是新院系，可忽略此提示")]
    return values, errors, notes


# The fields whose value, when only other 院系 have it, gets a 提示 naming them.
ELSEWHERE_HINTED = (("major", "专业"), ("class_name", "班级"))


def _elsewhere_note(key, label, value, department):
    """The 提示 for a 专业 or 班级 that stored candidates have only in other 院系, or None. A hint, not an
    error: one of the same name may be new in this 院系."""
    homes = Candidate.departments_elsewhere(key, value, department) if department and value else []
    if not homes:
        return None
    return (f"提示：已有考生中，{label}「{value}」属于{'、'.join(homes[:3])}{'等' if len(homes) > 3 else ''}；"
            f"如是{department}的新{label}，可忽略此提示")


def _implied_fills(raw):
    """Fill an empty 出生日期 and 性别 from the ID number; returns the fields filled."""
    values, _ = CANDIDATE_SHEET.clean(raw)
    born, gender = implied_by_number(values.get("id_type"), values.get("id_number", ""))
    fills = []
    for key, value in (("birth_date", born and born.isoformat()), ("gender", gender)):
        if value and not raw.get(key, "").strip():
            raw[key] = value
            fills.append(CANDIDATE_SHEET.column(key))
    return fills


def _save(candidate):
    """保存 of the candidate form: 422 with every field's problem, or the change made through the model."""
    raw = request.form.to_dict()
    values, errors, notes = _check(raw, candidate)
    if errors:
        return _form(candidate, raw, errors, notes, status=422)
    before = candidate.status if candidate else None
    if candidate is None:
        candidate = Candidate.register(values, by=me())
        message = f"已新增考生 {candidate.name}，状态为待认证" + _not_listed(candidate, _tab())
    else:
        candidate.edit(values, by=me())
        message = f"已保存 {candidate.name} 的信息"
    photo = _attach_photo(candidate)
    if photo and not photo[0]:
        message += _photo_pending(photo[2]) + status_change(candidate, before)
        return _form(candidate, _display_values(candidate), {"photo": FieldError(photo[1])}, status=422,
                     headers=hx_events(candidatesReload=True, notice=(message, "error")), photo_fix=photo[2])
    if photo:
        message += "；" + photo[1]
    message += status_change(candidate, before) + _unsearched(candidate, before)
    return "", 204, hx_events(closeDialog=True, candidatesReload=True, notice=(message, "ok"))


def _searched():
    """The search the list that opened the form was showing (its 修改 sends it), "" for none."""
    return list_filters(("q",), request.values)["q"]


def _unsearched(candidate, before):
    """What 保存's notice adds when the change took the candidate out of the list's search (a name changed
    while searched for by it): the list read again no longer shows its row."""
    q = _searched()
    if not q or before is None or _moved(candidate, _tab()):
        return ""
    listed = Candidate.filtered(q=q).where(Candidate.id == candidate.id).exists()
    return "" if listed else f"，不再符合搜索「{q}」，已不在列表中"


# What a candidate whose saved change moved it back needs next.
NEXT_STEP = {PENDING: "，需重新认证", VERIFIED: "，需重新人工确认"}


def status_change(candidate, before):
    """What 保存's notice adds when 修改 changed the candidate's status (a key field, a new photo of one
    信息准确): the status, or where it went when it left the status tab the list is on, and the step it
    needs again."""
    if before is None or candidate.status == before:
        return ""
    return "，" + (_moved(candidate, _tab()) or f"状态改为{candidate.status}") + NEXT_STEP.get(candidate.status, "")


def _photo_pending(fix):
    return "，照片待确认自动修正" if fix else "，但照片未保存"


def _attach_photo(candidate):
    """Store an uploaded photo through the photos area: (ok, message, fix offered), or None when none was chosen."""
    upload = request.files.get("photo")
    if upload is None or not upload.filename:
        return None
    return attach_or_offer(candidate, upload.read(), current_app.config["DATA_DIR"], me())
