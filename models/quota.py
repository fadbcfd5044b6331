"""省厅指标: how many candidates of a certificate level the province approved for a year, and how many
of them the college's 待颁证记录 already take.

Recorded by the 院校管理员 from the offline approval; every change is audited. A quota counts records, so
it sits above them: the pending-certificate checks ask it how much of a year is left.
"""
from peewee import CharField, ForeignKeyField, IntegerField, fn

from . import audit
from .award import AwardRecord
from .catalog import Certificate
from .db import BaseModel, TimestampField, db
from .normalise import text, whole_number
from .pilot import PilotCertificate, PilotError, level_rank

audit.ACTION_LABELS.update({
    "quota.create": "添加省厅指标",
    "quota.update": "修改省厅指标",
    "quota.delete": "删除省厅指标",
})

# Far above any province's quota for one certificate level, and within the column's 32 bits.
MAX_AMOUNT = 1_000_000


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
        return AwardRecord.used_by_quota([self.year]).get((self.certificate_id, self.level, self.year), 0)

    def remaining(self):
        return self.amount - self.used()

    # ---- changes ---------------------------------------------------------------------------------
    @classmethod
    def clean(cls, raw):
        """The quota form's values, or errors by field name."""
        values, errors = {}, {}
        pilot = PilotCertificate.get_or_none(PilotCertificate.id == whole_number(raw.get("pilot")))
        if pilot is None:
            errors["pilot"] = "请选择试点证书及等级"
        values["certificate"] = pilot.certificate if pilot else None
        values["level"] = pilot.level if pilot else ""
        values["year"] = whole_number(raw.get("year"))
        if values["year"] is None or not 2000 <= values["year"] <= 2100:
            errors["year"] = "请填写四位年份，例如 2026"
        values.update(cls.clean_approval(raw, errors))
        return values, errors

    @staticmethod
    def clean_approval(raw, errors):
        """The 文号 and 指标人数 of the add and the edit form."""
        values = {"document_no": text(raw.get("document_no")),
                  "amount": whole_number(raw.get("amount"), high=MAX_AMOUNT)}
        if not values["document_no"]:
            errors["document_no"] = "请填写批复文号，例如 豫教职成〔2026〕12号"
        if values["amount"] is None or values["amount"] <= 0:
            errors["amount"] = f"指标人数须为正整数（不超过 {MAX_AMOUNT}）"
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
        quotas = list(cls.ordered(year))
        used = AwardRecord.used_by_quota({q.year for q in quotas})
        for quota in quotas:
            quota._used = used.get((quota.certificate_id, quota.level, quota.year), 0)
        return quotas

    @classmethod
    def years(cls):
        return [y for (y,) in cls.select(fn.DISTINCT(cls.year)).order_by(cls.year.desc()).tuples()]
