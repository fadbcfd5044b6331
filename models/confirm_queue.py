"""批量人工确认: the 认证通过 candidates of one list filter, walked one at a time in the list's order.

A queue is its filter and the moment it started (`since`). Its members are the filter's candidates still
认证通过 and those confirmed since it started, so going back shows what was just confirmed and the
progress line (已确认 12 / 154) keeps its total. A position is a candidate id: a candidate that left the
queue (an edit sent it back to 待认证) still marks the place, and the queue goes on after it.
"""
from dataclasses import dataclass
from datetime import datetime

from peewee import Tuple

from .candidate import ACCURATE, DEFAULT_SORT, VERIFIED, Candidate
from .db import now

QUEUE_FILTERS = ("q", "department", "major", "class_name", "has_photo", "sort")


def parse_since(text):
    """The queue's start from the URL, or None when absent or not a time."""
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def _unindexed_status():
    """The status through an expression, so that neither database reads the status index (half the table)
    for the queue's queries: walking the sort's own index from the position finds the next member within
    a few rows, and those confirmed since the start are found by confirmed_at's index (at 100,000
    candidates on SQLite: 250 ms → 1 ms)."""
    return Candidate.status.concat("")


class ConfirmQueue:
    def __init__(self, filters, since=None):
        self.filters = {key: filters.get(key, "") for key in QUEUE_FILTERS}
        self.since = since or now()
        self.sort = self.filters["sort"] or DEFAULT_SORT
        self.field, self.descending = Candidate.sort_key(self.sort)

    @property
    def list_args(self):
        """The list's filters that are set: back to 考生管理 as it was."""
        return {k: v for k, v in self.filters.items() if v}

    @property
    def args(self):
        """The queue in URL arguments: its filters and its start."""
        return {**self.list_args, "since": self.since.isoformat()}

    def _filtered(self):
        return Candidate.filtered(**dict(self.filters, status="", sort=self.sort))

    def _confirmed_since(self):
        return (_unindexed_status() == ACCURATE) & (Candidate.confirmed_at >= self.since)

    def members(self):
        return self._filtered().where((_unindexed_status() == VERIFIED) | self._confirmed_since())

    def first(self):
        return self.members().first()

    def _key(self, candidate):
        value = self.field.db_value(getattr(candidate, self.field.name))
        return Tuple(self.field, Candidate.id), Tuple(value, candidate.id)

    def after(self, candidate, among=None):
        """The member (or one of `among`) that follows the candidate's place in the list's order."""
        mine, its = self._key(candidate)
        among = self.members() if among is None else among
        return among.where(mine < its if self.descending else mine > its).first()

    def next_waiting(self, candidate):
        """保存并确认下一位: the next candidate still 认证通过 after this one."""
        return self.after(candidate, self.waiting())

    def before(self, candidate):
        mine, its = self._key(candidate)
        ordered = (self.field.asc() if self.descending else self.field.desc(),
                   Candidate.id.asc() if self.descending else Candidate.id.desc())
        return (self.members()
                .where(mine > its if self.descending else mine < its)
                .order_by(*ordered)
                .first())

    def is_member(self, candidate):
        return candidate.status == VERIFIED or (
            candidate.status == ACCURATE and candidate.confirmed_at and candidate.confirmed_at >= self.since)

    def progress(self):
        """(confirmed since the start, members in all)."""
        done = self._filtered().where(self._confirmed_since()).count()
        waiting = self._filtered().where(Candidate.status == VERIFIED).count()
        return done, done + waiting

    def waiting(self):
        """The members still to confirm, in order (the grid's cards)."""
        return self._filtered().where(Candidate.status == VERIFIED)

    def step(self, candidate_id):
        """What the queue shows at a position: the candidate there, or the next one if it left the queue."""
        at = Candidate.get_or_none(Candidate.id == candidate_id) if candidate_id else None
        if at is None:
            first = self.first()
            return self._at(first) if first else self._end(None)
        if not self.is_member(at):
            return self.step_after(at, left=at)
        return self._at(at)

    def step_after(self, candidate, left=None):
        """The step that follows a candidate (just confirmed, skipped or left): the next one, or the end."""
        following = self.after(candidate)
        return self._at(following, left) if following else self._end(self.before(candidate), left)

    def _at(self, candidate, left=None):
        done, total = self.progress()
        return Step(candidate, left, self.before(candidate), self.after(candidate), done, total)

    def _end(self, last, left=None):
        done, total = self.progress()
        return Step(None, left, last, None, done, total)


@dataclass
class Step:
    candidate: Candidate  # None once the queue is walked to its end
    left: Candidate  # the candidate at the position asked for that is no longer in the queue
    previous: Candidate
    following: Candidate
    done: int
    total: int
