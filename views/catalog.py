"""系统管理 → 证书目录 and 试点证书: the certificates the college knows of, and the levels it pilots."""

from flask import Blueprint, request

from models.catalog import LEVELS, CatalogError, Certificate
from models.normalise import FieldError, whole_number
from models.pilot import PilotCertificate, PilotError, parse_since, save_certificate
from models.site import remove_pilot
from models.user import ADMIN

from . import get_or_404, hx_events, me, refused, render, roles

bp = Blueprint("catalog", __name__, url_prefix="/admin")


@bp.context_processor
def levels():
    return dict(LEVELS=LEVELS)


# ---- 证书目录 --------------------------------------------------------------------------------------
@bp.route("/certificates")
@roles(ADMIN)
def certificates():
    """证书目录: every certificate with its organisation, levels, pass mark and code."""
    return render("catalog/certificates.html", block="results", certificates=list(Certificate.ordered()),
                  pilot_levels={c.id: PilotCertificate.levels_for(c) for c in Certificate.select()})


@bp.route("/certificates/new", methods=["GET", "POST"])
@roles(ADMIN)
def certificate_new():
    """添加证书: the dialog, then the certificate added to the catalogue."""
    return _certificate_form(None)


@bp.route("/certificates/<int:certificate_id>/edit", methods=["GET", "POST"])
@roles(ADMIN)
def certificate_edit(certificate_id):
    """修改 a certificate of the catalogue."""
    certificate = get_or_404(Certificate, certificate_id)
    return _certificate_form(certificate)


# ---- 试点证书 --------------------------------------------------------------------------------------
@bp.route("/pilots", methods=["GET", "POST"])
@roles(ADMIN)
def pilots():
    """试点证书: the pilot levels and the form that adds some (a certificate, its levels, since when)."""
    raw, errors = {"levels": []}, {}
    if request.method == "POST":
        raw = dict(request.form.to_dict(), levels=request.form.getlist("levels"))
        errors = _add_pilot(raw)
        if not errors:
            raw = {"levels": []}
    return render("catalog/pilots.html", block="pilots", status=422 if errors else 200, raw=raw, errors=errors,
                  pilots=list(PilotCertificate.ordered()), certificates=list(Certificate.ordered()))


@bp.route("/pilots/<int:pilot_id>", methods=["DELETE"])
@roles(ADMIN)
def pilot_delete(pilot_id):
    """删除 a pilot level (refused while a site names it)."""
    pilot = get_or_404(PilotCertificate, pilot_id)
    try:
        remove_pilot(pilot, by=me())
    except PilotError as exc:
        return refused(exc)
    return render("catalog/pilots.html", block="pilots", raw={"levels": []}, errors={},
                  pilots=list(PilotCertificate.ordered()), certificates=list(Certificate.ordered()),
                  headers=hx_events(notice=(f"已删除试点证书「{pilot}」", "ok")))


# ---- helpers -------------------------------------------------------------------------------------
def _certificate_form(certificate):
    raw, errors = (certificate.form_values() if certificate else {"pass_mark": "60", "levels": list(LEVELS)}), {}
    if request.method == "POST":
        raw = dict(request.form.to_dict(), levels=request.form.getlist("levels"))
        values, errors = Certificate.clean(raw)
        if not errors:
            try:
                saved = save_certificate(values, by=me(), certificate=certificate)
            except CatalogError as exc:
                errors = {"name": str(exc)}
            else:
                return "", 204, hx_events(notice=(f"已保存证书「{saved.name}」", "ok"), closeDialog=True, catalogChanged=True)
    return render("catalog/certificate_form.html", block="dialog", status=422 if errors else 200,
                  certificate=certificate, raw=raw, errors=errors)


def _add_pilot(raw):
    """Add the pilot levels the form names; returns the form's errors (empty when added)."""
    errors = {}
    certificate = Certificate.get_or_none(Certificate.id == whole_number(raw.get("certificate")))
    if certificate is None:
        errors["certificate"] = "请选择证书"
    try:
        since = parse_since(raw.get("since"))
    except FieldError as exc:
        errors["since"] = exc.problem
    if not errors:
        try:
            PilotCertificate.add(certificate, raw["levels"], since, by=me())
        except PilotError as exc:
            errors["levels"] = str(exc)
    return errors
