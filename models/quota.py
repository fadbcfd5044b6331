"""省厅指标: how many candidates of a certificate level the province approved for a year, and how many
of them the college's 待颁证记录 already take.

Recorded by the 院校管理员 from the offline approval; every change is audited. A quota counts records, so
it sits above them: the pending-certificate checks ask it how much of a year is left.
"""
from peewee import CharField, ForeignKeyField, IntegerField, fn

from sheets.spec import Column, FieldError, Form

from . import audit
from .award import AwardRecord
from .catalog import Certificate
from .db import BaseModel, TimestampField, db
from .normalise import Number, text
from .pilot import PilotCertificate, level_rank

audit.ACTION_LABELS.update({
    "quota.create": "添加省厅指标",
    "quota.update": "修改省厅指标",
    "quota.delete": "删除省厅指标",
})

class QuotaError(FieldError):
    """A refused change to 省厅指标, with a message for the user."""


# Far above any province's quota for one certificate level, and within the column's 32 bits.
MAX_AMOUNT = 1_000_000


def _year(raw):
    try:
        return Number(2000, 2100)(raw)
    except FieldError:
        raise FieldError(f"年度「{text(raw)}」不正确", "请填写四位年份，例如 2026") from None


# 省厅指标's form; 修改 changes only the 文号 and the number (QUOTA_FORM.only).
QUOTA_FORM = Form((
    Column("pilot", "试点证书及等级", lambda raw: PilotCertificate.chosen(raw, "所选试点证书已不存在", "请重新选择试点证书及等级"),
           required=True,
           choices=lambda: {str(p.id): f"{p.certificate.name} {p.level}" for p in PilotCertificate.ordered()}),
    Column("year", "年度", _year, required=True, max_length=20, input="number"),
    Column("document_no", "批复文号", text, required=True, max_length=50, example="豫教职成〔2026〕12号"),
    Column("amount", "指标人数", Number(1, MAX_AMOUNT), required=True, max_length=20, input="number"),
))


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
        return AwardRecord.used_by_quota([self.year], self.certificate_id, self.level).get(
            (self.certificate_id, self.level, self.year), 0)

    def remaining(self):
        return self.amount - self.used()

    # ---- changes ---------------------------------------------------------------------------------
    @classmethod
    def add(cls, values, by):
        """Record a year's quota (`values` as QUOTA_FORM cleans them); one per certificate, level and year."""
        values = dict(values)
        pilot = values.pop("pilot", None)
        if pilot is not None:
            values.update(certificate=pilot.certificate, level=pilot.level)
        if cls.for_year(values["certificate"], values["level"], values["year"]) is not None:
            raise QuotaError(f"{values['year']} 年「{values['certificate'].name} {values['level']}」"
                             "已有省厅指标，请修改原记录", key="pilot")
        with db.atomic():
            quota = cls.create(**values)
            audit.record("quota.create", quota, {"文号": (None, quota.document_no), "指标人数": (None, quota.amount)},
                         user=by)
        return quota

    def change(self, document_no, amount, by):
        """Correct the 文号 or the number; the number may not drop below what is already used."""
        if amount < self.used():
            raise QuotaError(f"指标人数不能少于已使用的 {self.used()} 人", key="amount")
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
            raise QuotaError("该指标已有待颁证记录使用，不能删除")
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
