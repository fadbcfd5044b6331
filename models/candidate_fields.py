"""The candidate sheet, declared once: each column's header, whether required, how raw text is cleaned,
its allowed values, help and example.

The 新增学生信息 form, the detail page, the import template, the reader, the validation, the error report
and the export all read CANDIDATE_SHEET, so adding a column is one line here and the form and the
import can never disagree.
"""
from sheets.spec import Column, FieldError, SheetSpec

from . import normalise
from .identity import EXAMPLE_ID, ID_TYPES, check_format, implied_by_number
from .privacy import mask_id, mask_phone

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


def choice_column(key, header, allowed, variants=None, **options):
    """A column whose value is one of `allowed` (a dropdown); `variants` maps what people also write to them."""
    return Column(key, header, lambda raw: normalise.choice(raw, allowed, header, variants), choices=allowed,
                  **options)


def named_column(key, header, clean, **options):
    """A column whose cleaner names it in its messages: `clean(raw, header)`."""
    return Column(key, header, lambda raw: clean(raw, header), **options)


def _check_row(values, errors):
    """Rules across columns. Only values that make a record unusable are errors (missing, malformed,
    unparseable); identity checks such as the ID's check character are the verifier's and run at 认证
    (see models.identity)."""
    if "id_number" in values and "id_type" in values:
        try:
            check_format(values["id_type"], values["id_number"])
        except FieldError as exc:
            errors["id_number"] = exc
    if not values.get("birth_date") and "id_number" in values and "id_number" not in errors:
        values["birth_date"] = implied_by_number(values.get("id_type"), values["id_number"])[0]


CANDIDATE_SHEET = SheetSpec(
    kind="candidates", title="考生信息", template_name="导入考生信息模板", noun="考生", unit="名",
    columns=(
        Column("name", "姓名", normalise.text, required=True, max_length=30, example="张三",
               help="与证件一致；2–30 个汉字、字母、间隔号「·」或空格", aliases=("名字", "考生姓名", "学生姓名")),
        choice_column("id_type", "证件类型", ID_TYPES, ID_TYPE_ALIASES, required=True, example="居民身份证",
                      help="从下拉列表选择", repeats=True),
        Column("id_number", "证件号码", normalise.id_number, required=True, max_length=30, example=EXAMPLE_ID,
               help="居民身份证为 18 位，末位 X 大写；请将此列设为文本格式，避免 Excel 把号码变成科学计数法",
               form_help="居民身份证为 18 位，末位 X 大写；请对照证件逐位填写",
               aliases=("身份证号", "身份证号码", "证件号", "身份证"), as_text=True, mask=mask_id),
        choice_column("gender", "性别", GENDERS, GENDER_ALIASES, required=True, example="男",
                      help="男 或 女，须与证件号码一致", repeats=True),
        named_column("birth_date", "出生日期", normalise.parse_date, max_length=30, example="2003-01-05",
                     help="居民身份证可不填，系统按证件号码计算；可写 2003-01-05、2003/1/5 或 20030105"),
        choice_column("ethnicity", "民族", ETHNICITIES, ETHNICITY_ALIASES, example="汉族",
                      help="56 个民族之一，例如 汉族", repeats=True),
        Column("phone", "手机号", normalise.mobile, required=True, max_length=30, example="13812345678",
               help="11 位手机号码", input="tel",
               aliases=("手机", "手机号码", "联系电话", "电话"), as_text=True, mask=mask_phone),
        Column("student_no", "学号", normalise.text, max_length=30, example="2023010101", as_text=True),
        Column("department", "院系", normalise.text, max_length=50, example="信息工程学院", aliases=("学院", "系部"),
               repeats=True),
        Column("major", "专业", normalise.text, max_length=50, example="计算机应用技术", aliases=("专业名称",),
               repeats=True),
        Column("class_name", "班级", normalise.text, max_length=50, example="计应2301", aliases=("班级名称",),
               repeats=True),
        choice_column("education_level", "学历层次", EDUCATION_LEVELS, example="高职专科",
                      help="中职、高职专科、职业本科、本科 或 其他", aliases=("学历",), repeats=True),
        named_column("enrollment_year", "入学年份", normalise.year, max_length=10, example="2023", help="四位年份",
                     aliases=("入学年度",), repeats=True),
    ),
    check=_check_row,
    # Where each candidate stands, after the template's columns; an import skips them.
    export_only=(
        Column("status", "状态"),
        Column("reasons", "认证未通过原因", export="；".join),
    ),
    identity=("id_type", "id_number"),
    guide=(
        "每位考生填写一行，第 1 行为表头，请勿修改表头文字；带 * 的列为必填。",
        "同一证件号码在文件中只能出现一次；系统中已存在的考生默认不会重复导入。",
    ),
)
# Changing one of these sends a candidate back to 待认证: they are what 认证 verified.
KEY_FIELDS = ("name", "id_type", "id_number", "gender", "birth_date")
