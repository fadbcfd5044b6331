"""Cheap checks of an uploaded spreadsheet from the file itself, before a parser is given it.

A parser sizes its work by what the file says: python-calamine allocates a 32-byte cell for every
position between A1 and the farthest cell holding a value, so a few-KB .xlsx with one value in
XFD1048576 asks for 512 GB and aborts the process. These checks read only the zip directory, the
workbook's sheet list and the sheet's XML as a stream (never all of it at once), and refuse a file whose
extent is absurd or beyond the import's row limit with a message naming the far cell and the fix.

They are tuned for the files people make by mistake (Excel and most tools write cells in order and an
accurate <dimension>); a file built to get past them still meets the limits of the worker process that
parses it (sheets/isolated.py). Domain-free: nothing here knows what the rows mean.
"""
import re
import posixpath
import xml.etree.ElementTree as ElementTree
import zipfile
import zlib

# The widest sheet read: Excel 97-2003's limit (IV), so no .xls can pass it and no import needs more.
MAX_COLUMNS = 256
# calamine's grid is ~32 bytes a cell: 10 million cells are ~320 MB of the worker's 1 GB.
MAX_CELLS = 10_000_000
# Uncompressed sizes: calamine reads the shared strings whole when it opens a workbook; a sheet bigger
# than this takes longer to read than the worker is given.
MAX_SHARED_STRINGS_BYTES = 256 * 1024 * 1024
MAX_PART_BYTES = 1024 * 1024 * 1024
# workbook.xml and its relationships are parsed whole (to find the data sheet's part): they are small.
MAX_INDEX_BYTES = 16 * 1024 * 1024
CHUNK = 1024 * 1024
# Excel's own limit for a cell; a longer one can only come from a hand-made file, and copies of it
# (one per cell that uses a shared string) are what would exhaust memory.
MAX_CELL_CHARS = 32_767

NOT_A_WORKBOOK = "文件无法读取：不是有效的 Excel 工作簿（可能已损坏），请在 Excel 中打开后另存为 .xlsx 再上传"
FAR_CELL = "文件无法读取：工作表范围异常（{cell}），请删除多余的单元格后重新上传"
TOO_MANY_ROWS = ("文件超过 {max_rows:,} 行的上限：工作表「{sheet}」的内容一直到第 {row:,} 行（单元格 {cell}）。"
                 "请拆分为多个文件分批导入；如果其中多是空行或多余的单元格，请在 Excel 中删除后重新上传")
TOO_BIG = "文件无法读取：{part}解压后有 {size} MB，超过 {limit} MB 的上限，请删除多余的内容或拆分为多个文件后重新上传"

LONG_CELL = ("第 {row} 行 {column} 列的单元格有 {length:,} 个字符，超过 Excel 单元格 32,767 个字符的上限："
             "请删除超长的内容后重新上传")

TOO_MUCH_TEXT = ("文件无法读取：单元格中的文字到第 {row:,} 行已超过 {limit:,} 个字，远超一份名单所需"
                 "（可能粘贴了大段内容或重复的长文本），请删除多余的内容后重新上传")

_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="(?:[A-Z]+[0-9]+:)?([A-Z]{1,3})([0-9]{1,7})"')
_ROW = b'<row r="'


class SheetError(ValueError):
    """The whole file is refused, with one message that names what is wrong and how to fix it."""


def long_cell(row, position, value):
    """The refusal of a cell over MAX_CELL_CHARS at `row` and zero-based column `position`."""
    return LONG_CELL.format(row=row, column=column_letters(position + 1), length=len(value))


def column_number(letters):
    """1 for A, 27 for AA, 16384 for XFD."""
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def column_letters(number):
    """A for 1, AA for 27, XFD for 16384."""
    letters = ""
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


# ---- .xlsx -----------------------------------------------------------------------------------------
def check_workbook(archive):
    """The parts calamine reads when it opens a workbook are of a size it can hold."""
    for info in archive.infolist():
        limit = MAX_SHARED_STRINGS_BYTES if info.filename.lower().endswith("sharedstrings.xml") else MAX_PART_BYTES
        if info.file_size > limit:
            part = "共享字符串（sharedStrings.xml）" if limit == MAX_SHARED_STRINGS_BYTES else f"「{info.filename}」"
            raise SheetError(TOO_BIG.format(part=part, size=f"{info.file_size // 2 ** 20:,}", limit=limit // 2 ** 20))


def check_sheet(archive, name, max_rows=None, header_rows=0):
    """Refuse the sheet `name` when its extent is absurd or, with `max_rows`, beyond the row limit.

    The rows above the data (up to `header_rows`) do not count against `max_rows`. A sheet whose part
    cannot be found is left to the worker's limits.
    """
    part = sheet_parts(archive).get(name)
    if part not in archive.namelist():
        return
    limit = _Extent(name, max_rows + header_rows if max_rows else None, max_rows)
    try:
        with archive.open(part) as stream:
            carry, before_data = b"", True
            while chunk := stream.read(CHUNK):
                data, carry = _complete_tags(carry + chunk)
                if before_data:
                    # The <dimension> comes before the cells: Excel's own account of the used range.
                    cells_start = data.find(b"sheetData")
                    dimension = _DIMENSION.search(data, 0, cells_start if cells_start >= 0 else len(data))
                    if dimension:
                        limit.dimension(*dimension.groups())
                    before_data = cells_start < 0
                limit.cells(data)
    except NotImplementedError:
        return  # a compression zipfile lacks (calamine may have it): left to the worker's limits
    except (zipfile.BadZipFile, zlib.error, EOFError):
        raise SheetError(NOT_A_WORKBOOK)


def _complete_tags(data):
    """(data up to its last complete tag, the unfinished tag to read on with the next chunk)."""
    start = data.rfind(b"<")
    if start < 0 or data.find(b">", start) >= 0 or len(data) - start > CHUNK:
        return data, b""
    return data[:start], data[start:]


class _Extent:
    """The farthest cells seen in a sheet's XML, refused as soon as one is too far."""

    def __init__(self, sheet, row_limit, max_rows):
        self.sheet, self.row_limit, self.max_rows = sheet, row_limit, max_rows
        self.last_row = self.widest = 0
        # Only references that can break a limit are looked at (a regex is fast where it finds
        # nothing): a column of two or three letters, or a row with as many digits as the first row that
        # can break one (the row limit, or in a sheet of at most 26 columns the cell limit).
        first = MAX_CELLS // 26 + 1
        if row_limit:
            first = min(first, row_limit + 1)
        self.far = re.compile(rb' r="([A-Z]{2,3}[0-9]{1,7}|[A-Z][0-9]{%d,7})"' % len(str(first)))

    def dimension(self, letters, digits):
        # The used range may include formatted empty cells, which calamine skips: it is refused only
        # when it is too big to read at all, not for the row limit alone.
        columns, rows = column_number(letters.decode()), int(digits)
        if columns > MAX_COLUMNS or columns * rows > MAX_CELLS:
            self._refuse(letters.decode() + digits.decode(), columns, rows)

    def cells(self, data):
        last = data.rfind(_ROW)
        if last >= 0:
            end = data.find(b'"', last + len(_ROW))
            if data[last + len(_ROW):end].isdigit():
                self.last_row = max(self.last_row, int(data[last + len(_ROW):end]))
        for match in self.far.finditer(data):
            close = data.find(b">", match.end())
            if close > 0 and data[close - 1:close] == b"/":
                continue  # <c r="XFD9" s="1"/>: formatting only, no value
            cell = match.group(1).decode()
            letters = cell.rstrip("0123456789")
            columns, row = column_number(letters), int(cell[len(letters):])
            self.widest = max(self.widest, columns)
            if columns > MAX_COLUMNS or (self.row_limit and row > self.row_limit):
                self._refuse(cell, columns, row)
            # In-order rows give the sheet's height; a wide cell far down gives it too. The message
            # names the range's far corner.
            height = max(self.last_row, row)
            if self.widest * height > MAX_CELLS:
                raise SheetError(FAR_CELL.format(cell=f"{column_letters(self.widest)}{height}"))

    def _refuse(self, cell, columns, rows):
        if columns <= MAX_COLUMNS and self.row_limit and rows > self.row_limit:
            raise SheetError(TOO_MANY_ROWS.format(max_rows=self.max_rows, sheet=self.sheet, row=rows, cell=cell))
        raise SheetError(FAR_CELL.format(cell=cell))


def sheet_parts(archive):
    """{sheet name: its part in the zip}, from xl/workbook.xml and its relationships."""
    try:
        workbook = _xml(archive, "xl/workbook.xml")
        relations = _xml(archive, "xl/_rels/workbook.xml.rels")
    except KeyError:
        return {}
    targets = {}
    for element in relations.iter():
        if _local(element.tag) == "Relationship" and element.get("Target"):
            target = element.get("Target")
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            targets[element.get("Id")] = path
    parts = {}
    for element in workbook.iter():
        if _local(element.tag) == "sheet":
            relation = next((v for k, v in element.attrib.items() if _local(k) == "id"), None)
            if relation in targets:
                parts[element.get("name")] = targets[relation]
    return parts


def _xml(archive, name):
    if archive.getinfo(name).file_size > MAX_INDEX_BYTES:
        raise SheetError(TOO_BIG.format(part=f"「{name}」", size=archive.getinfo(name).file_size // 2 ** 20,
                                        limit=MAX_INDEX_BYTES // 2 ** 20))
    try:
        return ElementTree.fromstring(archive.read(name))
    except (ElementTree.ParseError, zipfile.BadZipFile, ValueError):
        raise SheetError(NOT_A_WORKBOOK)


def _local(tag):
    return tag.rsplit("}", 1)[-1]


# ---- .csv ------------------------------------------------------------------------------------------
_BLANK = b" \t\r,;\""


def check_csv(path, max_rows, header_rows=0):
    """Refuse a CSV with more than `max_rows` data rows, counted while streaming, before it is decoded.

    A record ends at a line break outside quotes; blank records are skipped as the reader skips them.
    UTF-16 files are left to the reader (their bytes are not characters).
    """
    limit, records, quoted, carry = max_rows + header_rows, 0, False, b""
    with open(path, "rb") as handle:
        head = handle.read(4096)
        if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
            return
        handle.seek(0)
        while chunk := handle.read(CHUNK):
            lines = (carry + chunk).split(b"\n")
            carry = lines.pop()
            for line in lines:
                if not quoted and line.strip(_BLANK):
                    records += 1
                if line.count(b'"') % 2:
                    quoted = not quoted
            if records > limit:
                raise SheetError(f"文件超过 {max_rows:,} 行的上限，请拆分为多个文件分批导入")
