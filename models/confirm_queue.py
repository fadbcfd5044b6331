"""批量人工确认: the 认证通过 candidates of one list filter, walked one at a time in the list's order.

A queue is its filter and the moment it started (`since`). Its members are the filter's candidates still
认证通过 and those confirmed since it started, so going back shows what was just confirmed and the
progress line (已确认 12 / 154) keeps its total. A position is a candidate id: a candidate that left the
queue (an edit sent it back to 待认证) still marks the place, and the queue goes on after it.

A step costs a few index look-ups whatever the size of the filter: the next and previous members are a
keyset walk on the list's sort index from the position (no OFFSET), 已确认 is read from confirmed_at's
index (only those confirmed since the start), and the total is counted once, when the queue starts, then
carried in the URL and adjusted by what the walk sees leave. It is counted again only at the end.
The position (第 k / N 位) is carried the same way: a step to the next member is one more, to the previous
one less, and a member seen leaving hands its place to the one after it. Only a URL without it (an old
bookmark) has it counted, once: the members before the candidate's place, a walk of the sort's index.
"""
from dataclasses import dataclass
from datetime import datetime

from peewee import Tuple

from .candidate import ACCURATE, DEFAULT_SORT, STATUSES, VERIFIED, WALK, Candidate
from .db import now, unindexed
from .normalise import whole_number

QUEUE_FILTERS = ("q", "department", "major", "class_name", "has_photo", "sort")
MAX_PER_PAGE = 200  # the largest page size a list offers (views.PAGE_SIZES)
# Everything a queue's URL holds: its filters, the list's status tab and page it came from (for 返回考生管理;
# `list_page`, as the grid has pages of its own, and its page size), its start and its total.
QUEUE_ARGS = QUEUE_FILTERS + ("status", "list_page", "per_page", "since", "total")


def parse_since(text):
    """The queue's start from the URL, or None when absent or not a time."""
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


class ConfirmQueue:
    def __init__(self, filters, since=None, total=None, came_from=None):
        self.filters = {key: filters.get(key, "") for key in QUEUE_FILTERS}
        self.since = since or now()
        self.sort = self.filters["sort"] or DEFAULT_SORT
        self.fields, self.descending = Candidate.sort_key(self.sort)
        self.total = total
        came_from = came_from or {}
        page, per_page = whole_number(came_from.get("page")), whole_number(came_from.get("per_page"))
        self.came_from = {"status": came_from.get("status") if came_from.get("status") in STATUSES else "",
                          "page": str(page) if page and page > 1 else "",
                          "per_page": str(per_page) if per_page and per_page <= MAX_PER_PAGE else ""}

    @classmethod
    def from_args(cls, args):
        """The queue a URL names (its filters, start, total and the list it came from); None without a start."""
        since = parse_since(args.get("since"))
        came_from = {"status": args.get("status"), "page": args.get("list_page"), "per_page": args.get("per_page")}
        return cls(args, since, whole_number(args.get("total")), came_from) if since else None

    @property
    def list_args(self):
        """Back to 考生管理 exactly as it was: its filters, status tab and page."""
        shown = {**self.filters, **self.came_from}
        return {k: v for k, v in shown.items() if v}

    @property
    def args(self):
        """The queue in URL arguments: the list it came from, its start and its total."""
        args = {k: v for k, v in self.filters.items() if v}
        args.update(status=self.came_from["status"], list_page=self.came_from["page"],
                    per_page=self.came_from["per_page"], since=self.since.isoformat(),
                    total=self.total if self.total is not None else "")
        return {k: v for k, v in args.items() if v != ""}

    def start(self):
        """Count the queue once, as it starts; returns its first member (None when there is none)."""
        self.progress(exact=True)
        return self.first()

    def _walked(self):
        """The filter's candidates in the list's order, compared so that the sort's index is walked: on the
        status index (half the table) or the 院系 index (an eighth) SQLite read every row of the filter and
        sorted them for each step (250 ms and 30 ms at 100,000 candidates). Walking from the position, the
        next member is found within a few rows, and 已确认 is read from confirmed_at's index. PostgreSQL
        chooses so from its statistics (db.unindexed leaves its columns as they are)."""
        return Candidate.filtered(**dict(self.filters, sort=self.sort), plan=WALK)

    def _confirmed_since(self):
        return (unindexed(Candidate.status) == ACCURATE) & (Candidate.confirmed_at >= self.since)

    def members(self):
        return self._walked().where((unindexed(Candidate.status) == VERIFIED) | self._confirmed_since())

    def first(self):
        return self.members().first()

    def _key(self, candidate):
        fields = (*self.fields, Candidate.id)
        # Sorted by 状态, a candidate just confirmed (信息准确) is taken from where it waited (认证通过): its new
        # status would put it in another part of the list, and the next one after it there. (Fields compare
        # by `is`: a peewee field's == builds an expression.)
        moved = candidate.status == ACCURATE and self.is_member(candidate)
        values = [VERIFIED if moved and field is Candidate.status else getattr(candidate, field.name)
                  for field in fields]
        return Tuple(*fields), Tuple(*(field.db_value(value) for field, value in zip(fields, values)))

    def after(self, candidate, among=None):
        """The member (or one of `among`) that follows the candidate's place in the list's order."""
        mine, its = self._key(candidate)
        among = self.members() if among is None else among
        return among.where(mine < its if self.descending else mine > its).first()

    def next_waiting(self, candidate):
        """保存并确认下一位: the next candidate still 认证通过 after this one."""
        return self.after(candidate, self._walked().where(unindexed(Candidate.status) == VERIFIED))

    def before(self, candidate):
        mine, its = self._key(candidate)
        ordered = [field.asc() if self.descending else field.desc() for field in (*self.fields, Candidate.id)]
        return (self.members()
                .where(mine > its if self.descending else mine < its)
                .order_by(*ordered)
                .first())

    def is_member(self, candidate):
        return candidate.status == VERIFIED or (
            candidate.status == ACCURATE and candidate.confirmed_at and candidate.confirmed_at >= self.since)

    def in_filter(self, candidate):
        return self._walked().where(Candidate.id == candidate.id).exists()

    def progress(self, exact=False):
        """(confirmed since the start, members in all). The total is the one counted at the start unless
        `exact` (or none was given): counting the waiting members reads every one of them."""
        done = self._walked().where(self._confirmed_since()).count()
        if exact or self.total is None:
            self.total = done + self.waiting().count()
        return done, max(done, self.total)

    def waiting(self):
        """The members still to confirm, in order (the grid's cards): counted through the status index."""
        return Candidate.filtered(**dict(self.filters, status=VERIFIED, sort=self.sort))

    def position_of(self, candidate):
        """A member's place in the queue, 1 for the first: the members before it, counted."""
        mine, its = self._key(candidate)
        return self.members().where(mine > its if self.descending else mine < its).count() + 1

    def step(self, candidate_id, position=None):
        """What the queue shows at a position (a candidate id, and its place when the URL carries it): the
        candidate there, or the next one if it left the queue."""
        at = Candidate.get_or_none(Candidate.id == candidate_id) if candidate_id else None
        if at is None:
            first = self.first()
            return self._at(first, position=1) if first else self._end(None)
        if self.is_member(at):
            return self._at(at, position=position)
        if self.in_filter(at):
            # It was counted when the queue started (its place was in the URL): the total goes down by one.
            if self.total:
                self.total -= 1
            return self.step_after(at, left=at, position=position)
        return self.step_after(at)

    def step_after(self, candidate, left=None, position=None):
        """The step that follows a candidate (just confirmed, skipped or left): the next one, or the end.
        `position` is the candidate's own place, when known: the next one is one further on, or takes the
        place of a candidate that left."""
        following = self.after(candidate)
        if following is None:
            return self._end(self.before(candidate), left)
        return self._at(following, left, position + (0 if left else 1) if position else None)

    def _at(self, candidate, left=None, position=None):
        done, total = self.progress()
        # Carried, the place can drift when others change the queue meanwhile: never past either end.
        position = min(max(1, position or self.position_of(candidate)), max(1, total))
        return Step(candidate, left, self.before(candidate), self.after(candidate), done, total, position)

    def _end(self, last, left=None):
        # The end is reached once a queue: the one place where the members are counted again, exactly.
        done, total = self.progress(exact=True)
        return Step(None, left, last, None, done, total)


@dataclass
class Step:
    candidate: Candidate  # None once the queue is walked to its end
    left: Candidate  # the candidate at the position asked for that is no longer in the queue
    previous: Candidate
    following: Candidate
    done: int
    total: int
    position: int = None  # the candidate's place, 1 for the first (第 k / N 位)
