"""The command line: init-db, create-user, seed-demo and backup."""
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from models.catalog import Certificate, Organisation
from models.migrations import CURRENT_VERSION, SchemaVersion, stored_version
from models.user import User
from tests.conftest import TEST_DATABASE_URL

ROOT = Path(__file__).resolve().parent.parent


def test_init_db_reports_schema_version(runner):
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert f"结构版本 {CURRENT_VERSION}" in result.output
    assert stored_version() == CURRENT_VERSION


def test_create_user_hashes_the_password(runner):
    result = runner.invoke(args=["create-user", "boss", "--role", "admin", "--password", "longenough1"])
    assert result.exit_code == 0, result.output
    user = User.by_username("boss")
    assert user.role == "admin" and "longenough1" not in user.password_hash


def test_create_user_prompts_for_a_hidden_password(runner):
    result = runner.invoke(args=["create-user", "boss", "--role", "staff"], input="longenough1\nlongenough1\n")
    assert result.exit_code == 0, result.output
    assert "longenough1" not in result.output
    assert User.by_username("boss").role == "staff"


def test_create_reviewer_needs_an_existing_organisation(runner):
    missing = runner.invoke(args=["create-user", "rv", "--role", "reviewer", "--password", "longenough1"])
    assert missing.exit_code != 0 and "--org" in missing.output
    unknown = runner.invoke(args=["create-user", "rv", "--role", "reviewer", "--org", "不存在", "--password", "longenough1"])
    assert unknown.exit_code != 0 and "不存在" in unknown.output
    Organisation.create(name="中联集团教育科技有限公司")
    ok = runner.invoke(args=["create-user", "rv", "--role", "reviewer", "--org", "中联集团教育科技有限公司",
                             "--password", "longenough1"])
    assert ok.exit_code == 0, ok.output
    assert User.by_username("rv").organisation.name == "中联集团教育科技有限公司"


def test_create_user_refuses_duplicates_and_short_passwords(runner):
    runner.invoke(args=["create-user", "boss", "--role", "admin", "--password", "longenough1"])
    again = runner.invoke(args=["create-user", "boss", "--role", "admin", "--password", "longenough1"])
    assert again.exit_code != 0 and "已存在" in again.output
    short = runner.invoke(args=["create-user", "tiny", "--role", "admin", "--password", "short"])
    assert short.exit_code != 0 and "至少 8 位" in short.output
    digits = runner.invoke(args=["create-user", "tiny", "--role", "admin", "--password", "20240901"])
    assert digits.exit_code != 0 and "密码不能全是数字：请加入字母或符号" in digits.output
    named = runner.invoke(args=["create-user", "tinyuser", "--role", "admin", "--password", "TinyUser"])
    assert named.exit_code != 0 and "密码不能包含用户名" in named.output
    assert User.by_username("tiny") is None and User.by_username("tinyuser") is None


def test_seed_demo_twice_duplicates_nothing(runner, app):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "admin" in first.output and "评价组织审核员" in first.output
    counts = (Organisation.select().count(), Certificate.select().count(), User.select().count())
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0
    assert (Organisation.select().count(), Certificate.select().count(), User.select().count()) == counts
    assert counts == (5, 5, 4)
    reviewer = User.by_username("reviewer")
    assert reviewer.organisation.name == "工业和信息化部教育与考试中心"


def test_backup_copies_database_and_photos(runner, app, tmp_path, make_user):
    make_user("admin", username="boss")
    photos = tmp_path / "data" / "photos"
    photos.mkdir(parents=True)
    (photos / "ab.jpg").write_bytes(b"jpeg")
    (tmp_path / "data" / "imports").mkdir()
    (tmp_path / "data" / "imports" / "3-errors.json").write_text("[]")
    (tmp_path / "data" / "imports" / "4-upload.xlsx").write_bytes(b"rows")
    result = runner.invoke(args=["backup", str(tmp_path / "backups")])
    assert result.exit_code == 0, result.output
    target = next((tmp_path / "backups").iterdir())
    assert (target / "photos" / "ab.jpg").read_bytes() == b"jpeg"
    assert [p.name for p in (target / "imports").iterdir()] == ["3-errors.json"]  # not the uploads
    if not TEST_DATABASE_URL:
        copy = sqlite3.connect(target / "certdesk.db")
        assert copy.execute("select username from user").fetchall() == [("boss",)]
    else:
        assert "boss" in (target / "certdesk.sql").read_text()


def test_a_command_on_the_database_of_a_newer_certdesk_says_what_to_do_without_a_traceback(app, app_config, tmp_path):
    SchemaVersion.update(version=CURRENT_VERSION + 1).execute()
    environment = dict(os.environ, CERTDESK_DATA_DIR=app_config["DATA_DIR"], DATABASE_URL=app_config["DATABASE_URL"])
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "backup", str(tmp_path / "backups")],
                            cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)
    assert result.returncode == 3, result.stderr
    assert result.stderr.startswith(f"Error: 颁证工作台未启动。数据库的结构版本是 {CURRENT_VERSION + 1}")
    assert "Traceback" not in result.stderr and not (tmp_path / "backups").exists()
    assert stored_version() == CURRENT_VERSION + 1
