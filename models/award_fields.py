"""The 待颁证记录 sheet's columns, described once: label, required, how raw text is cleaned, help.

Cleaning only turns text into values (an ID normalised, a date parsed, a score a number); whether a row
may become a record is decided by the eight checks in models/award_checks.py, which need the database.
"""
from . import normalise
from .candidate_fields import ID_TYPE_ALIASES, Field, clean_fields
from .catalog import LEVELS
from .identity import ID_TYPES
from .normalise import FieldError

RESULTS = ("通过", "未通过")


def _score(label):
    def clean(raw):
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
    return clean


def _exam_date(raw):
    """A 考核日期 that cannot be read stays text: check ⑥ names it with the fix."""
    try:
        return normalise.parse_date(raw, "考核日期")
    except FieldError:
        return normalise.text(raw)


AWARD_FIELDS = [
    Field("name", "姓名", normalise.text, required=True, example="张三", help="与考生信息一致",
          aliases=("考生姓名", "名字")),
    Field("id_type", "证件类型", lambda raw: normalise.choice(raw, ID_TYPES, "证件类型", ID_TYPE_ALIASES), required=True,
          choices=ID_TYPES, example="居民身份证", help="与考生信息一致", repeats=True),
    Field("id_number", "证件号码", normalise.id_number, required=True, example="410102200301051234",
          help="与考生信息一致；请将此列设为文本格式", aliases=("身份证号", "身份证号码", "证件号"), sensitive=True),
    Field("certificate_name", "证书名称", normalise.text, required=True, example="Web前端开发",
          help="本院校试点证书的名称，与证书目录一致", aliases=("证书",), repeats=True),
    Field("level", "证书等级", lambda raw: normalise.choice(raw, LEVELS, "证书等级"), required=True, choices=LEVELS,
          example="中级", help="初级、中级 或 高级", aliases=("等级",), repeats=True),
    Field("site_name", "考核站点", normalise.text, required=True, example="信息工程学院Web前端开发考核站点",
          help="审核通过且已启用的考核站点名称", aliases=("考核站点名称", "站点"), repeats=True),
    Field("exam_date", "考核日期", _exam_date, required=True, example="2026-06-15",
          help="可写 2026-06-15、2026/6/15 或 20260615；历史记录可填过去的日期，不能是未来日期", repeats=True),
    Field("theory_score", "理论成绩", _score("理论成绩"), example="85", help="选填，0–100"),
    Field("practical_score", "实操成绩", _score("实操成绩"), example="78", help="选填，0–100"),
    Field("result", "考核结果", lambda raw: normalise.choice(raw, RESULTS, "考核结果", {"合格": "通过", "不合格": "未通过"}),
          required=True, choices=RESULTS, example="通过", help="只能导入考核通过的考生", repeats=True),
]


def clean_award_row(raw, memo=None):
    """Clean one row's raw text by key: (values, errors {key: FieldError}); `memo` as in clean_fields."""
    return clean_fields(AWARD_FIELDS, raw, memo)
