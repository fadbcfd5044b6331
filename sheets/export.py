"""The export: stored records in the template's layout, so an export can be edited and imported again;
the spec's export-only columns (what became of each row) follow, and the reader skips them.

Text that starts with = + - @ is written with a leading apostrophe, so no spreadsheet runs it as a
formula (the reader drops that apostrophe again on import).
"""
from openpyxl import Workbook

from .template import finish, save, start_sheet, write_rows


def build_export(spec, records):
    """An .xlsx (bytes) of `records` (objects or dicts with the spec's keys) in the template's layout, the
    spec's export-only columns after it."""
    spec = spec.resolved()
    columns = spec.columns + spec.export_only
    workbook = Workbook(write_only=True)
    write_rows(start_sheet(workbook, spec, columns=columns), spec, records, columns)
    finish(workbook, spec)
    return save(workbook)
