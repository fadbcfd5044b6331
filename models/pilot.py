"""The college's 试点证书: the certificate levels it is approved to run exams for.

Recorded by the 院校管理员 from offline approvals; every change is audited. Sites are declared for pilot
levels and the pending-certificate import asks this module whether a certificate and level may be used;
the rules that read those sites and records live with them (models/site.py, models/quota.py).
"""
from peewee import Case, CharField, DateField, ForeignKeyField

from sheets.spec import Column, Form

from . import audit
from .catalog import LEVELS, CatalogError, Certificate, Organisation
from .db import BaseModel, TimestampField, db
from .normalise import FieldError, parse_date

audit.ACTION_LABELS.update({
    "pilot.create": "添加试点证书",
    "pilot.delete": "删除试点证书",
})


class PilotError(FieldError):
    """A refused change to 试点证书, with a message for the user."""


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
            raise PilotError("请至少选择一个等级", key="levels")
        unknown = [lv for lv in levels if lv not in certificate.level_list]
        if unknown:
            raise PilotError(f"证书「{certificate.name}」没有等级：{'、'.join(unknown)}", key="levels")
        existing = set(cls.levels_for(certificate))
        again = [lv for lv in levels if lv in existing]
        if again:
            raise PilotError(f"「{certificate.name}」的{'、'.join(again)}已是试点证书", key="levels")
        with db.atomic():
            rows = [cls.create(certificate=certificate, level=lv, since=since) for lv in levels]
            for row in rows:
                audit.record("pilot.create", row, {"试点起始日期": (None, since)}, user=by)
        return rows

    def remove(self, by):
        """Stop piloting a level. Whether a site still names it is a question about sites, so views go
        through models.site.remove_pilot, which refuses that first."""
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


def save_certificate(values, by, certificate=None):
    """证书目录's 保存: add a certificate or change one, keeping every level the college pilots."""
    if certificate is not None:
        dropped = [lv for lv in PilotCertificate.levels_for(certificate) if lv not in values["levels"].split(",")]
        if dropped:
            raise CatalogError(f"{'、'.join(dropped)}是本院校的试点等级，不能从证书中去掉", key="levels")
    return Certificate.save_from(values, by, certificate)


def certificate_choices(certificates=None):
    """Certificates (every one of the catalogue by default) as a select offers them: {id: 名称（培训评价组织）}."""
    certificates = Certificate.ordered() if certificates is None else certificates
    return {str(c.id): f"{c.name}（{c.organisation.name}）" for c in certificates}


# 试点证书's form: a certificate, the levels piloted, since when.
PILOT_FORM = Form((
    Column("certificate", "证书", lambda raw: Certificate.chosen(raw, "所选证书不在证书目录中", "请重新选择证书"),
           required=True, choices=certificate_choices),
    Column("levels", "等级", lambda raw: [level for level in LEVELS if level in (raw or [])], required=True,
           choices=LEVELS, input="checkboxes"),
    Column("since", "试点起始日期", lambda raw: parse_date(raw, "试点起始日期"), required=True, max_length=30,
           input="date"),
))
