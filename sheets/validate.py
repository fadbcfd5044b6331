"""Check every row of a Table with its spec's cleaners, and find rows duplicated inside the file.

Nothing here knows about the database: what is already stored (已存在 / 未变化) is the business of the
kind's importer (models/importers.py).
"""
from dataclasses import dataclass, field

# An error keeps its row out of the import; a warning (提示) lets it in, but the user may fix it first.
ERROR, WARNING = "error", "warning"


@dataclass
class Issue:
    """One problem with one cell (or the whole row when `key` is empty), as the error table shows it."""
    row: int
    key: str
    header: str
    value: str
    problem: str
    fix: str
    level: str = ERROR

    def as_dict(self):
        return dict(row=self.row, key=self.key, header=self.header, value=self.value,
                    problem=self.problem, fix=self.fix, level=self.level)


@dataclass(slots=True)
class Checked:
    """One data row: its spreadsheet row number, the raw text, the cleaned values and its issues."""
    row: int
    raw: dict
    values: dict
    issues: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.issues

    @property
    def filled(self):
        """The keys of the cells that hold something: a blank cell never clears a stored value."""
        return [key for key, value in self.raw.items() if value]

    def as_error(self, issues=None):
        """The row as the error table and report keep it, with its own issues or those given."""
        return {"row": self.row, "raw": self.raw, "issues": [i.as_dict() for i in (issues or self.issues)]}


def check_rows(spec, table, progress=None, every=2000, skip=()):
    """Validate every row of `table` except those numbered in `skip`; `progress(done, total)` is called
    every `every` rows. The table's rows are handed over: it is left empty."""
    headers = {c.key: c.header for c in spec.columns}
    clean, memo = spec.clean, {}
    checked = []
    rows, table.rows = table.rows, []
    total = len(rows)
    for done, (number, raw) in enumerate(rows, start=1):
        if number in skip:
            continue
        values, errors = clean(raw, memo)
        issues = [Issue(number, key, headers[key], raw.get(key, ""), error.problem, error.fix)
                  for key, error in errors.items()] if errors else []
        checked.append(Checked(number, raw, values, issues))
        if progress and done % every == 0:
            progress(done, total)
    _mark_duplicates(spec, checked)
    return checked


DUPLICATES_NAMED = 3  # other rows a duplicate's message names


def _mark_duplicates(spec, checked):
    """Two rows with the same identity (e.g. 证件类型 + 证件号码) are both errors, each naming the other."""
    if not spec.identity:
        return
    key_column = spec.identity[-1]
    header = spec.column(key_column).header
    seen = {}
    for row in checked:
        identity = tuple(map(row.values.get, spec.identity))
        if all(identity) and not (row.issues and key_column in {i.key for i in row.issues}):
            seen.setdefault(identity, []).append(row)
    for rows in seen.values():
        if len(rows) < 2:
            continue
        # Each row names a few of the others and the group's size: naming every other row of a fill-down
        # of 10,000 identical rows would be 10,000 messages of 10,000 numbers each.
        numbers = [r.row for r in rows]
        together = f"（共 {len(rows):,} 行相同）" if len(rows) > 2 else ""
        for row in rows:
            others = [n for n in numbers[:DUPLICATES_NAMED + 1] if n != row.row][:DUPLICATES_NAMED]
            more = " 等" if len(rows) - 1 > len(others) else " "
            row.issues.append(Issue(row.row, key_column, header, row.raw.get(key_column, ""),
                                    f"{header}与第 {'、'.join(map(str, others))}{more}行重复{together}",
                                    "同一人只保留一行，删除或改正重复的行"))


def group_issues(bad):
    """Errors of the bad rows (as kept: Checked.as_error()) grouped by column and fix, most frequent
    first, each with its first 12 row numbers: the preview of a file with hundreds of errors."""
    groups = {}
    for row in bad:
        for issue in row["issues"]:
            if issue.get("level") == WARNING:
                continue  # a refused row's 提示 is listed with it, but the groups are of what refuses rows
            group = groups.setdefault((issue["header"], issue["fix"]), {"header": issue["header"], "fix": issue["fix"],
                                                                       "problem": issue["problem"], "rows": []})
            group["rows"].append(issue["row"])
    ordered = sorted(groups.values(), key=lambda g: -len(g["rows"]))
    for group in ordered:
        group["count"], group["rows"] = len(group["rows"]), group["rows"][:12]
    return ordered
