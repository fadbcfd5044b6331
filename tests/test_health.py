"""/healthz: what monitoring sees, without a login and without personal data."""
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from models.db import now, open_database
from models.job import DONE, QUEUED, RUNNING, Job
from models.migrations import CURRENT_VERSION, SchemaVersion


@pytest.fixture
def app_config(app_config):
    return dict(app_config, HEALTH_MIN_FREE_MB=0)


def test_healthz_answers_anonymous_monitoring_with_counts_only(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    report = response.get_json()
    assert report == {"status": "ok", "database": "ok", "schema": "ok", "disk_free_mb": report["disk_free_mb"],
                      "jobs_stuck": 0}
    assert isinstance(report["disk_free_mb"], int) and report["disk_free_mb"] > 0
    assert "Set-Cookie" not in response.headers


def test_healthz_is_degraded_when_the_data_directory_runs_out_of_space(app, client):
    app.config["HEALTH_MIN_FREE_MB"] = 10**12  # more than any disk holds
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "degraded" and response.get_json()["database"] == "ok"


def test_healthz_counts_jobs_queued_or_running_for_too_long(client):
    long_ago = now() - timedelta(hours=2)
    Job.create(kind="photos.zip", status=RUNNING, started_at=long_ago, created_at=long_ago, heartbeat_at=now())
    Job.create(kind="import.candidates", status=QUEUED, created_at=long_ago)
    Job.create(kind="import.candidates", status=RUNNING, started_at=now(), heartbeat_at=now())  # just started
    Job.create(kind="photos.zip", status=DONE, started_at=long_ago, finished_at=long_ago)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["jobs_stuck"] == 2 and response.get_json()["status"] == "degraded"


def test_healthz_counts_a_running_job_whose_process_stopped_beating(client):
    Job.create(kind="import.candidates", status=RUNNING, started_at=now(), heartbeat_at=now() - timedelta(minutes=1))
    Job.create(kind="import.candidates", status=RUNNING, started_at=now(), heartbeat_at=now())
    report = client.get("/healthz").get_json()
    assert report["jobs_stuck"] == 1 and report["status"] == "degraded"


def test_healthz_fails_with_503_when_the_database_cannot_be_reached(client, tmp_path):
    open_database(f"sqlite:///{tmp_path / 'no-such-folder' / 'certdesk.db'}")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "fail", "database": "fail", "schema": None,
                                   "disk_free_mb": response.get_json()["disk_free_mb"], "jobs_stuck": None}


@pytest.mark.parametrize("version", [CURRENT_VERSION + 1, CURRENT_VERSION - 1])
def test_healthz_fails_with_503_when_another_certdesk_changed_the_schema_under_this_one(client, version):
    """A newer CertDesk started on the same database (a second service upgraded first, say): this process's
    queries no longer fit its tables, so nginx and monitoring must stop counting on it."""
    SchemaVersion.update(version=version).execute()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "fail", "database": "ok", "schema": "fail",
                                   "disk_free_mb": response.get_json()["disk_free_mb"], "jobs_stuck": None}
    SchemaVersion.update(version=CURRENT_VERSION).execute()
    assert client.get("/healthz").status_code == 200


def test_healthz_fails_with_503_when_the_data_directory_is_gone(app, client):
    shutil.rmtree(app.config["DATA_DIR"])
    assert not Path(app.config["DATA_DIR"]).exists()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "fail" and response.get_json()["disk_free_mb"] is None
