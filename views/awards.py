"""待颁证记录: the list with filters, 颁证 and 退回 by the organisation's reviewer, resubmission by staff,
and 颁证前检查 (readiness) for a candidate or the ticked candidates."""
from datetime import date
from io import BytesIO

from flask import Blueprint, abort, request, send_file
from flask_login import current_user

from models import audit
from models.award import RETURNED, STATUSES, AwardError, AwardRecord
from models.award_checks import Row, load_context, readiness, readiness_summary
from models.candidate import Candidate
from models.catalog import LEVELS, Certificate
from models.db import db
from models.normalise import FieldError, parse_date
from models.pilot import PilotCertificate
from models.setting import SettingError
from models.site import Site
from models.user import ADMIN, REVIEWER, STAFF
from sheets.export import build_export
from sheets.spec import AWARDS

from . import Page, hx_events, page_arg, refused, render, roles, wants_partial

bp = Blueprint("awards", __name__, url_prefix="/awards")
FILTERS = ("q", "certificate", "level", "site", "status", "date_from", "date_to", "issued_from", "issued_to")


@bp.route("/")
@roles(ADMIN, STAFF, REVIEWER)
def index():
    """待颁证记录: filters in the URL; htmx gets only the results block."""
    filters = {key: request.args.get(key, "").strip() for key in FILTERS}
    sites = _sites(filters["certificate"])
    if filters["site"] not in {str(s.id) for s in sites}:
        filters["site"] = ""  # a site of another certificate than the one just chosen
    query = AwardRecord.filtered(current_user, **_query_filters(filters))
    return render("awards/list.html", block="results", filters=filters, page=Page(query, page_arg()),
                  counts=AwardRecord.status_counts(AwardRecord.filtered(current_user, **_query_filters(
                      dict(filters, status="")))),
                  certificates=Certificate.ordered(), sites=sites, site_oob=wants_partial(),
                  statuses=STATUSES, levels=LEVELS, summary=_summary(filters))


def _sites(certificate):
    """The 考核站点 filter's choices: the user's sites, only those of the chosen certificate if one is."""
    query = Site.visible_to(current_user).order_by(Site.name)
    return list(query.where(Site.certificate == int(certificate)) if certificate.isdecimal() else query)


@bp.route("/export")
@roles(ADMIN, STAFF)
def export():
    """导出: the filtered records in the import template's layout (full ID numbers; audited)."""
    filters = {key: request.args.get(key, "").strip() for key in FILTERS}
    query = AwardRecord.filtered(current_user, **_query_filters(filters))
    body = build_export(AWARDS, (r.export_values() for r in query.iterator()))
    shown = {k: v for k, v in filters.items() if v}
    with db.atomic():
        audit.record("award.export", None, {"筛选条件": (None, shown or "全部"), "条数": (None, query.count())},
                     user=current_user._get_current_object(), label="导出待颁证记录（含完整证件号码）")
    return send_file(BytesIO(body), as_attachment=True, download_name=f"待颁证记录-{date.today():%Y%m%d}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/<int:record_id>")
@roles(ADMIN, STAFF, REVIEWER)
def detail(record_id):
    """One record with its audit timeline."""
    from models.audit import AuditEvent
    record = AwardRecord.get_for(current_user, record_id) or abort(404)
    return render("awards/detail.html", block="record", r=record, events=list(AuditEvent.for_object("awardrecord", record.id)))


@bp.route("/issue", methods=["POST"])
@roles(REVIEWER)
def issue():
    """颁证 on the ticked records: each gets a unique certificate number."""
    ids = [int(i) for i in request.form.getlist("ids") if i.isdecimal()]
    records = list(AwardRecord.visible_to(current_user).where(AwardRecord.id.in_(ids)))
    if not records:
        return refused("请先勾选要颁证的记录")
    try:
        AwardRecord.issue_many(records, current_user._get_current_object())
    except (AwardError, SettingError) as exc:
        return refused(exc)
    return "", 204, hx_events(awardsChanged=True, notice=(f"已颁证 {len(records)} 条记录", "ok"))


@bp.route("/<int:record_id>/return", methods=["GET", "POST"])
@roles(REVIEWER)
def return_record(record_id):
    """退回 with a required reason: the dialog, then the change."""
    record = AwardRecord.get_for(current_user, record_id) or abort(404)
    if request.method == "GET":
        return render("awards/return.html", block="dialog", r=record, error=None)
    try:
        record.return_to_college(request.form.get("reason"), current_user._get_current_object())
    except AwardError as exc:
        return render("awards/return.html", block="dialog", r=record, error=str(exc), status=422)
    return "", 204, hx_events(closeDialog=True, awardsChanged=True, notice=("已退回该记录", "ok"))


@bp.route("/<int:record_id>/resubmit", methods=["GET", "POST"])
@roles(ADMIN, STAFF)
def resubmit(record_id):
    """Staff correct a returned record and submit it again."""
    record = AwardRecord.get_for(current_user, record_id) or abort(404)
    if record.status != RETURNED:
        return refused(f"记录状态为「{record.status}」，只有已退回的记录可以修改后重新提交")
    sites = list(Site.naming(record.certificate, record.level).order_by(Site.name))
    if request.method == "GET":
        return render("awards/resubmit.html", block="dialog", r=record, sites=sites, error=None, form={})
    try:
        site = next((s for s in sites if str(s.id) == request.form.get("site")), None)
        record.resubmit(site, parse_date(request.form.get("exam_date"), "考核日期"),
                        _score(request.form.get("theory_score"), "理论成绩"),
                        _score(request.form.get("practical_score"), "实操成绩"), current_user._get_current_object())
    except (AwardError, FieldError) as exc:
        return render("awards/resubmit.html", block="dialog", r=record, sites=sites, error=str(exc),
                      form=request.form, status=422)
    return "", 204, hx_events(closeDialog=True, awardsChanged=True, notice=("已重新提交，等待评价组织审核", "ok"))


@bp.route("/readiness")
@roles(ADMIN, STAFF)
def readiness_check():
    """颁证前检查: for a candidate or the ticked candidates and a certificate level, each precondition ✓ or ✗."""
    ids = [int(i) for i in request.args.getlist("candidate_id") + request.args.getlist("ids") if i.isdecimal()]
    pairs = sorted(PilotCertificate.pairs(), key=lambda p: (p[0], LEVELS.index(p[1])))
    certificate_id, level = _chosen_pair(pairs)
    candidates = list(Candidate.select().where(Candidate.id.in_(ids))) if ids else []
    certificate = Certificate.get_or_none(Certificate.id == certificate_id)
    results = []
    if certificate is not None and candidates:
        rows = [Row(id_type=c.id_type, id_number=c.id_number, exam_date=date.today()) for c in candidates]
        ctx = load_context(rows)
        results = [(c, readiness(c, certificate, level, ctx)) for c in candidates]
    return render("awards/readiness.html", block="checks", results=results, ids=ids, certificate=certificate,
                  level=level, pairs=[(Certificate.get_by_id(c), lv) for c, lv in pairs])


def _chosen_pair(pairs):
    """The certificate level asked about: `pair=<certificate id>|<level>`, or the first pilot level."""
    chosen = (request.args.get("pair", "") + "|").split("|")[:2]
    if chosen[0].isdecimal() and (int(chosen[0]), chosen[1]) in pairs:
        return int(chosen[0]), chosen[1]
    return pairs[0] if pairs else (None, None)


def _summary(filters):
    """For staff who chose a pilot certificate and level: how many candidates could be imported, and why not."""
    if current_user.role == REVIEWER or not filters["certificate"].isdecimal() or not filters["level"]:
        return None
    certificate = Certificate.get_or_none(Certificate.id == int(filters["certificate"]))
    if certificate is None or not PilotCertificate.is_pilot(certificate, filters["level"]):
        return None
    return readiness_summary(list(Candidate.select()), certificate, filters["level"])


def _query_filters(filters):
    values = dict(filters)
    for key in ("date_from", "date_to", "issued_from", "issued_to"):
        try:
            values[key] = parse_date(filters[key]) if filters[key] else None
        except FieldError:
            values[key] = None
    return values


def _score(raw, label):
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise FieldError(f"{label}「{raw}」不是数字")
