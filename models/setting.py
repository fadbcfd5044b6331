"""院校设置: every setting an administrator can change, declared once here, checked when saved and when read.

Each setting is a form field (the engine's Column, like every form's) with the default it has until an
administrator changes it and the group it shows in: key, label, default, clean (typed text -> the value
CertDesk uses, or FieldError), choices, help. SETTINGS_FORM checks the whole form on 保存 with the one
cleaning function every form uses, and nothing is stored unless every value passes. The same declaration
checks each stored value when it is read, so a value stored before a rule existed cannot crash the work
that reads it: a `strict` setting refuses that work with a SettingError naming the setting and the fix,
any other falls back to its default.
"""
import logging
import re
from dataclasses import dataclass
from typing import Callable, Mapping

from peewee import CharField, TextField

from sheets.spec import Column, Form

from . import audit, number_pattern
from .db import BaseModel, db
from .identity import VERIFIER_NAMES, verifier_key
from .normalise import FieldError, Number, text

audit.ACTION_LABELS.setdefault("setting.update", "修改院校设置")
log = logging.getLogger(__name__)


# The largest upload the server accepts in one request (app.py's MAX_CONTENT_LENGTH is built from it): an
# upload setting above it would promise files the server refuses before CertDesk can read them.
MAX_UPLOAD_MB = 400


class SettingError(ValueError):
    """A stored setting the work that reads it cannot use; the message names the setting and the fix."""


# ---- the kinds of value a setting holds: each cleans typed text and says what it accepts -------------
@dataclass(frozen=True)
class Text:
    """Text of at most `max_length` characters (the setting's column refuses longer), whitespace collapsed;
    matching `allowed` when given."""
    max_length: int
    allowed: re.Pattern = None  # the whole value must match, when given
    allowed_hint: str = ""      # how to write a value that matches
    hint: str = ""

    def __call__(self, raw):
        value = text(raw)
        if not value:
            raise FieldError("未填写", "请填写")
        if self.allowed and not self.allowed.fullmatch(value):
            raise FieldError(f"「{value}」含有不允许的字符", self.allowed_hint)
        return value


@dataclass(frozen=True)
class Choice:
    """One of `names`' keys: a <select> showing the names."""
    names: Mapping             # stored value -> Chinese name; a registry may add entries later
    resolve: Callable = None   # typed value -> stored value or None, for values stored in an older form
    hint: str = ""
    max_length = 100           # a stored value may be an older form's dotted path

    def __call__(self, raw):
        value = text(raw)
        key = self.resolve(value) if self.resolve else (value if value in self.names else None)
        if key is None:
            raise FieldError(f"「{value}」不是可选的一项" if value else "未选择",
                             f"请从列表中选择：{'、'.join(self.names.values())}")
        return key


@dataclass(frozen=True)
class NumberPattern:
    """A certificate number pattern (models/number_pattern.py)."""
    hint: str = ""
    max_length = number_pattern.MAX_LENGTH

    def __call__(self, raw):
        return number_pattern.check(raw)


@dataclass(frozen=True)
class SettingField:
    """One setting: a form field (`column`) with its default and the group the page shows it in."""
    key: str
    label: str
    default: str       # as the form shows it
    clean: Callable    # typed text -> the value CertDesk uses; raises FieldError
    group: str
    help: str = ""
    strict: bool = False  # a bad stored value refuses the work that reads it instead of using the default

    def __post_init__(self):
        # Typed numbers and choices are short: 30 characters is far more than any of them needs.
        column = Column(self.key, self.label, self._labelled, required=True, choices=self.choices or (),
                        max_length=getattr(self.clean, "max_length", 30), help=self.hint)
        object.__setattr__(self, "column", column)

    @property
    def choices(self):
        return getattr(self.clean, "names", None)

    @property
    def hint(self):
        """The help line under the input: what values it takes, then what it does."""
        return "；".join(part for part in (self.clean.hint, self.help) if part)

    def check(self, raw):
        """The value typed text stands for, or FieldError naming this setting: the column's one cleaning path."""
        return self.column.check(raw)

    def _labelled(self, raw):
        try:
            return self.clean(raw)
        except FieldError as exc:
            raise FieldError(f"{self.label}：{exc.problem}", exc.fix) from None

    def display(self, value):
        """How a value reads in the audit log: a choice by its Chinese name."""
        return self.choices.get(value, value) if self.choices else str(value)


_CODE = re.compile(r"[A-Za-z0-9]+")
_PATTERN_HINT = f"可用占位符 {number_pattern.ALLOWED}，{{序号}} 必须且只能出现一次"

# Numbers issued, identities verified, under a setting that fell back to its default would be permanent
# results nobody chose; those settings are strict.
FIELDS = [
    SettingField("college_name", "院校名称", "示范职业技术学院", Text(50), "院校信息", "显示在首页"),
    SettingField("college_code", "院校代码", "10000", Text(20, _CODE, "只能包含字母和数字，例如 10000"),
                 "院校信息", "教育部院校代码；证书编号格式中的 {院校代码} 取此值", strict=True),
    SettingField("login_max_failures", "连续登录失败多少次后锁定账号", "5", Number(1, 100), "登录与安全",
                 "连续输错密码达到此次数，账号锁定"),
    SettingField("login_lock_minutes", "账号锁定时长（分钟）", "15", Number(1, 1440), "登录与安全",
                 "锁定期满后可再次登录"),
    SettingField("session_idle_minutes", "无操作多少分钟后自动退出登录", "480", Number(5, 1440), "登录与安全",
                 "超过此时长没有操作，需重新登录"),
    SettingField("identity_verifier", "身份认证方式", "offline",
                 Choice(VERIFIER_NAMES, verifier_key), "考生认证", "认证时用哪种方式核验姓名和证件号码",
                 strict=True),
    SettingField("import_max_mb", "批量导入文件大小上限（MB）", "20", Number(1, MAX_UPLOAD_MB), "批量导入",
                 "超过的文件不能上传，请拆分后分批导入"),
    SettingField("import_max_rows", "批量导入文件行数上限", "100000", Number(1, 200000), "批量导入",
                 "超过的文件不能导入，请拆分后分批导入"),
    SettingField("import_keep_days", "待确认的导入文件保留天数（过期删除）", "14", Number(1, 365), "批量导入",
                 "有错误、等待确认的导入，其上传文件保留的天数"),
    SettingField("photo_min_kb", "照片文件最小（KB）", "20", Number(1, 1000), "照片", "小于此大小的照片不合格"),
    SettingField("photo_max_kb", "照片文件最大（KB）", "200", Number(1, 5000), "照片", "大于此大小的照片不合格"),
    SettingField("photo_min_width", "照片最小宽度（像素）", "295", Number(100, 1500), "照片", "窄于此宽度的照片不合格（不会放大照片）"),
    SettingField("photo_min_height", "照片最小高度（像素）", "413", Number(100, 2000), "照片", "矮于此高度的照片不合格（不会放大照片）"),
    SettingField("photo_min_ratio", "照片高宽比下限（高 ÷ 宽）", "1.2",
                 Number(0.5, 3, decimals=True), "照片", "高度除以宽度低于此值的照片不合格"),
    SettingField("photo_max_ratio", "照片高宽比上限（高 ÷ 宽）", "1.5",
                 Number(0.5, 3, decimals=True), "照片", "高度除以宽度高于此值的照片不合格"),
    SettingField("photo_zip_max_files", "照片压缩包最多文件数", "10000", Number(1, 50000), "照片", "一个压缩包里最多的照片数"),
    SettingField("photo_zip_max_mb", "照片压缩包最大（MB）", "300", Number(1, MAX_UPLOAD_MB), "照片",
                 "超过的压缩包请分成几个上传"),
    SettingField("certificate_number_pattern", "证书编号格式", "{证书代码}{等级代码}{年份}{序号}",
                 NumberPattern(_PATTERN_HINT), "颁证", "颁证时按此格式生成证书编号", strict=True),
    SettingField("certificate_number_digits", "证书编号序号位数", "6", Number(4, 12), "颁证",
                 "序号不足位数时前面补 0", strict=True),
]
BY_KEY = {f.key: f for f in FIELDS}
GROUPS = {}  # group name -> its fields, in the order the page shows them
for _field in FIELDS:
    GROUPS.setdefault(_field.group, []).append(_field)
# (lower, upper): the first may not exceed the second.
BOUNDS = [("photo_min_kb", "photo_max_kb"), ("photo_min_ratio", "photo_max_ratio")]


class Setting(BaseModel):
    key = CharField(unique=True)
    value = TextField()


def stored():
    """Every setting's stored text, or its default when none is stored."""
    texts = {f.key: f.default for f in FIELDS}
    texts.update((row.key, row.value) for row in Setting.select() if row.key in BY_KEY)
    return texts


def get(key):
    """The value a setting has now (int, float or text), checked by its declaration."""
    field = BY_KEY[key]
    row = Setting.get_or_none(Setting.key == key)
    value = row.value if row is not None else field.default
    try:
        return field.check(value)
    except FieldError as exc:
        if field.strict:
            raise SettingError(f"院校设置中的{exc.problem}。"
                               f"请院校管理员在 系统管理 → 院校设置 中修改（{exc.fix}）") from None
        log.warning("setting %s: stored value %r no longer passes, using the default", key, value)
        return field.check(field.default)


def put(key, raw):
    """Check and store one setting (the caller records the audit event in the same transaction)."""
    value = str(BY_KEY[key].check(raw))
    (Setting
     .insert(key=key, value=value)
     .on_conflict(conflict_target=[Setting.key], update={Setting.value: value})
     .execute())


def _check_bounds(values, errors):
    """A lower bound may not exceed its upper bound."""
    for lower, upper in BOUNDS:
        if lower in values and upper in values and values[lower] > values[upper]:
            low, high = BY_KEY[lower], BY_KEY[upper]
            errors[upper] = FieldError(f"{high.label}：{values[upper]} 小于{low.label} {values[lower]}",
                                       f"请填写不小于 {values[lower]} 的值，或调小{low.label}")


SETTINGS_FORM = Form(tuple(f.column for f in FIELDS), check=_check_bounds)


def clean(raw, keys=None):
    """院校设置's form: (values, {key: FieldError}) for every setting, or only `keys`."""
    return (SETTINGS_FORM.only(*keys) if keys else SETTINGS_FORM).clean(raw)


def texts(raw, values):
    """What each input shows: a value that passed in its cleaned form, any other as it was typed."""
    return {f.key: str(values[f.key]) if f.key in values else (raw.get(f.key) or "") for f in FIELDS}


def update(values, by):
    """Store the changed settings (all of them checked) and audit them in one transaction; returns the
    labels of those changed."""
    old = stored()
    before, _ = clean(old)
    changed = [f for f in FIELDS if f.key in values and before.get(f.key) != values[f.key]]
    if changed:
        with db.atomic():
            for field in changed:
                put(field.key, values[field.key])
            audit.record("setting.update", None,
                         {f.label: (f.display(before.get(f.key, old[f.key])), f.display(values[f.key]))
                          for f in changed},
                         user=by, label="院校设置")
    return [f.label for f in changed]
