"""The 待颁证记录 sheet, declared once: each column's header, whether required, how raw text is cleaned,
its allowed values, help and example.

Cleaning only turns text into values (an ID normalised, a date parsed, a score a number); whether a row
may become a record is decided by the eight checks in models/award_checks.py, which need the database.
"""
from sheets.spec import Column, FieldError, SheetSpec

from . import normalise
from .candidate_fields import ID_TYPE_ALIASES, choice_column, named_column
from .catalog import LEVELS
from .identity import EXAMPLE_ID, ID_TYPES
from .pilot import PilotCertificate
from .privacy import mask_id
from .site import Site

RESULTS = ("通过", "未通过")


def _score(raw, label):
    value = normalise.text(raw)
    if not value:
        return None
    try:
        score = float(value)
    except ValueError:
        raise FieldError(f"{label}「{value}」不是数字", "请填写 0 到 100 之间的分数，例如 85 或 85.5")
    if not 0 <= score <= 100:
        raise FieldError(f"{label} {score:g} 不在 0 到 100 之间", "请填写 0 到 100 之间的分数")
    return score


def _pilot_certificate_names():
    """The 证书名称 dropdown: the college's 试点证书, read when a template is built."""
    return [certificate.name for certificate in PilotCertificate.certificates()]


def _exam_date(raw, label):
    """A 考核日期 that cannot be read stays text: check ⑥ names it with the fix."""
    try:
        return normalise.parse_date(raw, label)
    except FieldError:
        return normalise.text(raw)


AWARD_SHEET = SheetSpec(
    kind="awards", title="待颁证记录", template_name="导入待颁证记录模板", noun="待颁证记录", unit="条",
    columns=(
        Column("name", "姓名", normalise.text, required=True, max_length=30, example="张三", help="与考生信息一致",
               aliases=("考生姓名", "名字")),
        choice_column("id_type", "证件类型", ID_TYPES, ID_TYPE_ALIASES, required=True, example="居民身份证",
                      help="与考生信息一致", repeats=True),
        Column("id_number", "证件号码", normalise.id_number, required=True, max_length=30, example=EXAMPLE_ID,
               help="与考生信息一致；请将此列设为文本格式", aliases=("身份证号", "身份证号码", "证件号"), as_text=True,
               mask=mask_id),
        Column("certificate_name", "证书名称", normalise.text, required=True, max_length=100, example="Web前端开发",
               help="本院校试点证书的名称，与证书目录一致", aliases=("证书",), choices=_pilot_certificate_names,
               repeats=True),
        choice_column("level", "证书等级", LEVELS, required=True, example="中级", help="初级、中级 或 高级",
                      aliases=("等级",), repeats=True),
        Column("site_name", "考核站点", normalise.text, required=True, max_length=100,
               example="信息工程学院Web前端开发考核站点", help="审核通过且已启用、申报了该证书等级的考核站点名称",
               aliases=("考核站点名称", "站点"), choices=Site.usable_names, repeats=True),
        named_column("exam_date", "考核日期", _exam_date, required=True, max_length=30, example="2026-06-15",
                     input="date",
                     help="可写 2026-06-15、2026/6/15 或 20260615；历史记录可填过去的日期，不能是未来日期", repeats=True),
        named_column("theory_score", "理论成绩", _score, max_length=20, example="85", help="选填，0–100",
                     input="number"),
        named_column("practical_score", "实操成绩", _score, max_length=20, example="78", help="选填，0–100",
                     input="number"),
        choice_column("result", "考核结果", RESULTS, {"合格": "通过", "不合格": "未通过"}, required=True, example="通过",
                      help="只能导入考核通过的考生", repeats=True),
    ),
    # What became of each record, after the template's columns; an import skips them.
    export_only=(
        Column("status", "状态"),
        Column("certificate_number", "证书编号", as_text=True),
        Column("issued_on", "颁证日期"),
        Column("return_reason", "退回原因"),
    ),
    # Duplicates are check ⑦'s business: only the later row is refused, naming the earlier one.
    identity=(),
    guide=(
        "每条待颁证记录填写一行，请勿修改表头文字；带 * 的列为必填。",
        "考生须已在考生管理中处于「信息准确」状态，姓名、证件类型、证件号码须与考生信息一致。",
        "证书须为本院校的试点证书；考核站点须审核通过且已启用，并申报了该证书和等级。",
        "只能导入考核结果为「通过」的考生；考核日期不能是未来日期，历史记录可填过去的日期。",
        "院校需确保导入的考生已在线下获省厅指标审批；超出当年省厅指标的记录不能导入。",
    ),
)
