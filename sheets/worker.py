"""What the worker process runs: its limits, then the parse, sending frames to the web process.

Started by sheets/isolated.py as `python -I -S -c` with the path it needs, so it imports only what is
here (no server, no site packages' start-up hooks), usually before its work exists: it reads the work
from stdin once it has set its limits. Frames are tuples pickled one by one to stdout:
("sheet", name, marker cell, rows it reaches down to), ("rows", [row, ...]) every CHUNK_ROWS rows, then
("end",) or ("refused", message). Each row is a list of its cells as text (sheets/cells.py): made here,
beside the web process checking the rows already sent. Domain-free: it knows sheets by name, rows as
lists of cell texts.
"""
import importlib
import json
import os
import pickle
import sys
import traceback
import zipfile

import python_calamine

from . import precheck
from .cells import stripped_text
from .precheck import SheetError

try:
    import resource
except ImportError:  # Windows: the pre-checks and the time limit still apply
    resource = None

CHUNK_ROWS = 1000

OUT_OF_MEMORY = ("文件无法读取：读取时所需内存超过 {limit} 的上限（可能含有超长的单元格或大片多余的单元格），"
                 "请删除多余的内容，在 Excel 中另存为 .xlsx 后重新上传")
CRASHED = "文件无法读取：读取程序意外退出（文件可能已损坏），请在 Excel 中打开后另存为 .xlsx 再上传"
PASSWORD = "文件设置了打开密码，请在 Excel 中取消密码后重新上传"
NO_SHEET = "文件中没有可读取的工作表"


def main(memory):
    """Cap the address space at `memory` bytes, then wait for the work on stdin ({"entry": "module:function",
    "request": ...}), run it and end with a frame saying how it went."""
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

    work = sys.stdin.buffer.read()
    if not work:
        return  # started ahead of a request that never came (its web process ended)
    try:
        work = json.loads(work)
        module, name = work["entry"].split(":")
        getattr(importlib.import_module(module), name)(work["request"], send)
        send(("end",))
    except SheetError as exc:
        send(("refused", str(exc)))
    except MemoryError:
        send(("refused", OUT_OF_MEMORY.format(limit=size(memory))))
    except BaseException:  # pyo3's PanicException is a BaseException
        traceback.print_exc()
        send(("refused", CRASHED))
    out.close()


def size(memory):
    """A memory limit as the messages state it: 1 GB, 256 MB."""
    return f"{memory / 2 ** 30:g} GB" if memory >= 2 ** 30 else f"{memory // 2 ** 20} MB"


def read_excel(request, send):
    """Check the .xlsx/.xls file, open it, pick the data sheet and send its rows in chunks."""
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
        sheet = load_sheet(book, name)
        # iter_rows() starts at the sheet's first row, blank or not, and ends at its range's last one.
        send(("sheet", name, marker, sheet.end[0] + 1 if sheet.end else 0))
        _send_rows(sheet.iter_rows(), send, request.get("max_text") or float("inf"))
    finally:
        if archive is not None:
            archive.close()


def load_sheet(book, name):
    """The parse itself: calamine reads the whole sheet here."""
    return book.get_sheet_by_name(name)


def _data_sheet(book, prefer, skip):
    """`prefer` when present, else the first visible worksheet not named in `skip`."""
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
    for row in load_sheet(book, name).iter_rows():
        return row[0] if row else None
    return None


def _send_rows(rows, send, max_text):
    """Send the rows as text, CHUNK_ROWS at a time, refusing a cell longer than Excel allows or text beyond
    `max_text` in all, naming the row. Equal texts within a chunk are one string, pickled once: the columns
    of few values (汉族, 居民身份证 …) cost the web process one string each, not one a cell."""
    chunk, text, same = [], 0, {}
    for number, row in enumerate(rows, start=1):
        texts = []
        for position, value in enumerate(row):
            if value.__class__ is str:
                if len(value) > precheck.MAX_CELL_CHARS:
                    raise SheetError(precheck.long_cell(number, position, value))
                text += len(value)
            value = stripped_text(value)
            texts.append(same.setdefault(value, value))
        if text > max_text:
            raise SheetError(precheck.TOO_MUCH_TEXT.format(limit=max_text, row=number))
        chunk.append(texts)
        if len(chunk) == CHUNK_ROWS:
            send(("rows", chunk))
            chunk, same = [], {}
    if chunk:
        send(("rows", chunk))
