"""The certificate catalogue: 培训评价组织 and the 证书 they own."""
from peewee import CharField, ForeignKeyField, IntegerField

from . import audit
from .db import BaseModel, TimestampField, db
from .normalise import text, whole_number

LEVELS = ("初级", "中级", "高级")

audit.ACTION_LABELS.update({
    "certificate.create": "添加证书",
    "certificate.update": "修改证书",
})


CERTIFICATE_LABELS = {"name": "证书名称", "organisation": "培训评价组织", "code": "证书代码",
                      "pass_mark": "合格分数", "levels": "等级"}


class CatalogError(ValueError):
    """A refused change to the certificate catalogue, with a message for the user."""


class Organisation(BaseModel):
    """培训评价组织."""
    name = CharField(unique=True)
    created_at = TimestampField()

    def __str__(self):
        return self.name

    @classmethod
    def ordered(cls):
        return cls.select().order_by(cls.name)


class Certificate(BaseModel):
    """职业技能等级证书, owned by one 培训评价组织."""
    name = CharField(unique=True)
    organisation = ForeignKeyField(Organisation, backref="certificates", on_delete="RESTRICT")
    code = CharField(default="")  # used in certificate numbers
    pass_mark = IntegerField(default=60)
    levels = CharField(default=",".join(LEVELS))  # the levels the certificate has, comma-separated
    created_at = TimestampField()

    def __str__(self):
        return self.name

    @property
    def level_list(self):
        return [lv for lv in LEVELS if lv in self.levels.split(",")]

    def form_values(self):
        return {"name": self.name, "organisation": self.organisation.name, "code": self.code,
                "pass_mark": str(self.pass_mark), "levels": self.level_list}

    @staticmethod
    def clean(raw):
        """证书目录's form: (values, {field: message}); the organisation is named, and created when new."""
        values, errors = {}, {}
        values["name"] = text(raw.get("name"))
        if not values["name"]:
            errors["name"] = "请填写证书名称"
        values["organisation"] = text(raw.get("organisation"))
        if not values["organisation"]:
            errors["organisation"] = "请填写培训评价组织"
        values["code"] = text(raw.get("code")).upper()
        if values["code"] and not values["code"].isalnum():
            errors["code"] = "证书代码只能包含字母和数字"
        mark = text(raw.get("pass_mark")) or "60"
        values["pass_mark"] = whole_number(mark, high=100)
        if values["pass_mark"] is None:
            errors["pass_mark"] = "合格分数须为 0 到 100 之间的整数"
        levels = [lv for lv in LEVELS if lv in raw.get("levels", [])]
        if not levels:
            errors["levels"] = "请至少选择一个等级"
        values["levels"] = ",".join(levels)
        return values, errors

    @classmethod
    def save_from(cls, values, by, certificate=None):
        """Add a certificate, or change one; every change is audited. A level the college pilots may not
        be dropped: that reads the 试点证书, so views go through models.pilot.save_certificate."""
        other = cls.get_or_none(cls.name == values["name"])
        if other is not None and (certificate is None or other.id != certificate.id):
            raise CatalogError(f"证书「{values['name']}」已在目录中")
        with db.atomic():
            organisation, _ = Organisation.get_or_create(name=values["organisation"])
            values = dict(values, organisation=organisation)
            if certificate is None:
                certificate = cls.create(**values)
                audit.record("certificate.create", certificate, {"培训评价组织": (None, organisation.name)}, user=by)
                return certificate
            before = {k: str(v) for k, v in certificate.__data__.items() if k in values}
            before["organisation"] = certificate.organisation.name
            for key, value in values.items():
                setattr(certificate, key, value)
            changes = {CERTIFICATE_LABELS[k]: pair
                       for k, pair in audit.diff(before, {k: str(v) for k, v in values.items()}).items()}
            if changes:
                certificate.save()
                audit.record("certificate.update", certificate, changes, user=by)
        return certificate

    @classmethod
    def ordered(cls):
        return (cls
                .select(cls, Organisation)
                .join(Organisation)
                .order_by(cls.name))
