"""The export: stored records in the template's layout, so an export can be edited and imported again;
the spec's export-only columns (what became of each row) follow, and the reader skips them.

Text that starts with = + - @ is written with a leading apostrophe, so no spreadsheet runs it as a
formula (the reader drops that apostrophe again on import).

Each column is as wide as its header and its first SAMPLE_ROWS values need (an 18-digit ID number, a site
name): a write-only sheet takes its widths before its first row, so the widths are measured on the rows
read ahead, and the rest stream after them as before.
"""
from itertools import chain, islice

from openpyxl import Workbook

from .spec import display_width
from .template import exported, finish, save, start_sheet, write_rows

# Rows read ahead to size the columns: an export's values of one column are of a kind (ID numbers,
# certificate numbers of one pattern, site names), so a few hundred show how wide they run.
SAMPLE_ROWS = 200
# A column no wider than this, however long a value: a long address wraps off screen, not the whole sheet.
WIDEST = 50


def build_export(spec, records):
    """An .xlsx (bytes) of `records` (objects or dicts with the spec's keys) in the template's layout, the
    spec's export-only columns after it."""
    spec = spec.resolved()
    columns = spec.columns + spec.export_only
    records = iter(records)
    ahead = list(islice(records, SAMPLE_ROWS))
    workbook = Workbook(write_only=True)
    ws = start_sheet(workbook, spec, columns=columns, widths=fitted_widths(columns, ahead))
    write_rows(ws, spec, chain(ahead, records), columns)
    finish(workbook, spec)
    return save(workbook)


def fitted_widths(columns, records):
    """Each column's width: its declared one (header, example, choices), or wider to fit the values of
    `records` as the export writes them, a little spare, up to WIDEST."""
    widths = [column.width for column in columns]
    for record in records:
        for i, value in enumerate(exported(record, columns)):
            if value is not None and value != "":
                widths[i] = max(widths[i], min(display_width(str(value)) + 2, WIDEST))
    return widths
