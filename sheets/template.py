"""The import template, and the layout the error report and the export share with it.

A data sheet with the spec's headers (required ones marked `*`), a frozen header row, text format on
columns Excel would turn into numbers, dropdowns on every enumerated column and sensible widths; a
填写说明 sheet describing each column with an example; and a hidden sheet holding the version marker
and the dropdown lists. No example rows on the data sheet: they would be imported by mistake.
"""
import io

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.datavalidation import DataValidation

from .spec import GUIDE_SHEET, MARKER_SHEET

# Dropdowns and text format cover this many rows below the header (the import's default row limit).
FORMATTED_ROWS = 100_000
HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
HEADER_FONT = Font(bold=True, color="1F2933")
REQUIRED_FONT = Font(bold=True, color="C0392B")
NOTE_FONT = Font(bold=True, color="7A4B00")
NOTE_FILL = PatternFill("solid", fgColor="FFF4D6")
FORMULA_STARTS = ("=", "+", "-", "@")


def printable(text):
    """Text an .xlsx file can hold: the control characters XML forbids (stored before forms refused them,
    or read from a CSV) each become U+FFFD, so an export or a report never fails on them and shows where
    one was."""
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", text)


def safe(value):
    """Cell text that a spreadsheet can never run as a formula (a leading = + - @ gets an apostrophe) and
    that an .xlsx file can hold (see printable)."""
    if isinstance(value, str):
        value = printable(value)
        if value.startswith(FORMULA_STARTS):
            return "'" + value
    return value


def start_sheet(workbook, spec, extra_headers=(), comments=False, note="", columns=None, widths=None):
    """Create the spec's data sheet in a write-only workbook and write its header row: the spec's columns
    (or `columns`, which start with them), then `extra_headers`. Each column is as wide as it declares, or
    as `widths` says (one for each column).

    A `note` (lines of text) goes in one merged row above the header: the reader looks for the header
    in the first rows, so the sheet imports as it is.
    """
    ws = workbook.create_sheet(spec.title)
    header_number = 2 if note else 1
    ws.freeze_panes = f"A{header_number + 1}"
    first, last = header_number + 1, FORMATTED_ROWS + header_number
    columns = spec.columns if columns is None else columns
    for position, column in enumerate(columns, start=1):
        letter = get_column_letter(position)
        ws.column_dimensions[letter].width = widths[position - 1] if widths else column.width
        if column.as_text:
            ws.column_dimensions[letter].number_format = "@"
        if column.choices:
            list_letter = get_column_letter(position + 1)
            # A warning, not a stop: the import also accepts common variants (汉 for 汉族, 身份证 for
            # 居民身份证), which Excel would otherwise refuse to let anyone type.
            dropdown = DataValidation(
                type="list", allow_blank=True, showErrorMessage=True, errorStyle="warning",
                formula1=f"{quote_sheetname(MARKER_SHEET)}!${list_letter}$1:${list_letter}${len(column.choices)}",
                errorTitle=f"{column.header}不在下拉列表中",
                error=f"建议从下拉列表中选择{column.header}。确认填写无误可点「是」保留，导入时会检查并说明如何修改。",
            )
            dropdown.add(f"{letter}{first}:{letter}{last}")
            ws.data_validations.dataValidation.append(dropdown)
    for offset, header in enumerate(extra_headers, start=len(columns) + 1):
        ws.column_dimensions[get_column_letter(offset)].width = 60
    if note:
        _note_row(ws, spec, note)
    header_row = []
    for column in columns:
        cell = WriteOnlyCell(ws, value=column.title)
        cell.font = REQUIRED_FONT if column.required else HEADER_FONT
        cell.fill = HEADER_FILL
        if comments and column.help:
            cell.comment = Comment(column.help, "颁证工作台", width=260, height=90)
        header_row.append(cell)
    for header in extra_headers:
        cell = WriteOnlyCell(ws, value=header)
        cell.font, cell.fill = REQUIRED_FONT, HEADER_FILL
        header_row.append(cell)
    ws.append(header_row)
    return ws


def _note_row(ws, spec, lines):
    """The note above the header: one cell merged across the data columns, a line of text per line."""
    ws.merged_cells.add(CellRange(min_col=1, min_row=1, max_col=len(spec.columns), max_row=1))
    ws.row_dimensions[1].height = 16 * len(lines) + 6
    cell = WriteOnlyCell(ws, value=safe("\n".join(lines)))
    cell.font, cell.fill, cell.alignment = NOTE_FONT, NOTE_FILL, Alignment(wrap_text=True, vertical="top")
    ws.append([cell])


def write_rows(ws, spec, records, columns=None):
    """Append `records` (objects or dicts with the spec's keys) to a data sheet, each value as its column
    (of the spec, or `columns`) exports it; columns formatted as text stay text."""
    columns = spec.columns if columns is None else columns
    text_columns = [column.as_text for column in columns]
    for record in records:
        row = []
        for value, as_text in zip(exported(record, columns), text_columns):
            value = safe(value)
            if as_text:
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = "@"
                row.append(cell)
            else:
                row.append(value)
        ws.append(row)


def exported(record, columns):
    """The values of `record` (an object or a dict with the columns' keys) as each of `columns` exports them."""
    get = record.get if isinstance(record, dict) else lambda key: getattr(record, key)
    return [column.export(get(column.key)) for column in columns]


def finish(workbook, spec):
    """Add the hidden sheet: the version marker in A1 and each column's dropdown list in its own column."""
    hidden = workbook.create_sheet(MARKER_SHEET)
    hidden.sheet_state = "hidden"
    lists = [column.choices for column in spec.columns]
    depth = max([len(choices) for choices in lists] + [1])
    for index in range(depth):
        marker = spec.marker if index == 0 else None
        hidden.append([marker] + [safe(choices[index]) if index < len(choices) else None for choices in lists])


def save(workbook):
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def build_template(spec, records=(), note=()):
    """The .xlsx template for `spec`, as bytes; choices that are read from the database are read now.

    A pre-filled template carries `records` (dicts by key) on its data sheet and a `note` (lines) above
    their header and at the top of its 填写说明: what was filled in and what is left to the user.
    """
    spec = spec.resolved()
    workbook = Workbook(write_only=True)
    ws = start_sheet(workbook, spec, comments=True, note=note)
    write_rows(ws, spec, records)
    _guide(workbook, spec, note)
    finish(workbook, spec)
    return save(workbook)


def guide_lines(spec):
    """The 填写说明 sheet's general lines: the spec's own, and what its columns' formats ask of the user."""
    lines = list(spec.guide)
    as_text = [c.header for c in spec.columns if c.as_text]
    if as_text:
        lines.append(f"{'、'.join(as_text)}列已设为文本格式，请直接输入或粘贴为「值」，不要让 Excel 转成数字。")
    listed = [c.header for c in spec.columns if c.choices]
    if listed:
        lines.append(f"{'、'.join(listed)}请从下拉列表中选择。")
    return lines


def _guide(workbook, spec, note=()):
    ws = workbook.create_sheet(GUIDE_SHEET)
    for letter, width in zip("ABCDE", (16, 8, 60, 24, 40)):
        ws.column_dimensions[letter].width = width
    title = WriteOnlyCell(ws, value=f"{spec.template_name} · 填写说明")
    title.font = Font(bold=True, size=14)
    ws.append([title])
    for line in note:
        cell = WriteOnlyCell(ws, value=safe(line))
        cell.font = NOTE_FONT
        ws.append([cell])
    for line in guide_lines(spec):
        ws.append([line])
    ws.append([])
    header = []
    for text in ("列名", "必填", "填写说明", "示例", "可选值"):
        cell = WriteOnlyCell(ws, value=text)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        header.append(cell)
    ws.append(header)
    wrap = Alignment(wrap_text=True, vertical="top")
    for column in spec.columns:
        choices = ("、".join(column.choices) if len(column.choices) <= 10
                   else f"共 {len(column.choices)} 项，见数据表下拉列表（如 {'、'.join(column.choices[:3])} …）")
        cells = []
        for value in (column.header, "是" if column.required else "", column.help, column.example, choices):
            cell = WriteOnlyCell(ws, value=value)
            cell.alignment = wrap
            if column.as_text and value == column.example:
                cell.number_format = "@"
            cells.append(cell)
        ws.append(cells)
