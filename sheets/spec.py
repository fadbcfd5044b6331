"""Column specs: each importable sheet described once, from which its template, reader, validation,
error report and export are all derived (django-import-export's declarative Resource, in a few lines).

The candidate sheet is built from models.candidate_fields.FIELDS, the same description the
新增学生信息 form uses, so adding a candidate column is one line there.
"""
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Callable

from models.award_fields import AWARD_FIELDS, clean_award_row
from models.candidate_fields import FIELDS, clean_candidate
from models.normalise import text
from models.privacy import mask_id, mask_phone

# The hidden sheet every CertDesk workbook carries: A1 holds the template marker, the columns after it
# the lists the dropdowns point at (a validation formula list is limited to 255 characters).
MARKER_SHEET = "_certdesk"
GUIDE_SHEET = "填写说明"
REPORT_COLUMN = "错误原因"
_MARKER = re.compile(r"^certdesk:([a-z_]+):v(\d+)$")


def export_text(value):
    """A stored value as a cell shows it (and the import reads it back unchanged)."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool):
        return value  # a number stays a number in the sheet (入学年份)
    return str(value)


@dataclass(frozen=True)
class Column:
    key: str                 # the attribute the value is stored in
    header: str              # the header in the template, and what the reader matches
    required: bool = False
    choices: tuple = ()      # allowed values: a dropdown in the template
    help: str = ""
    example: str = ""
    aliases: tuple = ()      # other headers people write for this column
    as_text: bool = False    # formatted as text in Excel: numbers Excel would damage (IDs, phones)
    sensitive: bool = False  # masked wherever a sample is shown
    export: Callable = export_text
    mask: Callable = mask_id  # how a sensitive value is shown

    @property
    def width(self):
        """A column width (in Excel's character units) that fits the header, the example and the choices."""
        longest = max([len(self.header) * 2 + 4, len(self.example) + 4]
                      + [len(c) * 2 + 4 for c in self.choices if len(self.choices) <= 10])
        return min(max(longest, 10), 30)

    @property
    def title(self):
        """The header as written in a template: required columns carry a `*`."""
        return self.header + ("*" if self.required else "")


@dataclass(frozen=True)
class SheetSpec:
    kind: str                # "candidates"; also the marker's kind
    title: str               # the data sheet's name
    template_name: str       # what the download is called: 导入考生信息模板
    version: int             # bump when a column is added, removed or renamed
    changes: dict            # {version: what changed in it}, shown when an outdated template is uploaded
    columns: tuple
    validate: Callable       # ({key: raw text}, memo) -> (values, {key: FieldError}): the area's one validator
    identity: tuple          # keys that identify a row: two rows with the same values are duplicates
    guide: tuple = field(default=())  # general lines for the 填写说明 sheet

    @property
    def marker(self):
        return f"certdesk:{self.kind}:v{self.version}"

    @property
    def required(self):
        return [c for c in self.columns if c.required]

    def column(self, key):
        return next(c for c in self.columns if c.key == key)

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
    value = text(name).replace("*", "")
    value = re.sub(r"[（(]\s*(必填|选填|可选)\s*[)）]", "", value)
    return re.sub(r"\s+", "", value)


def parse_marker(value):
    """(kind, version) from a marker cell, or None."""
    match = _MARKER.match(text(value))
    return (match.group(1), int(match.group(2))) if match else None


def _columns(fields, text_columns):
    """The sheet's columns from an area's field spec (models/*_fields.py): one description, two uses."""
    return tuple(
        Column(f.key, f.label, required=f.required, choices=f.choices, help=f.help, example=f.example,
               aliases=f.aliases, as_text=f.key in text_columns, sensitive=f.sensitive,
               mask=mask_phone if f.key == "phone" else mask_id)
        for f in fields
    )


# Columns Excel damages when they are typed as numbers: long digit strings lose digits or leading zeros.
_TEXT_COLUMNS = {"id_number", "phone", "student_no"}

CANDIDATES = SheetSpec(
    kind="candidates",
    title="考生信息",
    template_name="导入考生信息模板",
    version=1,
    changes={1: "首个版本"},
    columns=_columns(FIELDS, _TEXT_COLUMNS),
    validate=clean_candidate,
    identity=("id_type", "id_number"),
    guide=(
        "每位考生填写一行，第 1 行为表头，请勿修改表头文字；带 * 的列为必填。",
        "证件号码、手机号、学号列已设为文本格式，请直接输入或粘贴为「值」，不要让 Excel 转成数字。",
        "证件类型、性别、民族、学历层次请从下拉列表中选择。",
        "同一证件号码在文件中只能出现一次；系统中已存在的考生默认不会重复导入。",
    ),
)



AWARDS = SheetSpec(
    kind="awards",
    title="待颁证记录",
    template_name="导入待颁证记录模板",
    version=1,
    changes={1: "首个版本"},
    columns=_columns(AWARD_FIELDS, {"id_number"}),
    validate=clean_award_row,
    # Duplicates are check ⑦'s business: only the later row is refused, naming the earlier one.
    identity=(),
    guide=(
        "每条待颁证记录填写一行，第 1 行为表头，请勿修改表头文字；带 * 的列为必填。",
        "考生须已在考生管理中处于「信息准确」状态，姓名、证件类型、证件号码须与考生信息一致。",
        "证书须为本院校的试点证书；考核站点须审核通过且已启用，并申报了该证书和等级。",
        "只能导入考核结果为「通过」的考生；考核日期不能是未来日期，历史记录可填过去的日期。",
        "院校需确保导入的考生已在线下获省厅指标审批；超出当年省厅指标的记录不能导入。",
    ),
)

# Every spec by kind, so a workbook made from another template is recognised and named.
SPECS = {CANDIDATES.kind: CANDIDATES, AWARDS.kind: AWARDS}
