"""考核站点: the list, 申报考核站点 and resubmission by staff, 审核 and 停用 / 启用 by the organisation's reviewer."""
from flask import Blueprint, redirect, request, url_for

from models.audit import AuditEvent
from models.site import REJECT_FORM, REVIEW_STATUSES, SITE_STATUSES, Site, SiteError, site_form
from models.user import ADMIN, REVIEWER, STAFF

from . import get_or_404, hx_events, list_filters, me, paged, posted, refused, render, roles

bp = Blueprint("sites", __name__, url_prefix="/sites")
FILTERS = ("q", "review_status", "site_status", "certificate")


@bp.context_processor
def statuses():
    return dict(REVIEW_STATUSES=REVIEW_STATUSES, SITE_STATUSES=SITE_STATUSES)


@bp.route("/")
@roles(ADMIN, STAFF, REVIEWER)
def index():
    """考核站点: the sites the user may see, filtered by 审核状态 and 站点状态; htmx gets only the results."""
    filters = list_filters(FILTERS, known={"review_status": ("审核状态", REVIEW_STATUSES),
                                           "site_status": ("站点状态", SITE_STATUSES)})
    args = {k: v for k, v in filters.items() if v}
    return render("sites/list.html", block="results", filters=filters, args=args,
                  page=paged(Site.filtered(me(), **filters)),
                  certificates=Site.certificates_seen_by(me()))


@bp.route("/<int:site_id>")
@roles(ADMIN, STAFF, REVIEWER)
def detail(site_id):
    """The site's page: every field, both statuses, whether it can be used, the reviewer's reason, history."""
    site = _get(site_id)
    return render("sites/detail.html", block="detail", site=site, events=_history(site))


# ---- 申报考核站点 and resubmission (staff) -----------------------------------------------------------
@bp.route("/new", methods=["GET", "POST"])
@roles(ADMIN, STAFF)
def new():
    """申报考核站点: the form, and 提交并保存 that creates the site as 待审核 / 未启用."""
    if request.method == "GET":
        return _form(None, {})
    return _save(None)


@bp.route("/<int:site_id>/edit", methods=["GET", "POST"])
@roles(ADMIN, STAFF)
def edit(site_id):
    """修改 a site waiting for review, or correct a refused one and resubmit it (back to 待审核)."""
    site = _get(site_id)
    try:
        site.check_editable()
    except SiteError as exc:
        return refused(exc)
    if request.method == "GET":
        return _form(site, site.form_values())
    return _save(site)


@bp.route("/levels")
@roles(ADMIN, STAFF)
def levels():
    """The 等级 choices of the chosen certificate: only its pilot levels (the form refreshes them)."""
    form = site_form(request.args.get("certificate"))
    return render("sites/form.html", block="levels", form=form, raw=form.read(request.args), errors={})


# ---- 审核 and 停用 / 启用 (the organisation's reviewer) ------------------------------------------------
@bp.route("/<int:site_id>/approve", methods=["POST"])
@roles(REVIEWER)
def approve(site_id):
    """审核通过: the site becomes 审核通过 and 已启用."""
    return _transition(site_id, lambda site: site.approve(by=me()), "审核通过，站点已启用")


@bp.route("/<int:site_id>/reject", methods=["GET", "POST"])
@roles(REVIEWER)
def reject(site_id):
    """审核不通过: a dialog asking for the reason, then the refusal."""
    site, raw, errors = _get(site_id), {}, {}
    if request.method == "POST":
        raw, errors, _ = posted(REJECT_FORM, lambda values: site.reject(values["reason"], by=me()))
        if not errors:
            return _done(site, f"{site.name}：审核不通过，已退回院校修改")
    return render("sites/reject.html", block="dialog", status=422 if errors else 200, site=site, form=REJECT_FORM,
                  raw=raw, errors=errors)


@bp.route("/<int:site_id>/disable", methods=["POST"])
@roles(REVIEWER)
def disable(site_id):
    """停用 an approved site."""
    return _transition(site_id, lambda site: site.disable(by=me()), "已停用")


@bp.route("/<int:site_id>/enable", methods=["POST"])
@roles(REVIEWER)
def enable(site_id):
    """启用 a stopped site again."""
    return _transition(site_id, lambda site: site.enable(by=me()), "已启用")


# ---- helpers -------------------------------------------------------------------------------------
def _get(site_id):
    """The one place a site is looked up: a reviewer's view of another organisation's site is a 404."""
    return get_or_404(Site.visible_to(me()), site_id)


def _history(site):
    return list(AuditEvent.for_object("site", site.id).limit(100))


def _form(site, raw, errors=None):
    return render("sites/form.html", block="dialog", status=422 if errors else 200, site=site,
                  form=site_form(raw.get("certificate")), raw=raw, errors=errors or {})


def _save(site):
    """提交并保存: 422 with each field's problem, or the site declared / revised through the model."""
    def save(values):
        if site is None:
            declared = Site.declare(values, by=me())
            return declared, f"已提交考核站点「{declared.name}」，等待培训评价组织审核"
        resubmitted = site.is_rejected
        site.revise(values, by=me())
        return site, f"已{'重新提交' if resubmitted else '保存'}考核站点「{site.name}」"
    raw, errors, saved = posted(site_form(request.form.get("certificate")), save)
    return _form(site, raw, errors) if errors else _done(*saved)


def _done(site, message):
    """After a dialog: close it, let the list or detail page reload itself, and say what happened."""
    if not request.htmx:
        return redirect(url_for(".detail", site_id=site.id), 303)
    return "", 204, hx_events(notice=(message, "ok"), closeDialog=True, sitesChanged=True)


def _transition(site_id, change, message):
    """A row or detail-page action: the model changes the site; the new row (or detail block) comes back."""
    site = _get(site_id)
    try:
        change(site)
    except SiteError as exc:
        return refused(exc)
    if not request.htmx:
        return redirect(url_for(".detail", site_id=site.id), 303)
    # sitesReviewed, not sitesChanged: the row comes back in this response, so the list need not reload;
    # the navigation's counts listen to it.
    headers = hx_events(notice=(f"{site.name}：{message}", "ok"), sitesReviewed=True)
    if request.values.get("from") == "detail":
        return render("sites/detail.html", block="detail", site=site, events=_history(site), headers=headers)
    return render("sites/list.html", block="row", site=site, headers=headers)
