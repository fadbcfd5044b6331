"""待颁证记录: the list with filters, 颁证 and 退回 by the organisation's reviewer, resubmission by staff,
and 颁证前检查 (readiness) for a selection of any size, with its export and 生成待颁证导入文件."""
from datetime import date

from flask import Blueprint, abort, redirect, request, url_for

from models import audit, award_checks, readiness
from models.audit import AuditEvent
from models.award import LISTED, RETURN_FORM, STATUSES, STATUS_COLORS, AwardError, AwardRecord
from models.award_fields import AWARD_SHEET
from models.catalog import LEVELS, Certificate
from models.normalise import whole_number
from models.pending_file import pending_file
from models.pilot import PilotCertificate
from models.readiness import READINESS_SHEET
from models.setting import SettingError
from models.site import Site
from models.user import ADMIN, REVIEWER, STAFF
from sheets.export import build_export

from . import (cascade, xlsx_response, get_or_404, given, hx_events, id_list, in_words, list_filters, me, paged,
               posted, refused, render, roles, wants_partial)
from .photos import photo_response

bp = Blueprint("awards", __name__, url_prefix="/awards")
FILTERS = ("q", "certificate", "level", "site", "status", "date_from", "date_to", "issued_from", "issued_to")
# Each filter as the page names it (the audit log names an export's filters so).
LABELS = {"q": "搜索", "certificate": "证书", "level": "等级", "site": "考核站点", "status": "状态", "date_from": "考核日期从",
          "date_to": "考核日期到", "issued_from": "颁证日期从", "issued_to": "颁证日期到"}
# The filters with a fixed set of values: another one is dropped, and the list says so.
KNOWN = {"level": ("等级", LEVELS), "status": ("状态", STATUSES)}


@bp.context_processor
def statuses():
    return dict(STATUS_COLORS=STATUS_COLORS)


@bp.route("/")
@roles(ADMIN, STAFF, REVIEWER)
def index():
    """待颁证记录: filters in the URL; htmx gets only the results block."""
    filters = list_filters(FILTERS, known=KNOWN)
    sites = list(Site.filtered(me(), certificate=filters["certificate"]).order_by(Site.name).select(Site.id, Site.name))
    if filters["site"] not in {str(s.id) for s in sites}:
        filters["site"] = ""  # a site of another certificate than the one just chosen
    counts = AwardRecord.filtered_counts(me(), **filters)
    total = _total(counts, filters["status"])
    return render("awards/list.html", block="results", filters=filters,
                  page=paged(AwardRecord.filtered(me(), **filters).select(*LISTED), total=total,
                             plan=lambda through: AwardRecord.filtered(
                                 me(), walk=AwardRecord.walks(me(), filters["q"], total, through), **filters
                             ).select(*LISTED)),
                  counts=counts,
                  certificates=AwardRecord.certificates_seen_by(me()), sites=sites, site_oob=wants_partial(),
                  statuses=STATUSES, levels=LEVELS, summary=_summary(filters))


@bp.route("/export")
@roles(ADMIN, STAFF)
def export():
    """导出: the filtered records in the import template's layout (full ID numbers; audited)."""
    filters = list_filters(FILTERS, known=KNOWN)
    query = AwardRecord.filtered(me(), **filters)
    body = build_export(AWARD_SHEET, (r.export_values() for r in query.iterator()))
    audit.record_download("award.export", query.count(), filters=in_words(_filter_words(filters)), by=me(),
                          full_ids=True)
    return xlsx_response(body, f"待颁证记录-{date.today():%Y%m%d}.xlsx")


@bp.route("/<int:record_id>")
@roles(ADMIN, STAFF, REVIEWER)
def detail(record_id):
    """One record with its audit timeline."""
    record = get_or_404(AwardRecord.visible_to(me()), record_id)
    return render("awards/detail.html", block="record", r=record,
                  events=list(AuditEvent.for_object("awardrecord", record.id)))


@bp.route("/<int:record_id>/photo")
@roles(ADMIN, STAFF, REVIEWER)
def photo(record_id):
    """The photo of a record's candidate: a reviewer judges it on the record page, for its own records only."""
    return photo_response(get_or_404(AwardRecord.visible_to(me()), record_id).candidate)


@bp.route("/issue", methods=["GET", "POST"])
@roles(REVIEWER)
def issue():
    """颁证 of a row or the ticked rows: the confirmation naming the count, certificate and numbers, then
    the numbers given."""
    records = _chosen()
    if not records:
        return refused("请先勾选要颁证的记录")
    if request.method == "GET":
        try:
            groups = AwardRecord.issue_preview(records)
        except (AwardError, SettingError) as exc:
            return refused(exc)
        return render("awards/issue.html", block="dialog", records=records, groups=groups, error=None)
    try:
        AwardRecord.issue_many(records, me())
    except (AwardError, SettingError) as exc:
        return render("awards/issue.html", block="dialog", records=records, groups=[], error=str(exc), status=422)
    return "", 204, hx_events(closeDialog=True, awardsChanged=True, notice=(f"已颁证 {len(records)} 条记录", "ok"))


@bp.route("/return", methods=["GET", "POST"])
@roles(REVIEWER)
def return_records():
    """退回 of a row or the ticked rows with one required reason: the dialog, then the change."""
    records, raw, errors = _chosen(), {}, {}
    if not records:
        return refused("请先勾选要退回的记录")
    if request.method == "GET":
        try:
            AwardRecord.check_waiting(records, "退回")
        except AwardError as exc:
            return refused(exc)
    else:
        raw, errors, _ = posted(RETURN_FORM, lambda values: AwardRecord.return_many(records, values["reason"], me()))
        if not errors:
            return "", 204, hx_events(closeDialog=True, awardsChanged=True, notice=(f"已退回 {len(records)} 条记录", "ok"))
    return render("awards/return.html", block="dialog", status=422 if errors else 200, records=records,
                  form=RETURN_FORM, raw=raw, errors=errors)


@bp.route("/<int:record_id>/resubmit", methods=["GET", "POST"])
@roles(ADMIN, STAFF)
def resubmit(record_id):
    """Staff correct a returned record and submit it again."""
    record = get_or_404(AwardRecord.visible_to(me()), record_id)
    try:
        record.check_resubmittable()
    except AwardError as exc:
        return refused(exc)
    form, errors = award_checks.resubmit_form(record), {}
    raw = record.resubmit_values()
    if request.method == "POST":
        raw = form.read(request.form)
        values, errors = form.clean(raw)
        errors = errors or award_checks.resubmit(record, values, me())
        if not errors:
            return "", 204, hx_events(closeDialog=True, awardsChanged=True, notice=("已重新提交，等待评价组织审核", "ok"))
    return render("awards/resubmit.html", block="dialog", status=422 if errors else 200, r=record, form=form, raw=raw,
                  errors=errors)


@bp.route("/readiness")
@roles(ADMIN, STAFF)
def readiness_check():
    """颁证前检查: for a certificate level and a selection, the summary and a page of candidates, ✓ or ✗ each."""
    pairs, args = _pairs(), _readiness_args()
    choices, cleared = cascade(args)  # a 班级 the chosen 院系 lacks is dropped, as on 考生管理
    check = _readiness(pairs, args)
    summary = check.summary() if check else None
    page = paged(check.where(args["show"]), total=summary.of(args["show"])) if check else None
    here = given(dict(args, show=""))  # what the page's links keep
    headers = {"HX-Push-Url": url_for("awards.readiness_check", **given(args))} if cleared else None
    return render("awards/readiness.html", block="checks", headers=headers, args=args, here=here, check=check,
                  page=page, summary=summary, rows=check.check(page.items) if check else [],
                  pairs=pairs, conditions=readiness.CONDITIONS, passed=readiness.PASSED, choices=choices,
                  partial=wants_partial())


def _chosen():
    """The records a row button names or the ticked rows (`ids`), among those the user may see."""
    ids = id_list(request.values.getlist("ids"))
    return list(AwardRecord.visible_to(me()).where(AwardRecord.id.in_(ids)).order_by(AwardRecord.id))


@bp.route("/readiness/file")
@roles(ADMIN, STAFF)
def readiness_file():
    """生成待颁证导入文件: the import template filled in with the ready candidates (full IDs; audited)."""
    args, check = _download_of()
    body, count = pending_file(check)
    audit.record_download("award.prefill", count, filters=_asked(args), facts={"证书等级": check.subject}, by=me(),
                          full_ids=True)
    return xlsx_response(body, f"待颁证记录-{check.certificate.name}{check.level}-{date.today():%Y%m%d}.xlsx")


@bp.route("/readiness/export")
@roles(ADMIN, STAFF)
def readiness_export():
    """导出检查结果: the checked candidates (or one group of them) as .xlsx, IDs masked; audited."""
    args, check = _download_of()
    body = build_export(READINESS_SHEET, check.export_rows(args["show"]))
    audit.record_download("award.readiness_export", check.where(args["show"]).count(), filters=_asked(args),
                          facts={"证书等级": check.subject}, by=me())
    return xlsx_response(body, f"颁证前检查-{check.certificate.name}{check.level}-{date.today():%Y%m%d}.xlsx")


def _readiness_args():
    """颁证前检查's arguments in the URL: the certificate level (`pair`), the selection and the group shown."""
    return dict(list_filters(("pair", "department", "class_name", "show")),
                ids=id_list(request.args.getlist("ids") + request.args.getlist("candidate_id")))


def _readiness(pairs, args):
    """The Readiness `args` ask for, or None before one of `pairs` is chosen."""
    certificate, level = next(((c, lv) for c, lv in pairs if f"{c.id}|{lv}" == args["pair"]), (None, None))
    if certificate is None:
        return None
    chosen = (args["ids"], args["department"], args["class_name"])
    return readiness.Readiness(readiness.selection(*chosen), certificate, level,
                               counts=readiness.selection_counts(*chosen))


def _download_of():
    """The 颁证前检查 a download is of, its 院系 and 班级 as given (the pre-filled file carries full ID numbers:
    an old or typed link naming a class of another 院系 gives nobody, not the whole 院系); without a chosen
    level, back to the page that asks for one."""
    args = _readiness_args()
    check = _readiness(_pairs(), args)
    if check is None:
        abort(redirect(url_for("awards.readiness_check", **given(args))))
    return args, check


def _pairs():
    """The certificate levels 颁证前检查 offers: the college's 试点证书."""
    return [(pilot.certificate, pilot.level) for pilot in PilotCertificate.ordered()]


def _filter_words(filters):
    """The list's filter in words, [(label, value)] of those set, a certificate and a site by name."""
    named = {"certificate": Certificate, "site": Site}
    return [(label, _name_of(named[name], filters[name]) if name in named else filters[name])
            for name, label in LABELS.items() if filters.get(name)]


def _name_of(model, value):
    """The name of the certificate or site a filter's id names (the id itself if none has it)."""
    number = whole_number(value)
    found = model.get_or_none(model.id == number) if number is not None else None
    return found.name if found else value


def _asked(args):
    """What a download was asked for, as the audit log keeps it."""
    return given({"院系": args["department"], "班级": args["class_name"],
                   "范围": readiness.Readiness.group_label(args["show"]),
                   "勾选考生": f"{len(args['ids'])} 名" if args["ids"] else ""})


def _total(counts, status):
    """The records the list shows: its status's count, or every status's (one grouped count for both)."""
    return counts[status] if status in counts else sum(counts.values())


def _summary(filters):
    """For staff who chose a pilot certificate and level: how many candidates could be imported, and why not."""
    if me().role == REVIEWER or not filters["level"] or whole_number(filters["certificate"]) is None:
        return None
    certificate = Certificate.get_or_none(Certificate.id == whole_number(filters["certificate"]))
    if certificate is None or not PilotCertificate.is_pilot(certificate, filters["level"]):
        return None
    return readiness.readiness_summary(certificate, filters["level"])
