"""The export: stored records in the template's layout, so an export can be edited and imported again.

Text that starts with = + - @ is written with a leading apostrophe, so no spreadsheet runs it as a
formula (the reader drops that apostrophe again on import).
"""
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from .template import finish, safe, save, start_sheet


def build_export(spec, records):
    """An .xlsx (bytes) of `records` (objects or dicts with the spec's keys) in the template's layout."""
    spec = spec.resolved()
    workbook = Workbook(write_only=True)
    ws = start_sheet(workbook, spec)
    text_columns = [column.as_text for column in spec.columns]
    for record in records:
        get = record.get if isinstance(record, dict) else lambda key: getattr(record, key)
        row = []
        for column, as_text in zip(spec.columns, text_columns):
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
