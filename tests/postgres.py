"""Throwaway PostgreSQL databases for tests that need one of their own (moving a college, restoring one).

They run whatever database the rest of the suite uses, so CI's SQLite run covers them too. Skipped only
when no PostgreSQL server answers at all; a server that refuses every login fails the test.
"""
import os
import secrets
import socket
from urllib.parse import urlsplit

import psycopg2
import pytest

from tests.conftest import TEST_DATABASE_URL, with_database


def admin_urls():
    # TEST_POSTGRES_URL first, then the server of TEST_DATABASE_URL, then the local server as developers
    # and CI have it (trust on the loopback here, password "postgres" on a fresh CI machine).
    urls = [os.environ.get("TEST_POSTGRES_URL", "")]
    urls.append(with_database(TEST_DATABASE_URL, "postgres") if TEST_DATABASE_URL.startswith("postgres") else "")
    urls += ["postgresql://postgres@127.0.0.1:5432/postgres", "postgresql://postgres:postgres@127.0.0.1:5432/postgres"]
    return [url for url in urls if url]


def _answers(url):
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), timeout=3).close()
    except OSError:
        return False
    return True


def _admin_url():
    urls = admin_urls()
    if not any(_answers(url) for url in urls):
        servers = sorted({f"{urlsplit(url).hostname}:{urlsplit(url).port or 5432}" for url in urls})
        pytest.skip(f"no PostgreSQL server answers at {', '.join(servers)}")
    errors = []
    for url in urls:
        try:
            psycopg2.connect(url, connect_timeout=5).close()
        except psycopg2.OperationalError as exc:
            errors.append(str(exc).strip())
        else:
            return url
    pytest.fail("PostgreSQL answers but refuses every login tried (set TEST_POSTGRES_URL): " + " | ".join(errors))


def _execute(url, sql):
    connection = psycopg2.connect(url, connect_timeout=5)
    connection.autocommit = True  # CREATE and DROP DATABASE cannot run inside a transaction
    try:
        connection.cursor().execute(sql)
    finally:
        connection.close()


def name_prefix():
    """Throwaway databases are named after the database the tests were given (TEST_DATABASE_URL's, else
    TEST_POSTGRES_URL's), so that people sharing a server each create and drop only their own; test_ else."""
    for url in (TEST_DATABASE_URL, os.environ.get("TEST_POSTGRES_URL", "")):
        name = urlsplit(url).path.lstrip("/") if url.startswith("postgres") else ""
        if name and name != "postgres":
            return name
    return "test"


@pytest.fixture
def new_postgres_database():
    """new_postgres_database(purpose) -> the URL of a new empty database, dropped after the test."""
    admin, created = _admin_url(), []

    def make(purpose):
        name = f"{name_prefix()}_{purpose}_{secrets.token_hex(4)}"
        _execute(admin, f'CREATE DATABASE "{name}"')
        created.append(name)
        return with_database(admin, name)

    yield make
    for name in created:
        _execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
