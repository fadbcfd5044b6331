"""Users, their roles, passwords and the login lock."""
from datetime import timedelta

from flask import g, has_app_context
from flask_login import UserMixin
from peewee import JOIN, BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField
from werkzeug.security import check_password_hash, generate_password_hash

from . import audit, setting
from .audit import AuditEvent
from .catalog import Organisation
from .db import BaseModel, TimestampField, db, now

ADMIN, STAFF, REVIEWER = "admin", "staff", "reviewer"
ROLE_LABELS = {
    ADMIN: "院校管理员",
    STAFF: "院校工作人员",
    REVIEWER: "评价组织审核员",
}
MIN_PASSWORD_LENGTH = 8
# Checked when there is no password to check (unknown name, disabled or locked account), so that every
# failed login costs the same time and nobody can tell a real user name from the answer.
_DECOY_HASH = generate_password_hash("decoy password, never a real one")


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
    # Part of the login token: raising it ends every session of the user (logout, password change).
    session_version = IntegerField(default=0)
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

    def get_id(self):
        """The login token kept in the session: the id and the session version it was issued for."""
        return f"{self.id}.{self.session_version}"

    @classmethod
    def from_token(cls, token):
        """The active user a session token names, or None once that session was ended."""
        user_id, _, version = (token or "").partition(".")
        if not (user_id.isdecimal() and version.isdecimal() and len(user_id) < 19 and len(version) < 19):
            return None
        user = cls.get_or_none(cls.id == int(user_id))
        if user is None or not user.active or user.session_version != int(version):
            return None
        return user

    def end_sessions(self):
        """End every session of this user, on every browser; call inside the change's transaction."""
        (User
         .update(session_version=User.session_version + 1)
         .where(User.id == self.id)
         .execute())
        self.session_version += 1

    def log_out(self):
        """退出: the session ends, and with it every other session of this user (a copied cookie too)."""
        with db.atomic():
            self.end_sessions()
            audit.record("auth.logout", self, user=self)

    @staticmethod
    def decoy_check(password):
        """Spend the time of a password check where there is no real one to make."""
        check_password_hash(_DECOY_HASH, password or "")
        return False

    def attempt_login(self, password):
        """Check a password, counting failures and locking the account; every outcome is audited.

        The attempt is counted before the password is checked, in one conditional UPDATE, so concurrent
        guesses cannot check more passwords than the limit allows before the lock holds.
        """
        limit = setting.get("login_max_failures")
        with db.atomic():
            at = now()
            counted = list(User
                           .update(failed_logins=User.failed_logins + 1)
                           .where((User.id == self.id)
                                  & (User.locked_until.is_null() | (User.locked_until <= at))
                                  & (User.failed_logins < limit))
                           .returning(User.failed_logins)
                           .execute())
            if not counted:
                audit.record("auth.login_failed", self, {"原因": (None, "账号已锁定")}, user=self)
                return self.decoy_check(password)
            self.failed_logins = counted[0].failed_logins
        if check_password_hash(self.password_hash, password or ""):
            with db.atomic():
                self.failed_logins, self.locked_until, self.last_login_at = 0, None, now()
                self.save(only=[User.failed_logins, User.locked_until, User.last_login_at])
                audit.record("auth.login", self, user=self)
            return True
        with db.atomic():
            audit.record("auth.login_failed", self, {"连续失败次数": (None, self.failed_logins)}, user=self)
            if self.failed_logins >= limit:
                self.locked_until = now() + timedelta(minutes=setting.get("login_lock_minutes"))
                self.failed_logins = 0
                self.save(only=[User.failed_logins, User.locked_until])
                audit.record("auth.locked", self, {"锁定至": (None, self.locked_until)}, user=self)
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
    def create_first_admin(cls, username, password, display_name=""):
        """The first-run setup: the first 院校管理员, refused once any user exists."""
        with db.atomic():
            if cls.select().exists():
                raise UserError("已有用户，请直接登录")
            user = cls.create_user(username, password, ADMIN, display_name=display_name)
            audit.record("auth.setup", user, user=user)
        return user

    def change(self, role, organisation, display_name, by):
        """Change a user's role (a reviewer's organisation with it) and display name."""
        if role not in ROLE_LABELS:
            raise UserError("角色必须是 " + "、".join(ROLE_LABELS.values()) + " 之一")
        if role == REVIEWER and organisation is None:
            raise UserError("评价组织审核员必须属于一个培训评价组织")
        if role != ADMIN:
            self._keep_an_admin(by, "改变角色")
        organisation = organisation if role == REVIEWER else None
        before = {"角色": self.role_label, "培训评价组织": self.organisation.name if self.organisation else "",
                  "显示名称": self.display_name}
        after = {"角色": ROLE_LABELS[role], "培训评价组织": organisation.name if organisation else "",
                 "显示名称": (display_name or "").strip()}
        changes = audit.diff(before, after)
        if not changes:
            return False
        with db.atomic():
            self.role, self.organisation, self.display_name = role, organisation, after["显示名称"]
            self.save(only=[User.role, User.organisation, User.display_name])
            audit.record("user.update", self, changes, user=by)
        return True

    def set_active(self, active, by):
        """停用 or 启用 an account; a disabled user can no longer log in."""
        if not active:
            self._keep_an_admin(by, "停用")
        if self.active == active:
            return False
        with db.atomic():
            self.active = active
            if active:
                self.failed_logins, self.locked_until = 0, None
            self.save(only=[User.active, User.failed_logins, User.locked_until])
            if not active:
                self.end_sessions()
            audit.record("user.update", self, {"账号状态": ("已停用" if active else "正常", "正常" if active else "已停用")},
                         user=by)
        return True

    def reset_password(self, password, by):
        """An administrator sets a new password; the lock is lifted."""
        self.set_password(password)
        with db.atomic():
            self.failed_logins, self.locked_until = 0, None
            self.save(only=[User.password_hash, User.failed_logins, User.locked_until])
            self.end_sessions()
            audit.record("user.password_reset", self, user=by)

    def change_password(self, current, password, again):
        """修改密码 by the user: the current password, then the new one twice (the rules of 用户管理).

        Every session of the user ends, this one too: the caller logs the user in again under the new
        session version, so a session left open elsewhere (or a copied cookie) opens nothing any more.
        """
        if not check_password_hash(self.password_hash, current or ""):
            with db.atomic():
                audit.record("user.password_change_failed", self, {"原因": (None, "当前密码不正确")}, user=self)
            raise UserError("当前密码不正确")
        if password != again:
            raise UserError("两次输入的新密码不一致")
        if password == current:
            raise UserError("新密码不能与当前密码相同")
        self.set_password(password)
        with db.atomic():
            self.save(only=[User.password_hash])
            self.end_sessions()
            audit.record("user.password_change", self, user=self)

    def _keep_an_admin(self, by, what):
        """Refuse a change that would lock the administrator out or leave the college without one."""
        if by is not None and by.id == self.id:
            raise UserError(f"不能{what}自己的账号")
        others = User.select().where((User.role == ADMIN) & User.active & (User.id != self.id))
        if self.role == ADMIN and self.active and not others.exists():
            raise UserError(f"这是唯一可用的院校管理员，不能{what}")

    # ---- people in the audit log -----------------------------------------------------------------
    @classmethod
    def display_names(cls):
        """{user id: display name} of every user, loaded once per request (a college has tens of users)."""
        if has_app_context() and "display_names" in g:
            return g.display_names
        names = {user.id: str(user) for user in cls.select(cls.id, cls.username, cls.display_name)}
        if has_app_context():
            g.display_names = names
        return names

    @classmethod
    def actor(cls, event):
        """Who did an audited action, named as pages name people: the display name (李老师), 系统, or the
        login name the log kept for a user deleted since."""
        if event.user_id is None:
            return "系统"
        return cls.display_names().get(event.user_id, event.username)

    @classmethod
    def events_by(cls, name):
        """The condition for audit events by a person named `name` (part of a login or display name)."""
        named = cls.select(cls.id).where(cls.display_name.contains(name))
        return AuditEvent.username.contains(name) | AuditEvent.user_id.in_(named)

    @classmethod
    def ordered(cls):
        return (cls
                .select(cls, Organisation)
                .join(Organisation, JOIN.LEFT_OUTER)
                .order_by(cls.role, cls.username))

    @classmethod
    def by_username(cls, username):
        return cls.get_or_none(cls.username == (username or "").strip())
