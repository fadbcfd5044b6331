"""A consistent copy of the database and the photos, taken while the app keeps running, and its restore
into an empty data directory and database."""
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

from peewee import SqliteDatabase

from . import drop_all, init_schema, restore_lock
from .db import SQLITE_PRAGMAS, db, is_sqlite, now
from .migrations import CURRENT_VERSION
from .move import MoveError, bound, copy_database, row_counts

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
            # Uploads waiting for an import button (导入没有错误的 N 行 …) are not worth keeping (and are deleted soon).
            shutil.copytree(source, target / folder, ignore=shutil.ignore_patterns("*-upload.*", "*-rows.json"))
    return target


def _backup_sqlite(path):
    # SQLite's online backup API copies a consistent snapshot even while other connections write.
    destination = sqlite3.connect(path)
    try:
        db.connection().backup(destination)
        # One self-contained file: opened later, a copy in WAL mode would grow -wal and -shm files.
        destination.execute("PRAGMA journal_mode=DELETE")
    finally:
        destination.close()


def _backup_postgres(path):
    # No owner and no privileges: the restore may run as another database user.
    _run_pg_tool("pg_dump", "--no-owner", "--no-privileges", "--file", str(path))


def restore(backup_dir, data_dir):
    """Restore a folder written by `run` into this app's database and data directory, both empty.

    A SQLite backup restores into SQLite or PostgreSQL (through the move's verified copy); a PostgreSQL
    dump into PostgreSQL. A backup of an older CertDesk is upgraded like on start, one of a newer CertDesk
    refused. Returns [(table, rows)].
    """
    source, data_dir = Path(backup_dir), Path(data_dir)
    sqlite_copy, dump = source / "certdesk.db", source / "certdesk.sql"
    if not sqlite_copy.is_file() and not dump.is_file():
        raise BackupError(f"{source} 不是颁证工作台的备份：其中没有 certdesk.db 或 certdesk.sql"
                          "（backup 命令把每次备份写在 DEST/certdesk-日期-时间/ 中，请指定这一层目录）")
    if dump.is_file() and not sqlite_copy.is_file() and is_sqlite():
        raise BackupError("这是 PostgreSQL 备份（certdesk.sql），只能恢复到 PostgreSQL："
                          "请先把 DATABASE_URL 设为一个空的 PostgreSQL 数据库")
    _refuse_newer(sqlite_copy if sqlite_copy.is_file() else dump)
    try:
        with restore_lock.held(data_dir):
            return _restore(source, data_dir)
    except restore_lock.RestoreRunning:
        raise BackupError(f"另一个恢复正在向数据目录 {data_dir} 恢复（它持有其中的 {restore_lock.LOCK_NAME}），"
                          "本次未做任何改动。请等它结束，再看是否还需要恢复")


def _restore(source, data_dir):
    """The restore itself, under the data directory's restore lock (two at once would both find it empty)."""
    sqlite_copy, dump = source / "certdesk.db", source / "certdesk.sql"
    _refuse_live(data_dir)
    # The files first, into work folders: a restore killed while copying them leaves the database empty and
    # the work folders to the next restore or start to remove (models/restore_lock.py), not a college
    # restored with half its photos. Each is put in place as soon as the database is.
    copied = []
    try:
        for folder in KEPT_FOLDERS:
            if (source / folder).is_dir():
                copied.append((_work_copy(source / folder, data_dir), data_dir / folder))
        if sqlite_copy.is_file() and is_sqlite():
            _restore_sqlite(sqlite_copy)
        elif sqlite_copy.is_file():
            _restore_sqlite_into_postgres(sqlite_copy, data_dir)
        else:
            drop_all()  # the empty tables this start created; the dump creates its own
            _run_pg_tool("psql", "--no-psqlrc", "--quiet", "--single-transaction", "--set", "ON_ERROR_STOP=1",
                         "--file", str(dump))
        for work, folder in copied:
            _put_in_place(work, folder)
    finally:
        for work, _ in copied:
            shutil.rmtree(work, ignore_errors=True)  # a restore that failed: nothing of it is left
    init_schema()
    return [(model._meta.table_name, rows) for model, rows in row_counts(db.obj)]


def _work_copy(folder, data_dir):
    """A copy of the backup's `folder` in the data directory under the name of a restore's work folder. A
    link inside it is left out: `backup` copies what links point to, so a backup holds none, and followed it
    would bring any file of the server into the photos."""
    work = data_dir / restore_lock.WORK_FOLDER.format(folder.name)
    shutil.copytree(folder, work, ignore=_links)
    return work


def _links(folder, names):
    return [name for name in names if os.path.islink(os.path.join(folder, name))]


def _put_in_place(work, folder):
    """Move a work folder's contents to `folder`: renamed whole when there is none; else (an empty folder, or a
    link to one kept on another disk) entry by entry, moved, copied when the link leads to another disk."""
    if not folder.exists() and not folder.is_symlink():
        work.replace(folder)
        return
    for entry in work.iterdir():
        shutil.move(str(entry), str(folder / entry.name))
    work.rmdir()


def _refuse_newer(path):
    """Refuse, before anything is written, a backup of a newer CertDesk: its schema is one this CertDesk cannot
    run, and restored it would stop the next start (models/migrations.py SchemaTooNew)."""
    version = _sqlite_version(path) if path.suffix == ".db" else _dump_version(path)
    if version is None and path.suffix == ".sql":
        # Every dump of a CertDesk database holds the schema_version rows; without them the upgrade after
        # psql would refuse a database already restored (a dump of something else, cut short, or made with
        # pg_dump --inserts rather than by the backup command).
        raise BackupError(f"{path} 中找不到结构版本（schema_version 表的数据），它不是 backup 命令制作的完整备份"
                          "（可能被截断，或由其他方式导出），未恢复任何数据。请选择一份由 backup 命令制作的备份")
    if version is not None and version > CURRENT_VERSION:
        raise BackupError(f"这份备份由更新版本的颁证工作台制作（结构版本 {version}），而此版本的颁证工作台只支持到 "
                          f"{CURRENT_VERSION}，恢复后无法运行，未恢复任何数据。请安装与备份相同或更新的版本后再恢复，"
                          "或选择一份由此版本制作的备份")


def _sqlite_version(path):
    """The schema version recorded in a backup's certdesk.db, None when it has none."""
    source = sqlite3.connect(_read_only(path), uri=True)
    try:
        found = source.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'")
        if not found.fetchone():
            return None
        return source.execute('SELECT MAX("version") FROM "schema_version"').fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise _damaged(path, exc)
    finally:
        source.close()


# The line that starts the schema_version table's rows in pg_dump's plain output:
# COPY public.schema_version (id, version) FROM stdin;
_COPY_SCHEMA_VERSION = re.compile(rb'COPY (?:[\w"]+\.)?"?schema_version"? \(([^)]*)\) FROM stdin;')


def _dump_version(path):
    """The schema version recorded in a backup's certdesk.sql, None when it has none. Read as bytes a line at
    a time: the rows of most tables come before it (pg_dump orders them by name), and may be gigabytes."""
    with open(path, "rb") as dump:
        lines = _line_starts(dump)
        for line in lines:
            match = line.startswith(b"COPY ") and _COPY_SCHEMA_VERSION.fullmatch(line.rstrip(b"\r\n"))
            if match:
                return _copied_version(lines, match.group(1), path)
    return None


LINE_READ = 64 * 1024  # bytes of a line _dump_version reads; the lines it looks for are far shorter


def _line_starts(dump, limit=LINE_READ):
    """The first `limit` bytes of each line of `dump`, the rest skipped: a damaged or foreign file may have no
    newline at all, and read a line at a time it would be held whole (a 50 MB file: 187 MB at the peak)."""
    while line := dump.readline(limit):
        yield line
        while not line.endswith(b"\n") and (line := dump.readline(limit)):
            pass


def _copied_version(lines, columns, path):
    """The largest version among the rows of a COPY whose column list is `columns`, read up to its end (\\.)."""
    names = [column.strip().strip(b'"') for column in columns.split(b",")]
    versions = []
    for line in lines:
        row = line.rstrip(b"\r\n")
        if row == b"\\.":
            break
        try:
            versions.append(int(row.split(b"\t")[names.index(b"version")]))
        except (IndexError, ValueError):
            raise BackupError(f"{path} 中的结构版本无法读取（{row[:40]!r}），备份可能已损坏，未恢复任何数据")
    return max(versions, default=None)


def _refuse_live(data_dir):
    filled = [f"{model._meta.table_name} {rows} 行" for model, rows in row_counts(db.obj) if rows]
    # iterdir, not glob: a hidden file counts too (the backup's are put beside none).
    files = [folder for folder in KEPT_FOLDERS if (data_dir / folder).is_dir() and any((data_dir / folder).iterdir())]
    others = [folder for folder in KEPT_FOLDERS
              if ((data_dir / folder).exists() or (data_dir / folder).is_symlink()) and not (data_dir / folder).is_dir()]
    if others:
        raise BackupError(f"数据目录中的 {'、'.join(others)} 不是文件夹（是文件，或指向不存在的位置的链接），"
                          "恢复的照片和报告无处可放，未恢复任何数据。请删除或改正它后再恢复")
    if filled or files:
        found = "、".join(filled[:3] + [f"{folder}/ 中的文件" for folder in files])
        raise BackupError(f"当前数据库或数据目录已有数据（{found}），恢复不会覆盖正在使用的数据。"
                          "请把 CERTDESK_DATA_DIR（和 DATABASE_URL）指向一个空的数据目录（和空数据库）后再恢复")


def _restore_sqlite(path):
    # The backup API writes the copy into the open database page by page, whatever its journal mode.
    _copy_sqlite(path, db.connection())


def _restore_sqlite_into_postgres(path, data_dir):
    # The move copies the columns of the current models, so the backup of an older CertDesk is first
    # upgraded as a start would upgrade it: read with the old columns, a record of v9 had no 院系 and SQLite
    # read the unknown "department" as that string, and the checks refused the restore. The upgrade writes,
    # so it runs on a copy in the data directory, never on the backup, and the copy goes whatever happens
    # (a restore killed outright leaves it, for the next start or restore to remove: models/restore_lock.py).
    data_dir.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix="restore-", suffix=".db", dir=data_dir)
    os.close(handle)
    work = Path(name)
    try:
        destination = sqlite3.connect(work)
        try:
            _copy_sqlite(path, destination)
        finally:
            destination.close()
        copy = SqliteDatabase(str(work), pragmas=SQLITE_PRAGMAS)
        try:
            with bound(copy):
                init_schema()
            copy_database(copy, db.obj)
        except MoveError as exc:
            raise BackupError(str(exc))
        finally:
            copy.close()
    finally:
        for leftover in (work, *(work.with_name(work.name + end) for end in ("-wal", "-shm", "-journal"))):
            leftover.unlink(missing_ok=True)


def _copy_sqlite(path, destination):
    """Copy the backup's database at `path` into `destination`, an open sqlite3 connection."""
    source = sqlite3.connect(_read_only(path), uri=True)
    try:
        source.backup(destination)
    except sqlite3.DatabaseError as exc:
        raise _damaged(path, exc)
    finally:
        source.close()


def _damaged(path, exc):
    return BackupError(f"{path} 不是可读的 SQLite 数据库（{exc}），备份可能已损坏，未恢复任何数据")


def _read_only(path):
    """A SQLite URI that opens a backup without writing to it: a read-only connection to a file in WAL mode
    would still leave a -wal file beside it, unless the file is declared immutable."""
    return f"{Path(path).resolve().as_uri()}?mode=ro&immutable=1"


def _run_pg_tool(name, *args):
    """Run pg_dump or psql against the app's PostgreSQL database, with a client of the server's version."""
    params = db.obj.connect_params
    command = [pg_tool(name, db.obj.server_version // 10000), *args, "--dbname", db.obj.database]
    for flag, key in (("--host", "host"), ("--port", "port"), ("--username", "user")):
        if params.get(key):
            command += [flag, str(params[key])]
    env = dict(os.environ, PGPASSWORD=str(params["password"])) if params.get("password") else None
    try:
        subprocess.run(command, check=True, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
    except subprocess.CalledProcessError as exc:
        raise BackupError(f"{name} 失败：{exc.stderr.strip()}")


def pg_tool(name, server_major):
    """The path of a PostgreSQL client tool at least as new as the server (pg_dump refuses to dump a newer
    server): the server's own version's folder first (Debian and the Windows installer keep each version
    apart), then the PATH."""
    folders = [Path(f"/usr/lib/postgresql/{server_major}/bin"),
               Path(os.environ.get("ProgramFiles", r"C:\Program Files")) / "PostgreSQL" / str(server_major) / "bin"]
    found = [str(path) for folder in folders for path in folder.glob(f"{name}*") if path.stem == name]
    path = found[0] if found else shutil.which(name)
    if path is None:
        raise BackupError(f"未找到 {name}：请安装 PostgreSQL {server_major} 客户端，并把它的 bin 目录加入 PATH")
    major = tool_major(subprocess.run([path, "--version"], capture_output=True, text=True).stdout)
    if major < server_major:
        raise BackupError(f"{path} 是 PostgreSQL {major} 的客户端，低于数据库服务器的版本 {server_major}："
                          f"请安装 PostgreSQL {server_major} 客户端，并把它的 bin 目录放在 PATH 的最前面")
    return path


def tool_major(version_text):
    """The major version in a client tool's --version output: "pg_dump (PostgreSQL) 15.20 (Debian ...)" -> 15."""
    match = re.search(r"\) (\d+)", version_text)
    return int(match.group(1)) if match else 0
