"""系统管理 → 省厅指标: the quotas the provincial education department approved, with what is used and left."""
from datetime import date

from flask import Blueprint, request

from models.normalise import whole_number
from models.quota import QUOTA_FORM, Quota, QuotaError
from models.user import ADMIN

from . import get_or_404, hx_events, me, posted, refused, render, roles

bp = Blueprint("quotas", __name__, url_prefix="/admin/quotas")


@bp.route("/", methods=["GET", "POST"])
@roles(ADMIN)
def index():
    """省厅指标 of a year (all years by default), and the form that records one."""
    year = request.args.get("year", "").strip()
    raw, errors = {"year": str(date.today().year)}, {}
    if request.method == "POST":
        raw, errors, _ = posted(QUOTA_FORM, lambda values: Quota.add(values, by=me()))
    return _page(raw if errors else {"year": raw["year"]}, errors, year)


@bp.route("/<int:quota_id>/edit", methods=["GET", "POST"])
@roles(ADMIN)
def edit(quota_id):
    """修改 the 文号 or the number of a quota, in a dialog."""
    quota, form = _get(quota_id), QUOTA_FORM.only("document_no", "amount")
    raw, errors = {"document_no": quota.document_no, "amount": str(quota.amount)}, {}
    if request.method == "POST":
        raw, errors, _ = posted(form, lambda values: quota.change(values["document_no"], values["amount"], by=me()))
        if not errors:
            return "", 204, hx_events(notice=(f"已保存「{quota}」的省厅指标", "ok"), closeDialog=True, quotasChanged=True)
    return render("quotas/edit.html", block="dialog", status=422 if errors else 200, quota=quota, form=form, raw=raw,
                  errors=errors)


@bp.route("/<int:quota_id>", methods=["DELETE"])
@roles(ADMIN)
def delete(quota_id):
    """删除 a quota that nothing uses yet."""
    quota = _get(quota_id)
    try:
        quota.remove(by=me())
    except QuotaError as exc:
        return refused(exc)
    return "", 200, hx_events(notice=(f"已删除「{quota}」的省厅指标", "ok"), quotasChanged=True)


def _get(quota_id):
    return get_or_404(Quota, quota_id)


def _page(raw, errors, year):
    return render("quotas/index.html", block="quotas", status=422 if errors else 200, form=QUOTA_FORM.resolved(),
                  raw=raw, errors=errors, year=year, years=Quota.years(), quotas=Quota.listed(whole_number(year)))
