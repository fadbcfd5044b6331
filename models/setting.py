"""College settings an administrator can change; every default lives here, once."""
from peewee import CharField, TextField

from .db import BaseModel

# key: (default, label shown to the administrator)
DEFAULTS = {
    "college_name": ("示范职业技术学院", "院校名称"),
    "college_code": ("10000", "院校代码"),
    "login_max_failures": ("5", "连续登录失败多少次后锁定账号"),
    "login_lock_minutes": ("15", "账号锁定时长（分钟）"),
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
