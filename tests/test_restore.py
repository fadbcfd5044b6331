"""flask restore: a backup made by `backup` comes back whole into an empty data directory and database,
and never over a live one."""
import re
import sqlite3
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from app import StartRefused, create_app
from models import ALL_MODELS, restore_lock
from models.backup import LINE_READ, BackupError, _dump_version, pg_tool, tool_major
from models.db import db
from models.migrations import CURRENT_VERSION, version_in
from tests.postgres import new_postgres_database  # noqa: F401 (a fixture)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def app_config(app_config, tmp_path):
    # The SQLite round trip runs whichever database the rest of the suite uses; PostgreSQL has its own tests.
    return dict(app_config, DATABASE_URL=f"sqlite:///{tmp_path / 'college.db'}")


def college(app):
    """Every table's rows in primary-key order and every kept file's bytes, for comparing two colleges."""
    with db.connection_context():
        tables = {model._meta.table_name: list(model.select().order_by(model._meta.primary_key).tuples())
                  for model in ALL_MODELS}
    data_dir = Path(app.config["DATA_DIR"])
    files = {str(path.relative_to(data_dir)): path.read_bytes()
             for folder in ("photos", "imports") for path in sorted((data_dir / folder).rglob("*")) if path.is_file()}
    return tables, files


def demo_backup(app, tmp_path):
    """Seed the demo college in `app`, back it up, and return (the backup folder, the college as it was)."""
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    (Path(app.config["DATA_DIR"]) / "imports").mkdir(exist_ok=True)
    (Path(app.config["DATA_DIR"]) / "imports" / "1-errors.json").write_text('[{"行号": 3}]', encoding="utf-8")
    result = runner.invoke(args=["backup", str(tmp_path / "backups")])
    assert result.exit_code == 0, result.output
    return next((tmp_path / "backups").iterdir()), college(app)


def restored(config, backup):
    """A new app on `config` (an empty data directory and database) with `backup` restored into it."""
    app = create_app(config)
    result = app.test_cli_runner().invoke(args=["restore", str(backup)])
    assert result.exit_code == 0, result.output
    assert "恢复完成" in result.output and "candidate 500" in result.output
    return app


def test_backup_then_restore_on_sqlite_gives_back_the_same_college(app, app_config, tmp_path):
    backup, before = demo_backup(app, tmp_path)
    (backup / "certdesk.sql").write_text("-- a dump left beside it: the SQLite copy is the one restored\n")
    again = restored(dict(app_config, DATA_DIR=str(tmp_path / "new-data"),
                          DATABASE_URL=f"sqlite:///{tmp_path / 'new-data' / 'certdesk.db'}"), backup)
    tables, files = college(again)
    assert tables == before[0] and len(tables["candidate"]) == 500 and tables["award_record"]
    assert files == before[1] and "imports/1-errors.json" in files
    assert [name for name in files if name.startswith("photos/")]


def test_backup_then_restore_on_postgresql_gives_back_the_same_college(app_config, tmp_path, new_postgres_database):
    source = create_app(dict(app_config, DATABASE_URL=new_postgres_database("backup")))
    backup, before = demo_backup(source, tmp_path)
    assert (backup / "certdesk.sql").is_file()
    again = restored(dict(app_config, DATA_DIR=str(tmp_path / "new-data"),
                          DATABASE_URL=new_postgres_database("restore")), backup)
    assert college(again) == before
    with db.connection_context():  # the restored sequences continue after the restored ids
        assert db.execute_sql("SELECT nextval('candidate_id_seq')").fetchone()[0] == 501
    db.close()


def test_a_sqlite_backup_restores_into_postgresql_and_stays_as_it_was(app, app_config, tmp_path,
                                                                      new_postgres_database):
    backup, before = demo_backup(app, tmp_path)
    files = {path: path.read_bytes() for path in backup.iterdir() if path.is_file()}
    again = restored(dict(app_config, DATA_DIR=str(tmp_path / "new-data"),
                          DATABASE_URL=new_postgres_database("restore")), backup)
    assert college(again) == before
    assert {path: path.read_bytes() for path in backup.iterdir() if path.is_file()} == files  # no -wal beside it
    db.close()


def as_written_by_v9(database):
    """Turn a backup's certdesk.db into what CertDesk at schema v9 wrote: no 院系/班级 on the records."""
    connection = sqlite3.connect(database)
    try:
        for trigger in ("candidate_award_class", "award_record_class"):
            connection.execute(f"DROP TRIGGER {trigger}")
        for index in ("award_record_roster_order", "award_record_status_department_class_name_certificate_id_level"):
            connection.execute(f"DROP INDEX {index}")
        for column in ("department", "class_name"):
            connection.execute(f"ALTER TABLE award_record DROP COLUMN {column}")
        connection.execute("UPDATE schema_version SET version = 9")
        connection.commit()
    finally:
        connection.close()


def test_a_sqlite_backup_of_schema_v9_restores_into_postgresql_with_the_records_classes(
        app, app_config, tmp_path, new_postgres_database):
    backup, before = demo_backup(app, tmp_path)
    as_written_by_v9(backup / "certdesk.db")
    files = {path: path.read_bytes() for path in backup.iterdir() if path.is_file()}
    data_dir = tmp_path / "new-data"
    again = restored(dict(app_config, DATA_DIR=str(data_dir), DATABASE_URL=new_postgres_database("restore")), backup)
    tables, photos = college(again)
    assert tables == before[0] and photos == before[1]
    assert len(tables["candidate"]) == 500 and tables["award_record"]
    assert [name for name in photos if name.startswith("photos/")]
    with db.connection_context():  # each record's 院系/班级 is its candidate's, filled by the upgrade
        records = db.execute_sql("SELECT r.department, r.class_name, c.department, c.class_name FROM award_record r "
                                 "JOIN candidate c ON c.id = r.candidate_id").fetchall()
    db.close()
    assert records and all(record[:2] == record[2:] for record in records)
    assert any(department for department, *_ in records)
    assert {path: path.read_bytes() for path in backup.iterdir() if path.is_file()} == files  # backup untouched
    # No upgraded copy left; the lock a restore holds stays, empty (models/restore_lock.py).
    assert sorted(path.name for path in data_dir.iterdir()) == ["imports", "photos", "restore.lock"]
    assert (data_dir / "restore.lock").read_bytes() == b""


@pytest.mark.parametrize("target", ["sqlite", "postgresql"])
def test_a_damaged_sqlite_backup_is_refused_and_leaves_no_copy_behind(target, app_config, tmp_path,
                                                                       new_postgres_database):
    backup = tmp_path / "certdesk-20260101-120000"
    backup.mkdir()
    (backup / "certdesk.db").write_bytes(b"not a database " * 100)
    data_dir = tmp_path / "new-data"
    url = new_postgres_database("restore") if target == "postgresql" else f"sqlite:///{tmp_path / 'new.db'}"
    result = create_app(dict(app_config, DATA_DIR=str(data_dir), DATABASE_URL=url)).test_cli_runner().invoke(
        args=["restore", str(backup)])
    db.close()
    assert result.exit_code != 0 and "不是可读的 SQLite 数据库" in result.output and "未恢复任何数据" in result.output
    assert not [path for path in data_dir.iterdir() if path.is_file()]


def test_restore_refuses_a_database_that_holds_data(app, runner, tmp_path):
    backup, before = demo_backup(app, tmp_path)
    result = runner.invoke(args=["restore", str(backup)])
    assert result.exit_code != 0
    assert "当前数据库或数据目录已有数据（organisation 5 行" in result.output and "空的数据目录" in result.output
    assert college(app) == before


def test_restore_refuses_a_data_directory_that_holds_photos(app, app_config, tmp_path):
    backup, _ = demo_backup(app, tmp_path)
    photo = tmp_path / "new-data" / "photos" / "ab" / "kept.jpg"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"jpeg")
    empty_database = create_app(dict(app_config, DATA_DIR=str(tmp_path / "new-data"),
                                     DATABASE_URL=f"sqlite:///{tmp_path / 'new.db'}"))
    result = empty_database.test_cli_runner().invoke(args=["restore", str(backup)])
    assert result.exit_code != 0 and "photos/ 中的文件" in result.output
    assert photo.read_bytes() == b"jpeg"
    with db.connection_context():
        assert db.execute_sql("SELECT COUNT(*) FROM candidate").fetchone()[0] == 0


def test_restore_names_a_folder_that_is_not_a_backup(runner, tmp_path):
    result = runner.invoke(args=["restore", str(tmp_path)])
    assert result.exit_code != 0 and "不是颁证工作台的备份" in result.output and "certdesk-日期-时间" in result.output


def test_a_postgresql_backup_does_not_restore_into_sqlite(runner, tmp_path):
    (tmp_path / "certdesk-20260101-120000").mkdir()
    (tmp_path / "certdesk-20260101-120000" / "certdesk.sql").write_text("-- dump\n")
    result = runner.invoke(args=["restore", str(tmp_path / "certdesk-20260101-120000")])
    assert result.exit_code != 0 and "只能恢复到 PostgreSQL" in result.output


def test_a_client_older_than_the_server_is_refused_with_the_version_to_install():
    with pytest.raises(BackupError, match="PostgreSQL 99"):
        pg_tool("pg_dump", 99)


def test_the_client_version_is_read_from_its_version_line():
    assert tool_major("pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)\n") == 15
    assert tool_major("psql (PostgreSQL) 17.2\n") == 17


def as_written_by_a_newer_certdesk(backup):
    """Give a backup's database the schema version of a CertDesk newer than this one."""
    newer = CURRENT_VERSION + 1
    if (backup / "certdesk.db").is_file():
        connection = sqlite3.connect(backup / "certdesk.db")
        connection.execute("UPDATE schema_version SET version = ?", [newer])
        connection.commit()
        connection.close()
    else:  # the table's rows in pg_dump's own output: "1\t11" under its COPY line
        dump = backup / "certdesk.sql"
        text, found = re.subn(r"(COPY \S*schema_version \(id, version\) FROM stdin;\n\d+\t)\d+\n",
                              rf"\g<1>{newer}\n", dump.read_text(encoding="utf-8"))
        assert found == 1
        dump.write_text(text, encoding="utf-8")
    return newer


def empty_and_current(app):
    """Whether `app`'s database is still as its start left it: every table empty, at this CertDesk's version."""
    with db.connection_context():
        rows = sum(model.select().count() for model in ALL_MODELS)
        version = version_in(db.obj)
    return rows == 0 and version == CURRENT_VERSION


@pytest.mark.parametrize("target", ["sqlite", "postgresql"])
def test_a_sqlite_backup_of_a_newer_certdesk_is_refused_before_anything_is_written(
        target, app, app_config, tmp_path, new_postgres_database):
    backup, _ = demo_backup(app, tmp_path)
    newer = as_written_by_a_newer_certdesk(backup)
    files = {path: path.read_bytes() for path in backup.iterdir() if path.is_file()}
    data_dir = tmp_path / "new-data"
    url = new_postgres_database("restore") if target == "postgresql" else f"sqlite:///{tmp_path / 'new.db'}"
    empty = create_app(dict(app_config, DATA_DIR=str(data_dir), DATABASE_URL=url))
    result = empty.test_cli_runner().invoke(args=["restore", str(backup)])
    assert result.exit_code != 0
    assert f"这份备份由更新版本的颁证工作台制作（结构版本 {newer}），而此版本的颁证工作台只支持到 {CURRENT_VERSION}" in result.output
    assert "未恢复任何数据" in result.output and "请安装与备份相同或更新的版本后再恢复" in result.output
    assert empty_and_current(empty)
    assert not [path for path in data_dir.iterdir() if path.name not in ("secret_key", "restore.lock")]
    assert {path: path.read_bytes() for path in backup.iterdir() if path.is_file()} == files
    db.close()


def test_a_postgresql_backup_of_a_newer_certdesk_is_refused_before_the_empty_tables_are_dropped(
        app_config, tmp_path, new_postgres_database):
    source = create_app(dict(app_config, DATABASE_URL=new_postgres_database("backup")))
    backup, _ = demo_backup(source, tmp_path)
    newer = as_written_by_a_newer_certdesk(backup)
    empty = create_app(dict(app_config, DATA_DIR=str(tmp_path / "new-data"),
                            DATABASE_URL=new_postgres_database("restore")))
    result = empty.test_cli_runner().invoke(args=["restore", str(backup)])
    assert result.exit_code != 0 and f"（结构版本 {newer}）" in result.output and "未恢复任何数据" in result.output
    assert empty_and_current(empty)
    db.close()


def test_a_dump_whose_version_cannot_be_read_is_refused(app_config, tmp_path, new_postgres_database):
    backup = tmp_path / "certdesk-20260101-120000"
    backup.mkdir()
    (backup / "certdesk.sql").write_text("COPY public.schema_version (id, version) FROM stdin;\n1\tabc\n\\.\n")
    empty = create_app(dict(app_config, DATABASE_URL=new_postgres_database("restore")))
    result = empty.test_cli_runner().invoke(args=["restore", str(backup)])
    assert result.exit_code != 0 and "中的结构版本无法读取" in result.output and "未恢复任何数据" in result.output
    assert empty_and_current(empty)
    db.close()


@pytest.mark.parametrize("dump", ["", "-- cut short by a full disk\nCREATE TABLE public.candidate (id integer);\n",
                                  "INSERT INTO public.schema_version VALUES (1, 11);\n"])
def test_a_dump_without_its_schema_version_is_refused_before_anything_is_dropped(
        app_config, tmp_path, new_postgres_database, dump):
    backup = tmp_path / "certdesk-20260101-120000"
    backup.mkdir()
    (backup / "certdesk.sql").write_text(dump)
    empty = create_app(dict(app_config, DATABASE_URL=new_postgres_database("restore")))
    result = empty.test_cli_runner().invoke(args=["restore", str(backup)])
    assert result.exit_code != 0 and isinstance(result.exception, SystemExit)  # said, not a traceback
    assert "中找不到结构版本" in result.output and "未恢复任何数据" in result.output
    assert empty_and_current(empty)
    db.close()


# A restore into PostgreSQL that stops once its work copy is made, and says so, as a restore the administrator
# kills outright would be stopped (argv: data directory, database URL, backup).
PAUSED_RESTORE = """
import sys, time
from app import create_app
from models import backup
from models.db import db

def copy_database(source, target):
    print("copying", flush=True)
    time.sleep(600)

backup.copy_database = copy_database
create_app({"DATA_DIR": sys.argv[1], "DATABASE_URL": sys.argv[2], "SECRET_KEY": "test"})
with db.connection_context():
    backup.restore(sys.argv[3], sys.argv[1])
"""


def test_a_restore_killed_outright_leaves_a_copy_the_next_restore_removes_and_none_running_is_touched(
        app, app_config, tmp_path, new_postgres_database):
    backup, before = demo_backup(app, tmp_path)
    data_dir = tmp_path / "new-data"
    config = dict(app_config, DATA_DIR=str(data_dir), DATABASE_URL=new_postgres_database("restore"))
    log = tmp_path / "restore.log"
    started = create_app(config)  # before the restore: the app the later commands run in
    with log.open("wb") as errors:
        running = subprocess.Popen([sys.executable, "-c", PAUSED_RESTORE, str(data_dir), config["DATABASE_URL"],
                                    str(backup)], cwd=ROOT, stdout=subprocess.PIPE, stderr=errors)
    try:
        assert running.stdout.readline() == b"copying\n", log.read_text()
        copies = sorted(data_dir.glob("restore-*.db*"))
        assert copies
        with pytest.raises(StartRefused, match="restore 命令正在向数据目录 .* 恢复备份") as refused:
            create_app(config)  # a start while the restore runs: refused before it opens the database
        assert refused.value.exit_code == 3
        assert sorted(data_dir.glob("restore-*.db*")) == copies
        second = started.test_cli_runner().invoke(args=["restore", str(backup)])
        assert second.exit_code != 0 and f"另一个恢复正在向数据目录 {data_dir} 恢复" in second.output
        assert "本次未做任何改动" in second.output
        assert sorted(data_dir.glob("restore-*.db*")) == copies and empty_and_current(started)
    finally:
        running.kill()
        running.wait()
    assert sorted(data_dir.glob("restore-*.db*")) == copies  # killed outright: nothing removed it
    result = started.test_cli_runner().invoke(args=["restore", str(backup)])
    assert result.exit_code == 0, result.output
    assert not list(data_dir.glob("restore-*"))
    assert college(started) == before
    db.close()


def test_a_start_removes_the_copies_of_a_restore_killed_outright_and_nothing_else(app_config, tmp_path):
    data_dir = Path(app_config["DATA_DIR"])
    data_dir.mkdir(parents=True)
    left = [data_dir / f"restore-k3j2h1.db{end}" for end in ("", "-wal", "-shm", "-journal")]
    kept = [data_dir / "certdesk.db.bak", data_dir / "photos" / "restore-k3j2h1.db"]
    for path in left + kept:
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"SQLite format 3\x00")
    create_app(app_config)
    assert not [path for path in left if path.exists()]
    assert all(path.read_bytes() == b"SQLite format 3\x00" for path in kept)


def test_a_dump_read_for_its_version_holds_a_line_without_newlines_a_piece_at_a_time(tmp_path):
    junk = tmp_path / "junk.sql"
    junk.write_bytes(b"x" * (20 * 1024 * 1024))  # a damaged or foreign file: one 20 MB "line"
    long_then_real = tmp_path / "certdesk.sql"
    long_then_real.write_bytes(b"-- " + b"y" * (3 * LINE_READ) + b"\n"
                               + b"COPY public.schema_version (id, version) FROM stdin;\n1\t7\n2\t9\n\\.\n")
    tracemalloc.start()
    try:
        assert _dump_version(junk) is None
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1024 * 1024  # not the 20 MB
    assert _dump_version(long_then_real) == 9


def test_a_start_refused_during_a_restore_writes_nothing_into_the_data_directory(app_config, tmp_path):
    data_dir = tmp_path / "being-restored"
    with restore_lock.held(data_dir):
        with pytest.raises(StartRefused, match="restore 命令正在向数据目录"):
            create_app(dict(app_config, DATA_DIR=str(data_dir), SECRET_KEY="", DATABASE_URL=""))
        assert sorted(path.name for path in data_dir.iterdir()) == [restore_lock.LOCK_NAME]


def test_a_restore_that_fails_after_copying_the_files_leaves_neither_files_nor_work_folders(
        app, app_config, tmp_path, monkeypatch):
    backup, _ = demo_backup(app, tmp_path)
    data_dir = tmp_path / "new-data"
    target = create_app(dict(app_config, DATA_DIR=str(data_dir), DATABASE_URL=f"sqlite:///{data_dir / 'certdesk.db'}"))

    def damaged(path):
        assert (data_dir / "restore-photos.partial").is_dir()  # the files were copied first
        raise BackupError("备份已损坏")

    monkeypatch.setattr("models.backup._restore_sqlite", damaged)
    result = target.test_cli_runner().invoke(args=["restore", str(backup)])
    assert result.exit_code != 0 and "备份已损坏" in result.output
    assert not list(data_dir.glob("restore-*.partial"))
    assert not [path for path in data_dir.rglob("*") if path.is_file() and path.parent.name in ("photos", "imports")]
    assert empty_and_current(target)
    monkeypatch.undo()
    tables, files = college(restored(target.config, backup))  # and the next restore does it all
    assert len(tables["candidate"]) == 500 and [name for name in files if name.startswith("photos/")]


def test_the_work_folders_of_a_restore_killed_while_copying_files_are_removed_by_the_next_start(
        app_config, tmp_path):
    data_dir = Path(app_config["DATA_DIR"])
    left = data_dir / "restore-photos.partial" / "ab"
    left.mkdir(parents=True)
    (left / "1.jpg").write_bytes(b"\xff\xd8")
    create_app(app_config)
    assert not (data_dir / "restore-photos.partial").exists()


def test_a_restore_refuses_a_data_directory_whose_photos_folder_holds_only_a_hidden_file(app, app_config, tmp_path):
    backup, _ = demo_backup(app, tmp_path)
    data_dir = tmp_path / "new-data"
    (data_dir / "photos").mkdir(parents=True)
    (data_dir / "photos" / ".keep").write_text("")
    target = create_app(dict(app_config, DATA_DIR=str(data_dir), DATABASE_URL=f"sqlite:///{data_dir / 'certdesk.db'}"))
    result = target.test_cli_runner().invoke(args=["restore", str(backup)])
    assert result.exit_code != 0 and "photos/ 中的文件" in result.output
    assert empty_and_current(target)


def test_photos_kept_elsewhere_through_a_link_are_restored_there(app, app_config, tmp_path):
    backup, before = demo_backup(app, tmp_path)
    data_dir, elsewhere = tmp_path / "new-data", tmp_path / "other-disk" / "photos"
    elsewhere.mkdir(parents=True)
    data_dir.mkdir()
    (data_dir / "photos").symlink_to(elsewhere, target_is_directory=True)
    again = restored(dict(app_config, DATA_DIR=str(data_dir), DATABASE_URL=f"sqlite:///{data_dir / 'certdesk.db'}"),
                     backup)
    assert (data_dir / "photos").is_symlink() and college(again) == before
    assert any(path.is_file() for path in elsewhere.rglob("*")) and not list(data_dir.glob("restore-*.partial"))


@pytest.mark.parametrize("kept", ["photos", "imports"])
def test_a_data_directory_whose_photos_or_imports_is_not_a_folder_is_refused_before_anything_is_written(
        app, app_config, tmp_path, kept):
    backup, _ = demo_backup(app, tmp_path)
    data_dir = tmp_path / "new-data"
    data_dir.mkdir()
    (data_dir / kept).write_text("not a folder")
    target = create_app(dict(app_config, DATA_DIR=str(data_dir), DATABASE_URL=f"sqlite:///{data_dir / 'certdesk.db'}"))
    result = target.test_cli_runner().invoke(args=["restore", str(backup)])
    assert result.exit_code != 0 and f"{kept} 不是文件夹" in result.output and "未恢复任何数据" in result.output
    assert empty_and_current(target) and not list(data_dir.glob("restore-*.partial"))


def test_a_link_inside_a_backup_is_not_followed_into_the_data_directory(app, app_config, tmp_path):
    backup, _ = demo_backup(app, tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    (backup / "photos" / "zz").mkdir()
    (backup / "photos" / "zz" / "1.jpg").symlink_to(secret)
    data_dir = tmp_path / "new-data"
    restored(dict(app_config, DATA_DIR=str(data_dir), DATABASE_URL=f"sqlite:///{data_dir / 'certdesk.db'}"), backup)
    assert not (data_dir / "photos" / "zz" / "1.jpg").exists()
    assert not any(b"TOPSECRET" in path.read_bytes() for path in data_dir.rglob("*") if path.is_file())


def test_a_leftover_work_folder_that_is_a_link_is_removed_and_what_it_points_to_kept(app_config, tmp_path):
    data_dir, pointed = Path(app_config["DATA_DIR"]), tmp_path / "kept"
    pointed.mkdir()
    (pointed / "a.jpg").write_bytes(b"\xff\xd8")
    data_dir.mkdir(parents=True)
    (data_dir / "restore-photos.partial").symlink_to(pointed, target_is_directory=True)
    create_app(app_config)
    assert not (data_dir / "restore-photos.partial").is_symlink() and (pointed / "a.jpg").exists()
