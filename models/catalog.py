"""The certificate catalogue: 培训评价组织 and the 证书 they own."""
from peewee import CharField, ForeignKeyField, IntegerField

from sheets.spec import Column, FieldError, Form

from . import audit
from .db import BaseModel, TimestampField, db
from .normalise import Number, text

LEVELS = ("初级", "中级", "高级")

audit.ACTION_LABELS.update({
    "certificate.create": "添加证书",
    "certificate.update": "修改证书",
})


DEFAULT_PASS_MARK = 60


def _pass_mark(raw):
    return Number(0, 100)(raw) if text(raw) else DEFAULT_PASS_MARK


def _code(raw):
    code = text(raw).upper()
    if code and not code.isalnum():
        raise FieldError(f"证书代码「{code}」含有字母和数字以外的字符", "证书代码只能包含字母和数字，例如 WEB")
    return code


def _levels(raw):
    """The levels ticked, in 初级-中级-高级 order, comma-separated as stored."""
    return ",".join(level for level in LEVELS if level in (raw or []))


# 证书目录's form: the organisation is named, and created when new.
CERTIFICATE_FORM = Form((
    Column("name", "证书名称", text, required=True, max_length=50),
    Column("organisation", "培训评价组织", text, required=True, max_length=100, help="填写新的名称即新增一个培训评价组织"),
    Column("levels", "等级", _levels, required=True, choices=LEVELS, input="checkboxes"),
    Column("pass_mark", "合格分数", _pass_mark, max_length=20, input="number",
           help=f"不填为 {DEFAULT_PASS_MARK}，用于检查待颁证记录的成绩"),
    Column("code", "证书代码", _code, max_length=20, example="WEB", help="可选，用于证书编号"),
))
CERTIFICATE_LABELS = {c.key: c.header for c in CERTIFICATE_FORM.columns}


class CatalogError(FieldError):
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

    @classmethod
    def save_from(cls, values, by, certificate=None):
        """Add a certificate, or change one; every change is audited. A level the college pilots may not
        be dropped: that reads the 试点证书, so views go through models.pilot.save_certificate."""
        other = cls.get_or_none(cls.name == values["name"])
        if other is not None and (certificate is None or other.id != certificate.id):
            raise CatalogError(f"证书「{values['name']}」已在目录中", key="name")
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
