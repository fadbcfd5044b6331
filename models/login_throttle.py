"""Failed logins counted per client address: a flood is slowed down and logged once a minute, not per try.

Each address has one row holding the current one-minute window. The first `ADDRESS_LIMIT` failures of a
window are checked and audited as usual; beyond that, attempts from the address are refused without a
password check until the window ends, the moment of crossing the limit is one audit event, and the
window's total is one more when the next window begins. A 30-second attack from one address thus
writes a handful of audit rows instead of thousands.
"""
from datetime import timedelta

from peewee import CharField, DateTimeField, IntegerField

from . import audit
from .db import BaseModel, db, now

ADDRESS_LIMIT = 20  # failed logins per address and minute before attempts are refused
WINDOW = timedelta(minutes=1)

audit.ACTION_LABELS.setdefault("auth.throttled", "登录尝试过于频繁")
audit.ACTION_LABELS.setdefault("auth.flood", "登录尝试过于频繁（汇总）")


class LoginThrottle(BaseModel):
    address = CharField(unique=True, max_length=64)
    window_start = DateTimeField()
    failures = IntegerField(default=0)


def is_throttled(address):
    """Whether this address has used up its failed logins for the current minute."""
    row = LoginThrottle.get_or_none(LoginThrottle.address == _key(address))
    return row is not None and row.window_start > now() - WINDOW and row.failures >= ADDRESS_LIMIT


def count_failure(address):
    """Count one failed or refused login from `address`, in one atomic step; audit the flood's edges."""
    key, at = _key(address), now()
    with db.atomic():
        (LoginThrottle
         .insert(address=key, window_start=at, failures=0)
         .on_conflict_ignore()
         .execute())
        row = LoginThrottle.get(LoginThrottle.address == key)
        if row.window_start <= at - WINDOW:
            if row.failures > ADDRESS_LIMIT:
                audit.record("auth.flood", None, {"地址": (None, key), "开始": (None, row.window_start),
                                                  "失败次数": (None, row.failures)}, label=key)
            (LoginThrottle
             .update(window_start=at, failures=0)
             .where(LoginThrottle.id == row.id)
             .execute())
        failures = list(LoginThrottle
                        .update(failures=LoginThrottle.failures + 1)
                        .where(LoginThrottle.id == row.id)
                        .returning(LoginThrottle.failures)
                        .execute())[0].failures
        if failures == ADDRESS_LIMIT + 1:
            audit.record("auth.throttled", None, {"地址": (None, key), "限制": (None, f"每分钟 {ADDRESS_LIMIT} 次")},
                         label=key)


def _key(address):
    return (address or "unknown")[:64]
