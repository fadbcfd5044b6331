"""A believable demo college for evaluations and screenshots; every step is safe to run twice."""
import secrets
from pathlib import Path

from ..catalog import Certificate, Organisation
from ..db import db
from ..user import ADMIN, REVIEWER, STAFF, User, password_problem
from .awards import seed_awards
from .candidates import seed_candidates
from .photos import seed_photos
from .sites import seed_pilots, seed_sites

# (证书, 培训评价组织, code used in certificate numbers), from DOMAIN.md.
CERTIFICATES = [
    ("Web前端开发", "工业和信息化部教育与考试中心", "WEB"),
    ("物流管理", "北京中物联物流采购培训中心", "WL"),
    ("汽车运用与维修", "北京中车行高新技术有限公司", "QC"),
    ("云计算平台运维与开发", "南京第五十五所技术开发有限公司", "YJS"),
    ("智能财税", "中联集团教育科技有限公司", "ZNCS"),
]

# (username, role, display name, organisation of a reviewer)
USERS = [
    ("admin", ADMIN, "王管理", None),
    ("staff", STAFF, "李老师", None),
    ("reviewer", REVIEWER, "赵审核", "工业和信息化部教育与考试中心"),
    ("reviewer2", REVIEWER, "钱审核", "北京中物联物流采购培训中心"),
]

LOGINS_FILE = "demo-logins.txt"


def seed_catalog():
    for name, org_name, code in CERTIFICATES:
        organisation, _ = Organisation.get_or_create(name=org_name)
        Certificate.get_or_create(name=name, defaults={"organisation": organisation, "code": code})


def seed_users():
    """Create the demo users that do not exist yet; returns (username, role, password) of each."""
    created = []
    for username, role, display_name, org_name in USERS:
        if User.by_username(username) is not None:
            continue
        organisation = Organisation.get(Organisation.name == org_name) if org_name else None
        password = secrets.token_urlsafe(9)
        while password_problem(password, username):  # all digits: about one in 10^10, but never refused
            password = secrets.token_urlsafe(9)
        User.create_user(username, password, role, organisation, display_name)
        created.append((username, role, password))
    return created


def seed(data_dir):
    """Seed everything in one transaction; returns the logins created now (and saves them for --demo).

    The order matters: the catalogue before pilots and quotas; candidates before their photos; the
    users before what the demo users do themselves (sites reviewed, records issued).
    """
    with db.atomic():
        seed_catalog()
        seed_pilots()
        seed_candidates(data_dir)
        seed_photos(data_dir)  # tops up photos for candidates still without one
        logins = seed_users()
        seed_sites()
        seed_awards()
    if logins:
        path = Path(data_dir) / LOGINS_FILE
        with path.open("a", encoding="utf-8") as out:
            for username, role, password in logins:
                out.write(f"{username}\t{role}\t{password}\n")
        path.chmod(0o600)
    return logins


def saved_logins(data_dir):
    path = Path(data_dir) / LOGINS_FILE
    if not path.exists():
        return []
    return [tuple(line.split("\t")) for line in path.read_text(encoding="utf-8").splitlines() if line]
