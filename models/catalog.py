"""The certificate catalogue: 培训评价组织 and the 证书 they own."""
from peewee import CharField, ForeignKeyField, IntegerField

from .db import BaseModel, TimestampField

LEVELS = ("初级", "中级", "高级")


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
    created_at = TimestampField()

    def __str__(self):
        return self.name

    @classmethod
    def ordered(cls):
        return (cls
                .select(cls, Organisation)
                .join(Organisation)
                .order_by(cls.name))
