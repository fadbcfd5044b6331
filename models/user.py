"""Users, their roles, passwords and the login lock."""
from datetime import timedelta

from flask_login import UserMixin
from peewee import BooleanField, CharField, ForeignKeyField, IntegerField, DateTimeField
from werkzeug.security import check_password_hash, generate_password_hash

from . import audit, setting
from .catalog import Organisation
from .db import BaseModel, TimestampField, db, now

ADMIN, STAFF, REVIEWER = "admin", "staff", "reviewer"
ROLE_LABELS = {
    ADMIN: "院校管理员",
    STAFF: "院校工作人员",
    REVIEWER: "评价组织审核员",
}
MIN_PASSWORD_LENGTH = 8


class UserError(ValueError):
    """A refused user change, with a message for the user."""


class User(UserMixin, BaseModel):
    username = CharField(unique=True)
    display_name = CharField(default="")
    role = CharField(choices=list(ROLE_LABELS.items()))
    organisation = ForeignKeyField(Organisation, null=True, backref="reviewers", on_delete="RESTRICT")
    password_hash = CharField()
    active = BooleanField(default=True)
    failed_logins = IntegerField(default=0)
    locked_until = DateTimeField(null=True)
    last_login_at = DateTimeField(null=True)
    created_at = TimestampField()

    def __str__(self):
        return self.display_name or self.username

    @property
    def is_active(self):
        return self.active

    @property
    def role_label(self):
        return ROLE_LABELS[self.role]

    def has_role(self, *roles):
        return self.role in roles

    def set_password(self, password):
        if len(password or "") < MIN_PASSWORD_LENGTH:
            raise UserError(f"密码至少 {MIN_PASSWORD_LENGTH} 位")
        self.password_hash = generate_password_hash(password)

    def is_locked(self, at=None):
        return self.locked_until is not None and self.locked_until > (at or now())

    def attempt_login(self, password):
        """Check a password, counting failures and locking the account; every outcome is audited."""
        with db.atomic():
            if self.is_locked():
                audit.record("auth.login_failed", self, {"原因": (None, "账号已锁定")}, user=self)
                return False
            if check_password_hash(self.password_hash, password or ""):
                self.failed_logins = 0
                self.locked_until = None
                self.last_login_at = now()
                self.save()
                audit.record("auth.login", self, user=self)
                return True
            self.failed_logins += 1
            audit.record("auth.login_failed", self, {"连续失败次数": (None, self.failed_logins)}, user=self)
            if self.failed_logins >= setting.get_int("login_max_failures"):
                self.locked_until = now() + timedelta(minutes=setting.get_int("login_lock_minutes"))
                self.failed_logins = 0
                audit.record("auth.locked", self, {"锁定至": (None, self.locked_until)}, user=self)
            self.save()
            return False

    @classmethod
    def create_user(cls, username, password, role, organisation=None, display_name="", by=None):
        """Create a user with a hashed password; a reviewer must belong to one 培训评价组织."""
        username = (username or "").strip()
        if not username:
            raise UserError("请填写用户名")
        if role not in ROLE_LABELS:
            raise UserError("角色必须是 " + "、".join(ROLE_LABELS.values()) + " 之一")
        if role == REVIEWER and organisation is None:
            raise UserError("评价组织审核员必须属于一个培训评价组织")
        if role != REVIEWER:
            organisation = None
        if cls.select().where(cls.username == username).exists():
            raise UserError(f"用户名「{username}」已存在")
        user = cls(username=username, role=role, organisation=organisation,
                   display_name=(display_name or "").strip())
        user.set_password(password)
        with db.atomic():
            user.save()
            audit.record("user.create", user, {"角色": (None, user.role_label)}, user=by)
        return user

    @classmethod
    def by_username(cls, username):
        return cls.get_or_none(cls.username == (username or "").strip())
