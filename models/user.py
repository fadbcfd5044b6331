"""Users, their roles, passwords and the login lock."""
from datetime import timedelta

from flask import g, has_app_context
from flask_login import UserMixin
from peewee import JOIN, BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, Select, Value
from werkzeug.security import check_password_hash, generate_password_hash

from sheets.spec import Column, FieldError, Form

from . import audit, setting, unchanged
from .audit import AuditEvent
from .catalog import Organisation
from .db import BaseModel, TimestampField, built_once, db, now
from .normalise import text

ADMIN, STAFF, REVIEWER = "admin", "staff", "reviewer"
ROLE_LABELS = {
    ADMIN: "院校管理员",
    STAFF: "院校工作人员",
    REVIEWER: "评价组织审核员",
}
# What pages call the actor of an event the system recorded itself (no user): 审计日志, timelines.
SYSTEM = "系统"
MIN_PASSWORD_LENGTH = 8
# Checked when there is no password to check (unknown name, disabled or locked account), so that every
# failed login costs the same time and nobody can tell a real user name from the answer.
_DECOY_HASH = generate_password_hash("decoy password, never a real one")
# The audited actions that end every session of a user whose account stays usable, by the code the login page
# names the cause by (User.why_ended).
ENDED_BY = {"user.password_reset": "password_reset", "user.password_change": "password_change",
            "auth.logout": "logout"}


class UserError(FieldError):
    """A refused user change, with a message for the user."""


PASSWORD_RULE = f"至少 {MIN_PASSWORD_LENGTH} 位，不能全是数字、不能包含用户名，也不能是常见密码"


# The passwords tried first by anyone guessing (leaked-password lists' top entries of 8 characters or more,
# letters first), compared ignoring case.
COMMON_PASSWORDS = frozenset("""
password passw0rd password1 password123 p@ssw0rd p@ssword qwertyui qwerty123 qwertyuiop 1qaz2wsx 1q2w3e4r
1q2w3e4r5t qazwsxedc zaq12wsx abc12345 abcd1234 abcdefgh a1234567 a12345678 aa123456 aa12345678
iloveyou 5201314a woaini1314 admin123 admin1234 administrator welcome1 welcome123 letmein1 changeme
sunshine princess football baseball superman trustno1 whatever starwars dragon123 monkey123
asdfghjkl asdf1234 zxcvbnm1 zxcvbnm123 11111111a 123456abc 123qweasd qweasdzxc computer internet
""".split())


def password_problem(password, username=""):
    """Why a new password is too easy to guess, as (problem, how to fix it), or None. The rule of every
    account (修改密码, 新增用户, 重置密码, the first-run setup and create-user): at least
    MIN_PASSWORD_LENGTH characters, not only digits (a birthday, a phone number, a student number), not one
    character repeated, not containing the user name (3 characters or more), not one of the commonest
    passwords nor two characters repeated. Checked when a password is set, never at login: an account
    whose older password breaks it still logs in."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"密码至少 {MIN_PASSWORD_LENGTH} 位", "请换一个更长的密码"
    if password.isdigit():
        return "密码不能全是数字", "请加入字母或符号（生日、手机号、学号容易被猜中）"
    if len(set(password)) == 1:
        return "密码不能是同一个字符重复", "请换一个不易猜到的密码"
    name = username.strip().casefold()
    if name and (password.strip().casefold() == name or (len(name) >= 3 and name in password.casefold())):
        return "密码不能包含用户名", "请换一个与用户名无关的密码"
    if password.casefold() in COMMON_PASSWORDS or len(set(password)) <= 2:
        return "这个密码太常见，容易被猜中", "请换一个不常见的密码，例如几个词和数字、符号的组合"
    return None


def _password(raw):
    """A new password as typed (never trimmed: spaces count), by the rule of password_problem (the user
    name, where the form has none, is compared when the password is set)."""
    password = raw or ""
    if password and (problem := password_problem(password)):
        raise FieldError(*problem)
    return password


def _typed(raw):
    """Text exactly as typed (a password's spaces count)."""
    return raw or ""


def _role(raw):
    role = text(raw)
    if role and role not in ROLE_LABELS:
        raise FieldError(f"「{role}」不是可选的角色", "请从列表中选择：" + "、".join(ROLE_LABELS.values()))
    return role


def password_form(label="新密码", again="再次输入新密码", before=()):
    """A new password typed twice, with the length rule, after the columns `before`: 新增用户, 重置密码,
    修改密码 and the first-run setup ask the same way."""
    def same(values, errors):
        if "password" in values and "password2" in values and values["password"] != values["password2"]:
            errors["password2"] = FieldError(f"两次输入的{label}不一致", f"请再输入一次同样的{label}")
    return Form((
        *before,
        Column("password", label, _password, required=True, max_length=128, input="password",
               help=PASSWORD_RULE),
        Column("password2", again, _typed, required=True, max_length=128, input="password"),
    ), check=same)


USERNAME = Column("username", "用户名", text, required=True, max_length=30)
# 新增用户 and 修改 (without the name and the password, USER_FORM.only).
USER_FORM = password_form("初始密码", "再次输入密码", before=(
    USERNAME,
    Column("display_name", "显示名称", text, max_length=30, example="李老师"),
    Column("role", "角色", _role, required=True, choices=ROLE_LABELS),
    Column("organisation", "培训评价组织", lambda raw: Organisation.chosen(raw, "所选培训评价组织已不存在", "请重新选择"),
           help="仅评价组织审核员需要，其他角色忽略此项",
           choices=lambda: {str(o.id): o.name for o in Organisation.ordered()}),
))
# The first-run setup: the first 院校管理员.
SETUP_FORM = password_form("密码", "再次输入密码", before=(USERNAME, Column("display_name", "姓名", text, max_length=30)))
# 修改密码 by the user: the current password, then the new one twice.
CHANGE_PASSWORD_FORM = password_form(before=(
    Column("current", "当前密码", _typed, required=True, max_length=128, input="password"),))
LOGIN_FORM = Form((Column("username", "用户名", text, max_length=150),
                   Column("password", "密码", _typed, max_length=128, input="password")))


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
        """Hash a new password that passes password_problem (this user's name included)."""
        if problem := password_problem(password or "", self.username or ""):
            raise UserError(*problem, key="password")
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
        # Kept by the process until the database changes (every request asks); each request gets its own copy.
        kept = unchanged.kept("users", int(user_id), lambda: cls._read_by_id(int(user_id)), limit=256)
        if kept is None:
            return None
        values, organisation_name = kept
        user = cls.as_read(**values)
        if not user.active or user.session_version != int(version):
            return None
        if user.organisation_id is not None:
            user.__rel__["organisation"] = Organisation(id=user.organisation_id, name=organisation_name)
        return user

    @classmethod
    def _read_by_id(cls, user_id):
        """(a user's values, its organisation's name) or None. With the name: every page names a reviewer's
        organisation in the header."""
        sql = built_once("user by id", lambda: (cls.select(cls, Organisation.name.alias("organisation_name"))
                                                .join(Organisation, JOIN.LEFT_OUTER).where(cls.id == 0)))
        user = next(iter(cls.raw(sql, user_id)), None)
        if user is None:
            return None
        return dict(user.__data__), user.organisation_name

    @classmethod
    def why_ended(cls, token, since):
        """Why the server ended the session a login token names, as ENDED_BY's codes: "disabled" while the account
        is 停用; else the password's change (a reset, the user's own) or 退出 on another browser, audited since
        `since` (the session's last moment known in use: no earlier event can have ended it; a password
        change goes first, it is what logging in again needs to know); None when no cause can be told."""
        user_id = (token or "").partition(".")[0]
        user = cls.get_or_none(cls.id == int(user_id)) if user_id.isdecimal() and len(user_id) < 19 else None
        if user is None:
            return None
        if not user.active:
            return "disabled"
        if since is None:
            return None
        latest_first = [action for (action,) in AuditEvent
                        .select(AuditEvent.action)
                        .where(AuditEvent.action.in_(list(ENDED_BY))
                               & (AuditEvent.at >= since)
                               & (AuditEvent.object_type == "user")
                               & (AuditEvent.object_id == str(user.id)))
                        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                        .limit(50)
                        .tuples()]
        causes = [ENDED_BY[action] for action in latest_first]
        return next((cause for cause in causes if cause != "logout"), causes[0] if causes else None)

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
            raise UserError("请填写用户名", key="username")
        cls._check_role(role, organisation)
        if role != REVIEWER:
            organisation = None
        if cls.select().where(cls.username == username).exists():
            raise UserError(f"用户名「{username}」已存在", key="username")
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

    def form_values(self):
        """What 修改's form shows before anything is changed."""
        return {"display_name": self.display_name, "role": self.role, "organisation": str(self.organisation_id or "")}

    def change(self, role, organisation, display_name, by):
        """Change a user's role (a reviewer's organisation with it) and display name."""
        self._check_role(role, organisation)
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

    @staticmethod
    def _check_role(role, organisation):
        if role not in ROLE_LABELS:
            raise UserError("角色必须是 " + "、".join(ROLE_LABELS.values()) + " 之一", key="role")
        if role == REVIEWER and organisation is None:
            raise UserError("评价组织审核员必须属于一个培训评价组织", key="organisation")

    def change_password(self, current, password, again):
        """修改密码 by the user: the current password, then the new one twice (the rules of 用户管理).

        Every session of the user ends, this one too: the caller logs the user in again under the new
        session version, so a session left open elsewhere (or a copied cookie) opens nothing any more.
        """
        if not check_password_hash(self.password_hash, current or ""):
            with db.atomic():
                audit.record("user.password_change_failed", self, {"原因": (None, "当前密码不正确")}, user=self)
            raise UserError("当前密码不正确", key="current")
        if password != again:
            raise UserError("两次输入的新密码不一致", key="password2")
        if password == current:
            raise UserError("新密码不能与当前密码相同", key="password")
        self.set_password(password)
        with db.atomic():
            self.save(only=[User.password_hash])
            self.end_sessions()
            audit.record("user.password_change", self, user=self)

    def _keep_an_admin(self, by, what):
        """Refuse a change that would lock the administrator out or leave the college without one."""
        if by is not None and by.id == self.id:
            raise UserError(f"不能{what}自己的账号", key="role")
        others = User.select().where((User.role == ADMIN) & User.active & (User.id != self.id))
        if self.role == ADMIN and self.active and not others.exists():
            raise UserError(f"这是唯一可用的院校管理员，不能{what}", key="role")

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
            return SYSTEM
        return cls.display_names().get(event.user_id, event.username)

    @classmethod
    def actor_ids(cls, name):
        """The user ids of the audit events by a person named `name` (part of a login or display name), None
        standing for the events without a user, so the log is read newest first through its (user_id, at, id)
        index, and counted per user (AuditEvent.log), instead of testing the login name of 1,000,000 events. The
        same events as matching each event's logged login name: a login name never changes, an event carries its
        user's id and name, and one without a user is "system"'s, and 系统's too, the name the log shows it by
        (User.actor). Users deleted from the table (none are, today) are found by their logged name."""
        ids = [user_id for (user_id,) in cls.select(cls.id)
               .where(cls.username.contains(name) | cls.display_name.contains(name)).tuples()]
        gone = sorted(set(AuditEvent.user_ids()) - {user_id for (user_id,) in cls.select(cls.id).tuples()})
        if gone:
            ids += [user_id for (user_id,) in AuditEvent.select(AuditEvent.user_id).distinct()
                    .where(AuditEvent.user_id.in_(gone) & AuditEvent.username.contains(name)).tuples()]
        if Select(columns=[Value("system").contains(name) | Value(SYSTEM).contains(name)]).bind(db).scalar():
            ids.append(None)
        return ids

    @classmethod
    def ordered(cls):
        return (cls
                .select(cls, Organisation)
                .join(Organisation, JOIN.LEFT_OUTER)
                .order_by(cls.role, cls.username))

    @classmethod
    def by_username(cls, username):
        return cls.get_or_none(cls.username == (username or "").strip())
