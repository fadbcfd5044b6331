"""系统管理 → 证书目录 and 试点证书: the certificates the college knows of, and the levels it pilots."""

from flask import Blueprint, request

from models.catalog import CERTIFICATE_FORM, DEFAULT_PASS_MARK, LEVELS, Certificate
from models.pilot import PILOT_FORM, PilotCertificate, PilotError, save_certificate
from models.site import remove_pilot
from models.user import ADMIN

from . import get_or_404, hx_events, me, posted, refused, render, roles

bp = Blueprint("catalog", __name__, url_prefix="/admin")


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
    raw, errors = {}, {}
    if request.method == "POST":
        raw, errors, _ = posted(PILOT_FORM, lambda values: PilotCertificate.add(
            values["certificate"], values["levels"], values["since"], by=me()))
    return _pilots(raw if errors else {}, errors)


@bp.route("/pilots/<int:pilot_id>", methods=["DELETE"])
@roles(ADMIN)
def pilot_delete(pilot_id):
    """删除 a pilot level (refused while a site names it)."""
    pilot = get_or_404(PilotCertificate, pilot_id)
    try:
        remove_pilot(pilot, by=me())
    except PilotError as exc:
        return refused(exc)
    return _pilots({}, {}, hx_events(notice=(f"已删除试点证书「{pilot}」", "ok")))


# ---- helpers -------------------------------------------------------------------------------------
def _pilots(raw, errors, headers=None):
    return render("catalog/pilots.html", block="pilots", status=422 if errors else 200, headers=headers,
                  form=PILOT_FORM.resolved(), raw=raw, errors=errors, pilots=list(PilotCertificate.ordered()))


def _certificate_form(certificate):
    raw = certificate.form_values() if certificate else {"pass_mark": str(DEFAULT_PASS_MARK), "levels": list(LEVELS)}
    errors = {}
    if request.method == "POST":
        raw, errors, saved = posted(CERTIFICATE_FORM, lambda values: save_certificate(values, by=me(),
                                                                                      certificate=certificate))
        if not errors:
            return "", 204, hx_events(notice=(f"已保存证书「{saved.name}」", "ok"), closeDialog=True, catalogChanged=True)
    return render("catalog/certificate_form.html", block="dialog", status=422 if errors else 200,
                  certificate=certificate, form=CERTIFICATE_FORM, raw=raw, errors=errors)
