"""Read an uploaded .xlsx, .xls or .csv into rows of text, with headers matched to a column spec.

Every cell becomes text before any validation (sheets/cells.py: in the worker process for Excel files):
an ID that Excel stored as a number comes out in the scientific notation Excel shows
(4.10102199001011E+17), so the validator refuses it with a message instead of the import storing a
rounded number. CSVs are decoded strictly: BOM, then UTF-8, then GB18030 (what Chinese Excel writes as
"CSV"), never with replacement characters.

`opened()` hands the rows on as they arrive, so an import checks the first rows while the worker still
sends the last; `read()` reads them all first.
"""
import codecs
import csv
import io
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from . import isolated, precheck
from .cells import stripped_text
from .precheck import SheetError
from .spec import GUIDE_SHEET, MARKER_SHEET, REPORT_COLUMN, normalise_header, parse_marker

EXCEL_EXTENSIONS = (".xlsx", ".xlsm", ".xls")
EXTENSIONS = EXCEL_EXTENSIONS + (".csv",)
# Rows scanned for the header row: some files carry a title line or two above it.
HEADER_SEARCH_ROWS = 10
# Characters of cell text an Excel file may bring into the web process: 100,000 real rows hold ~10
# million; the worker's 1 GB would let ~1,000 million through (a long text copied into every cell), and
# the web process keeps all of it while checking. A CSV is bounded by the upload's size.
MAX_TEXT_CHARS = 30_000_000
_ZIP_MAGIC, _OLE_MAGIC = b"PK\x03\x04", b"\xd0\xcf\x11\xe0"


@dataclass
class Table:
    """What a reader found: the matched columns and the non-empty data rows as text."""
    file_kind: str                           # xlsx, xls or csv
    columns: list                            # the spec's Columns present in the file, in file order
    # (spreadsheet row number, {key: text}): a list from read(), an iterator inside opened(), which
    # raises SheetError where the file turns out unreadable (too many rows, the worker's limits).
    rows: object = field(default_factory=list)
    unknown: list = field(default_factory=list)  # headers that match no column (ignored)
    encoding: str = ""                       # for CSVs: the encoding detected
    marker: tuple = None                     # (kind, version) of a CertDesk template, if any
    sheet: str = ""
    expected: int = 0                        # rows below the header, blank ones included: for progress
    count: int = 0                           # data rows handed on so far
    first: tuple = None                      # the first of them, for describe()

    @property
    def keys(self):
        return [c.key for c in self.columns]

    def describe(self, spec):
        """What the preview says about how the file was read: format, encoding with a sample row (sensitive
        cells masked), the columns ignored and, for an outdated template, what changed since."""
        sample = []
        if self.first:
            number, raw = self.first
            sample = [number, [[c.header, _shown(c.mask(raw[c.key]) if c.sensitive else raw[c.key])] for c in self.columns]]
        # Cut to what a person reads: every status poll shows them, and a header row may hold thousands
        # of names of thousands of characters.
        return {"file_kind": self.file_kind, "sheet": self.sheet, "encoding": self.encoding, "sample": sample,
                "unknown": [_shown(name) for name in self.unknown[:UNKNOWN_SHOWN]], "unknown_total": len(self.unknown),
                "notes": outdated(self.marker, spec)}


UNKNOWN_SHOWN = 20  # names of ignored columns the preview lists


def _shown(text, limit=60):
    return text if len(text) <= limit else text[:limit] + "…"


def read(path, spec, filename=None, max_rows=None, known=()):
    """Read the file at `path` (its name, for the extension, is `filename`) as a Table for `spec`, every
    row read. `known`: the other specs, so a workbook made from another CertDesk template is refused by name."""
    with opened(path, spec, filename, max_rows, known) as table:
        table.rows = list(table.rows)
    return table


@contextmanager
def opened(path, spec, filename=None, max_rows=None, known=()):
    """The file at `path` as a Table for `spec` whose rows are read while they are iterated, inside the
    `with` (the worker process parsing an Excel file stays until it ends); as read() otherwise."""
    path = Path(path)
    extension = check_extension(filename or path.name, spec)
    with path.open("rb") as handle:
        head = handle.read(8)
    if not head:
        raise SheetError("文件是空的（0 字节），请重新选择文件")
    if head.startswith(_ZIP_MAGIC) or head.startswith(_OLE_MAGIC):
        if extension == ".csv":
            raise SheetError("文件扩展名是 .csv，但内容是 Excel 工作簿：请把扩展名改为 .xlsx 后重新上传")
        with _excel(path, extension, spec, max_rows, known) as table:
            yield table
        return
    if extension != ".csv":
        raise SheetError(f"文件扩展名是 {extension}，但内容不是 Excel 工作簿（可能已损坏，或是改了扩展名的其他文件）；"
                         "请在 Excel 中打开后「另存为」.xlsx 再上传")
    yield _read_csv(path, spec, max_rows)


def check_extension(filename, spec):
    """The file's extension when it is one the readers accept; else SheetError naming what is accepted."""
    extension = Path(filename).suffix.lower()
    if extension not in EXTENSIONS:
        shown = extension or "（无扩展名）"
        raise SheetError(f"不支持的文件类型「{shown}」：请上传 .xlsx、.xls 或 .csv 文件"
                         f"（可先下载「{spec.template_name}」填写）")
    return extension


# ---- Excel -----------------------------------------------------------------------------------------
@contextmanager
def _excel(path, extension, spec, max_rows, known):
    # Parsed in a child process (sheets/isolated.py): the spec's own sheet when present, else the
    # first visible worksheet that is not the guide.
    with isolated.excel_sheet(path, spec.title, skip=(GUIDE_SHEET, MARKER_SHEET), marker_sheet=MARKER_SHEET,
                              max_rows=max_rows, header_rows=HEADER_SEARCH_ROWS, max_text=MAX_TEXT_CHARS) as sheet:
        marker = parse_marker(sheet.marker) if sheet.marker is not None else None
        _refuse_other_template(marker, spec, known)
        table = _table(sheet.rows, spec, "xls" if extension == ".xls" else "xlsx", max_rows, marker, sheet.height)
        table.sheet = sheet.name
        yield table


# ---- CSV -------------------------------------------------------------------------------------------
ENCODINGS = (("utf-8", "UTF-8"), ("gb18030", "GBK（GB18030）"))
# The csv module's own field limit (131,072 characters) raises a bare csv.Error that names neither row
# nor column. The whole file is already in memory, bounded by the upload limit, so fields are let
# through whole and the same 32,767-character rule as Excel's refuses a long cell, naming it. Set
# once for the process (the limit is the module's, not a reader's); it only ever widens it.
csv.field_size_limit(max(csv.field_size_limit(), 2 ** 31 - 1))


def decode(data):
    """(text, encoding label): a BOM wins, then strict UTF-8, then strict GB18030; never a guess that garbles."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8):].decode("utf-8"), "UTF-8（带 BOM）"
        except UnicodeDecodeError:
            raise SheetError("文件开头标明为 UTF-8 编码，但内容含有无法识别的字符：请在 Excel 中另存为「CSV UTF-8」后重新上传")
    for bom, codec, label in ((codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"), (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16")):
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(codec), label
            except UnicodeDecodeError:
                break
    if b"\x00" in data[:4096]:
        raise SheetError("文件不是文本格式的 CSV：请上传 .xlsx，或在 Excel 中另存为「CSV UTF-8」")
    for codec, label in ENCODINGS:
        try:
            return data.decode(codec), label
        except UnicodeDecodeError:
            continue
    raise SheetError("无法识别文件编码（既不是 UTF-8 也不是 GBK）：请在 Excel 中另存为「CSV UTF-8」或直接上传 .xlsx")


def _read_csv(path, spec, max_rows):
    if max_rows:
        precheck.check_csv(path, max_rows, HEADER_SEARCH_ROWS)
    content, encoding = decode(path.read_bytes())
    first_line = content.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first_line.count) if first_line else ","
    # strict: a quote never closed is refused, naming its row; else it took every line after it into one cell,
    # and those rows were silently not imported (review).
    rows = _csv_rows(csv.reader(io.StringIO(content, newline=""), delimiter=delimiter, strict=True))
    # Lines, not records (a quoted cell may hold a line break): only what the progress is measured against.
    table = _table(rows, spec, "csv", max_rows, height=content.count("\n") + 1)
    table.encoding = encoding
    return table


def _csv_rows(reader, same_within=1000):
    """The records of a CSV reader as rows of text, a record's number being its row's; SheetError naming
    the row for a cell longer than Excel allows or a record the csv module cannot read. Equal texts within
    `same_within` records are one string, as the worker sends Excel rows."""
    number, same = 0, {}
    while True:
        number += 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error:
            raise SheetError(f"文件第 {number} 行无法按 CSV 格式读取，请在 Excel 中打开后另存为「CSV UTF-8」或 .xlsx 再上传")
        if row and max(map(len, row)) > precheck.MAX_CELL_CHARS:
            position = next(p for p, cell in enumerate(row) if len(cell) > precheck.MAX_CELL_CHARS)
            raise SheetError(precheck.long_cell(number, position, row[position]))
        if number % same_within == 0:
            same = {}
        yield [same.setdefault(text, text) for text in map(stripped_text, row)]


# ---- header matching and rows ----------------------------------------------------------------------
def _table(rows, spec, file_kind, max_rows, marker=None, height=0):
    """Find the header row among the first `rows` (lists of cell texts; `height` of them, blank ones
    included) and match it to the spec: a Table whose rows are the non-empty ones below it, as they come."""
    index = spec.header_index()
    rows = iter(rows)
    scanned, header, header_number = [], None, 0
    for number, cells in enumerate(rows, start=1):
        scanned.append(cells)
        if sum(normalise_header(c) in index for c in cells if c) >= min(2, len(spec.columns)):
            header, header_number = cells, number
            break
        if number >= HEADER_SEARCH_ROWS:
            break
    if header is None:
        filled = [(n, cells) for n, cells in enumerate(scanned, start=1) if any(cells)]
        if not filled:
            raise SheetError("文件中没有数据：工作表是空的。请在「" + spec.template_name + "」中填写后上传")
        header_number, header = filled[0]
        # Rows read past the header while searching are data again.
        rows = _chain(scanned[header_number:], rows)

    positions, unknown, seen = {}, [], {}
    # An error report's 错误原因 and an export's own columns are CertDesk's: skipped without a note.
    ours = {normalise_header(name) for name in (REPORT_COLUMN, *(c.header for c in spec.export_only))}
    for position, name in enumerate(header):
        if not name:
            continue
        column = index.get(normalise_header(name))
        if column is None:
            if normalise_header(name) not in ours:
                unknown.append(name)
            continue
        if column.key in seen:
            raise SheetError(f"表头「{column.header}」出现了两次（第 {_letter(seen[column.key])} 列和第 {_letter(position)} 列），"
                             "请删除多余的一列后重新上传")
        seen[column.key] = position
        positions[position] = column
    missing = [c.header for c in spec.required if c.key not in seen]
    if missing:
        message = (f"缺少必填列：{'、'.join(missing)}。请使用「{spec.template_name}」，"
                   f"或在第 {header_number} 行（表头）补上这些列名")
        raise SheetError(message + "".join("；" + line for line in outdated(marker, spec)))

    ordered = sorted(positions.items())
    table = Table(file_kind=file_kind, columns=[c for _, c in ordered], unknown=unknown, marker=marker,
                  expected=max(height - header_number, 0))
    table.rows = _data_rows(table, rows, header_number + 1, [p for p, _ in ordered], max_rows, spec.noun)
    return table


def _data_rows(table, rows, first_number, wanted, max_rows, noun):
    """The non-empty `rows` (numbered from `first_number`) as (row number, {key: text}) of the wanted
    positions, counted on `table`; SheetError beyond `max_rows`, or when there is none."""
    keys = table.keys
    width, padding = max(wanted) + 1, [""] * (max(wanted) + 1)
    limit = max_rows or float("inf")
    for number, cells in enumerate(rows, start=first_number):
        if len(cells) < width:
            cells = cells + padding[len(cells):]
        texts = [cells[position] for position in wanted]
        if not any(texts):
            continue
        if table.count >= limit:
            raise SheetError(f"文件超过 {max_rows:,} 行的上限，请拆分为多个文件分批导入")
        row = number, dict(zip(keys, texts))
        table.count += 1
        if table.first is None:
            table.first = row
        yield row
    if not table.count:
        raise SheetError(f"文件只有表头，没有{noun}数据：请从第 {first_number} 行开始填写后重新上传")


def _chain(first, rest):
    yield from first
    yield from rest


def _letter(position):
    """Excel's column letter for a zero-based position (0 -> A, 27 -> AB)."""
    letters = ""
    position += 1
    while position:
        position, remainder = divmod(position - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _refuse_other_template(marker, spec, known):
    if marker and marker[0] != spec.kind:
        other = next((s for s in known if s.kind == marker[0]), None)
        name = f"「{other.template_name}」" if other else "其他模板"
        raise SheetError(f"这个文件是用{name}填写的，不是「{spec.template_name}」：请选择正确的文件，"
                         f"或下载「{spec.template_name}」重新填写")


def outdated(marker, spec):
    """Lines saying the file's template is older than the current one and what changed since, if so."""
    if not marker or marker[0] != spec.kind or marker[1] >= spec.version:
        return []
    return ([f"此文件使用的是旧版模板（第 {marker[1]} 版），当前为第 {spec.version} 版"]
            + spec.changes_since(marker[1]))
