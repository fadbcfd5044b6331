"""Fixtures every test shares: a fresh app and database, a client, the CLI runner and login by role."""
import os
from datetime import date

import pytest
from werkzeug.security import generate_password_hash

import models
from app import create_app
from models.candidate import ACCURATE, Candidate
from models.catalog import Certificate, Organisation
from models.db import db, open_database
from models.job import stop_dispatcher
from models.pilot import PilotCertificate
from models.quota import Quota
from models.site import APPROVED, ENABLED, Site
from models.user import REVIEWER, User
from tests.test_identity import make_id

# Set TEST_DATABASE_URL=postgresql://... to run the whole suite on PostgreSQL (a clean schema per test).
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
PASSWORD = "correct-horse-42"


@pytest.fixture(scope="session")
def password_hash():
    # Hashing is slow on purpose; hash the test password once per run.
    return generate_password_hash(PASSWORD)


def _clean_database():
    open_database(TEST_DATABASE_URL)
    with db.connection_context():
        models.drop_all()


@pytest.fixture
def app_config(tmp_path):
    """The config a test app gets; a test module may override this fixture to change it."""
    return {
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        "SECRET_KEY": "test-secret",
        "DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'test.db'}",
    }


@pytest.fixture
def app(app_config):
    if TEST_DATABASE_URL:
        _clean_database()
    app = create_app(app_config)
    yield app
    stop_dispatcher()  # a later test's database is not this one's: its jobs are not for this thread
    if not db.is_closed():
        db.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def org(app):
    organisation, _ = Organisation.get_or_create(name="工业和信息化部教育与考试中心")
    Certificate.get_or_create(name="Web前端开发", defaults={"organisation": organisation, "code": "WEB"})
    return organisation


@pytest.fixture
def make_user(app, password_hash):
    """make_user(role, username=None, organisation=None) -> User, with the password PASSWORD."""
    def make(role, username=None, organisation=None):
        if role == REVIEWER and organisation is None:
            organisation, _ = Organisation.get_or_create(name="工业和信息化部教育与考试中心")
        return User.create(username=username or f"{role}-user", role=role,
                           organisation=organisation if role == REVIEWER else None,
                           display_name=f"测试{role}", password_hash=password_hash)
    return make


@pytest.fixture
def login(client, make_user):
    """login(role, **kw) -> User: create a user of that role and put it in the client's session."""
    def do(role, **kwargs):
        user = make_user(role, **kwargs)
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        return user
    return do


# A college ready for 待颁证记录: a pilot level, a usable site, a quota of 3 and one 信息准确 candidate.
@pytest.fixture
def world(app, org):
    cert = Certificate.get(Certificate.name == "Web前端开发")
    PilotCertificate.create(certificate=cert, level="中级", since=date(2024, 1, 1))
    site = Site.create(name="信息楼机房", certificate=cert, levels="中级", region="河南省郑州市", address="文化路1号",
                       contact="王老师", phone="13800000000", seats=60, review_status=APPROVED, site_status=ENABLED)
    Quota.create(certificate=cert, level="中级", year=2026, document_no="豫教职成〔2026〕12号", amount=3)
    candidate = Candidate.create(name="张三", id_type="居民身份证", id_number=make_id(), gender="男",
                                 phone="13812345678", status=ACCURATE, photo="ab/x.jpg")
    return {"cert": cert, "site": site, "candidate": candidate}


def other_candidates(n):
    return [Candidate.create(name="李四", id_type="居民身份证", id_number=make_id(seq=f"{i + 50:02d}"), gender="男",
                             phone="13812345678", status=ACCURATE, photo="ab/x.jpg") for i in range(n)]
