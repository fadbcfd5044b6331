"""Fixtures every test shares: a fresh app and database, a client, the CLI runner and login by role."""
import io
import os
import shutil
import sqlite3
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import peewee
import psycopg2
import psycopg2.errors
import psycopg2.sql
import pytest
from werkzeug.security import generate_password_hash

import models
from app import create_app
from models.candidate import ACCURATE, Candidate
from models.catalog import Certificate, Organisation
from models.db import close_all_connections, db, is_sqlite, open_database
from models.job import stop_dispatcher
from models.pilot import PilotCertificate
from models.quota import Quota
from models.site import APPROVED, ENABLED, Site
from models.user import REVIEWER, User
from tests.test_identity import make_id

# Set TEST_DATABASE_URL=postgresql://... to run the whole suite on PostgreSQL (emptied before each test).
# The suite runs in one process per core (pytest-xdist): each worker uses a database of its own beside the
# one named, test_gw0, test_gw1, ... on the same server, created when missing.
SHARED_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")


def with_database(url, name):
    """The same server and login as `url`, another database."""
    return urlsplit(url)._replace(path=f"/{name}").geturl()


def worker_database_url(worker):
    """One xdist worker's database: the one named with _<worker> added, on the same server and login."""
    return with_database(SHARED_DATABASE_URL, f"{urlsplit(SHARED_DATABASE_URL).path.lstrip('/')}_{worker}")


WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
TEST_DATABASE_URL = worker_database_url(WORKER) if SHARED_DATABASE_URL and WORKER else SHARED_DATABASE_URL
PASSWORD = "correct-horse-42"
# Each test starts on an empty database with the current schema. Creating that schema cost ~0.2 s a test on
# PostgreSQL (dropping and creating 16 tables, their indexes and triggers) and ~25 ms on SQLite: instead
# PostgreSQL's is emptied when its schema is still the one created (a test that migrates or drops something
# changes it: then it is dropped and created again), and SQLite's is a copy of a file made once a run.
# What the schema looks like on PostgreSQL: every column (its place, type, NOT NULL and default), constraint,
# index, trigger (enabled or not) and function, and the version.
PG_SCHEMA = """SELECT md5(string_agg(part, ',' ORDER BY part)) FROM (
    SELECT c.relname || '.' || a.attnum || a.attname || ':' || format_type(a.atttypid, a.atttypmod)
           || a.attnotnull || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE n.nspname = current_schema() AND a.attnum > 0 AND NOT a.attisdropped
    UNION ALL SELECT conrelid::regclass::text || conname || pg_get_constraintdef(oid) FROM pg_constraint
    WHERE connamespace = current_schema()::regnamespace
    UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema()
    UNION ALL SELECT pg_get_triggerdef(oid) || tgenabled::text FROM pg_trigger WHERE NOT tgisinternal
    UNION ALL SELECT p.proname || md5(p.prosrc) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = current_schema()
    UNION ALL SELECT 'version ' || version FROM schema_version) AS parts(part)"""
_created = {}  # "postgresql": PG_SCHEMA's answer right after the schema was created


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """In the controlling process, before a worker starts: create its PostgreSQL database when missing (a
    failure said once here; inside the worker, xdist would start it again and again)."""
    if not SHARED_DATABASE_URL:
        return
    name = urlsplit(worker_database_url(node.gateway.id)).path.lstrip("/")
    if len(name.encode()) > 63:  # PostgreSQL would cut it, and two workers would share one database
        pytest.exit(f"{name}: longer than PostgreSQL's 63 bytes; name a shorter TEST_DATABASE_URL", returncode=4)
    try:
        connection = psycopg2.connect(SHARED_DATABASE_URL, connect_timeout=5)
        connection.autocommit = True  # CREATE DATABASE cannot run inside a transaction
        try:
            cursor = connection.cursor()
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if not cursor.fetchone():
                cursor.execute(psycopg2.sql.SQL("CREATE DATABASE {}").format(psycopg2.sql.Identifier(name)))
        finally:
            connection.close()
    except psycopg2.Error as exc:
        pytest.exit(f"cannot create {name} for test worker {node.gateway.id}: {str(exc).strip()}. Give the login "
                    "CREATEDB, create the databases yourself, or run in one process with -n 0", returncode=4)


@pytest.fixture(scope="session")
def password_hash():
    # Hashing is slow on purpose; hash the test password once per run.
    return generate_password_hash(PASSWORD)


def _schema():
    try:
        with db.atomic():
            return db.execute_sql(PG_SCHEMA).fetchone()[0]
    except Exception:  # schema_version dropped, say
        return None


def _clean_database():
    """PostgreSQL: empty every table (ids start at 1 again) if the schema is the one created, else drop it."""
    open_database(TEST_DATABASE_URL)
    with db.connection_context():
        if _created.get("postgresql") and _schema() == _created["postgresql"]:
            tables = [model._meta.table_name for model in models.ALL_MODELS[::-1]]
            tables += sorted(set(db.get_tables()) - set(tables) - {"schema_version"})
            with db.atomic():
                db.execute_sql("; ".join(f'DELETE FROM "{table}"' for table in tables))
                db.execute_sql("SELECT setval(c.oid, 1, false) FROM pg_class c JOIN pg_namespace n "
                               "ON n.oid = c.relnamespace WHERE c.relkind = 'S' AND n.nspname = current_schema()")
        else:
            models.drop_all()
            _created.clear()


@pytest.fixture(scope="session")
def sqlite_schema(tmp_path_factory):
    """A SQLite file with the current schema and nothing in it, for each test to copy."""
    folder = tmp_path_factory.mktemp("schema")
    create_app({"TESTING": True, "SECRET_KEY": "schema", "DATA_DIR": str(folder / "data"),
                "DATABASE_URL": f"sqlite:///{folder / 'schema.db'}"})
    stop_dispatcher()
    close_all_connections()  # the last connection closed writes the WAL into the file
    return folder / "schema.db"


@pytest.fixture
def app_config(tmp_path, request):
    """The config a test app gets; a test module may override this fixture to change it."""
    if not TEST_DATABASE_URL:
        shutil.copyfile(request.getfixturevalue("sqlite_schema"), tmp_path / "test.db")
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
    if TEST_DATABASE_URL and not _created:
        with db.connection_context():
            _created["postgresql"] = _schema()
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


_demo = {}  # this process's demo college as seed-demo left it: "rows" (the database's) and "files"


@pytest.fixture
def demo(app, tmp_path_factory):
    """The demo college of `seed-demo`. Its ~550 saves through the models took 2–4 s a test: the first test of
    a process seeds it and keeps its rows and files, each later one gets a copy (when its database is still
    empty, as a fresh test's is)."""
    data_dir = Path(app.config["DATA_DIR"])
    if _demo and _empty() and _restored(_demo["rows"]):
        shutil.copytree(_demo["files"], data_dir, dirs_exist_ok=True)
        return
    fresh = not _demo and _empty()
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    if fresh:
        _demo["rows"] = _saved_rows()
        _demo["files"] = tmp_path_factory.mktemp("demo") / "data"
        shutil.copytree(data_dir, _demo["files"])


def _tables():
    return [table for table in db.get_tables() if table != "schema_version"]


def _empty():
    return not any(model.select().exists() for model in models.ALL_MODELS)


def _saved_rows():
    """SQLite: a copy of the database in memory. PostgreSQL: each table's rows (COPY) and each sequence's place."""
    if is_sqlite():
        copy = sqlite3.connect(":memory:", check_same_thread=False)
        db.connection().backup(copy)
        return copy
    cursor = db.connection().cursor()
    tables = {}
    for table in _tables():
        tables[table] = io.BytesIO()
        cursor.copy_expert(f'COPY "{table}" TO STDOUT', tables[table])
    sequences = db.execute_sql("SELECT sequencename, last_value FROM pg_sequences "
                               "WHERE schemaname = current_schema()").fetchall()
    return tables, sequences


def _restored(rows):
    """Copy the demo's rows into this test's database; False (nothing copied) when the login may not."""
    if is_sqlite():
        rows.backup(db.connection())
        return True
    tables, sequences = rows
    try:
        with db.atomic():
            # Triggers off while copying, so the counts they keep and the name index are copied with the rest,
            # not counted again. Only a superuser may: any other login seeds the demo in every test.
            db.execute_sql("SET LOCAL session_replication_role = replica")
            cursor = db.connection().cursor()
            for table, data in tables.items():
                data.seek(0)
                cursor.copy_expert(f'COPY "{table}" FROM STDIN', data)
            for name, last in sequences:
                db.execute_sql("SELECT setval(%s, %s, %s)", (name, last or 1, last is not None))
    except peewee.ProgrammingError as exc:
        if not isinstance(exc.__context__, psycopg2.errors.InsufficientPrivilege):  # peewee wraps it
            raise
        return False
    return True


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
