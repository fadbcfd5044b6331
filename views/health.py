"""/healthz for monitoring: open without login, no personal data."""
from flask import Blueprint, current_app, jsonify

from models import health

from . import public

bp = Blueprint("health", __name__)


@bp.route("/healthz")
@public
def healthz():
    """The health report as JSON; 503 when the app cannot serve (database or data directory gone)."""
    report = health.check(current_app.config["DATA_DIR"],
                          current_app.config.get("HEALTH_MIN_FREE_MB", health.MIN_FREE_MB))
    return jsonify(report), 503 if report["status"] == health.FAIL else 200
