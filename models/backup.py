"""A consistent copy of the database and the photos, taken while the app keeps running."""
import shutil
import sqlite3
import subprocess
from pathlib import Path

from .db import db, is_sqlite, now

# Folders of the data directory that hold user files worth keeping: the photos, and the imports' error
# reports (导入记录 offers them for download).
KEPT_FOLDERS = ("photos", "imports")


class BackupError(RuntimeError):
    """A backup that could not be made, with a message for the administrator."""


def run(data_dir, dest):
    """Write DEST/certdesk-<timestamp>/ with the database and the kept folders; returns that path."""
    target = Path(dest).resolve() / f"certdesk-{now():%Y%m%d-%H%M%S}"
    target.mkdir(parents=True, exist_ok=False)
    if is_sqlite():
        _backup_sqlite(target / "certdesk.db")
    else:
        _backup_postgres(target / "certdesk.sql")
    for folder in KEPT_FOLDERS:
        source = Path(data_dir) / folder
        if source.is_dir():
            # Uploads waiting for 仅导入正确的 N 行 are not worth keeping (and are deleted soon).
            shutil.copytree(source, target / folder, ignore=shutil.ignore_patterns("*-upload.*", "*-rows.json"))
    return target


def _backup_sqlite(path):
    # SQLite's online backup API copies a consistent snapshot even while other connections write.
    destination = sqlite3.connect(path)
    try:
        db.connection().backup(destination)
    finally:
        destination.close()


def _backup_postgres(path):
    params = db.obj.connect_params
    command = ["pg_dump", "--no-owner", "--file", str(path), "--dbname", db.obj.database]
    for flag, key in (("--host", "host"), ("--port", "port"), ("--username", "user")):
        if params.get(key):
            command += [flag, str(params[key])]
    try:
        subprocess.run(command, check=True, capture_output=True, text=True)
    except FileNotFoundError:
        raise BackupError("未找到 pg_dump，请安装 PostgreSQL 客户端后重试")
    except subprocess.CalledProcessError as exc:
        raise BackupError(f"pg_dump 失败：{exc.stderr.strip()}")
