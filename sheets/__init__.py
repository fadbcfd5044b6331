"""The spreadsheet engine: one column spec per importable sheet, and everything derived from it.

spec.py describes a sheet's columns; readers.py reads .xlsx/.xls/.csv uploads into rows of text,
parsing Excel files in a worker process with memory and time limits (isolated.py) after cheap checks
of the file itself (precheck.py);
validate.py checks every row with the area's own validator; template.py, report.py and export.py write
the template, the error report and the export in the same layout.
"""
