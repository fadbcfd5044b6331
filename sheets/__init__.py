"""The spreadsheet engine, free of the domain: a sheet is declared once as a SheetSpec of Columns, and
everything else is derived from that declaration.

spec.py holds Column, Form (the forms of the app are declared with the same columns and cleaned by the
same Column.check), SheetSpec and FieldError; readers.py reads .xlsx/.xls/.csv uploads into rows of
text, parsing Excel files in a worker process with memory and time limits (isolated.py, worker.py)
after cheap checks of the file itself (precheck.py); validate.py cleans every row with its spec's
columns; template.py, report.py and export.py write the template, the error report and the export in
the same layout. The declarations themselves live next to their models (models/candidate_fields.py,
models/award_fields.py, models/site.py ...); nothing here imports models/ or views/.
"""
