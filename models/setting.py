"""College settings an administrator can change; every default lives here, once."""
import math

from peewee import CharField, TextField

from . import audit
from .db import BaseModel, db

audit.ACTION_LABELS.setdefault("setting.update", "修改院校设置")

# key: (default, label shown to the administrator)
DEFAULTS = {
    "college_name": ("示范职业技术学院", "院校名称"),
    "college_code": ("10000", "院校代码"),
    "login_max_failures": ("5", "连续登录失败多少次后锁定账号"),
    "login_lock_minutes": ("15", "账号锁定时长（分钟）"),
    "session_idle_minutes": ("480", "无操作多少分钟后自动退出登录"),
}


class Setting(BaseModel):
    key = CharField(unique=True)
    value = TextField()


def get(key):
    """The stored value of a setting, or its default."""
    row = Setting.get_or_none(Setting.key == key)
    return row.value if row is not None else DEFAULTS[key][0]


def get_int(key):
    return int(get(key))


def put(key, value):
    """Store a setting (the caller records the audit event in the same transaction)."""
    if key not in DEFAULTS:
        raise KeyError(key)
    (Setting
     .insert(key=key, value=str(value))
     .on_conflict(conflict_target=[Setting.key], update={Setting.value: str(value)})
     .execute())


def clean(raw):
    """院校设置's form: (values, {key: message}) for every known setting; numbers must stay numbers."""
    values, errors = {}, {}
    for key, (default, label) in DEFAULTS.items():
        value = (raw.get(key) or "").strip()
        values[key] = value
        if not value:
            errors[key] = f"请填写{label}"
        elif default.isdigit() and not (value.isdecimal() and int(value) > 0):
            errors[key] = f"{label}须为正整数"
        elif _is_number(default) and not _is_number(value):
            errors[key] = f"{label}须为数字"
    return values, errors


def update(values, by):
    """Store the changed settings and audit them in one transaction; returns the labels changed."""
    changes = {DEFAULTS[k][1]: (get(k), v) for k, v in values.items() if k in DEFAULTS and get(k) != v}
    if changes:
        with db.atomic():
            for key, value in values.items():
                if key in DEFAULTS and get(key) != value:
                    put(key, value)
            audit.record("setting.update", None, changes, user=by, label="院校设置")
    return list(changes)


def _is_number(value):
    try:
        return math.isfinite(float(value)) and float(value) >= 0  # nan would switch a check off
    except ValueError:
        return False
