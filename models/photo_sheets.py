"""The two lists a photo upload hands out: its result per file, and the candidates still without a photo.

Both show ID numbers masked: they go to class teachers and into e-mails, not back into an import.
"""
from sheets.export import build_export
from sheets.spec import Column, SheetSpec

from . import audit
from .candidate import Candidate
from .privacy import mask_id

audit.ACTION_LABELS.setdefault("photo.missing_export", "导出缺照片的考生")

RESULT_SHEET = SheetSpec(
    kind="photo-results", title="照片处理结果", template_name="照片处理结果", noun="个文件", unit="",
    columns=(
        Column("file", "文件名"),
        Column("candidate", "考生"),
        Column("id", "证件号码", as_text=True),
        Column("result", "结果"),
        Column("detail", "说明"),
        Column("todo", "如何处理"),
    ),
)

MISSING_SHEET = SheetSpec(
    kind="photo-missing", title="缺照片的考生", template_name="缺照片的考生", noun="考生", unit="名",
    columns=(
        Column("name", "姓名"),
        Column("student_no", "学号", as_text=True),
        Column("department", "院系"),
        Column("class_name", "班级"),
        Column("id_number", "证件号码", as_text=True, export=mask_id),
    ),
)


def result_workbook(rows, what_to_do):
    """The ZIP's result lines as an .xlsx (bytes), each refusal with what to do about it."""
    return build_export(RESULT_SHEET, (dict(row, todo=what_to_do(row["result"])) for row in rows))


def missing_workbook(by):
    """The candidates without a photo, by 院系, 班级 and 姓名, as an .xlsx (bytes); the export is audited."""
    query = (Candidate
             .select(Candidate.name, Candidate.student_no, Candidate.department, Candidate.class_name,
                     Candidate.id_number)
             .where(Candidate.photo.is_null())
             .order_by(Candidate.department, Candidate.class_name, Candidate.name))
    body = build_export(MISSING_SHEET, query.dicts().iterator())
    audit.record("photo.missing_export", None, {"条数": (None, query.count())}, user=by, label="导出缺照片的考生")
    return body
