"""首页: where the user starts, with what needs attention."""
from flask import Blueprint

from models import setting
from models.user import ROLE_LABELS

from . import render, roles

bp = Blueprint("dashboard", __name__)


@bp.route("/")
@roles(*ROLE_LABELS)
def index():
    """The home page."""
    return render("dashboard/index.html", college_name=setting.get("college_name"))
