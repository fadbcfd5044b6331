"""导入批次: one row per uploaded file, from its check to its import (or refusal, or undo).

The engine that fills it is models.importing; this module holds only the record, so that models/ can
list it without loading the spreadsheet engine.
"""
import importlib
import json
from datetime import timedelta
from pathlib import Path

from flask import current_app
from peewee import (BooleanField, CharField, DateTimeField, FloatField, ForeignKeyField, IntegerField,
                    TextField)

from . import audit, setting
from .db import BaseModel, TimestampField, db, now
from .job import FAILED, Job
from .user import User

CHECKING, REVIEW, SAVING, IMPORTED, REFUSED, UNDONE = "检查中", "待确认", "导入中", "已导入", "未导入", "已撤销"
STATUS_COLORS = {CHECKING: "gray", REVIEW: "orange", SAVING: "gray", IMPORTED: "green", REFUSED: "red",
                 UNDONE: "gray"}
audit.ACTION_LABELS.update({
    "import.check": "检查导入文件",
    "import.save": "批量导入",
    "import.undo": "撤销本次导入",
    "candidate.export": "导出考生信息",
})


class ImportRefused(ValueError):
    """An import action that cannot be done now, with a message for the user."""


def limits():
    """(max bytes, max rows) from the settings."""
    return setting.get("import_max_mb") * 1024 * 1024, setting.get("import_max_rows")


class ImportBatch(BaseModel):
    kind = CharField(index=True)
    file_name = CharField()
    file_size = IntegerField(default=0)
    fingerprint = CharField(default="", index=True)  # sha256 of the file
    update_existing = BooleanField(default=False)
    status = CharField(default=CHECKING, index=True)
    message = TextField(default="")  # why the file was refused, or why it waits
    total = IntegerField(default=0)
    valid = IntegerField(default=0)  # rows that can be imported or updated
    errors = IntegerField(default=0)
    existing = IntegerField(default=0)
    unchanged = IntegerField(default=0)
    imported = IntegerField(default=0)
    updated = IntegerField(default=0)
    duration = FloatField(default=0)  # seconds spent checking and saving
    details = TextField(default="")  # JSON: encoding, sample row, unknown columns, notes, error groups
    duplicate_of = IntegerField(null=True)  # an earlier import of the same file
    job_id = IntegerField(null=True)
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="import_batches")
    created_at = TimestampField(index=True)
    saved_at = DateTimeField(null=True)
    undone_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    undone_at = DateTimeField(null=True)

    def __str__(self):
        return f"导入批次 #{self.id}（{self.file_name}）"

    @property
    def importer(self):
        # The importers live in models.importing, which needs the sheets engine; sheets in turn needs
        # models (the candidate fields), so the batch finds its importer when asked, not at import time.
        return importlib.import_module("models.importing").IMPORTERS[self.kind]

    @property
    def status_color(self):
        return STATUS_COLORS[self.status]

    @property
    def info(self):
        return json.loads(self.details) if self.details else {}

    @property
    def busy(self):
        return self.status in (CHECKING, SAVING)

    @property
    def job(self):
        return Job.get_or_none(Job.id == self.job_id) if self.job_id else None

    def path(self, suffix):
        """A file of this batch under <DATA_DIR>/imports: the upload, the kept rows, the report."""
        folder = Path(current_app.config["DATA_DIR"]) / "imports"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{self.id}{suffix}"

    @property
    def upload_path(self):
        return self.path("-upload" + (Path(self.file_name).suffix.lower() or ".bin"))

    @property
    def has_report(self):
        return self.errors > 0 and self.path("-errors.json").exists()

    def earlier_import(self):
        """The latest saved, not undone, import of the same file that changed something."""
        return (ImportBatch
                .select()
                .where((ImportBatch.kind == self.kind)
                       & (ImportBatch.fingerprint == self.fingerprint)
                       & (ImportBatch.status == IMPORTED)
                       & (ImportBatch.id != self.id)
                       & ((ImportBatch.imported + ImportBatch.updated) > 0))
                .order_by(ImportBatch.id.desc())
                .first())

    def issues(self, sort="row", group=None):
        """The error table's rows (Issue dicts) sorted by row or column, optionally one problem group only."""
        rows = self._load("-errors.json")
        issues = [issue for row in rows for issue in row["issues"]]
        if group is not None:
            groups = self.info.get("groups", [])
            if 0 <= group < len(groups):
                wanted = (groups[group]["header"], groups[group]["fix"])
                issues = [i for i in issues if (i["header"], i["fix"]) == wanted]
        if sort == "column":
            order = {c.key: n for n, c in enumerate(self.importer.spec.columns)}
            issues.sort(key=lambda i: (order.get(i["key"], 99), i["row"]))
        return issues

    def _load(self, suffix):
        path = self.path(suffix)
        return json.loads(path.read_text("utf-8")) if path.exists() else []

    def _keep(self, suffix, data):
        self.path(suffix).write_text(json.dumps(data, ensure_ascii=False, default=str), "utf-8")

    def _set(self, **fields):
        for name, value in fields.items():
            setattr(self, name, value)
        self.save()

    # ---- 撤销本次导入 ---------------------------------------------------------------------------
    def undo_blockers(self):
        """Why this batch cannot be undone now; an empty list means it can."""
        if self.status != IMPORTED:
            return [f"批次状态为「{self.status}」，只有已导入的批次可以撤销"]
        return self.importer.undo_blockers(self)

    def undo(self, by):
        """撤销本次导入: delete what the batch created, in one transaction, audited."""
        with db.atomic():
            blockers = self.undo_blockers()
            if blockers:
                raise ImportRefused("；".join(blockers))
            removed = self.importer.undo(self, by)
            self._set(status=UNDONE, undone_by=by, undone_at=now())
            audit.record("import.undo", self, {"状态": (IMPORTED, UNDONE), "删除": (None, removed)}, user=by)
        return removed

    @classmethod
    def history(cls, kind=None, status=None):
        """导入记录, newest first: of one kind, or in one state (待确认: waiting for the user's decision)."""
        query = cls.select().order_by(cls.id.desc())
        if kind:
            query = query.where(cls.kind == kind)
        if status in STATUS_COLORS:
            query = query.where(cls.status == status)
        return query

    def discard_upload(self):
        """Delete the uploaded file once nothing will read it again: it holds every row's personal data."""
        self.upload_path.unlink(missing_ok=True)
        self.path("-rows.json").unlink(missing_ok=True)  # valid rows an earlier version kept

    @classmethod
    def reconcile(cls):
        """Settle batches whose job failed (a bug, or a server restart): nothing of theirs was written.
        A batch left 待确认 longer than the import_keep_days setting expires and its upload is deleted."""
        for batch in cls.select().where(cls.status.in_([CHECKING, SAVING])):
            job = batch.job
            if job is not None and job.status == FAILED:
                batch.job_failed(job.message)
        days = setting.get("import_keep_days")
        stale = list(cls.select().where((cls.status == REVIEW) & (cls.created_at < now() - timedelta(days=days))))
        for batch in stale:
            # Conditional, so a batch being confirmed at this moment is left alone.
            expired = (cls.update(status=REFUSED, message=f"超过 {days} 天未确认导入，上传的文件已删除，未写入任何数据；如需导入请重新上传")
                       .where((cls.id == batch.id) & (cls.status == REVIEW))
                       .execute())
            if expired:
                batch.discard_upload()

    def job_failed(self, message):
        if self.status == CHECKING:
            self._set(status=REFUSED, message=message)
            self.discard_upload()
        elif self.status == SAVING:
            self._set(status=REVIEW, message="导入未完成，未写入任何数据：" + message)
