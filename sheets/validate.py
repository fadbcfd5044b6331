"""Check every row of a Table with its spec's cleaners, and find rows duplicated inside the file.

Nothing here knows about the database: what is already stored (已存在 / 未变化) is the business of the
kind's importer (models/importers.py).
"""
from dataclasses import dataclass, field

# An error keeps its row out of the import; a warning (提示) lets it in, but the user may fix it first.
ERROR, WARNING = "error", "warning"


@dataclass(slots=True)
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


def check_rows(spec, table, progress=None, every=2000, skip=(), found=None, notes=None):
    """Validate every row of `table` except those numbered in `skip`, as the reader hands them on;
    `progress(done, total)` is called every `every` rows. The table's rows are handed over: it is left empty.

    Returns the Checked rows; with `found` (Findings), the bad rows go there as they are found and only
    the good rows are returned, so a file of mistakes holds no more than Findings keeps. `notes(row)`:
    further Issues (e.g. 提示) a bad row is kept with.
    """
    checked = list(checking(spec, table, progress, every, skip, found, notes))
    return checked if found is None else [row for row in checked if row.ok]


def checking(spec, table, progress=None, every=2000, skip=(), found=None, notes=None):
    """check_rows() a row at a time: yields each row as it is checked (with `found`, the good ones only),
    so a caller can use them while the reader is still reading. A row duplicated further down the file
    turns bad only once every row is checked: when the generator ends, such rows have issues (and are in
    `found`), so a caller keeps only the rows still ok then."""
    def as_refused(row):
        return row.as_error(row.issues + notes(row)) if notes else row.as_error()

    headers = {c.key: c.header for c in spec.columns}
    clean, memo = spec.clean, {}
    checked, refused = [], []
    key_column = spec.identity[-1] if spec.identity else None
    rows, table.rows = table.rows, []
    total = len(rows) if isinstance(rows, list) else table.expected
    for done, (number, raw) in enumerate(rows, start=1):
        if number in skip:
            continue
        values, errors = clean(raw, memo)
        issues = [Issue(number, key, headers[key], raw.get(key, ""), error.problem, error.fix)
                  for key, error in errors.items()] if errors else []
        row = Checked(number, raw, values, issues)
        if found is None or not issues:
            checked.append(row)
            yield row
        else:
            found.add(as_refused(row))
            if key_column and key_column not in errors:
                # Kept small: what a duplicate's message needs of a row already refused.
                refused.append(_Refused(number, tuple(map(values.get, spec.identity)), raw.get(key_column, "")))
        if progress and done % every == 0:
            progress(done, total)
    _mark_duplicates(spec, checked + refused, found)
    if found is not None:
        for row in checked:
            if not row.ok:
                found.add(as_refused(row))


@dataclass(slots=True)
class _Refused:
    """A refused row as duplicate marking needs it, once its details are in Findings."""
    row: int
    identity: tuple
    key_value: str


DUPLICATES_NAMED = 3  # other rows a duplicate's message names


def _mark_duplicates(spec, checked, found=None):
    """Two rows with the same identity (e.g. 证件类型 + 证件号码) are both errors, each naming the other.
    A row already in `found` (a _Refused) gets its message there."""
    if not spec.identity:
        return
    key_column = spec.identity[-1]
    header = spec.column(key_column).header
    seen = {}
    for row in checked:
        if isinstance(row, _Refused):
            identity = row.identity
        else:
            identity = tuple(map(row.values.get, spec.identity))
            if row.issues and key_column in {i.key for i in row.issues}:
                continue
        if all(identity):
            seen.setdefault(identity, []).append(row)
    for rows in sorted(seen.values(), key=lambda rows: rows[0].row):
        if len(rows) < 2:
            continue
        rows.sort(key=lambda row: row.row)  # the good rows were listed before the refused ones
        # Each row names a few of the others and the group's size: naming every other row of a fill-down
        # of 10,000 identical rows would be 10,000 messages of 10,000 numbers each.
        numbers = [r.row for r in rows]
        together = f"（共 {len(rows):,} 行相同）" if len(rows) > 2 else ""
        for row in rows:
            others = [n for n in numbers[:DUPLICATES_NAMED + 1] if n != row.row][:DUPLICATES_NAMED]
            more = " 等" if len(rows) - 1 > len(others) else " "
            value = row.key_value if isinstance(row, _Refused) else row.raw.get(key_column, "")
            issue = Issue(row.row, key_column, header, value, f"{header}与第 {'、'.join(map(str, others))}{more}行重复{together}",
                          "同一人只保留一行，删除或改正重复的行")
            if isinstance(row, _Refused):
                found.add_issue(issue.as_dict())
            else:
                row.issues.append(issue)


# Problems of one column kept in full (with their rows, for the error table and report); the rest are
# counted. 10,000 rows of one mistake used to store 10,000 rows and write a report of all of them.
DETAILS_PER_COLUMN = 300


class Findings:
    """The bad rows of a check as an import keeps them: every row's number and every count exact, the
    rows themselves (Checked.as_error() dicts) only while each of their columns has fewer than
    `per_column` problems kept; beyond that a column's problems are counted in `omitted` ({header: n}).
    Stored as JSON (as_dict / loaded), so the error table, the report and a later import read it."""

    def __init__(self, rows=(), per_column=None):
        self.per_column = per_column or DETAILS_PER_COLUMN
        self.rows, self.numbers, self.omitted = [], [], {}
        self._kept, self._groups, self._by_number = {}, {}, {}
        for row in rows:
            self.add(row)

    def __len__(self):
        return len(self.numbers)

    def add(self, row):
        """Count one bad row, keeping it while one of its columns has room (rows mostly come in row
        order, so the first rows of each problem are the ones kept)."""
        self.numbers.append(row["row"])
        issues = row["issues"]
        for issue in issues:
            self._group(issue)
        if any(self._kept.get(issue["header"], 0) < self.per_column for issue in issues):
            self.rows.append(row)
            self._by_number[row["row"]] = row
            counts = self._kept
        else:
            counts = self.omitted
        for issue in issues:
            counts[issue["header"]] = counts.get(issue["header"], 0) + 1

    def add_issue(self, issue):
        """One more problem of a row already counted: listed with it if the row was kept."""
        self._group(issue)
        row = self._by_number.get(issue["row"])
        if row is not None:
            row["issues"].append(issue)
        counts = self._kept if row is not None else self.omitted
        counts[issue["header"]] = counts.get(issue["header"], 0) + 1

    def _group(self, issue):
        if issue.get("level") == WARNING:
            return  # a refused row's 提示 is listed with it, but the groups are of what refuses rows
        group = self._groups.setdefault((issue["header"], issue["fix"]), {
            "header": issue["header"], "fix": issue["fix"], "problem": issue["problem"], "count": 0, "rows": []})
        group["count"] += 1
        group["rows"].append(issue["row"])
        if len(group["rows"]) > 24:
            group["rows"] = sorted(group["rows"])[:12]

    def groups(self):
        """The problems grouped by column and fix, most frequent first, each with its count and first 12
        row numbers: the preview of a file with hundreds of errors."""
        groups = [dict(group, rows=sorted(group["rows"])[:12]) for group in self._groups.values()]
        return sorted(groups, key=lambda group: -group["count"])

    def left_out(self, word="错误", fix="修改上面的行后重新上传即可看到"):
        """A line for each column with problems counted but not kept: how many, and how to see them."""
        return [f"{header} 列还有 {count:,} 处{word}未列出，{fix}" for header, count in self.omitted.items()]

    def as_dict(self):
        return {"rows": sorted(self.rows, key=lambda row: row["row"]), "numbers": sorted(self.numbers),
                "omitted": self.omitted}

    @classmethod
    def loaded(cls, data, per_column=None):
        """Findings as stored; a plain list of rows is how they were stored before any was left out."""
        if isinstance(data, list):
            data = {"rows": data, "numbers": [row["row"] for row in data], "omitted": {}}
        found = cls(per_column=per_column)
        found.rows, found.numbers, found.omitted = data["rows"], data["numbers"], dict(data["omitted"])
        return found

    def merged(self, *others):
        """These findings and `others` as one, in row order, the rows capped again."""
        parts = (self,) + others
        found = Findings(sorted((row for part in parts for row in part.rows), key=lambda row: row["row"]),
                         self.per_column)
        found.numbers = sorted(number for part in parts for number in part.numbers)
        for part in parts:
            for header, count in part.omitted.items():
                found.omitted[header] = found.omitted.get(header, 0) + count
        return found
