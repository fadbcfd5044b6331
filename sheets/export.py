"""The export: stored records in the template's layout, so an export can be edited and imported again;
the spec's export-only columns (what became of each row) follow, and the reader skips them.

Text that starts with = + - @ is written with a leading apostrophe, so no spreadsheet runs it as a
formula (the reader drops that apostrophe again on import).
"""
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from .template import finish, safe, save, start_sheet


def build_export(spec, records):
    """An .xlsx (bytes) of `records` (objects or dicts with the spec's keys) in the template's layout, the
    spec's export-only columns after it."""
    spec = spec.resolved()
    columns = spec.columns + spec.export_only
    workbook = Workbook(write_only=True)
    ws = start_sheet(workbook, spec, columns=columns)
    text_columns = [column.as_text for column in columns]
    for record in records:
        get = record.get if isinstance(record, dict) else lambda key: getattr(record, key)
        row = []
        for column, as_text in zip(columns, text_columns):
            value = safe(column.export(get(column.key)))
            if as_text:
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = "@"
                row.append(cell)
            else:
                row.append(value)
        ws.append(row)
    finish(workbook, spec)
    return save(workbook)
