"""Certificate numbers: a documented, configurable pattern and sequences that never hand out a number twice.

The pattern is the setting `certificate_number_pattern`, made of these placeholders:
    {证书代码}  the certificate's code in the catalogue (e.g. WEB)
    {等级代码}  1 for 初级, 2 for 中级, 3 for 高级
    {年份}      the four-digit year the certificate is issued
    {院校代码}  the college code from the settings
    {序号}      a running number, zero-padded to `certificate_number_digits` digits
Everything except {序号} forms the sequence's key, so each certificate, level and year counts on its own.
A sequence only grows, and it grows in the same transaction that stores the issued records, so two
reviewers issuing at once are serialised by the row lock (SQLite: the write lock) and a number held by a
certificate is never handed out again; the unique index on the number is the last line of defence.
"""
from peewee import CharField, IntegerField

from . import setting
from .db import BaseModel, db

LEVEL_CODES = {"初级": "1", "中级": "2", "高级": "3"}
setting.DEFAULTS.setdefault("certificate_number_pattern", ("{证书代码}{等级代码}{年份}{序号}", "证书编号格式"))
setting.DEFAULTS.setdefault("certificate_number_digits", ("6", "证书编号序号位数"))


class NumberSequence(BaseModel):
    key = CharField(unique=True)
    last = IntegerField(default=0)


def prefix_for(certificate, level, year):
    pattern = setting.get("certificate_number_pattern")
    values = {"证书代码": certificate.code or f"C{certificate.id}", "等级代码": LEVEL_CODES[level],
              "等级": level, "年份": str(year), "院校代码": setting.get("college_code")}
    head, _, tail = pattern.partition("{序号}")
    return head.format(**values), tail.format(**values)


def allocate(certificate, level, year, count):
    """Reserve `count` consecutive numbers; call inside the issuing transaction. Returns the numbers."""
    head, tail = prefix_for(certificate, level, year)
    digits = setting.get_int("certificate_number_digits")
    key = f"{head}|{tail}"
    with db.atomic():
        (NumberSequence
         .insert(key=key, last=0)
         .on_conflict_ignore()
         .execute())
        rows = (NumberSequence
                .update(last=NumberSequence.last + count)
                .where(NumberSequence.key == key)
                .returning(NumberSequence.last)
                .execute())
        last = list(rows)[0].last
    return [f"{head}{n:0{digits}d}{tail}" for n in range(last - count + 1, last + 1)]
