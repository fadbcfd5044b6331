"""首页: where the user starts, with what needs attention."""
from datetime import date

from flask import Blueprint

from models import setting
from models.award import AwardRecord
from models.candidate import Candidate
from models.quota import Quota
from models.site import PENDING, Site
from models.user import REVIEWER, ROLE_LABELS

from . import me, render, roles

bp = Blueprint("dashboard", __name__)


@bp.route("/")
@roles(*ROLE_LABELS)
def index():
    """The home page: the manual's preparation steps with where each stands today."""
    user = me()
    reviewer = user.role == REVIEWER
    return render(
        "dashboard/index.html",
        college_name=setting.get("college_name"),
        candidates=None if reviewer else Candidate.status_counts(),
        without_photo=None if reviewer else Candidate.without_photo().count(),
        usable_sites=Site.visible_to(user).where(Site.id.in_(Site.usable().select(Site.id))).count(),
        sites_waiting=Site.visible_to(user).where(Site.review_status == PENDING).count(),
        records=AwardRecord.status_counts(AwardRecord.visible_to(user)),
        quotas=[] if reviewer else Quota.listed(date.today().year),
    )
