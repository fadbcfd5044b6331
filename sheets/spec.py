"""The engine's vocabulary: a Column, a Form of columns, a SheetSpec (a form that is also a spreadsheet),
and the FieldError a cleaner raises.

An area declares each of its sheets and forms once, next to its model, with these types
(models/candidate_fields.py declares CANDIDATE_SHEET, models/site.py SITE_FORM); the form, the template,
the reader, the validation, the error report and the export all read that one declaration
(django-import-export's declarative Resource, in a few lines). Every value typed into a form or read from
a cell is cleaned by one function, `Column.check`: control characters and over-long text are refused
there, for every field alike. Nothing here knows the domain: sheets/ imports nothing from models/ or views/.
"""
import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Callable, Mapping

# The hidden sheet every CertDesk workbook carries: A1 holds the template marker, the columns after it
# the lists the dropdowns point at (a validation formula list is limited to 255 characters).
MARKER_SHEET = "_certdesk"
GUIDE_SHEET = "填写说明"
REPORT_COLUMN = "错误原因"
_MARKER = re.compile(r"^certdesk:([a-z_]+):v(\d+)$")


# Characters no one types on purpose and a spreadsheet cannot hold (C0 controls, DEL, C1 controls); a
# textarea keeps its tabs and line breaks.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_MULTILINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def display_width(text):
    """How wide `text` shows in a spreadsheet, in Excel's unit (a digit's width): a CJK or full-width
    character takes about two, from U+2E80 (CJK radicals) up."""
    return len(text) + sum(ch >= "\u2e80" for ch in text)


# And what sets the direction of the text around it (U+202E turns what follows around): stored text holds none
# (models/normalise.py text), and a filter's value is said back in its notes.
_SOUGHT_DROPPED = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def without_control(text):
    """`text` with its control and direction characters dropped: for what is searched, never stored (a NUL in
    a search is refused by PostgreSQL's driver with an error; a list says an invalid filter back)."""
    return _SOUGHT_DROPPED.sub("", text)


class FieldError(ValueError):
    """A value that cannot be stored: `problem` says what is wrong, `fix` how to correct it.

    A model that refuses a cleaned form for a reason of its own (a name already taken, a state) raises it
    with the `key` of the field the refusal is about, or "" for the whole form; see `as_errors`.
    """

    def __init__(self, problem, fix="", key=""):
        super().__init__(problem)
        self.problem = problem
        self.fix = fix
        self.key = key

    def as_errors(self):
        """This refusal in the shape a form's errors take: {key: FieldError}."""
        return {self.key: self}

    @property
    def message(self):
        """Problem and fix as one line, for a form field or a refusal."""
        return f"{self.problem}；{self.fix}" if self.fix else self.problem


def stripped(raw):
    """The default cleaner: the text as given, without surrounding spaces."""
    return "" if raw is None else str(raw).strip()


def export_text(value):
    """A stored value as a cell shows it (and the import reads it back unchanged)."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool):
        return value  # a number stays a number in the sheet (入学年份)
    if isinstance(value, float):
        # As typed: a score stored as 90.0 was typed 90.
        return int(value) if value.is_integer() else value
    return str(value)


# What a form shows for a column (form_field() in templates/_widget.html); "" is derived: a select for a
# column with choices, else a text input.
INPUTS = ("text", "textarea", "number", "date", "password", "tel", "select", "checkboxes", "file")


@dataclass(frozen=True)
class Column:
    key: str                 # the attribute the value is stored in
    header: str              # the form's label, the template's header, what the reader matches
    clean: Callable = stripped  # raw text -> stored value; raises FieldError
    required: bool = False
    max_length: int = None   # characters of typed text; every column a person types into declares one
    # Allowed values (a dropdown in the form and the template): a tuple, or a callable that reads them
    # (from the database) when a template is built; see SheetSpec.resolved().
    choices: tuple | Callable = ()
    aliases: tuple = ()      # other headers people write for this column
    as_text: bool = False    # formatted as text in Excel: numbers Excel would damage (IDs, phones)
    mask: Callable = None    # how a sensitive value is shown wherever a sample is; None: not sensitive
    example: str = ""
    help: str = ""
    form_help: str = ""      # the form's help, where `help` speaks of the spreadsheet; "" : `help`
    export: Callable = export_text  # stored value -> the cell an export writes
    repeats: bool = False    # few distinct values in a file: an import cleans each one once
    input: str = ""          # one of INPUTS; checkboxes hand the cleaner a list of the ticked values

    @property
    def kind(self):
        """The input a form shows: declared, or a select for a column with choices, else text."""
        return self.input or ("select" if self.choices else "text")

    @property
    def multiple(self):
        return self.input == "checkboxes"

    def check(self, raw):
        """Raw text (a list for checkboxes) -> the stored value, or FieldError: the one cleaning path of every
        form field and every imported cell. Control characters and text over `max_length` are refused before
        the column's own cleaner runs; then a required column may not be left empty."""
        if raw.__class__ is str:
            # isprintable() is true for nearly every cell and a third cheaper than the search it spares.
            if not raw.isprintable():
                control = (_CONTROL_MULTILINE if self.input == "textarea" else _CONTROL).search(raw.strip())
                if control:
                    raise FieldError(f"{self.header}含有不可见的控制字符（U+{ord(control.group()):04X}）",
                                     "请删除后重新输入")
            if self.max_length is not None and len(raw) > self.max_length and len(raw.strip()) > self.max_length:
                raise FieldError(f"{self.header}过长（{len(raw.strip())} 个字）", f"请控制在 {self.max_length} 个字以内")
        value = self.clean(raw)
        # Empty text, no value or no box ticked; a number 0 is a value.
        if self.required and not value and value != 0:
            verb = "选择" if self.kind in ("select", "checkboxes") else "填写"
            raise FieldError(f"{self.header}为必填项", f"请{verb}{self.header}")
        return value

    @property
    def sensitive(self):
        return self.mask is not None

    @property
    def width(self):
        """A column width (in Excel's character units) that fits the header, the example and the choices."""
        longest = max([display_width(self.header) + 4, display_width(self.example) + 4]
                      + [display_width(c) + 4 for c in self.choices if len(self.choices) <= 10])
        return min(max(longest, 10), 30)

    @property
    def title(self):
        """The header as written in a template: required columns carry a `*`."""
        return self.header + ("*" if self.required else "")

    def resolved(self, choices=None):
        """This column with its choices read, when they are a callable, or set to `choices`."""
        if choices is None and callable(self.choices):
            choices = self.choices()
        if choices is None:
            return self
        return replace(self, choices=choices if isinstance(choices, Mapping) else tuple(choices))


_UNSEEN = object()  # a text not cleaned yet (None is a cleaned value)


@dataclass(eq=False)
class Form:
    """Fields typed into a page, declared as columns and cleaned by the same rules as a sheet's row."""
    columns: tuple
    # Rules across columns, run after each column is cleaned: check(values, errors) adds to both (the ID's
    # format for its type, a password typed twice, levels of the chosen certificate).
    check: Callable = None

    def column(self, key):
        """The column stored in `key`, or None."""
        return next((c for c in self.columns if c.key == key), None)

    def only(self, *keys):
        """A form of some of these columns (an edit form that changes fewer fields), without the cross rules."""
        return Form(tuple(c for c in self.columns if c.key in keys))

    def resolved(self, **choices):
        """This form with every column's choices read, or given by key: what a page or template is built from."""
        return replace(self, columns=tuple(c.resolved(choices.get(c.key)) for c in self.columns))

    def read(self, form):
        """The raw values of a submitted form (a MultiDict): a list for checkboxes, text for the rest."""
        return {c.key: form.getlist(c.key) if c.multiple else form.get(c.key, "") for c in self.columns}

    def clean(self, raw, memo=None):
        """Clean one form or row of raw text by key: (values, errors {key: FieldError}).

        `memo`, a dict an import passes for every row of one file, keeps the cleaned value of each
        distinct text of the `repeats` columns, so 10,000 rows of 汉族 are cleaned once (errors are not kept).
        """
        values, errors = {}, {}
        for column in self.columns:
            key = column.key
            given = raw.get(key)
            seen = None
            if column.repeats and memo is not None:
                seen = memo.get(key)
                if seen is None:
                    seen = memo[key] = {}
                else:
                    value = seen.get(given, _UNSEEN)
                    if value is not _UNSEEN:
                        values[key] = value
                        continue
            try:
                value = column.check(given)
            except FieldError as exc:
                # Without its traceback: that holds this frame, whose `errors` holds the error, a cycle
                # only the garbage collector frees, and an import pauses it (100,000 bad rows were 1.2 GB).
                errors[key] = exc.with_traceback(None)
                continue
            values[key] = value
            if seen is not None:
                seen[given] = value
        if self.check is not None:
            self.check(values, errors)
        return values, errors


@dataclass(eq=False, kw_only=True)
class SheetSpec(Form):
    """A form that is also a spreadsheet: a template to download, rows to import, an export."""
    kind: str                # "candidates"; also the marker's kind
    title: str               # the data sheet's name: 考生信息
    template_name: str       # what the download is called: 导入考生信息模板
    noun: str                # what one row is: 考生, 待颁证记录 ("文件只有表头，没有考生数据")
    unit: str                # its measure word: 名, 条 ("删除 3 名考生")
    version: int = 1         # bump when a column is added, removed or renamed
    changes: dict = field(default_factory=lambda: {1: "首个版本"})  # shown when an outdated template is uploaded
    identity: tuple = ()     # keys that identify a row: two rows with the same values are duplicates
    guide: tuple = ()        # general lines for the 填写说明 sheet
    # Columns an export writes after the template's (状态, 证书编号 …): what happened to each row since it
    # was imported. The reader skips their headers, so an export stays importable as it is.
    export_only: tuple = ()

    @property
    def marker(self):
        return f"certdesk:{self.kind}:v{self.version}"

    @property
    def required(self):
        return [c for c in self.columns if c.required]

    def count(self, number):
        """`number` rows in words: 3 名考生, 2,997 条待颁证记录."""
        return f"{number:,} {self.unit}{self.noun}"

    def narrowed(self, **choices):
        """This spec with the dropdowns of some columns (by key) given: a file for one case offers only
        what fits it (the sites of one certificate level)."""
        unknown = set(choices) - {c.key for c in self.columns}
        if unknown:
            raise KeyError(f"no column {', '.join(sorted(unknown))} in {self.kind}")
        return replace(self, columns=tuple(replace(c, choices=tuple(choices[c.key])) if c.key in choices else c
                                           for c in self.columns))

    def header_index(self):
        """{normalised header or alias: column} for the reader."""
        index = {}
        for column in self.columns:
            for name in (column.header, *column.aliases):
                index[normalise_header(name)] = column
        return index

    def changes_since(self, version):
        """What changed in the template after `version`, as one sentence per version."""
        return [f"第 {v} 版：{self.changes[v]}" for v in sorted(self.changes) if v > version]


def normalise_header(name):
    """A header as matched: spaces, `*` markers and a (必填) note removed; full-width made half-width."""
    value = unicodedata.normalize("NFKC", stripped(name)).replace("*", "")
    value = re.sub(r"[（(]\s*(必填|选填|可选)\s*[)）]", "", value)
    return re.sub(r"\s+", "", value)


def parse_marker(value):
    """(kind, version) from a marker cell, or None."""
    match = _MARKER.match(stripped(value))
    return (match.group(1), int(match.group(2))) if match else None
