"""The college's 试点证书 (certificate + level it may run exams for) and the 省厅指标 approved for them.

Both are recorded by the 院校管理员 from offline approvals; every change is audited. The pending-certificate
import asks this module whether a certificate and level may be used and how much of a year's quota is left.
"""
from peewee import Case, CharField, DateField, ForeignKeyField, IntegerField, fn

from . import audit
from .catalog import LEVELS, Certificate, Organisation
from .db import BaseModel, TimestampField, db
from .normalise import FieldError, parse_date, text

audit.ACTION_LABELS.update({
    "pilot.create": "添加试点证书",
    "pilot.delete": "删除试点证书",
    "quota.create": "添加省厅指标",
    "quota.update": "修改省厅指标",
    "quota.delete": "删除省厅指标",
})


class PilotError(ValueError):
    """A refused change to 试点证书 or 省厅指标, with a message for the user."""


def level_order(level):
    return LEVELS.index(level) if level in LEVELS else len(LEVELS)


def level_rank(field):
    """An ORDER BY term that sorts a level column 初级, 中级, 高级 (not by code point)."""
    return Case(field, [(lv, i) for i, lv in enumerate(LEVELS)], len(LEVELS))


class PilotCertificate(BaseModel):
    """One certificate level the college is approved to pilot, since a date."""
    certificate = ForeignKeyField(Certificate, backref="pilot_levels", on_delete="RESTRICT")
    level = CharField()
    since = DateField()
    created_at = TimestampField()

    class Meta:
        indexes = ((("certificate", "level"), True),)

    def __str__(self):
        return f"{self.certificate.name} {self.level}"

    # ---- changes ---------------------------------------------------------------------------------
    @classmethod
    def add(cls, certificate, levels, since, by):
        """Record pilot levels of a certificate; levels already recorded are refused."""
        if not levels:
            raise PilotError("请至少选择一个等级")
        unknown = [lv for lv in levels if lv not in certificate.level_list]
        if unknown:
            raise PilotError(f"证书「{certificate.name}」没有等级：{'、'.join(unknown)}")
        existing = set(cls.levels_for(certificate))
        again = [lv for lv in levels if lv in existing]
        if again:
            raise PilotError(f"「{certificate.name}」的{'、'.join(again)}已是试点证书")
        with db.atomic():
            rows = [cls.create(certificate=certificate, level=lv, since=since) for lv in levels]
            for row in rows:
                audit.record("pilot.create", row, {"试点起始日期": (None, since)}, user=by)
        return rows

    def remove(self, by):
        """Stop piloting a level; refused while an assessment site still names it."""
        from .site import Site
        if Site.naming(self.certificate, self.level).exists():
            raise PilotError(f"「{self}」已有考核站点申报，不能删除")
        with db.atomic():
            audit.record("pilot.delete", self, {"试点起始日期": (self.since, None)}, user=by)
            self.delete_instance()

    # ---- queries ---------------------------------------------------------------------------------
    @classmethod
    def ordered(cls):
        return (cls
                .select(cls, Certificate, Organisation)
                .join(Certificate)
                .join(Organisation)
                .order_by(Certificate.name, level_rank(cls.level)))

    @classmethod
    def certificates(cls):
        """The certificates with at least one pilot level: what 申报考核站点 offers."""
        return (Certificate.ordered()
                .where(Certificate.id.in_(cls.select(cls.certificate)))
                .order_by(Certificate.name))

    @classmethod
    def levels_for(cls, certificate):
        """The pilot levels of a certificate, in 初级-中级-高级 order."""
        levels = [lv for (lv,) in cls.select(cls.level).where(cls.certificate == certificate).tuples()]
        return sorted(levels, key=level_order)

    @classmethod
    def is_pilot(cls, certificate, level):
        return cls.select().where((cls.certificate == certificate) & (cls.level == level)).exists()

    @classmethod
    def pairs(cls):
        """{(certificate_id, level)} of every pilot level: for checking many rows with one query."""
        return set(cls.select(cls.certificate, cls.level).tuples())


class Quota(BaseModel):
    """省厅指标: how many candidates of a certificate level the province approved for a year."""
    certificate = ForeignKeyField(Certificate, backref="quotas", on_delete="RESTRICT")
    level = CharField()
    year = IntegerField()
    document_no = CharField()  # 文号, e.g. 豫教职成〔2026〕12号
    amount = IntegerField()
    created_at = TimestampField()

    class Meta:
        indexes = ((("certificate", "level", "year"), True),)

    def __str__(self):
        return f"{self.year} 年 {self.certificate.name} {self.level}"

    def used(self):
        """How many of this quota are taken: pending and issued 待颁证记录 of this level, by exam year."""
        if getattr(self, "_used", None) is not None:  # counted for a whole list by Quota.listed
            return self._used
        from .award import AwardRecord  # award → site → pilot: imported here to avoid the cycle
        return AwardRecord.used_by_quota([self.year]).get((self.certificate_id, self.level, self.year), 0)

    def remaining(self):
        return self.amount - self.used()

    # ---- changes ---------------------------------------------------------------------------------
    @classmethod
    def clean(cls, raw):
        """The quota form's values, or errors by field name."""
        values, errors = {}, {}
        pilot = PilotCertificate.get_or_none(PilotCertificate.id == _int(raw.get("pilot")))
        if pilot is None:
            errors["pilot"] = "请选择试点证书及等级"
        values["certificate"] = pilot.certificate if pilot else None
        values["level"] = pilot.level if pilot else ""
        values["year"] = _int(raw.get("year"))
        if values["year"] is None or not 2000 <= values["year"] <= 2100:
            errors["year"] = "请填写四位年份，例如 2026"
        values.update(cls.clean_approval(raw, errors))
        return values, errors

    @staticmethod
    def clean_approval(raw, errors):
        """The 文号 and 指标人数 of the add and the edit form."""
        values = {"document_no": text(raw.get("document_no")), "amount": _int(raw.get("amount"))}
        if not values["document_no"]:
            errors["document_no"] = "请填写批复文号，例如 豫教职成〔2026〕12号"
        if values["amount"] is None or values["amount"] <= 0:
            errors["amount"] = "指标人数须为正整数"
        return values

    @classmethod
    def add(cls, values, by):
        """Record a year's quota; one per certificate, level and year."""
        if cls.for_year(values["certificate"], values["level"], values["year"]) is not None:
            raise PilotError(f"{values['year']} 年「{values['certificate'].name} {values['level']}」"
                             "已有省厅指标，请修改原记录")
        with db.atomic():
            quota = cls.create(**values)
            audit.record("quota.create", quota, {"文号": (None, quota.document_no), "指标人数": (None, quota.amount)},
                         user=by)
        return quota

    def change(self, document_no, amount, by):
        """Correct the 文号 or the number; the number may not drop below what is already used."""
        if amount < self.used():
            raise PilotError(f"指标人数不能少于已使用的 {self.used()} 人")
        changes = audit.diff({"文号": self.document_no, "指标人数": self.amount},
                             {"文号": document_no, "指标人数": amount})
        if not changes:
            return False
        with db.atomic():
            self.document_no, self.amount = document_no, amount
            self.save()
            audit.record("quota.update", self, changes, user=by)
        return True

    def remove(self, by):
        if self.used():
            raise PilotError("该指标已有待颁证记录使用，不能删除")
        with db.atomic():
            audit.record("quota.delete", self, {"文号": (self.document_no, None), "指标人数": (self.amount, None)},
                         user=by)
            self.delete_instance()

    # ---- queries ---------------------------------------------------------------------------------
    @classmethod
    def for_year(cls, certificate, level, year):
        return cls.get_or_none((cls.certificate == certificate) & (cls.level == level) & (cls.year == year))

    @classmethod
    def ordered(cls, year=None):
        query = (cls
                 .select(cls, Certificate)
                 .join(Certificate)
                 .order_by(cls.year.desc(), Certificate.name, level_rank(cls.level)))
        return query.where(cls.year == year) if year else query

    @classmethod
    def listed(cls, year=None):
        """The quotas of a list page with their usage counted in one query per year, not one per row."""
        from .award import AwardRecord
        quotas = list(cls.ordered(year))
        used = AwardRecord.used_by_quota({q.year for q in quotas})
        for quota in quotas:
            quota._used = used.get((quota.certificate_id, quota.level, quota.year), 0)
        return quotas

    @classmethod
    def years(cls):
        return [y for (y,) in cls.select(fn.DISTINCT(cls.year)).order_by(cls.year.desc()).tuples()]


def parse_since(raw):
    """The 试点起始日期 of the pilot form: a date, or FieldError."""
    if not text(raw):
        raise FieldError("请填写试点起始日期")
    return parse_date(raw, "试点起始日期")


def _int(raw):
    value = text(raw)
    return int(value) if value.isdecimal() else None
