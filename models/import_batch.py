"""导入批次: one uploaded file as one aggregate, from its upload to its import, its refusal or its undo.

ImportBatch.receive() stores the upload and its fingerprint under <DATA_DIR>/imports → check() (a Job)
reads it with the kind's sheet, cleans every row with the sheet's columns, lets the kind's importer vet
the valid rows against the database and compare them with what is stored → all rows valid: saved at
once, in the transaction that compared them; otherwise only the failing rows are kept (the error table
and report) and the batch waits for review → commit() (the result's import buttons, import_buttons:
导入没有错误的 N 行 …) reads the stored file again,
checks it again and writes the rows that passed before and still pass, in one transaction. The upload
is deleted once no step will read it again. undo() (撤销本次导入) removes what a saved batch created while
none of it has been touched since.

What differs per kind (its sheet, its checks, how rows are written and undone) is its importer in
models/importers.py.
"""
import gc
import hashlib
import json
import time
import zlib
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from functools import cached_property
from pathlib import Path

from flask import current_app
from peewee import (JOIN, BooleanField, CharField, DateTimeField, FloatField, ForeignKeyField, IntegerField,
                    TextField)

from sheets import readers
from sheets.readers import SheetError
from sheets.report import build_report
from sheets.validate import ERROR, WARNING, Findings, checking

from . import audit, normalise, setting, write_ahead
from .db import BaseModel, TimestampField, db, is_sqlite, now
from .importers import IMPORTERS, Plan
from .job import FAILED, Job, runner, start, stored
from .user import User

CHECKING, REVIEW, SAVING, IMPORTED, REFUSED, UNDONE, DISCARDED = (
    "检查中", "待确认", "导入中", "已导入", "未导入", "已撤销", "已放弃")
STATUS_COLORS = {CHECKING: "gray", REVIEW: "orange", SAVING: "gray", IMPORTED: "green", REFUSED: "red",
                 UNDONE: "gray", DISCARDED: "gray"}
audit.ACTION_LABELS.update({
    "import.check": "检查导入文件",
    "import.save": "批量导入",
    "import.undo": "撤销本次导入",
    "import.discard": "放弃导入批次",
    "import.report": "下载错误报告",
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

    _undo_blockers = None  # read for a page of batches at once by read_undo_blockers()
    _undo_left = 0  # with them: the rows the batch created that are still there
    _found = None  # {level: Findings} as read by findings()

    def __str__(self):
        return f"导入批次 #{self.id}（{self.file_name}）"

    # ---- what the batch is now -------------------------------------------------------------------
    @property
    def importer(self):
        return IMPORTERS[self.kind]

    @property
    def spec(self):
        return self.importer.spec

    @property
    def status_color(self):
        return STATUS_COLORS[self.status]

    @property
    def checking(self):
        return self.status == CHECKING

    @property
    def busy(self):
        return self.status in (CHECKING, SAVING)

    def settled(self):
        """Whether the stored batch is no longer being checked or saved (read afresh): its outcome can be shown."""
        return ImportBatch.select(ImportBatch.status).where(ImportBatch.id == self.id).scalar() not in (CHECKING, SAVING)

    @property
    def waiting(self):
        """Checked, nothing written: waits for an import button (or 仍然检查此文件 when a duplicate)."""
        return self.status == REVIEW

    @property
    def saved(self):
        return self.status == IMPORTED

    @property
    def refused(self):
        return self.status == REFUSED

    @property
    def undone(self):
        return self.status == UNDONE

    @property
    def discarded(self):
        return self.status == DISCARDED

    @property
    def warned(self):
        """Rows that can be imported but carry a 提示 (most will fail 认证; an unknown area code will not)."""
        return self.info.get("warned", 0)

    @property
    def not_imported(self):
        """Rows of a saved batch that were not written: errors, rows left out, and 已存在 rows."""
        return self.errors + self.existing

    @property
    def duration_text(self):
        """用时 as people read it: a check of a few rows takes less than the 0.1 s one decimal shows."""
        return "不到 0.1 秒" if self.duration < 0.1 else f"{self.duration:.1f} 秒"

    @property
    def can_commit(self):
        return self.waiting and self.duplicate_of is None and self.valid > 0

    @property
    def import_buttons(self):
        """The result's import buttons as [(words, leave_warned)], first the one that writes every row
        without an error, then, when some of those rows carry a 提示, the one that leaves them out too;
        empty when nothing can be imported. Each says exactly which rows it writes: a row with a 提示 has
        no error, and 已存在 rows are written by neither. 仅导入正确的 N 行 only where that is all it means."""
        if not self.can_commit:
            return []
        errors, warned, existing, valid = self.errors, self.warned, self.existing, self.valid
        if errors and not (warned or existing):
            return [(f"仅导入正确的 {valid} 行", False)]
        if existing:
            rows = "新增且没有错误的" if errors else "新增的"
        else:
            rows = "没有错误的" if errors else "全部"
        first = f"导入{rows} {valid} 行"
        if not warned:
            return [(first, False)]
        if warned >= valid:
            return [(f"{first}（均有提示）", False)]
        clean = ("新增且" if existing else "") + "没有" + ("错误和" if errors else "") + f"提示的 {valid - warned} 行"
        return [(f"{first}（含 {warned} 行有提示）", False), (f"只导入{clean}", True)]

    @property
    def closed(self):
        """Nothing is left to decide about the uploaded file: imported, refused, undone or discarded. The dialog
        then empties its file field (a 待确认 result keeps it: the user acts on that very file)."""
        return self.status in (IMPORTED, REFUSED, UNDONE, DISCARDED)

    @property
    def can_undo(self):
        return self.saved and not self.undo_blockers()

    @property
    def info(self):
        return json.loads(self.details) if self.details else {}

    @cached_property
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
        """A report of the rows still to fix: those refused, and while the batch waits, those with a 提示."""
        return ((self.errors > 0 and self.path("-errors.json").exists())
                or (self.waiting and self.warned > 0 and self.path("-warnings.json").exists()))

    @property
    def report_rows(self):
        """The rows the error report holds: those refused, and while the batch waits, those with a 提示."""
        return self.errors + (self.warned if self.waiting else 0)

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

    def findings(self, level=ERROR):
        """The rows refused (or, for WARNING, those with a 提示) as kept: Findings, read once per instance."""
        if self._found is None:
            self._found = {}
        if level not in self._found:
            self._found[level] = Findings.loaded(self._load(_KEPT[level]))
        return self._found[level]

    def issues(self, sort="row", group=None):
        """The error table's rows (Issue dicts) of the rows refused and kept, before and after the import
        buttons, sorted by row or column, optionally one problem group only."""
        if not self.errors or self.refused or self.busy:
            return []
        issues = [issue for row in self.findings().rows for issue in row["issues"]]
        if group is not None:
            groups = self.info.get("groups", [])
            if 0 <= group < len(groups):
                wanted = (groups[group]["header"], groups[group]["fix"])
                issues = [i for i in issues if (i["header"], i["fix"]) == wanted]
        return self._sorted(issues, sort)

    def warnings(self, sort="row"):
        """The 提示 table's rows (Issue dicts): rows that can be imported but will fail 认证."""
        if not self.warned or self.refused or self.busy:
            return []
        return self._sorted([issue for row in self.findings(WARNING).rows for issue in row["issues"]], sort)

    def left_out(self, level=ERROR):
        """Lines saying how many errors (or 提示) of each column the table does not list, if any."""
        shown = self.errors if level == ERROR else self.warned
        if not shown or self.refused or self.busy:
            return []
        return self.findings(level).left_out("错误" if level == ERROR else "提示")

    def _sorted(self, issues, sort):
        if sort == "column":
            order = {c.key: n for n, c in enumerate(self.spec.columns)}
            issues.sort(key=lambda i: (order.get(i["key"], 99), i["row"]))
        return issues

    def report_file(self):
        """The batch's error report (.xlsx), written on first download and kept until the rows in it change:
        the rows refused, and while the batch waits, the rows with a 提示 too (in their own colour)."""
        path = self.path("-errors.xlsx")
        if not path.exists():
            errors, warned = self.findings(), self.findings(WARNING) if self.waiting else Findings()
            note = errors.left_out(fix=REPORT_FIX) + warned.left_out("提示", REPORT_FIX)
            build_report(self.spec, sorted(errors.rows + warned.rows, key=lambda row: row["row"]), path, note)
        return path

    # ---- receive --------------------------------------------------------------------------------
    @classmethod
    def receive(cls, kind, stream, filename, update_existing, by):
        """Store an upload under the data directory while hashing it; returns the new batch.

        A file over the size limit or of a refused type becomes a 未导入 batch with the message why.
        """
        max_bytes, _ = limits()
        batch = cls.create(kind=kind, file_name=normalise.file_name(filename),
                           update_existing=update_existing, created_by=by)
        try:
            readers.check_extension(batch.file_name, batch.spec)
        except SheetError as exc:
            batch._set(status=REFUSED, message=str(exc))
            return batch
        digest, size = hashlib.sha256(), 0
        with batch.upload_path.open("wb") as out:
            while chunk := stream.read(1024 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    break
                digest.update(chunk)
                out.write(chunk)
        if size > max_bytes:
            batch.upload_path.unlink(missing_ok=True)
            batch._set(status=REFUSED, file_size=size,
                       message=f"文件超过 {max_bytes // (1024 * 1024)} MB 的上限，请拆分为多个文件分批导入")
            return batch
        batch._set(fingerprint=digest.hexdigest(), file_size=size)
        return batch

    # ---- check ----------------------------------------------------------------------------------
    def check(self, force=False, hold=False, by=None):
        """Check the file in a background job (inline in tests); returns the batch as it is now.
        `force`: check a file that was imported before anyway (仍然检查此文件). `hold`: wait for review even
        when every row is fine (继续 shows a result, it does not import). `by`: who asked (the uploader
        unless said), the one the audit log names."""
        by = by or self.created_by
        if self.refused:
            return self
        if force and not hold and (self.duplicate_of is None or self.busy):
            raise ImportRefused("这个批次不需要再次检查，请查看导入记录")
        # One transaction: no process can claim the job before the batch says it is being checked.
        with db.atomic():
            job = Job.queue(f"import.{self.kind}", {"batch": self.id, "force": force, "hold": hold},
                            file_path=str(self.upload_path), created_by=by)
            self._set(job_id=job.id, status=CHECKING, message="", duplicate_of=None)
        start(job)
        return ImportBatch.get_by_id(self.id)

    def _run_check(self, job, force, hold, by):
        """The job: read, validate, compare with what is stored; save at once when every row is fine and
        none carries a 提示."""
        started = time.perf_counter()
        if not force:
            earlier = self.earlier_import()
            if earlier is not None:
                self._set(status=REVIEW, duplicate_of=earlier.id,
                          message=f"此文件已于 {earlier.created_at.month}月{earlier.created_at.day}日 "
                                  f"{earlier.created_at:%H:%M} 导入，批次 #{earlier.id}")
                return {"batch": self.id}
        with _paused_gc():
            # Writing ahead, the check is part of the transaction that saves (models/write_ahead.py): when the
            # file turns out small enough, _check_file begins it on `saving`, which ends it after the save.
            with ExitStack() as saving:
                try:
                    table, good, found, written = self._check_file(
                        job, ahead=saving if write_ahead.wanted(self, hold) else None)
                except SheetError as exc:
                    self._set(status=REFUSED, message=str(exc), duration=round(time.perf_counter() - started, 3))
                    self.discard_upload()
                    audit.record("import.check", self, {"结果": (None, str(exc))}, user=by)
                    return {"batch": self.id}
                details = table.describe(self.spec)
                self.total = table.count
                # What is stored is compared, and an all-valid file written, in one transaction: the plan
                # cannot go stale between the comparison and the write.
                with db.atomic():
                    if written:  # every row passed, none with a 提示, and the unique index found none stored
                        plan, warned = Plan(create=good), Findings()
                    else:
                        plan = self._plan(good, found)
                        warned = Findings(self.importer.warnings(plan))
                    details.update(groups=found.groups(), warned=len(warned))
                    self._count(plan, found)
                    self._set(details=json.dumps(details, ensure_ascii=False))
                    if not (found or plan.existing or warned or hold):
                        self._save(plan, started, by, inserted=written)
            if self.saved:
                stored()  # the page shows the result while the upload is deleted and the rows are freed
                self.discard_upload()
                self.importer.after_save()
                return {"batch": self.id}
        # Only the failing rows are kept (for the error table and report); the import buttons read the
        # stored upload again, so the valid rows' personal data is not copied anywhere else on disk.
        self._keep("-errors.json", found)
        if warned:
            self._keep("-warnings.json", warned)  # the rows with a 提示 only, as the failing rows are
        else:
            self.path("-warnings.json").unlink(missing_ok=True)
        self.path("-errors.xlsx").unlink(missing_ok=True)
        self._set(status=REVIEW, duration=round(time.perf_counter() - started, 3))
        audit.record("import.check", self, {"总行数": (None, self.total), "有错误": (None, self.errors),
                                            "已存在": (None, self.existing)}, user=by)
        stored()
        return {"batch": self.id}

    # ---- commit ---------------------------------------------------------------------------------
    def commit(self, by, leave_warned=False):
        """An import button (导入没有错误的 N 行 …, clicked by `by`): write the rows that passed the check, in a job (checked again
        first). `leave_warned`: the rows with a 提示 are not imported either, to be fixed first."""
        claimed = (ImportBatch
                   .update(status=SAVING, message="")
                   .where((ImportBatch.id == self.id) & (ImportBatch.status == REVIEW)
                          & ImportBatch.duplicate_of.is_null())
                   .execute())
        if not claimed:
            raise ImportRefused("这个批次不能再导入（可能已经导入或正在导入），请查看导入记录")
        with db.atomic():
            job = Job.queue(f"import.{self.kind}.save", {"batch": self.id, "leave_warned": leave_warned},
                            created_by=by)
            self._set(job_id=job.id, status=SAVING)
        start(job)
        return ImportBatch.get_by_id(self.id)

    def _run_commit(self, job, leave_warned, by):
        """The job behind the import buttons: the stored upload is read and checked again, and of the rows that
        passed before, those that still pass are written. A row that fails now (its ID stored meanwhile, a
        quota used up) joins the error report; a row that failed before is never written, even if it would
        pass now: the user confirmed the rows the table showed."""
        started = time.perf_counter()
        before = Findings.loaded(self._load("-errors.json"))
        if leave_warned:
            before = before.merged(Findings.loaded(self._load("-warnings.json")))
            self.path("-warnings.json").unlink(missing_ok=True)
            self._set(details=json.dumps(dict(self.info, warned=0), ensure_ascii=False))
        refused = set(before.numbers)
        with _paused_gc():
            try:
                # No row limit this time: the file passed the limit in force when it was checked.
                _, good, found, _ = self._check_file(job, limited=False, skip=refused)
            except SheetError as exc:
                # Final: the stored file is gone or damaged, so no later attempt can do better.
                message = f"无法再次读取上传的文件（{exc}），未写入任何数据，请重新上传"
                self._set(status=REFUSED, message=message)
                self.discard_upload()
                audit.record("import.save", self, {"结果": (None, message)}, user=by)
                return {"batch": self.id}
            with db.atomic():
                plan = self._plan(good, found)
                self._count(plan, found, refused=len(before))
                # Kept before the batch reads 已导入: its page may show the rows not imported from then on.
                if before or found:
                    self._keep("-errors.json", before.merged(found))
                # The report now holds the rows not imported only: those with a 提示 that were imported leave it.
                self.path("-errors.xlsx").unlink(missing_ok=True)
                self._save(plan, started, by, extra=self.duration)
        stored()
        self.discard_upload()
        self.importer.after_save()
        return {"batch": self.id}

    # ---- a batch left waiting: 继续 or 放弃 ---------------------------------------------------------
    @classmethod
    def waiting_for(cls, kind, user):
        """The 待确认 batches of `kind` `user` uploaded, newest first: the dialog offers 继续 and 放弃."""
        return list(cls
                    .select()
                    .where((cls.kind == kind) & (cls.status == REVIEW) & (cls.created_by == user))
                    .order_by(cls.id.desc()))

    def resume(self, by):
        """继续: check the stored file again against what is stored now (nothing is written) and show it."""
        if not self.waiting:
            raise ImportRefused(f"批次 #{self.id} 的状态为「{self.status}」，不是待确认，请查看导入记录")
        if self.duplicate_of is not None:
            return self  # still asks 仍然检查此文件: nothing was checked yet
        return self.check(force=True, hold=True, by=by)

    def discard(self, by):
        """放弃: a 待确认 batch becomes 已放弃 and every file it stored is deleted, audited; nothing of it was
        written. The row stays: its number is never given to a later batch (SQLite reuses the highest id
        once deleted), so the audit log and links keep naming this batch."""
        at = now()
        message = f"{by} 于 {at:%m-%d %H:%M} 放弃，上传的文件已删除，未写入任何数据"
        with db.atomic():
            discarded = (ImportBatch
                         .update(status=DISCARDED, message=message)
                         .where((ImportBatch.id == self.id) & (ImportBatch.status == REVIEW))
                         .execute())
            if not discarded:
                raise ImportRefused(f"批次 #{self.id} 已不是待确认状态（可能正在导入或已导入），不能放弃")
            audit.record("import.discard", self, {"状态": (REVIEW, DISCARDED), "文件": (None, self.file_name),
                                                 "总行数": (None, self.total)}, user=by)
        self.status, self.message = DISCARDED, message
        self.discard_files()

    # ---- the steps check and commit share ------------------------------------------------------
    def _check_file(self, job, limited=True, skip=(), ahead=None):
        """The stored upload read, and every row but those numbered in `skip` (the rows refused before
        an import button) validated through the sheet's columns as it arrives: the worker parsing an Excel
        file sends the next rows meanwhile. Returns (the Table, emptied of its rows; the good Checked rows;
        the bad ones as Findings; whether the good rows are written already); SheetError when the file
        cannot be read. `limited`: refused over the row limit setting. `ahead` (an ExitStack): the rows are
        written as they pass while they all do, in the saving transaction begun on it, when the file has few
        enough rows (models/write_ahead.py). The job's progress counts the rows, unless written ahead."""
        if not self.upload_path.exists():
            raise SheetError("上传的文件已不在服务器上")
        max_rows = limits()[1] if limited else None
        with readers.opened(self.upload_path, self.spec, filename=self.file_name, max_rows=max_rows,
                            known=[importer.spec for importer in IMPORTERS.values()]) as table:
            job.report(0, total=table.expected)  # before any transaction: it would hold the job's row
            writing = ahead is not None and table.expected <= write_ahead.AHEAD_ROWS
            found = Findings()
            # A refused row lists its 提示 beside its errors: fixing the errors should not reveal new problems.
            checked = checking(self.spec, table, progress=None if writing else job.report, skip=skip, found=found,
                               notes=self.importer.row_warnings)
            if writing:
                ahead.enter_context(db.atomic())
                self._lock_kind()
                rows, written = write_ahead.checked_and_written(self, checked, found)
            else:
                rows, written = list(checked), False
        return table, [row for row in rows if row.ok], found, written

    def _plan(self, good, found):
        """The importer's own checks against the database (the rows they refuse join `found`), then the
        comparison with what is stored: the plan. Call inside the transaction that saves."""
        self._lock_kind()
        self.importer.vet(good)
        for row in good:
            if not row.ok:
                found.add(row.as_error())
        return self.importer.plan([row for row in good if row.ok], self.update_existing)

    def _lock_kind(self):
        """Hold this kind's saving lock to the end of the transaction (PostgreSQL; taken twice, held on)."""
        if not is_sqlite():
            # SQLite's BEGIN IMMEDIATE already runs one saving transaction at a time; PostgreSQL's READ
            # COMMITTED would let two imports of one kind both count the same quota left and both write.
            db.execute_sql("SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(self.kind.encode())])

    def _count(self, plan, found, refused=0):
        """Set the row counts from a check, the one place they are counted: each checked row is in
        exactly one of the plan's lists or `found` (which holds the rows the importer's vet refused too), so
        可导入 + 有错误 + 已存在 + 未变化 add up to 总行数. `refused`: rows an earlier check refused and
        this one skipped."""
        self.valid, self.errors = plan.writes, refused + len(found)
        self.existing, self.unchanged = len(plan.existing), len(plan.unchanged)

    def _save(self, plan, started, by, extra=0.0, inserted=False):
        """Write a plan (as `by`; its new rows `inserted` already) and mark the batch 已导入, all in one
        transaction."""
        with db.atomic():
            created, updated = self.importer.save(self, plan, by, inserted=inserted)
            self._set(status=IMPORTED, imported=created, updated=updated, saved_at=now(),
                      duration=round(extra + time.perf_counter() - started, 3))
            audit.record("import.save", self, {"新增": (None, created), "更新": (None, updated),
                                               "未变化": (None, self.unchanged), "已存在": (None, self.existing),
                                               "有错误": (None, self.errors)}, user=by)

    def _load(self, suffix):
        path = self.path(suffix)
        return json.loads(path.read_text("utf-8")) if path.exists() else []

    def _keep(self, suffix, found):
        # Written aside and renamed: a status poll reading the rows meanwhile never sees half a file.
        path = self.path(suffix)
        part = path.with_name(path.name + ".part")
        part.write_text(json.dumps(found.as_dict(), ensure_ascii=False, default=str), "utf-8")
        part.replace(path)

    def _set(self, **fields):
        for name, value in fields.items():
            setattr(self, name, value)
        self.save()

    # ---- undo (撤销本次导入) ------------------------------------------------------------------------
    def undo_blockers(self):
        """Why this batch cannot be undone now; an empty list means it can."""
        if self._undo_blockers is None:
            ImportBatch.read_undo_blockers([self])
        return self._undo_blockers

    def undo_count(self):
        """How many rows 撤销本次导入 would delete now: those the batch created that are still there (rows
        deleted one by one since are not, so `imported` would overstate it)."""
        self.undo_blockers()
        return self._undo_left

    @classmethod
    def read_undo_blockers(cls, batches):
        """Work out what keeps each batch from being undone, for a whole page at once: one grouped query
        per kind instead of a few counts per row."""
        saved = {}
        for batch in batches:
            if batch.saved:
                saved.setdefault(batch.kind, []).append(batch)
            else:
                batch._undo_blockers = [f"批次状态为「{batch.status}」，只有已导入的批次可以撤销"]
        for kind, group in saved.items():
            found = IMPORTERS[kind].undo_blockers(group)
            for batch in group:
                batch._undo_left, batch._undo_blockers = found[batch.id]
        return batches

    def undo(self, by):
        """撤销本次导入: delete what the batch created, in one transaction, audited."""
        with db.atomic():
            ImportBatch.read_undo_blockers([self])  # afresh, inside the transaction that deletes
            if self._undo_blockers:
                raise ImportRefused("；".join(self._undo_blockers))
            removed = self.importer.undo(self, by)
            self._set(status=UNDONE, undone_by=by, undone_at=now())
            audit.record("import.undo", self, {"状态": (IMPORTED, UNDONE), "删除": (None, removed)}, user=by)
        return removed

    # ---- the history and its housekeeping ------------------------------------------------------
    @classmethod
    def history(cls, kind=None, status=None):
        """导入记录, newest first, with who uploaded and who undid each batch read in the same query; of one
        kind, or in one state (待确认: waiting for the user's decision)."""
        undoer = User.alias()
        query = (cls
                 .select(cls, User, undoer)
                 .join(User, JOIN.LEFT_OUTER, on=cls.created_by)
                 .switch(cls)
                 .join(undoer, JOIN.LEFT_OUTER, on=cls.undone_by)
                 .order_by(cls.id.desc()))
        if kind:
            query = query.where(cls.kind == kind)
        if status in STATUS_COLORS:
            query = query.where(cls.status == status)
        return query

    def discard_upload(self):
        """Delete the uploaded file once nothing will read it again: it holds every row's personal data."""
        self.upload_path.unlink(missing_ok=True)
        self.path("-rows.json").unlink(missing_ok=True)  # valid rows an earlier version kept

    def discard_files(self):
        """Delete every file the batch stored: the upload, the kept rows and the report."""
        self.discard_upload()
        for suffix in ("-errors.json", "-warnings.json", "-errors.xlsx"):
            self.path(suffix).unlink(missing_ok=True)

    @classmethod
    def reconcile(cls):
        """Settle batches whose job failed (a bug, or a server restart): nothing of theirs was written.
        A batch left 待确认 longer than the import_keep_days setting expires and its upload is deleted."""
        for batch in cls.select().where(cls.status.in_([CHECKING, SAVING])):
            batch.settle()
        days = setting.get("import_keep_days")
        stale = list(cls.select().where((cls.status == REVIEW) & (cls.created_at < now() - timedelta(days=days))))
        for batch in stale:
            # Conditional, so a batch being confirmed at this moment is left alone.
            expired = (cls.update(status=REFUSED, message=f"超过 {days} 天未确认导入，上传的文件已删除，未写入任何数据；如需导入请重新上传")
                       .where((cls.id == batch.id) & (cls.status == REVIEW))
                       .execute())
            if expired:
                batch.discard_upload()

    def settle(self):
        """A running batch whose job failed is settled: refused while checking, back to review while saving."""
        job = self.job
        if not (self.busy and job is not None and job.status == FAILED):
            return self
        if self.checking:
            self._set(status=REFUSED, message=job.message)
            self.discard_upload()
        else:
            self._set(status=REVIEW, message="导入未完成，未写入任何数据：" + job.message)
        return self


def _check_job(job):
    """The job behind check(), re-created from its row by whichever server process claims it."""
    args, batch = job.arguments, ImportBatch.get_by_id(job.arguments["batch"])
    return batch._run_check(job, args["force"], args["hold"], job.created_by or batch.created_by)


def _commit_job(job):
    """The job behind commit() (the import buttons)."""
    batch = ImportBatch.get_by_id(job.arguments["batch"])
    return batch._run_commit(job, job.arguments["leave_warned"], job.created_by or batch.created_by)


for _kind in IMPORTERS:
    runner(f"import.{_kind}")(_check_job)
    runner(f"import.{_kind}.save")(_commit_job)


_KEPT = {ERROR: "-errors.json", WARNING: "-warnings.json"}
REPORT_FIX = "改正本表中的行后重新上传即可看到"


@contextmanager
def _paused_gc():
    # Tens of thousands of small objects are made during a check and none is garbage: pausing the
    # cyclic collector meanwhile saves a tenth of the time on big files.
    gc.disable()
    try:
        yield
    finally:
        gc.enable()

