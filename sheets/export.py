"""The export: stored records in the template's layout, so an export can be edited and imported again.

Text that starts with = + - @ is written with a leading apostrophe, so no spreadsheet runs it as a
formula (the reader drops that apostrophe again on import).
"""
from openpyxl import Workbook

from .template import finish, save, start_sheet, write_rows


def build_export(spec, records):
    """An .xlsx (bytes) of `records` (objects or dicts with the spec's keys) in the template's layout."""
    spec = spec.resolved()
    workbook = Workbook(write_only=True)
    write_rows(start_sheet(workbook, spec), spec, records)
    finish(workbook, spec)
    return save(workbook)
