"""The number of candidates in each status, per class and photo, kept by the database so that no page counts them.

考生管理's status tabs (over its 院系, 专业, 班级 and 照片 filters), 首页 and the navigation show these counts on
every request. Grouping 100,000 candidates by status read 100,000 index entries (7–8 ms on either
database) and a filter's candidates row by row (25 ms for 无照片), more than the rest of the page together.
Triggers on the candidate table keep the counts instead, one per (status, 院系, 专业, 班级, has a photo), a
few per class (models/tally.py: how the database keeps them). New candidates are counted by
Candidate.save() and bulk_add(), as the name index is told.
"""
from .tally import Tally

KEY = ("status", "department", "major", "class_name", "has_photo")
FILTERS = ("department", "major", "class_name", "has_photo")  # what counts() narrows by


def _key_of(row, sqlite=True):
    """The key of a candidate row in SQL: its status, 院系, 专业, 班级 and whether it has a photo (0 or 1)."""
    has_photo = f"{row}.photo IS NOT NULL" if sqlite else f"({row}.photo IS NOT NULL)::int"
    return f"{row}.status, {row}.department, {row}.major, {row}.class_name, {has_photo}"


CANDIDATES = Tally("candidate_tally", "candidate",
                   {"status": "VARCHAR(255)", "department": "VARCHAR(255)", "major": "VARCHAR(255)",
                    "class_name": "VARCHAR(255)", "has_photo": "INTEGER"},
                   _key_of, watched=("status", "department", "major", "class_name", "photo"))
TABLE = CANDIDATES.table
create, count_new, drop = CANDIDATES.create, CANDIDATES.count_new, CANDIDATES.drop


def counts(**filters):
    """{status: number of candidates} among those whose 院系, 专业, 班级 and has_photo ("0"/"1") equal the
    non-empty `filters`, for every status that has any."""
    return CANDIDATES.counts(**{name: int(value) if name == "has_photo" else value
                                for name, value in filters.items() if value != ""})
