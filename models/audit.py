"""The audit log: one row per state change, written inside the change's own transaction.

The log keeps the actor's user id and login name only, so it outlives deleted users and sits below
them: naming people by display name, and finding their events, is for models/user.py.
"""
import json
from datetime import date, timedelta

from flask import has_request_context, request
from flask_login import current_user
from peewee import CharField, IntegerField, TextField, Value, fn

from .db import BaseModel, TimestampField, db, driver_value, now
from .privacy import mask_ids_in_text
from .tally import Counted, Tally

# The action that deletes an object, by object type: its id may be given to a new object (for_object).
# Each area adds its own.
DELETIONS = {}
# What each action code means to a reader of the log. Each area adds its own codes.
ACTION_LABELS = {
    "auth.login": "登录",
    "auth.login_failed": "登录失败",
    "auth.locked": "账号锁定",
    "auth.logout": "退出",
    "auth.setup": "创建首个管理员",
    "user.create": "创建用户",
    "user.update": "修改用户",
    "user.password_reset": "重置密码",
    "user.password_change": "修改密码",
    "user.password_change_failed": "修改密码失败",
}


def _day(row, sqlite):
    """An event's day in SQL. SQLite keeps a time as ISO text: its first ten characters are the day (date() would
    give NULL for text that is no time, which the counts refuse)."""
    return f"substr({row}.at, 1, 10)" if sqlite else f"CAST({row}.at AS DATE)"


NO_USER = 0  # FILTERED's user of an event without one (ids start at 1)
# The events per action, user and day, kept as the others are: 审计日志 filtered by action, by user or both, and by
# dates counts its events from these, exactly, and starts a page in the day they place it in. The middle of
# 李老师's 628,000 events, and of the 240,000 of one action among them, was skipped to along an index and counted
# (PostgreSQL 175 and 586 ms of SQL), and a pager by user or date had counted up to 100,000 and knew no last page.
FILTERED = Tally("audit_filter_tally", "audit_event", {"action": "VARCHAR(255)", "user_id": "INTEGER", "day": "DATE"},
                 lambda row, sqlite: f"{row}.action, COALESCE({row}.user_id, {NO_USER}), {_day(row, sqlite)}",
                 watched=("action", "user_id", "at"), compare_on_start=False)
# The events per day, kept by the database as the events per action are (TALLY, below): a page deep in 审计日志
# starts in the day these counts place it in and skips only that day's newer events (the middle of 1,000,000 events
# skipped 500,000 index entries one by one: SQLite 11 ms, PostgreSQL 124 ms).
DAYS = Tally("audit_day_tally", "audit_event", {"day": "DATE"}, _day, watched=("at",), compare_on_start=False,
             folds_with=FILTERED)
# The events per action, kept by the database (models/tally.py): 审计日志's pager counted up to 100,000 of
# 1,000,000 events (a page beyond that, counting them all, took PostgreSQL ~50 ms) and knew no last page.
# The log grows without end and is never changed: a start compares only the total with the table's COUNT(*)
# (comparing per action took ~300 ms a start at 1,000,000 events on PostgreSQL, holding every audited write).
TALLY = Tally("audit_tally", "audit_event", {"action": "VARCHAR(255)"}, lambda row, sqlite: f"{row}.action",
              watched=("action",), compare_on_start=False, folds_with=DAYS)


class AuditEvent(Counted, BaseModel):
    tally = TALLY
    at = TimestampField(index=True)
    # The actor is kept by id and name without a foreign key so the log outlives deleted users.
    user_id = IntegerField(null=True)
    username = CharField(default="")
    action = CharField()
    object_type = CharField(default="")  # an object's events are found by its id (indexed), the type checked
    object_id = CharField(default="", index=True)
    object_label = CharField(default="")
    changes = TextField(default="")
    ip = CharField(default="")

    class Meta:
        # 审计日志 filtered by action or user, newest first: the index gives the page's 50 events in order
        # (on the time index alone, an action with no event read all 1,000,000 to find none).
        indexes = ((("action", "at", "id"), False), (("user_id", "at", "id"), False))

    @classmethod
    def added(cls, first_id):
        """Rows inserted from id `first_id` on, counted per action, per day and per all three (on SQLite)."""
        super().added(first_id)
        DAYS.count_new(first_id)
        FILTERED.count_new(first_id)

    @classmethod
    def kept_count(cls, action=""):
        """How many events the log holds, or one action's: the database's count (TALLY), exact however long the
        log."""
        counted = TALLY.counts()  # all actions (a few dozen): a read of them all folds PostgreSQL's rows
        return counted.get(action, 0) if action else sum(counted.values())

    @staticmethod
    def days(action="", users=None, since=None, until=None):
        """[(day, events)] of every day with events, the latest first: of the whole log (DAYS) or of those the
        filters select (FILTERED): of one action, of `users` (ids, None for the events without one), from the day
        `since` through the day `until`."""
        if action or users is not None:
            TALLY.counts()  # PostgreSQL: a read of every action's count folds the three tallies' rows once grown
            filters = {"action": action} if action else {}
            if users is not None:
                filters["user_id"] = [NO_USER if user is None else user for user in users]
            counted = FILTERED.counts(by=("day",), **filters)
        else:
            counted = DAYS.counts(by=("day",))
        days = ((day if isinstance(day, date) else date.fromisoformat(day), n) for (day,), n in counted.items())
        return sorted(((day, n) for day, n in days
                       if (since is None or day >= since) and (until is None or day <= until)), reverse=True)

    @classmethod
    def log(cls, action="", users=None, since=None, until=None):
        """审计日志, newest first, as a reader of its pages (LogPages): the whole log, or the events of one action,
        of `users` (ids, None for the events without one: User.actor_ids), from the day `since` through the
        day `until`, counted exactly by the database."""
        query = cls.select().order_by(*NEWEST_FIRST)
        if action:
            query = query.where(cls.action == action)
        if users is not None:
            by = cls.user_id.in_([user for user in users if user is not None])
            query = query.where(by | cls.user_id.is_null() if None in users else by)
        if users is None and not (since or until):
            return LogPages(query, cls.kept_count(action), lambda: cls.days(action))
        # Counted from its days, which place every page: the dates select the days, and a page is read within its
        # own (its time in two ranges, SQLite walked the wider: the last page of a month skipped its 42,000 events).
        days = cls.days(action, users, since, until)
        return LogPages(query, sum(n for _, n in days), lambda: days, read=True)

    @property
    def action_label(self):
        return ACTION_LABELS.get(self.action, self.action)

    @property
    def change_list(self):
        """[(field, before, after), ...] with ID numbers masked, for display."""
        if not self.changes:
            return []
        data = json.loads(self.changes)
        return [
            (field, mask_ids_in_text(_show(before)), mask_ids_in_text(_show(after)))
            for field, (before, after) in data.items()
        ]

    @classmethod
    def user_ids(cls):
        """Every user id the log names, read from the (user_id, at, id) index one id at a time (a loose index
        scan: tens of seeks, not 1,000,000 rows)."""
        table = cls._meta.table_name
        return [user_id for (user_id,) in db.execute_sql(
            f'WITH RECURSIVE ids(id) AS (SELECT MIN(user_id) FROM "{table}" UNION ALL '
            f'SELECT (SELECT MIN(user_id) FROM "{table}" WHERE user_id > ids.id) FROM ids WHERE ids.id IS NOT NULL) '
            'SELECT id FROM ids WHERE id IS NOT NULL')]

    @classmethod
    def for_object(cls, object_type, object_id):
        """The events of one object, newest first: since the last deletion of an object of its type and id
        (DELETIONS), for SQLite gives a new row the id of a deleted one when it was the highest (an import
        undone, then another: the new candidates showed the history of those undone)."""
        same = (cls.object_type == object_type) & (cls.object_id == str(object_id))
        query = cls.select().where(same)
        if object_type in DELETIONS:
            deleted = cls.select(fn.MAX(cls.id)).where(same & (cls.action == DELETIONS[object_type]))
            query = query.where(cls.id > fn.COALESCE(deleted, 0))
        return query.order_by(cls.at.desc(), cls.id.desc())


class LogPages:
    """审计日志 (`query`: its events, newest first; `total` of them) as a reader of its events by position, for
    views.Page. A page starts in the day that the events per day (`days()`, latest first: AuditEvent.days) place
    it in and skips only that day's events before it, ids first. Unless the days are `read` already (a filtered
    log's, counted from them), a page within NEAR events of either end is read by skipping them along the
    query's index, from that end, and the days are read only for a deeper one."""

    def __init__(self, query, total, days, read=False):
        self.query, self.total, self.days, self.read = query, total, days, read

    def rows(self, start, stop):
        stop = min(stop, self.total)
        if start >= stop:
            return []
        if not self.read and start < NEAR:
            return list(self.query.limit(stop - start).offset(start))
        if not self.read and self.total - stop < NEAR:
            oldest_first = self.query.clone().order_by(AuditEvent.at.asc(), AuditEvent.id.asc())
            return list(oldest_first.limit(stop - start).offset(self.total - stop))[::-1]
        days = self.days()
        (first, newer), (last, _) = _day_of(days, start), _day_of(days, stop - 1)
        # Every event of a later day comes before this day's in the order (time, then id, newest first). The
        # page's ids first, within its days: skipping along an index reads no event for nothing.
        ids = (self.query.where((AuditEvent.at < first + timedelta(days=1)) & (AuditEvent.at >= last))
               .select(AuditEvent.id).limit(stop - start).offset(start - newer))
        return list(AuditEvent.select().where(AuditEvent.id.in_(ids)).order_by(*NEWEST_FIRST))


def _day_of(days, position):
    """(the day of `days` holding the event at `position` of their order, the events of the days before it)."""
    newer = 0
    for day, n in days:
        if newer + n > position:
            return day, newer
        newer += n
    raise IndexError(position)


NEWEST_FIRST = (AuditEvent.at.desc(), AuditEvent.id.desc())
# Events skipped along the time's (or the action's) index rather than placed by day: reading the days cost more
# (the whole log's ~0.8 ms on SQLite, an action's ~1.5 ms on PostgreSQL).
NEAR = 1000


def _show(value):
    return "" if value is None else str(value)


def _common(action, user):
    """The fields every event of one action by one actor shares: time, actor, action, address."""
    if user is None and has_request_context() and current_user and current_user.is_authenticated:
        user = current_user
    return {
        "at": now(),
        "user_id": user.id if user is not None else None,
        "username": user.username if user is not None else "system",
        "action": action,
        "ip": (request.remote_addr or "") if has_request_context() else "",
    }


def _encode(changes):
    return json.dumps(changes, ensure_ascii=False, default=str) if changes else ""


def _row(common, object_type, object_id, label, encoded):
    return dict(common, object_type=object_type, object_id=str(object_id), object_label=label, changes=encoded)


def record(action, obj=None, changes=None, *, user=None, label=None):
    """Write one audit event; call it inside the transaction that makes the change.

    `changes` maps a field name to (before, after). The actor defaults to the logged-in user and the
    address to the request's client address, when there is a request.
    """
    if label is None:
        label = str(obj) if obj is not None else ""
    object_type = obj.__class__.__name__.lower() if obj is not None else ""
    return AuditEvent.create(**_row(_common(action, user), object_type, obj.id if obj is not None else "",
                                    label, _encode(changes)))


def record_many(action, entries, *, user=None):
    """Write one event per (obj, changes) pair in a few statements: for set-based work such as 批量认证."""
    common = _common(action, user)
    AuditEvent.bulk_add(_row(common, obj.__class__.__name__.lower(), obj.id, str(obj), _encode(changes))
                        for obj, changes in entries)


def record_each(action, model, items, *, user=None):
    """One event per (object id, label, changes) of `model`'s records, without a model instance each."""
    common, object_type = _common(action, user), model.__name__.lower()
    return AuditEvent.bulk_add(_row(common, object_type, object_id, label, _encode(changes))
                               for object_id, label, changes in items)


def record_same(action, query, label, changes, *, user=None):
    """One event per record `query` selects (a select of one model, joined as `label` needs), labelled by
    the SQL expression `label` (e.g. Candidate.label_sql()), all with the same `changes`: for a batch that
    creates or deletes thousands of records. The database writes them in one INSERT … SELECT: no record
    goes to Python and back (10,000 events of an import: 75 → 25 ms on SQLite, 130 → 80 ms on PostgreSQL).
    Returns the number of events written."""
    model, common = query.model, _common(action, user)
    shared = {"object_type": model.__name__.lower(), "changes": _encode(changes), **common}
    fields = [AuditEvent._meta.fields[name] for name in shared] + [AuditEvent.object_id, AuditEvent.object_label]
    values = [Value(driver_value(AuditEvent._meta.fields[name], value)) for name, value in shared.items()]
    return AuditEvent.add_selected(fields, query.select(*values, model.id.cast("TEXT"), label).order_by(model.id))


FULL_IDS = "（含完整证件号码）"


def record_download(action, count, *, by, filters=None, facts=None, obj=None, about=None, full_ids=False):
    """Every download of people's data (export, report, pre-filled template, roster, print view), written
    one way: which rows (`filters`, or 全部), how many, any other `facts` {name: value}; labelled by the
    action's name and what it is `about` (`obj`, the one record it is of, by default), marked when the
    file carries full ID numbers."""
    changes = {name: (None, value) for name, value in (facts or {}).items()}
    changes.update({"筛选条件": (None, filters or "全部"), "条数": (None, count)})
    about = about or (str(obj) if obj is not None else "")
    label = ACTION_LABELS.get(action, action) + (f"：{about}" if about else "") + (FULL_IDS if full_ids else "")
    return record(action, obj, changes, user=by, label=label)


def diff(before, after):
    """The (before, after) pairs of the keys whose values differ."""
    return {k: (before.get(k), after.get(k)) for k in after if before.get(k) != after.get(k)}
