"""Parse untrusted spreadsheets in a child process with a memory and a time limit.

python-calamine is Rust: an allocation it cannot make aborts the process (a value in XFD1048576 asks
for 512 GB) and a panic arrives as pyo3's PanicException, a BaseException. Either used to end the
whole server. Here the parse runs in a fresh interpreter (`python -c`, not multiprocessing: that would
import the server's __main__ in the child) whose address space is capped with RLIMIT_AS, and which the
parent kills TIME_LIMIT seconds after handing it the file; whatever ends it early becomes a SheetError
with a Chinese message, and only that one upload fails. Each worker reads one file; the next file's is
started as soon as one is done, and waits, so that Python's start is not part of an upload's wait. The
child (sheets/worker.py) checks the file first
(sheets/precheck.py), then streams the rows back as text through a pipe in pickled chunks, which the
parent unpickles with only the datetime types allowed (even a child taken over by a hostile file can send
nothing but data) and checks as they come, while the child converts the next ones.

On Windows, which has no `resource` module, the child is still a separate process with the time limit,
and the pre-checks bound what it is asked to allocate; its memory is not capped.
"""
import json
import logging
import os
import pickle
import subprocess
import sys
import tempfile
import threading
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from .precheck import SheetError
from .worker import CRASHED, OUT_OF_MEMORY, size

MEMORY_LIMIT = 1024 * 1024 * 1024  # bytes of address space for the child
TIME_LIMIT = 60  # seconds from start to the last row
log = logging.getLogger("certdesk.sheets")

_ROOT = str(Path(__file__).resolve().parent.parent)
# -I -S: the worker's path is the one given, and no site start-up hook runs (it would cost more than
# the rest of the start).
_BOOT = "import json, sys; sys.path[:0] = json.loads(sys.argv[1]); from sheets.worker import main; main(int(sys.argv[2]))"
_TYPES = {("datetime", name) for name in ("datetime", "date", "time", "timedelta")}

OUT_OF_TIME = "文件无法读取：{seconds} 秒内未能读完（文件过大或已损坏），请拆分为多个文件，或在 Excel 中打开后另存为 .xlsx 再上传"

@dataclass
class Sheet:
    name: str
    marker: object  # the first cell of the marker sheet, if the workbook has one
    height: int     # the rows `rows` will give, blank ones included
    rows: object    # an iterator of rows, each a list of its cells as text (sheets/cells.py)


@contextmanager
def excel_sheet(path, prefer, skip=(), marker_sheet=None, max_rows=None, header_rows=0, max_text=None):
    """The data sheet of the .xlsx/.xls at `path`, read in a child process, as a Sheet.

    The data sheet is `prefer` when present, else the first visible worksheet not named in `skip`.
    With `max_rows`, a sheet reaching further down than `max_rows` + `header_rows` is refused unread;
    with `max_text`, one whose cells hold more characters than that is refused as soon as it does.
    SheetError, raised here or while the rows are iterated, says why the file cannot be read.
    """
    request = {"path": str(path), "prefer": prefer, "skip": list(skip), "marker_sheet": marker_sheet,
               "max_rows": max_rows, "header_rows": header_rows, "max_text": max_text}
    frames = run("sheets.worker:read_excel", request)
    try:
        first = next(frames, None)
        if first is None or first[0] != "sheet":
            raise SheetError(CRASHED)
        yield Sheet(first[1], first[2], first[3], (row for _, chunk in frames for row in chunk))
    finally:
        frames.close()


def run(entry, request, seconds=TIME_LIMIT, memory=MEMORY_LIMIT):
    """Run `entry` ("module:function", called as function(request, send)) in a child process and yield
    each frame it sends; SheetError for a refusal it sends, or for whatever ended it early."""
    expired = threading.Event()
    child, errors = _Worker.take(memory)
    with errors:
        timer = threading.Timer(seconds, lambda: (expired.set(), child.kill()))
        timer.daemon = True  # a server stopping does not wait for it
        timer.start()
        try:
            try:
                child.stdin.write(json.dumps({"entry": entry, "request": request}).encode())
                child.stdin.close()
            except BrokenPipeError:
                pass  # it died at once: its exit says why
            while (frame := _read_frame(child.stdout)) is not None:
                if frame[0] == "end":
                    return
                if frame[0] == "refused":
                    raise SheetError(frame[1])
                yield frame
            # At the end of the stream the child has exited; after a frame that is not data it may be
            # blocked writing the next one.
            child.kill()
            child.wait()
            raise SheetError(_why_it_ended(child.returncode, expired.is_set(), errors, seconds, memory))
        finally:
            timer.cancel()
            if child.poll() is None:
                child.kill()
            child.wait()
            child.stdout.close()
            with suppress(OSError):  # after a broken pipe, closing flushes into it again
                child.stdin.close()
            _Worker.prepare(memory)  # the next file's, while this one's rows are checked


class _Worker:
    """Worker processes started before their work exists, one waiting per memory limit in each web process:
    starting Python and importing what the worker needs is ~30 ms of every upload's wait (docs/security.md).
    Each still does the work of one file only, then ends."""
    waiting = {}  # memory limit -> (process, its stderr file, the pid of the web process that started it)
    lock = threading.Lock()

    @classmethod
    def take(cls, memory):
        """(process, stderr file) of a started worker that waits for its work: the one made ready, or a new one."""
        with cls.lock:
            ready = cls.waiting.pop(memory, None)
        if ready is not None:
            child, errors, owner = ready
            # A forked web process does not own its parent's worker; one that died waiting is of no use.
            if owner == os.getpid() and child.poll() is None:
                return child, errors
            cls._discard(child, errors)
        return cls._start(memory)

    @classmethod
    def prepare(cls, memory):
        """Start a worker for the next file, unless one waits already."""
        with cls.lock:
            if memory in cls.waiting:
                return
            cls.waiting[memory] = (*cls._start(memory), os.getpid())

    @staticmethod
    def _start(memory):
        errors = tempfile.TemporaryFile()
        path = json.dumps([_ROOT] + [p for p in sys.path if isinstance(p, str)])
        child = subprocess.Popen([sys.executable, "-I", "-S", "-c", _BOOT, path, str(memory)],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors,
                                 creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0))
        return child, errors

    @staticmethod
    def _discard(child, errors):
        with suppress(OSError):
            child.kill()
            child.wait()
        errors.close()


class _Unpickler(pickle.Unpickler):
    """Plain data and datetimes only: nothing a frame holds can run code in the web process."""

    def find_class(self, module, name):
        if (module, name) not in _TYPES:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed from the worker")
        return super().find_class(module, name)


def _read_frame(stream):
    """The next frame, or None at the end of the stream or for one that is not data.

    A fresh unpickler each time: every frame was pickled on its own, and what it refers back to is
    numbered from its own start (one unpickler would number on from the frames before).
    """
    try:
        return _Unpickler(stream).load()
    except Exception:  # truncated by a death, or not data: the exit and stderr say which
        return None


def _why_it_ended(code, expired, errors, seconds, memory):
    # Rust says "memory allocation of N bytes failed" first, then a backtrace: the head and the tail.
    errors.seek(0)
    said = errors.read(1024)
    errors.seek(max(len(said), errors.seek(0, os.SEEK_END) - 1024))
    said = (said + b"\n...\n" + errors.read()).decode("utf-8", "replace")
    log.warning("spreadsheet worker ended early (exit %s, timed out %s): %s", code, expired, said)
    if expired:
        return OUT_OF_TIME.format(seconds=seconds)
    if "memory allocation of" in said or "MemoryError" in said:
        return OUT_OF_MEMORY.format(limit=size(memory))
    return CRASHED
