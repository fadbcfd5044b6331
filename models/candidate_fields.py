"""The candidate's fields, described once: label, whether required, how raw input is cleaned, help text.

The candidate form, the batch-import column spec (sheets/) and the export all derive from FIELDS, so a
rule changes in one place and the form and the import can never disagree.
"""
from dataclasses import dataclass, field
from typing import Callable

from . import normalise
from .identity import ID_TYPES, check_format, implied_by_number
from .normalise import FieldError

GENDERS = ("男", "女")
EDUCATION_LEVELS = ("中职", "高职专科", "职业本科", "本科", "其他")
ETHNICITIES = (
    "汉族", "蒙古族", "回族", "藏族", "维吾尔族", "苗族", "彝族", "壮族", "布依族", "朝鲜族", "满族", "侗族",
    "瑶族", "白族", "土家族", "哈尼族", "哈萨克族", "傣族", "黎族", "傈僳族", "佤族", "畲族", "高山族",
    "拉祜族", "水族", "东乡族", "纳西族", "景颇族", "柯尔克孜族", "土族", "达斡尔族", "仫佬族", "羌族",
    "布朗族", "撒拉族", "毛南族", "仡佬族", "锡伯族", "阿昌族", "普米族", "塔吉克族", "怒族", "乌孜别克族",
    "俄罗斯族", "鄂温克族", "德昂族", "保安族", "裕固族", "京族", "塔塔尔族", "独龙族", "鄂伦春族", "赫哲族",
    "门巴族", "珞巴族", "基诺族",
)
# "汉" -> "汉族": people often leave out 族; "维吾尔" -> "维吾尔族" and so on.
ETHNICITY_ALIASES = {name[:-1]: name for name in ETHNICITIES}
GENDER_ALIASES = {"男性": "男", "女性": "女", "M": "男", "F": "女"}
ID_TYPE_ALIASES = {"身份证": "居民身份证", "二代身份证": "居民身份证", "居民身份证号": "居民身份证"}


@dataclass(frozen=True)
class Field:
    key: str                      # the Candidate attribute
    label: str                    # what users see: form label and spreadsheet header
    clean: Callable               # raw text -> stored value; raises FieldError
    required: bool = False
    choices: tuple = ()
    help: str = ""
    example: str = ""
    aliases: tuple = field(default=())  # other headers people write for this column
    key_field: bool = False      # changing it sends the candidate back to 待认证
    sensitive: bool = False      # masked in lists, logs and exports unless the full value is needed
    repeats: bool = False        # few distinct values in a file: an import cleans each one once


def _name(raw):
    return normalise.text(raw)


def _choice(allowed, label, aliases=None):
    return lambda raw: normalise.choice(raw, allowed, label, aliases)


def _free(max_length):
    def clean(raw):
        value = normalise.text(raw)
        if len(value) > max_length:
            raise FieldError(f"内容过长（{len(value)} 个字）", f"请控制在 {max_length} 个字以内")
        return value
    return clean


FIELDS = [
    Field("name", "姓名", _name, required=True, example="张三",
          help="与证件一致；2–30 个汉字、字母、间隔号「·」或空格", aliases=("名字", "考生姓名", "学生姓名"), key_field=True),
    Field("id_type", "证件类型", _choice(ID_TYPES, "证件类型", ID_TYPE_ALIASES), required=True, choices=ID_TYPES,
          example="居民身份证", help="从下拉列表选择", key_field=True, repeats=True),
    Field("id_number", "证件号码", normalise.id_number, required=True, example="410102200301051234",
          help="居民身份证为 18 位，末位 X 大写；请将此列设为文本格式，避免 Excel 把号码变成科学计数法",
          aliases=("身份证号", "身份证号码", "证件号", "身份证"), key_field=True, sensitive=True),
    Field("gender", "性别", _choice(GENDERS, "性别", GENDER_ALIASES), required=True, choices=GENDERS, example="男",
          help="男 或 女，须与证件号码一致", key_field=True, repeats=True),
    Field("birth_date", "出生日期", lambda raw: normalise.parse_date(raw, "出生日期"), example="2003-01-05",
          help="居民身份证可不填，系统按证件号码计算；可写 2003-01-05、2003/1/5 或 20030105", key_field=True),
    Field("ethnicity", "民族", _choice(ETHNICITIES, "民族", ETHNICITY_ALIASES), choices=ETHNICITIES, example="汉族",
          help="56 个民族之一，例如 汉族", repeats=True),
    Field("phone", "手机号", normalise.mobile, required=True, example="13812345678", help="11 位手机号码",
          aliases=("手机", "手机号码", "联系电话", "电话"), sensitive=True),
    Field("student_no", "学号", _free(30), example="2023010101"),
    Field("department", "院系", _free(50), example="信息工程学院", aliases=("学院", "系部"), repeats=True),
    Field("major", "专业", _free(50), example="计算机应用技术", aliases=("专业名称",), repeats=True),
    Field("class_name", "班级", _free(50), example="计应2301", aliases=("班级名称",), repeats=True),
    Field("education_level", "学历层次", _choice(EDUCATION_LEVELS, "学历层次"), choices=EDUCATION_LEVELS,
          example="高职专科", help="中职、高职专科、职业本科、本科 或 其他", aliases=("学历",), repeats=True),
    Field("enrollment_year", "入学年份", lambda raw: normalise.year(raw, "入学年份"), example="2023",
          help="四位年份", aliases=("入学年度",), repeats=True),
]
FIELDS_BY_KEY = {f.key: f for f in FIELDS}
KEY_FIELDS = tuple(f.key for f in FIELDS if f.key_field)


def clean_fields(fields, raw, memo=None):
    """Clean each field's raw value: (values, errors {key: FieldError}); a required field may not be empty.

    `memo`, a dict an import passes for every row of one file, keeps the cleaned value of each distinct
    text of the `repeats` fields, so 10,000 rows of 汉族 are cleaned once (errors are not kept).
    """
    values, errors = {}, {}
    for f in fields:
        key = f.key
        given = raw.get(key)
        seen = None
        if f.repeats and memo is not None:
            seen = memo.get(key)
            if seen is None:
                seen = memo[key] = {}
            elif given in seen:
                values[key] = seen[given]
                continue
        try:
            value = f.clean(given)
        except FieldError as exc:
            errors[key] = exc
            continue
        if f.required and value in ("", None):
            errors[key] = FieldError(f"{f.label}为必填项", f"请填写{f.label}")
            continue
        values[key] = value
        if seen is not None:
            seen[given] = value
    return values, errors


def clean_candidate(raw, memo=None):
    """Clean a dict of raw values keyed by field key: (values, errors {key: FieldError}).

    Only values that make a record unusable are errors (missing, malformed, unparseable). Identity checks
    such as the ID's check character are the verifier's and run at 认证 (see models.identity).
    """
    values, errors = clean_fields(FIELDS, raw, memo)
    if "id_number" in values and "id_type" in values:
        try:
            check_format(values["id_type"], values["id_number"])
        except FieldError as exc:
            errors["id_number"] = exc
    if not values.get("birth_date") and "id_number" in values and "id_number" not in errors:
        values["birth_date"] = implied_by_number(values.get("id_type"), values["id_number"])[0]
    return values, errors
