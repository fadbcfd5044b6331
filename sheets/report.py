"""The error report: the failing rows in the template's layout, each bad cell highlighted with a comment
saying what is wrong and how to fix it, and an 错误原因 column; fixed, it can be uploaded again as is.
A cell with only a 提示 (a warning: the row can be imported, but may be fixed first) is yellow, not red,
and its reason reads 提示.

Written in openpyxl's write-only mode, so a report of 100,000 rows needs little memory.
"""
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, PatternFill

from .spec import REPORT_COLUMN
from .template import finish, printable, safe, start_sheet
from .validate import WARNING

BAD_FILL = PatternFill("solid", fgColor="F8D7DA")
WARN_FILL = PatternFill("solid", fgColor="FFF3CD")
REASON_ALIGNMENT = Alignment(wrap_text=True, vertical="top")


def build_report(spec, rows, path, note=()):
    """Write the report for `rows` ([{"row", "raw", "issues": [Issue dicts]}]) to `path`; `note` (lines)
    above the header says what it leaves out."""
    spec = spec.resolved()
    workbook = Workbook(write_only=True)
    ws = start_sheet(workbook, spec, extra_headers=(REPORT_COLUMN,), note=note)
    for row in rows:
        by_key = {}
        for issue in row["issues"]:
            by_key.setdefault(issue["key"], []).append(issue)
        cells = []
        for column in spec.columns:
            cell = WriteOnlyCell(ws, value=safe(row["raw"].get(column.key, "")))
            if column.as_text:
                cell.number_format = "@"
            issues = by_key.get(column.key)
            if issues:
                cell.fill = WARN_FILL if all(_warning(i) for i in issues) else BAD_FILL
                cell.comment = Comment(printable("\n".join(f"{_level(i)}{i['problem']}\n如何修改：{i['fix']}"
                                                         for i in issues)),
                                       "颁证工作台", width=300, height=110)
            cells.append(cell)
        reason = WriteOnlyCell(ws, value=safe(f"第 {row['row']} 行：" + "；".join(
            f"{_level(i)}{i['header']}：{i['problem']}" for i in row["issues"])))
        reason.alignment = REASON_ALIGNMENT
        cells.append(reason)
        ws.append(cells)
    finish(workbook, spec)
    workbook.save(path)


def _warning(issue):
    return issue.get("level") == WARNING


def _level(issue):
    """How a reason starts: 提示 for a warning; an error needs no word."""
    return "【提示】" if _warning(issue) else ""
