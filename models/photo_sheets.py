"""The two lists a photo upload hands out: its result per file, and the candidates still without a photo.

Both show ID numbers masked: they go to class teachers and into e-mails, not back into an import.
"""
from sheets.export import build_export
from sheets.spec import Column, SheetSpec

from . import audit
from .candidate import Candidate
from .privacy import mask_id

audit.ACTION_LABELS.update({
    "photo.missing_export": "导出缺照片的考生",
    "photo.result_export": "导出照片处理结果",
})

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


def result_workbook(job, rows, what_to_do, filters, by):
    """The ZIP job's result lines (all, or as `filters` chose them) as an .xlsx (bytes), each refusal with
    what to do about it; the export is audited."""
    body = build_export(RESULT_SHEET, (dict(row, todo=what_to_do(row["result"])) for row in rows))
    audit.record_download("photo.result_export", len(rows), filters=filters, obj=job,
                          about=f"照片压缩包（任务 {job.id}）", by=by)
    return body


def missing_workbook(by):
    """The candidates without a photo, by 院系, 班级 and 姓名, as an .xlsx (bytes); the export is audited."""
    query = (Candidate
             .select(Candidate.name, Candidate.student_no, Candidate.department, Candidate.class_name,
                     Candidate.id_number)
             .where(Candidate.photo.is_null())
             .order_by(Candidate.department, Candidate.class_name, Candidate.name))
    body = build_export(MISSING_SHEET, query.dicts().iterator())
    audit.record_download("photo.missing_export", query.count(), by=by)
    return body
