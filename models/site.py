"""考核站点 and their two statuses: 审核状态 (待审核 / 审核通过 / 审核不通过) and 站点状态 (未启用 / 已启用 / 已停用).

```
申报考核站点 → 待审核 + 未启用
审核通过 → 审核通过 + 已启用        审核不通过 (reason required) → 修改后重新提交 → 待审核
停用 / 启用 an approved site: 已启用 ↔ 已停用
```
Every transition is a method here that checks the source state, changes the row and writes the audit event in
one transaction. Views never assign a status. Only a site that is 审核通过 + 已启用 can be named in a
pending-certificate record (`is_usable`).
"""
from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from . import audit
from .catalog import Certificate, Organisation
from .db import BaseModel, TimestampField, db, now
from .normalise import FieldError, phone, text, whole_number
from .pilot import PilotCertificate, PilotError, level_order
from .user import REVIEWER, User

PENDING, APPROVED, REJECTED = "待审核", "审核通过", "审核不通过"
REVIEW_STATUSES = (PENDING, APPROVED, REJECTED)
INACTIVE, ENABLED, DISABLED = "未启用", "已启用", "已停用"
SITE_STATUSES = (INACTIVE, ENABLED, DISABLED)
STATUS_COLORS = {PENDING: "orange", APPROVED: "green", REJECTED: "red",
                 INACTIVE: "gray", ENABLED: "green", DISABLED: "gray"}
NOT_PILOT = "该证书不是本院校的试点证书，无法申报考核站点"
MAX_SEATS = 10000

audit.ACTION_LABELS.update({
    "site.create": "申报考核站点",
    "site.update": "修改考核站点",
    "site.resubmit": "修改后重新提交考核站点",
    "site.approve": "考核站点审核通过",
    "site.reject": "考核站点审核不通过",
    "site.disable": "停用考核站点",
    "site.enable": "启用考核站点",
})

# The form's fields in the order the manual's form shows them: (key, label, required).
FIELDS = [
    ("name", "站点名称", True),
    ("certificate", "证书", True),
    ("levels", "等级", True),
    ("region", "所在地区", True),
    ("address", "详细地址", True),
    ("contact", "联系人", True),
    ("phone", "联系电话", True),
    ("seats", "机位数", True),
    ("note", "备注", False),
]
LABELS = {key: label for key, label, _ in FIELDS}


class SiteError(ValueError):
    """A transition the site's current state (or the user) does not allow, with a message for the user."""


class Site(BaseModel):
    name = CharField()
    certificate = ForeignKeyField(Certificate, backref="sites", on_delete="RESTRICT")
    levels = CharField()  # the chosen pilot levels, comma-separated in 初级-中级-高级 order
    region = CharField()
    address = CharField()
    contact = CharField()
    phone = CharField()
    seats = IntegerField()
    note = TextField(default="")
    review_status = CharField(default=PENDING, index=True)
    site_status = CharField(default=INACTIVE, index=True)
    reject_reason = TextField(default="")
    reviewed_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="reviewed_sites")
    reviewed_at = DateTimeField(null=True)
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="declared_sites")
    created_at = TimestampField(index=True)
    updated_at = TimestampField()

    def __str__(self):
        return self.name

    @property
    def level_list(self):
        return [lv for lv in self.levels.split(",") if lv]

    @property
    def review_color(self):
        return STATUS_COLORS[self.review_status]

    @property
    def site_color(self):
        return STATUS_COLORS[self.site_status]

    def covers(self, level):
        return level in self.level_list

    def is_usable(self):
        """Whether a pending-certificate record may name this site: 审核通过 and 已启用."""
        return self.review_status == APPROVED and self.site_status == ENABLED

    def usability(self):
        """The site's state in words: whether it can be used for 待颁证记录 and, if not, what is needed."""
        if self.is_usable():
            return "该站点审核通过且已启用，可用于导入待颁证记录。"
        needed = {
            PENDING: "等待培训评价组织审核通过",
            REJECTED: "按审核意见修改后重新提交，并由培训评价组织审核通过",
        }.get(self.review_status, "由培训评价组织重新启用")
        return f"该站点当前{self.review_status}、{self.site_status}，暂不能用于导入待颁证记录：需{needed}。"

    @property
    def editable(self):
        """Staff may change a site while it waits for review or after it was refused."""
        return self.review_status in (PENDING, REJECTED)

    def check_editable(self):
        if not self.editable:
            raise SiteError(f"考核站点已{self.review_status}，不能修改")

    @property
    def is_rejected(self):
        """审核不通过: the reason shows, and staff correct and resubmit the site."""
        return self.review_status == REJECTED

    @property
    def can_review(self):
        """审核通过 / 审核不通过 take a site waiting for review."""
        return self.review_status == PENDING

    @property
    def can_disable(self):
        return self.review_status == APPROVED and self.site_status == ENABLED

    @property
    def can_enable(self):
        return self.review_status == APPROVED and self.site_status == DISABLED

    def form_values(self):
        return {"name": self.name, "certificate": str(self.certificate_id), "levels": self.level_list,
                "region": self.region, "address": self.address, "contact": self.contact, "phone": self.phone,
                "seats": str(self.seats), "note": self.note}

    def _snapshot(self):
        """The form's values as the audit log shows them."""
        return {label: str(self.certificate.name if key == "certificate" else getattr(self, key))
                for key, label, _ in FIELDS}

    # ---- the form --------------------------------------------------------------------------------
    @staticmethod
    def clean(raw):
        """申报考核站点's form: (values, {field: message}); a non-pilot certificate is refused here."""
        values, errors = {}, {}
        for key in ("name", "region", "address", "contact", "note"):
            values[key] = prose(raw.get(key))
            if not values[key] and key != "note":
                errors[key] = f"请填写{LABELS[key]}"
        certificate_id = text(raw.get("certificate"))
        certificate = Certificate.get_or_none(Certificate.id == whole_number(certificate_id))
        pilot_levels = PilotCertificate.levels_for(certificate) if certificate else []
        if not certificate_id:
            errors["certificate"] = "请选择证书"
        elif not pilot_levels:
            errors["certificate"] = NOT_PILOT
        values["certificate"] = certificate
        levels = [text(lv) for lv in raw.get("levels", []) if text(lv)]
        stray = [lv for lv in levels if lv not in pilot_levels]
        if "certificate" in errors:
            pass
        elif not levels:
            errors["levels"] = "请至少选择一个等级"
        elif stray:
            errors["levels"] = f"{'、'.join(stray)}不是该证书的试点等级"
        values["levels"] = ",".join(sorted(set(levels), key=level_order))
        try:
            values["phone"] = phone(raw.get("phone"))
            if not values["phone"]:
                errors["phone"] = "请填写联系电话"
        except FieldError as exc:
            errors["phone"] = f"{exc.problem}，{exc.fix}"
        seats = text(raw.get("seats"))
        values["seats"] = whole_number(seats)
        if not seats:
            errors["seats"] = "请填写机位数"
        elif values["seats"] is None or not 1 <= values["seats"] <= MAX_SEATS:
            errors["seats"] = f"机位数须为 1 到 {MAX_SEATS} 之间的整数"
        return values, errors

    # ---- transitions -----------------------------------------------------------------------------
    @classmethod
    def declare(cls, values, by):
        """申报考核站点 → 提交并保存: a new site, 待审核 and 未启用. Non-pilot certificates are refused."""
        _require_pilot(values)
        with db.atomic():
            site = cls.create(**values, review_status=PENDING, site_status=INACTIVE, created_by=by)
            audit.record("site.create", site, {"审核状态": (None, PENDING), "站点状态": (None, INACTIVE)}, user=by)
        return site

    def revise(self, values, by):
        """Change a site that waits for review, or resubmit a refused one (back to 待审核)."""
        self.check_editable()
        _require_pilot(values)
        before = self._snapshot()
        for key, value in values.items():
            setattr(self, key, value)
        changes = audit.diff(before, self._snapshot())
        resubmit = self.is_rejected
        if not changes and not resubmit:
            return False
        with db.atomic():
            if resubmit:
                changes["审核状态"] = (REJECTED, PENDING)
                self.review_status, self.reject_reason = PENDING, ""
            self.updated_at = now()
            self.save()
            audit.record("site.resubmit" if resubmit else "site.update", self, changes, user=by)
        return True

    def approve(self, by):
        """审核通过 → 审核通过 + 已启用."""
        self._check_reviewer(by)
        if not self.can_review:
            raise SiteError(f"考核站点为「{self.review_status}」，只有待审核的站点可以审核")
        with db.atomic():
            changes = {"审核状态": (self.review_status, APPROVED), "站点状态": (self.site_status, ENABLED)}
            self.review_status, self.site_status = APPROVED, ENABLED
            self._reviewed(by)
            audit.record("site.approve", self, changes, user=by)

    def reject(self, reason, by):
        """审核不通过 with a required reason; staff may then edit and resubmit."""
        self._check_reviewer(by)
        reason = prose(reason)
        if not reason:
            raise SiteError("请填写审核不通过的原因")
        if not self.can_review:
            raise SiteError(f"考核站点为「{self.review_status}」，只有待审核的站点可以审核")
        with db.atomic():
            self.review_status, self.reject_reason = REJECTED, reason
            self._reviewed(by)
            audit.record("site.reject", self, {"审核状态": (PENDING, REJECTED), "原因": (None, reason)}, user=by)

    def disable(self, by):
        """停用 an approved, enabled site: 已启用 → 已停用."""
        self._switch(self.can_disable, ENABLED, DISABLED, "site.disable", by)

    def enable(self, by):
        """启用 a stopped site again: 已停用 → 已启用."""
        self._switch(self.can_enable, DISABLED, ENABLED, "site.enable", by)

    def _switch(self, allowed, source, target, action, by):
        self._check_reviewer(by)
        if not allowed:
            raise SiteError(f"考核站点为「{self.review_status}、{self.site_status}」，"
                            f"只有审核通过且{source}的站点可以{'停用' if target == DISABLED else '启用'}")
        with db.atomic():
            self.site_status = target
            self.updated_at = now()
            self.save()
            audit.record(action, self, {"站点状态": (source, target)}, user=by)

    def _reviewed(self, by):
        self.reviewed_by, self.reviewed_at = by, now()
        self.updated_at = self.reviewed_at
        self.save()

    def _check_reviewer(self, by):
        """Only a reviewer of the certificate's own organisation may review, stop or start its sites."""
        if by is None or by.role != REVIEWER or by.organisation_id != self.certificate.organisation_id:
            raise SiteError("只有该证书所属培训评价组织的审核员可以执行此操作")

    # ---- queries ---------------------------------------------------------------------------------
    @classmethod
    def visible_to(cls, user):
        """The sites a user may see: all for the college, only its organisation's certificates for a reviewer."""
        query = (cls
                 .select(cls, Certificate, Organisation)
                 .join(Certificate)
                 .join(Organisation))
        if user.role == REVIEWER:
            query = query.where(Certificate.organisation == user.organisation_id)
        return query

    @classmethod
    def filtered(cls, user, q="", review_status="", site_status="", certificate=""):
        """考核站点's list: search by name or region, filter by both statuses and the certificate."""
        query = cls.visible_to(user)
        q = text(q)
        if q:
            query = query.where(cls.name.contains(q) | cls.region.contains(q))
        if review_status in REVIEW_STATUSES:
            query = query.where(cls.review_status == review_status)
        if site_status in SITE_STATUSES:
            query = query.where(cls.site_status == site_status)
        if (certificate_id := whole_number(certificate)) is not None:
            query = query.where(cls.certificate == certificate_id)
        return query.order_by(cls.created_at.desc(), cls.id.desc())

    @classmethod
    def certificates_seen_by(cls, user):
        """The certificates of the sites a user may see: the list's 证书 filter."""
        return (Certificate
                .select()
                .where(Certificate.id.in_(cls.visible_to(user).select(cls.certificate)))
                .order_by(Certificate.name))

    @classmethod
    def naming(cls, certificate, level):
        """Sites declared for a certificate level (any state)."""
        # The three level names never contain one another, so a substring test on the list is exact.
        return cls.select().where((cls.certificate == certificate) & (cls.levels.contains(level)))

    @classmethod
    def usable(cls):
        """Sites a pending-certificate record may name: 审核通过 and 已启用."""
        return cls.select().where((cls.review_status == APPROVED) & (cls.site_status == ENABLED))

    @classmethod
    def usable_names(cls, certificate=None, level=None):
        """The names a record may give as its 考核站点 (of one certificate level when given), sorted and
        each once: what a template's dropdown offers."""
        query = cls.usable()
        if certificate is not None:
            query = query.where(cls.id.in_(cls.naming(certificate, level).select(cls.id)))
        return [name for (name,) in query.select(cls.name).distinct().order_by(cls.name).tuples()]


def remove_pilot(pilot, by):
    """删除 a 试点证书 level; refused while an assessment site still names it (in any state)."""
    if Site.naming(pilot.certificate, pilot.level).exists():
        raise PilotError(f"「{pilot}」已有考核站点申报，不能删除")
    pilot.remove(by)


def prose(raw):
    """Free Chinese text trimmed; unlike normalise.text it keeps full-width punctuation (，；：) as typed."""
    return (raw or "").replace("\u3000", " ").strip()


def _require_pilot(values):
    certificate, levels = values["certificate"], [lv for lv in values["levels"].split(",") if lv]
    if certificate is None or not levels or not all(PilotCertificate.is_pilot(certificate, lv) for lv in levels):
        raise SiteError(NOT_PILOT)
