"""Parse untrusted spreadsheets in a child process with a memory and a time limit.

python-calamine is Rust: an allocation it cannot make aborts the process (a value in XFD1048576 asks
for 512 GB) and a panic arrives as pyo3's PanicException, a BaseException. Either used to end the
whole server. Here the parse runs in a fresh interpreter (`python -c`, not multiprocessing: that would
import the server's __main__ in the child) whose address space is capped with RLIMIT_AS, and which the
parent kills after TIME_LIMIT seconds; whatever ends it early becomes a SheetError with a Chinese
message, and only that one upload fails. The child checks the file first (sheets/precheck.py), then
streams the rows back through a pipe in pickled chunks, which the parent unpickles with only the
datetime types allowed: even a child taken over by a hostile file can send nothing but data.

On Windows, which has no `resource` module, the child is still a separate process with the time limit,
and the pre-checks bound what it is asked to allocate; its memory is not capped.
"""
import importlib
import json
import logging
import os
import pickle
import subprocess
import sys
import tempfile
import threading
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from . import precheck
from .precheck import SheetError

MEMORY_LIMIT = 1024 * 1024 * 1024  # bytes of address space for the child
TIME_LIMIT = 60  # seconds from start to the last row
CHUNK_ROWS = 1000
# Excel's own limit for a cell; a longer one can only come from a hand-made file, and copies of it
# (one per cell that uses a shared string) are what would exhaust memory.
MAX_CELL_CHARS = 32_767
log = logging.getLogger("certdesk.sheets")

_ROOT = str(Path(__file__).resolve().parent.parent)
_BOOT = "import sys; sys.path.insert(0, sys.argv[1]); from sheets.isolated import _child; _child()"
_TYPES = {("datetime", name) for name in ("datetime", "date", "time", "timedelta")}

OUT_OF_TIME = "文件无法读取：{seconds} 秒内未能读完（文件过大或已损坏），请拆分为多个文件，或在 Excel 中打开后另存为 .xlsx 再上传"
OUT_OF_MEMORY = ("文件无法读取：读取时所需内存超过 {limit} 的上限（可能含有超长的单元格或大片多余的单元格），"
                 "请删除多余的内容，在 Excel 中另存为 .xlsx 后重新上传")
CRASHED = "文件无法读取：读取程序意外退出（文件可能已损坏），请在 Excel 中打开后另存为 .xlsx 再上传"
PASSWORD = "文件设置了打开密码，请在 Excel 中取消密码后重新上传"
NO_SHEET = "文件中没有可读取的工作表"
LONG_CELL = ("第 {row} 行 {column} 列的单元格有 {length:,} 个字符，超过 Excel 单元格 32,767 个字符的上限："
             "请删除超长的内容后重新上传")


@dataclass
class Sheet:
    name: str
    marker: object  # the first cell of the marker sheet, if the workbook has one
    rows: object    # an iterator of rows, each a list of cell values as python-calamine gives them


@contextmanager
def excel_sheet(path, prefer, skip=(), marker_sheet=None, max_rows=None, header_rows=0):
    """The data sheet of the .xlsx/.xls at `path`, read in a child process, as a Sheet.

    The data sheet is `prefer` when present, else the first visible worksheet not named in `skip`.
    With `max_rows`, a sheet reaching further down than `max_rows` + `header_rows` is refused unread.
    SheetError, raised here or while the rows are iterated, says why the file cannot be read.
    """
    request = {"path": str(path), "prefer": prefer, "skip": list(skip), "marker_sheet": marker_sheet,
               "max_rows": max_rows, "header_rows": header_rows}
    frames = run("sheets.isolated:read_excel", request)
    try:
        first = next(frames, None)
        if first is None or first[0] != "sheet":
            raise SheetError(CRASHED)
        yield Sheet(first[1], first[2], (row for _, chunk in frames for row in chunk))
    finally:
        frames.close()


def run(entry, request, seconds=TIME_LIMIT, memory=MEMORY_LIMIT):
    """Run `entry` ("module:function", called as function(request, send)) in a child process and yield
    each frame it sends; SheetError for a refusal it sends, or for whatever ended it early."""
    expired = threading.Event()
    with tempfile.TemporaryFile() as errors:
        child = subprocess.Popen([sys.executable, "-c", _BOOT, _ROOT, entry, str(memory)],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors,
                                 creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0))
        timer = threading.Timer(seconds, lambda: (expired.set(), child.kill()))
        timer.start()
        try:
            try:
                child.stdin.write(json.dumps(request).encode())
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
        return OUT_OF_MEMORY.format(limit=_size(memory))
    return CRASHED


def _size(memory):
    return f"{memory / 2 ** 30:g} GB" if memory >= 2 ** 30 else f"{memory // 2 ** 20} MB"


# ---- the child -------------------------------------------------------------------------------------
def _child():
    """The child's main: limits first, then the entry named on the command line; frames to stdout."""
    entry, memory = sys.argv[2], int(sys.argv[3])
    try:
        import resource
    except ImportError:  # Windows: the pre-checks and the time limit still apply
        resource = None
    if resource is not None:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        memory = memory if hard == resource.RLIM_INFINITY else min(memory, hard)
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # an abort must not leave a 1 GB core file
    # Frames go to the real stdout; anything else printing (Rust's panic hook included) goes to stderr.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def send(frame):
        # Pickled whole before it is written: a MemoryError cannot leave half a frame in the pipe.
        out.write(pickle.dumps(frame, protocol=pickle.HIGHEST_PROTOCOL))
        out.flush()

    try:
        request = json.loads(sys.stdin.buffer.read())
        module, name = entry.split(":")
        getattr(importlib.import_module(module), name)(request, send)
        send(("end",))
    except SheetError as exc:
        send(("refused", str(exc)))
    except MemoryError:
        send(("refused", OUT_OF_MEMORY.format(limit=_size(memory))))
    except BaseException:  # pyo3's PanicException is a BaseException
        import traceback
        traceback.print_exc()
        send(("refused", CRASHED))
    out.close()


def read_excel(request, send):
    """The child's work: check the file, open it, pick the data sheet, send its rows in chunks."""
    import python_calamine
    path = request["path"]
    try:
        archive = zipfile.ZipFile(path) if zipfile.is_zipfile(path) else None  # .xlsx; .xls is OLE
    except (zipfile.BadZipFile, OSError):
        raise SheetError(precheck.NOT_A_WORKBOOK)
    try:
        if archive is not None:
            precheck.check_workbook(archive)
        try:
            book = python_calamine.CalamineWorkbook.from_path(path)
        except python_calamine.PasswordError:
            raise SheetError(PASSWORD)
        except Exception:
            raise SheetError(precheck.NOT_A_WORKBOOK)
        name = _data_sheet(book, request["prefer"], request["skip"])
        marker = None
        if request["marker_sheet"] in book.sheet_names:
            marker = _first_cell(book, archive, request["marker_sheet"])
        if archive is not None:
            precheck.check_sheet(archive, name, request["max_rows"], request["header_rows"])
        send(("sheet", name, marker))
        _send_rows(load_rows(book, name), send)
    finally:
        if archive is not None:
            archive.close()


def load_rows(book, name):
    """The parse itself: calamine reads the whole sheet here."""
    return book.get_sheet_by_name(name).iter_rows()


def _data_sheet(book, prefer, skip):
    """`prefer` when present, else the first visible worksheet not named in `skip`."""
    import python_calamine
    if prefer in book.sheet_names:
        return prefer
    for meta in book.sheets_metadata:
        if (meta.visible == python_calamine.SheetVisibleEnum.Visible
                and meta.typ == python_calamine.SheetTypeEnum.WorkSheet
                and meta.name not in skip):
            return meta.name
    raise SheetError(NO_SHEET)


def _first_cell(book, archive, name):
    if archive is not None:
        precheck.check_sheet(archive, name)
    for row in load_rows(book, name):
        return row[0] if row else None
    return None


def _send_rows(rows, send):
    chunk = []
    for number, row in enumerate(rows, start=1):
        for position, value in enumerate(row):
            if value.__class__ is str and len(value) > MAX_CELL_CHARS:
                raise SheetError(LONG_CELL.format(row=number, column=precheck.column_letters(position + 1), length=len(value)))
        chunk.append(row)
        if len(chunk) == CHUNK_ROWS:
            send(("rows", chunk))
            chunk = []
    if chunk:
        send(("rows", chunk))
