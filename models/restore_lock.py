"""The data directory's restore lock, so that the work copies of a restore killed outright are removed later,
and never the copy of a restore still running.

A restore holds an exclusive lock on `restore.lock` in the data directory while it runs. The operating
system drops the lock when the process ends, however it ends, so whoever can take the lock knows that no
restore is running there, and that any `restore-*.db` or `restore-*.partial` folder is a leftover. The lock file itself stays: removing it
would let two restores each lock a different file of the same name.
"""
import logging
import os
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path

LOCK_NAME = "restore.lock"
# A restore's work copy, and the files SQLite keeps beside it (-wal, -shm, -journal).
WORK_COPIES = "restore-*.db*"
# A restore's copy of a backup's folder of files (photos, imports) until the database is restored.
WORK_FOLDER = "restore-{}.partial"

log = logging.getLogger("certdesk")


class RestoreRunning(RuntimeError):
    """Another process holds the data directory's restore lock."""


@contextmanager
def held(data_dir):
    """Hold `data_dir`'s restore lock for the block, having removed the copies earlier restores left; raises
    RestoreRunning when another restore holds it."""
    with _locked(data_dir) as taken:
        if not taken:
            raise RestoreRunning(data_dir)
        _remove_copies(data_dir)
        yield


def running(data_dir):
    """Whether a restore holds `data_dir`'s lock now: a start must not open the database it is filling."""
    if not (Path(data_dir) / LOCK_NAME).exists():
        return False  # no restore ever ran here: no lock file made
    with _locked(data_dir) as taken:
        return not taken


def remove_leftovers(data_dir):
    """Remove the work copies that restores killed outright left in `data_dir`, unless a restore is running
    there now (its copy is in use: it removes its own when it ends)."""
    if not _leftovers(data_dir):
        return  # the usual start: no lock file made
    with _locked(data_dir) as taken:
        if taken:
            _remove_copies(data_dir)


def _leftovers(data_dir):
    data_dir = Path(data_dir)
    return [*data_dir.glob(WORK_COPIES), *data_dir.glob(WORK_FOLDER.format("*"))]


def _remove_copies(data_dir):
    for path in _leftovers(data_dir):
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
        except OSError as exc:  # never a reason not to start or restore; the next try removes it
            log.warning("无法删除上次中断的恢复留下的临时文件 %s：%s", path, exc)
        else:
            log.info("已删除上次中断的恢复留下的临时文件 %s", path)


@contextmanager
def _locked(data_dir):
    """Try to take the lock without waiting; yields whether it was taken, and releases it after the block."""
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    handle = os.open(Path(data_dir) / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        taken = _try_lock(handle)
        try:
            yield taken
        finally:
            if taken:
                _unlock(handle)
    finally:
        os.close(handle)


if sys.platform == "win32":
    import msvcrt

    # Windows locks byte ranges of an open handle: the first byte (the file may be empty) stands for the file.
    def _try_lock(handle):
        os.lseek(handle, 0, os.SEEK_SET)
        try:
            msvcrt.locking(handle, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(handle):
        os.lseek(handle, 0, os.SEEK_SET)
        msvcrt.locking(handle, msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    # flock, not fcntl's record locks: flock's belongs to the open file, so a second open in the same
    # process is refused too, and closing some other handle on the file does not drop it.
    def _try_lock(handle):
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(handle):
        fcntl.flock(handle, fcntl.LOCK_UN)
