"""考生 and their status machine: 待认证 → 认证 → 认证通过 / 认证未通过 → 人工确认 → 信息准确.

Every transition is a method here that checks the allowed source state, changes the row and writes the
audit event in one transaction. Views never assign a status.
"""
import difflib
from functools import reduce
from operator import or_

from peewee import (SQL, CharField, DateField, DateTimeField, ForeignKeyField, IntegerField, IntegrityError,
                    TextField, fn)

from . import audit, name_index, setting, status_tally, unchanged
from .candidate_fields import CANDIDATE_SHEET, KEY_FIELDS
from .db import (BaseModel, TimestampField, bulk_insert, db, is_sqlite, now, read_once,
                 refresh_statistics, select_in, starts, unindexed, unordered, update_rows)
from .identity import VERIFIERS
from .pinyin import name_keys, text_order
from .privacy import mask_id, mask_id_sql
from .user import User

PENDING, VERIFIED, REJECTED, ACCURATE = "待认证", "认证通过", "认证未通过", "信息准确"
STATUSES = (PENDING, VERIFIED, REJECTED, ACCURATE)
STATUS_COLORS = {PENDING: "gray", VERIFIED: "blue", REJECTED: "red", ACCURATE: "green"}
AUTHENTICABLE = (PENDING, REJECTED)

audit.DELETIONS["candidate"] = "candidate.delete"
audit.ACTION_LABELS.update({
    "candidate.create": "新增考生",
    "candidate.update": "修改考生信息",
    "candidate.authenticate": "认证",
    "candidate.confirm": "人工确认",
    "candidate.photo": "更换照片",
    "candidate.delete": "删除考生",
    "candidate.view_id": "查看完整证件号码",
    "candidate.export": "导出考生信息",
})


class TransitionError(ValueError):
    """A transition the candidate's current status does not allow, with a message for the user."""


def _photo_changes(old, new, status):
    """What a new photo changes, for the audit log: a 信息准确 candidate goes back to 认证通过. The photo in
    words, not its file's path in the data directory (which means nothing to staff, and the old file is
    deleted once replaced)."""
    changes = {"照片": ("原照片" if old else "无", "新照片")}
    if status == ACCURATE:
        changes.update({"状态": (ACCURATE, VERIFIED), "原因": (None, "更换了照片，需重新人工确认")})
    return changes


# 考生管理's filters, kept in its URL and carried by its export and the confirmation queue.
LIST_FILTERS = ("q", "status", "department", "major", "class_name", "has_photo", "sort")
# The cascade of its selects, 院系 → 专业 → 班级: each one's choices are narrowed by those chosen before it.
# The index on these columns in this order gives every class quickly (Candidate.classes).
CASCADE = ("department", "major", "class_name")
# How many values each of 院系, 专业 and 班级 the candidate form suggests at most: all of a college's 5,000
# classes made the dialog 271 KB.
SUGGESTED = 300
MAX_SOUGHT = 2000
# PostgreSQL: each class after the last in the cascade index's order, one index seek each (Candidate.classes).
SEEK_CLASSES = """
WITH RECURSIVE seen (department, major, class_name) AS (
    (SELECT department, major, class_name FROM candidate ORDER BY 1, 2, 3 LIMIT 1)
    UNION ALL
    SELECT next.department, next.major, next.class_name FROM seen
    JOIN candidate AS next ON next.id = (
        SELECT id FROM candidate
        WHERE (department, major, class_name) > (seen.department, seen.major, seen.class_name)
        ORDER BY department, major, class_name LIMIT 1))
SELECT * FROM seen LIMIT %s"""
DEFAULT_SORT = "-created_at"  # newest first
WALK, SORT = "walk", "sort"  # Candidate.page_plan
POPULATION = "candidate population"  # Candidate.population(), read once a request


def search_keys(name, id_number):
    """The columns the list sorts and searches by, derived from the name and the ID number: written with
    them on every path (save() and bulk_add())."""
    return dict(name_keys(name), id_number_reversed=(id_number or "")[::-1])


class Candidate(BaseModel):
    name = CharField()
    id_type = CharField()
    id_number = CharField()  # indexed with the 证件类型, unique (Meta)
    # Derived by search_keys(): 姓名 sorts by name_sort (pinyin); the search box finds a name by any part
    # (name_chars, models/name_index.py), its initials or its spelling (from their start), and an ID
    # number by its start or its end (id_number_reversed from its start).
    name_sort = CharField(default="", index=True)
    name_pinyin = CharField(default="", index=True)
    name_initials = CharField(default="", index=True)
    name_chars = CharField(default="")
    id_number_reversed = CharField(default="", index=True)
    gender = CharField()
    birth_date = DateField(null=True)
    ethnicity = CharField(default="")
    phone = CharField(default="")
    student_no = CharField(default="", index=True)
    department = CharField(default="")  # indexed with the 班级 (Meta)
    major = CharField(default="", index=True)
    class_name = CharField(default="", index=True)
    education_level = CharField(default="")
    enrollment_year = IntegerField(null=True)
    photo = CharField(null=True, index=True)  # path under the data directory's photos/ folder
    status = CharField(default=PENDING, index=True)
    status_reasons = TextField(default="")  # why 认证 failed, one reason a line
    verify_notes = TextField(default="")  # remarks that did not fail 认证
    verified_at = DateTimeField(null=True)
    confirmed_by = ForeignKeyField(User, null=True, on_delete="SET NULL", index=False)  # no query reads by it
    confirmed_at = DateTimeField(null=True)  # 批量人工确认 counts those confirmed since it began (CONFIRMED_SINCE)
    batch_id = IntegerField(null=True)  # the import batch that created it, if any
    created_at = TimestampField(index=True)
    updated_at = TimestampField()

    class Meta:
        # (status, department, class_name) covers 首页's counts per 院系 and per 班级 (models/progress.py):
        # without it, grouping 100,000 candidates reads every table row (~200 ms on SQLite).
        # (batch_id, status, photo, created_at, updated_at): 导入记录 counts what was done to each batch's
        # candidates (undo_blockers) from the index alone. (department, class_name): 颁证前检查 lists by 院系,
        # 班级, 姓名, and a page sorts one class's candidates instead of a 院系's (the 院系 alone was indexed).
        # (id_number, id_type): the 证件号码 first, so the same index finds a number, and numbers by their start.
        indexes = ((("id_number", "id_type"), True),
                   # The id: 颁证前检查 counts from the index alone on PostgreSQL (SQLite's indexes carry it anyway).
                   (("status", "department", "class_name", "id"), False),
                   (("department", "class_name"), False),
                   (CASCADE, False),
                   (("batch_id", "status", "photo", "created_at", "updated_at"), False))

    def __str__(self):
        return self.label(self.name, self.id_number)

    @staticmethod
    def label(name, id_number):
        """How a candidate is named in the audit log and messages: the ID masked."""
        return f"{name}（{mask_id(id_number)}）"

    @classmethod
    def label_sql(cls):
        """label() of each row as an SQL expression, for audit events the database writes (audit.record_same)."""
        return cls.name.concat("（").concat(mask_id_sql(cls.id_number)).concat("）")

    def save(self, *args, **kwargs):
        self.__data__.update(search_keys(self.name, self.id_number))
        new = self.id is None
        with db.atomic():
            saved = super().save(*args, **kwargs)
            if new:
                name_index.index_new(self.id)
                status_tally.count_new(self.id)
        return saved

    @classmethod
    def bulk_add(cls, rows, analyse=True, same=None, streamed=False):
        """Insert many candidates (dicts of field values; `same`: the values every row shares) through
        bulk_insert, their search columns filled and the name index and counts told; inside the caller's
        transaction. Returns the number of rows. `analyse`: the planner learns the table's new size at once
        (refresh_statistics); an import leaves that until its result is stored (CandidateImporter.after_save).
        `streamed`: as bulk_insert's."""
        first = (cls.select(fn.MAX(cls.id)).scalar() or 0) + 1
        count = bulk_insert(cls, (dict(row, **search_keys(row["name"], row["id_number"])) for row in rows), same=same,
                            streamed=streamed)
        name_index.index_new(first)
        status_tally.count_new(first)
        if analyse:
            refresh_statistics([cls])
        return count

    @property
    def masked_id(self):
        return mask_id(self.id_number)

    @property
    def reasons(self):
        return [line for line in self.status_reasons.splitlines() if line]

    @property
    def notes(self):
        return [line for line in self.verify_notes.splitlines() if line]

    @property
    def status_color(self):
        return STATUS_COLORS[self.status]

    @property
    def can_authenticate(self):
        return self.status in AUTHENTICABLE

    @property
    def can_confirm(self):
        """人工确认 takes a candidate whose 认证 passed (the photo is checked when it is saved)."""
        return self.status == VERIFIED

    @property
    def is_accurate(self):
        return self.status == ACCURATE

    def field_values(self):
        return {c.key: getattr(self, c.key) for c in CANDIDATE_SHEET.columns}

    # ---- what is still needed ------------------------------------------------------------------
    def missing_steps(self):
        """What must still happen before this candidate is 信息准确, in the order to do it."""
        if self.status == PENDING:
            return ["点击「认证」完成认证"]
        if self.status == REJECTED:
            return ["按认证未通过的原因修改考生信息，再重新认证"]
        if self.status == VERIFIED:
            steps = [] if self.photo else ["上传学生照片"]
            return steps + ["点击「人工确认」核对信息和照片后保存"]
        return []

    # ---- transitions -----------------------------------------------------------------------------
    @classmethod
    def register(cls, values, by, batch_id=None):
        """新增学生信息: a new candidate in 待认证."""
        with db.atomic():
            candidate = cls.create(**values, status=PENDING, batch_id=batch_id)
            audit.record("candidate.create", candidate, {"状态": (None, PENDING)}, user=by)
        return candidate

    def edit(self, values, by):
        """Change fields; a changed 姓名/证件类型/证件号码/性别/出生日期 sends the candidate back to 待认证."""
        before = self.field_values()
        changed = {k: (before.get(k), v) for k, v in values.items() if before.get(k) != v}
        if not changed:
            return False
        labels = {c.key: c.header for c in CANDIDATE_SHEET.columns}
        audit_changes = {labels[k]: pair for k, pair in changed.items()}
        with db.atomic():
            for key, (_, value) in changed.items():
                setattr(self, key, value)
            if set(changed) & set(KEY_FIELDS) and self.status != PENDING:
                audit_changes["状态"] = (self.status, PENDING)
                audit_changes["原因"] = (None, "修改了" + "、".join(labels[k] for k in changed if k in KEY_FIELDS)
                                          + "，需重新认证")
                self._reset_verification()
            self.updated_at = now()
            self.save()
            audit.record("candidate.update", self, audit_changes, user=by)
        return True

    def _reset_verification(self):
        self.status = PENDING
        self.status_reasons = ""
        self.verify_notes = ""
        self.verified_at = None
        self.confirmed_by = None
        self.confirmed_at = None

    def authenticate(self, by, verifier=None):
        """认证 one candidate; returns True when it passed."""
        if not self.can_authenticate:
            raise TransitionError(f"考生状态为「{self.status}」，只有待认证或认证未通过的考生可以认证")
        self.authenticate_many([self], by, verifier)
        fresh = Candidate.get_by_id(self.id)
        self.__data__.update(fresh.__data__)
        return self.status == VERIFIED

    @classmethod
    def authenticate_many(cls, candidates, by, verifier=None):
        """批量认证: verify the authenticable ones and write the outcomes in a few set-based statements.

        Returns (passed, failed, skipped) counts; candidates in other statuses are skipped.
        """
        todo = [c for c in candidates if c.can_authenticate]
        verifier = verifier or VERIFIERS[setting.get("identity_verifier")]()
        results = verifier.verify(todo)
        at = now()
        groups = {}
        for candidate in todo:
            problems, notes = results[candidate.id]
            outcome = (REJECTED if problems else VERIFIED, "\n".join(problems), "\n".join(notes))
            groups.setdefault(outcome, []).append(candidate)
        with db.atomic():
            for (status, reasons, notes), members in groups.items():
                ids = [c.id for c in members]
                for start in range(0, len(ids), 500):
                    (cls.update(status=status, status_reasons=reasons, verify_notes=notes, verified_at=at,
                                updated_at=at)
                     .where(cls.id.in_(ids[start:start + 500]))
                     .execute())
                entries = [(c, {"状态": (c.status, status), **({"原因": (None, reasons)} if reasons else {})})
                           for c in members]
                audit.record_many("candidate.authenticate", entries, user=by)
        passed = sum(len(m) for (status, _, _), m in groups.items() if status == VERIFIED)
        return passed, len(todo) - passed, len(candidates) - len(todo)

    def check_confirmable(self):
        if not self.can_confirm:
            raise TransitionError(f"考生状态为「{self.status}」，只有认证通过的考生可以人工确认")

    def confirm(self, by):
        """人工确认 → 信息准确; needs 认证通过 and a photo."""
        self.check_confirmable()
        if not self.photo:
            raise TransitionError("该考生还没有照片，请先上传照片再人工确认")
        with db.atomic():
            self.status, self.confirmed_by, self.confirmed_at = ACCURATE, by, now()
            self.updated_at = self.confirmed_at
            self.save()
            audit.record("candidate.confirm", self, {"状态": (VERIFIED, ACCURATE)}, user=by)

    @classmethod
    def confirm_many(cls, candidates, by):
        """人工确认 of several candidates at once (the grid's ticked cards): all or none, each audited."""
        with db.atomic():
            for candidate in candidates:
                candidate.confirm(by)
        return len(candidates)

    def set_photo(self, photo_path, by):
        """Store a new photo reference; a 信息准确 candidate goes back to 认证通过 to be confirmed again."""
        with db.atomic():
            changes = _photo_changes(self.photo, photo_path, self.status)
            if self.status == ACCURATE:
                self.status, self.confirmed_by, self.confirmed_at = VERIFIED, None, None
            self.photo = photo_path
            self.updated_at = now()
            self.save()
            audit.record("candidate.photo", self, changes, user=by)

    @classmethod
    def set_photo_many(cls, paths, by):
        """set_photo for many candidates ({candidate id: photo path}) in a few statements; call it inside
        the caller's transaction. Candidates already holding that photo are skipped. Returns the photo
        paths replaced (for the caller to delete once committed)."""
        stored = select_in(cls, ("id", "name", "id_number", "photo", "status"), "id", list(paths))
        at, rows, events, replaced = now(), [], [], []
        for id_, name, number, photo, status in stored:
            new = paths[id_]
            if photo == new:
                continue
            rows.append((new, at, id_))
            events.append((id_, cls.label(name, number), _photo_changes(photo, new, status)))
            replaced += [photo] if photo else []
        update_rows(cls, ("photo", "updated_at"), rows)
        # Every changed candidate that is 信息准确 now (not only when read: 人工确认 may have happened in
        # between) goes back to 认证通过: no one has confirmed the new photo.
        changed = [id_ for _, _, id_ in rows]
        for start in range(0, len(changed), 500):
            (cls.update(status=VERIFIED, confirmed_by=None, confirmed_at=None)
             .where(cls.id.in_(changed[start:start + 500]) & (cls.status == ACCURATE))
             .execute())
        audit.record_each("candidate.photo", cls, events, user=by)
        return replaced

    def record_full_id_view(self, by):
        """The full 证件号码 was shown (detail page, 人工确认): the audit log keeps who saw it."""
        audit.record("candidate.view_id", self, user=by)

    def remove(self, by):
        """Delete the candidate; returns its photo path. Refused while it has certificate records: their
        foreign key (ON DELETE RESTRICT) refuses the DELETE, and the audit event rolls back with it."""
        try:
            with db.atomic():
                audit.record("candidate.delete", self, {"状态": (self.status, None)}, user=by)
                self.delete_instance()
        except IntegrityError as exc:
            raise TransitionError("该考生已有待颁证或已颁证记录，不能删除") from exc
        return self.photo

    # ---- queries -------------------------------------------------------------------------------
    @classmethod
    def by_identity(cls, id_type, id_number):
        return cls.get_or_none((cls.id_type == id_type) & (cls.id_number == id_number))

    @classmethod
    def status_counts(cls, query=None):
        """{status: count} over a query (all candidates by default: kept by the database, models/status_tally.py),
        every status present."""
        counts = dict.fromkeys(STATUSES, 0)
        # Not `if query`: truth-testing a peewee query runs it and fetches every row.
        if query is None:
            counts.update(status_tally.counts())
            return counts
        rows = (query.clone()
                .select(cls.status, fn.COUNT(SQL("*")).alias("n"))  # not COUNT(id): an index alone answers
                .order_by()
                .group_by(cls.status)
                .tuples())
        counts.update(dict(rows))
        return counts

    @classmethod
    def list_counts(cls, filters):
        """Counts per status, every status present, over 考生管理's search and filters, its status filter aside:
        kept by the database (models/status_tally.py) unless there is a search, and by the process until the
        database changes (a copy: the caller may change it)."""
        if (filters.get("q") or "").strip():
            searched = dict(filters, status="")  # its sort, whichever it is, orders nothing counted
            return dict(unchanged.kept("searched counts", tuple(searched.get(name) for name in LIST_FILTERS[:-1]),
                                       lambda: cls.status_counts(cls.filtered(**searched))))
        narrowed = {name: filters.get(name) or "" for name in status_tally.FILTERS}
        if narrowed["has_photo"] not in ("0", "1"):
            narrowed["has_photo"] = ""  # as filtered() ignores it
        counts = dict.fromkeys(STATUSES, 0)
        counts.update(unchanged.kept("counts", tuple(narrowed.values()), lambda: status_tally.counts(**narrowed)))
        if not any(narrowed.values()):
            read_once(POPULATION, lambda: sum(counts.values()))  # what page_plan() asks next
        return counts

    @classmethod
    def population(cls):
        """How many candidates there are, for planning a page's read: read once a request (that the list's
        counts found it already saves a query; a write later in the request changes a plan, not a count)."""
        return read_once(POPULATION, lambda: sum(status_tally.counts().values()))

    @classmethod
    def without_photo(cls):
        return cls.select().where(cls.photo.is_null())

    @classmethod
    def filtered(cls, q="", status="", department="", major="", class_name="", has_photo="", sort=DEFAULT_SORT,
                 plan=None):
        """The list of 考生管理: search by 姓名/证件号码/学号/班级, filters, and one sort column. `plan` (page_plan):
        WALK tests the filters row by row along the sort's index, SORT reads the matching rows and sorts them,
        None leaves it to the database."""
        column = unindexed if plan == WALK else (lambda field: field)
        query = cls.select()
        q = (q or "").strip()
        if q and is_sqlite():
            # The matching ids first, in a subquery, so that SQLite reads each condition's own index and
            # unites them (MULTI-INDEX OR) instead of walking the sort's index through all rows.
            query = query.where(cls.id.in_(cls.select(cls.id).where(cls.matching(q))))
        elif q:
            # PostgreSQL unites the conditions' indexes and intersects them with the filters' (BitmapOr,
            # BitmapAnd): as a subquery, a search's 1,000 matches were joined with the 16,000 rows of a 院系.
            query = query.where(cls.matching(q))
        if status in STATUSES:
            query = query.where(column(cls.status) == status)
        for name, value in (("department", department), ("major", major), ("class_name", class_name)):
            if value:
                query = query.where(column(getattr(cls, name)) == value)
        if has_photo in ("0", "1"):
            query = query.where(column(cls.photo).is_null(has_photo == "0"))
        fields, descending = cls.sort_key(sort)
        fields += (cls.id,)
        if plan == SORT:
            fields = tuple(map(unordered, fields))
        return query.order_by(*(field.desc() if descending else field.asc() for field in fields))

    @classmethod
    def page_plan(cls, q, matching, through):
        """How a page of the list is best read, `through` rows into the order of its `matching` candidates: by
        walking the sort's index and testing each row (about through × all / matching rows read) or by
        reading the matching rows and sorting them (`matching` rows). Each planner errs one way here:
        SQLite takes a filter's index whenever its statistics call it selective, whatever the LIMIT (a page
        of the 5,556 candidates of one 专业 read and sorted them all: 30 ms at 100,000, where the walk reads
        ~900 rows); PostgreSQL cannot estimate how many a search matches and walked 37,000 rows for the
        1,300 matching a pinyin search (75 ms). A search keeps SQLite's plan (its matches are read first)."""
        walk = through * cls.population() < matching * matching
        if is_sqlite():
            return WALK if walk and not q else None
        return None if walk else SORT

    @classmethod
    def matching(cls, q):
        """The search box: a part of the name (any length), the pinyin initials or spelling from the start
        (zs, zhangs → 张三; initials are ambiguous: zs is 赵四 too), the start or end of the ID number or
        the start of the 学号, a part of the 班级. Each through an index: the class names matching are
        picked from the few distinct ones first."""
        conditions = [name_index.name_contains(cls, q)]
        if q.isascii():
            term = q.upper()
            letters = "".join(name_index.words(q))
            conditions += [starts(cls.id_number, term), starts(cls.id_number_reversed, term[::-1]),
                           starts(cls.student_no, q)]
            if letters.isalpha():
                conditions += [starts(cls.name_initials, letters), starts(cls.name_pinyin, letters)]
        classes = [c for c in cls.distinct_values(cls.class_name) if q.lower() in c.lower()]
        if classes:
            conditions.append(cls.class_name.in_(classes))
        return reduce(or_, conditions)

    @classmethod
    def sort_key(cls, sort):
        """The list's sort as (fields, descending); the id breaks ties in the same direction."""
        return SORTABLE.get(sort.lstrip("-"), SORTABLE["created_at"]), sort.startswith("-")

    @classmethod
    def distinct_values(cls, field, **chosen):
        """The values a filter select offers (院系, 专业, 班级), in order, among the candidates whose fields
        equal `chosen` (empty ones ignored)."""
        return unchanged.kept("distinct values", (field.name, *sorted(chosen.items())),
                              lambda: _values_among(cls.classes(), field.name, chosen))

    @classmethod
    def suggested_values(cls, department, major):
        """The 院系, 专业 and 班级 the candidate form suggests as the user types: the 专业 of the 院系 typed,
        the 班级 of the 院系 and 专业 typed (of the 院系 alone when no class has both: a 专业 left from another
        院系, or a new one; those of the college when nothing is typed), at most SUGGESTED each. `department`
        and `major` are as 保存 would store them ("" when empty), or None for a value it would refuse (too
        long, a control character): that is no one's, and nothing after it is suggested."""
        classes = [] if None in (department, major) else cls.distinct_values(
            cls.class_name, department=department, major=major)
        if not classes and major and department:
            classes = cls.distinct_values(cls.class_name, department=department)
        majors = [] if department is None else cls.distinct_values(cls.major, department=department)
        return {"department": cls.distinct_values(cls.department)[:SUGGESTED], "major": majors[:SUGGESTED],
                "class_name": classes[:SUGGESTED]}

    @classmethod
    def department_unheard_of(cls, department):
        """None when a stored candidate has this 院系 (or none is stored yet); else the stored 院系 it most
        resembles, "" when none does: a 院系 typed wrong (信息工程学员) would otherwise quietly become a new one."""
        known = cls.distinct_values(cls.department)
        if not department or not known or department in known:
            return None
        return next(iter(difflib.get_close_matches(department, known, n=1, cutoff=0.75)), "")

    @classmethod
    def departments_elsewhere(cls, key, value, department):
        """The 院系 of the stored candidates whose 专业 or 班级 (`key`) is `value`, when `department` is not
        one of them (a value typed for a 院系 that has no one with it); [] when it is, or no one has it."""
        homes = cls.distinct_values(cls.department, **{key: value})
        return [] if department in homes else homes

    @classmethod
    def classes(cls):
        """Every distinct (院系, 专业, 班级): one row per class, a few hundred at a college (a search with
        a 院系 asks four times), read off the cascade's index. SQLite's DISTINCT skips ahead through
        the index by itself (0.3 ms at 100,000 candidates, where any filtered DISTINCT read the 院系's rows:
        150 ms); PostgreSQL's reads every entry (9 ms), so there each row is sought after the last (1 ms for
        108 classes), and past MAX_SOUGHT classes a plain DISTINCT is the quicker. Kept by the process until
        the database changes, and not also once a request: what the cascade and a search's 班级 keep is read
        from these classes, and classes read before another process's commit, or within a transaction rolled
        back since, would be kept with the generation looked up after it."""
        return unchanged.kept("classes", None, cls._read_classes)

    @staticmethod
    def _read_classes():
        if not is_sqlite():
            rows = db.execute_sql(SEEK_CLASSES, (MAX_SOUGHT + 1,)).fetchall()
            if len(rows) <= MAX_SOUGHT:
                return rows
        return db.execute_sql(f"SELECT DISTINCT {', '.join(CASCADE)} FROM candidate").fetchall()

    @classmethod
    def cascade_choices(cls, filters):
        """The choices of 院系 → 专业 → 班级, each narrowed by those chosen before it. A chosen value that is not
        among its choices (a 专业 of another 院系 than the one just chosen) is cleared in `filters`; one that no
        candidate has (an old bookmark's 院系) is kept, so the list is empty rather than everyone. Kept by the
        process until the database changes: the same few choices are asked on every page turned."""
        asked = tuple(filters.get(name) or "" for name in CASCADE)
        choices, cleared = unchanged.kept("cascade choices", asked, lambda: _cascade(cls.classes(), asked))
        for name in cleared:
            filters[name] = ""
        return choices


def _cascade(classes, asked):
    """cascade_choices() of the cascade's values `asked`: (choices, the names of those cleared)."""
    chosen, choices, cleared = dict(zip(CASCADE, asked)), {}, []
    for depth, name in enumerate(CASCADE):
        choices[name] = _values_among(classes, name, {key: chosen[key] for key in CASCADE[:depth]})
        value = chosen[name]
        if value and value not in choices[name] and value in _values_among(classes, name, {}):
            chosen[name] = ""
            cleared.append(name)
    return choices, tuple(cleared)


def _values_among(classes, name, chosen):
    """The distinct non-empty values of the cascade column `name` among `classes` (rows of CASCADE's columns)
    whose columns equal the non-empty ones of `chosen`, in pinyin order."""
    at = CASCADE.index(name)
    wanted = [(CASCADE.index(key), value) for key, value in chosen.items() if value]
    return sorted({row[at] for row in classes if row[at] and all(row[i] == value for i, value in wanted)},
                  key=text_order)


# What a row of 考生管理 shows: reading only these, a page of 50 converts no dates (each a string parsed on SQLite).
LISTED = (Candidate.id, Candidate.name, Candidate.student_no, Candidate.id_type, Candidate.id_number, Candidate.gender,
          Candidate.department, Candidate.major, Candidate.class_name, Candidate.photo, Candidate.status,
          Candidate.status_reasons)
# Each sort's columns, in order (the id breaks the remaining ties). 状态 and 院系 go on by 院系/班级 and
# 专业/班级 along their indexes: ordered by the status or 院系 alone, PostgreSQL sorted 25,000 ties by id.
SORTABLE = {
    "name": (Candidate.name_sort,),
    "status": (Candidate.status, Candidate.department, Candidate.class_name),
    "class_name": (Candidate.class_name,),
    "department": tuple(getattr(Candidate, name) for name in CASCADE),
    "student_no": (Candidate.student_no,),
    "created_at": (Candidate.created_at,),
}


# 批量人工确认's 已确认 (confirmed_at >= the queue's start) read from an index of the confirmed candidates only:
# a new or imported candidate has none, so an import's rows are not written to it (10,000 rows: ~7 ms of SQLite's
# time, ~20 ms of PostgreSQL's). Both databases use it for a comparison of confirmed_at, which is never NULL.
CONFIRMED_SINCE = "candidate_confirmed_at_set"
Candidate.add_index(Candidate.index(Candidate.confirmed_at, name=CONFIRMED_SINCE)
                    .where(Candidate.confirmed_at.is_null(False)))
