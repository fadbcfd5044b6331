"""Certificate numbers: a documented, configurable pattern and sequences that never hand out a number twice.

The pattern is the setting 证书编号格式 (`certificate_number_pattern`), made of these placeholders:
    {证书代码}  the certificate's code in the catalogue (e.g. WEB)
    {等级代码}  1 for 初级, 2 for 中级, 3 for 高级
    {等级}      初级, 中级 or 高级
    {年份}      the four-digit year the certificate is issued
    {院校代码}  the college code from the settings
    {序号}      a running number, zero-padded to `certificate_number_digits` digits
Everything except {序号} forms the sequence's key, so each certificate, level and year counts on its own
when the pattern names them; models/number_pattern.py says why any pattern it accepts stays unique.
A sequence only grows, and it grows in the same transaction that stores the issued records, so two
reviewers issuing at once are serialised by the row lock (SQLite: the write lock) and a number held by a
certificate is never handed out again; the unique index on the number is the last line of defence.
"""
from dataclasses import dataclass, field
from datetime import date
from os.path import commonprefix

from peewee import CharField, IntegerField

from . import number_pattern, setting
from .db import BaseModel, db
from .pilot import PilotCertificate

LEVEL_CODES = {"初级": "1", "中级": "2", "高级": "3"}
# The settings a certificate number is made from: the preview on 院校设置 follows each of them.
SETTINGS = ("certificate_number_pattern", "certificate_number_digits", "college_code")
# What the preview numbers when the college has no 试点证书 yet.
SAMPLE_CODE, SAMPLE_LEVEL = "WEB", "中级"


class NumberSequence(BaseModel):
    key = CharField(unique=True)
    last = IntegerField(default=0)


def _key(head, tail):
    return f"{head}|{tail}"


def _code(certificate):
    return certificate.code or f"C{certificate.id}"


def _parts(pattern, college_code, code, level, year):
    values = {"证书代码": code, "等级代码": LEVEL_CODES[level], "等级": level, "年份": str(year),
              "院校代码": college_code}
    return number_pattern.split(pattern, values)


def _refuse_overflow(head, tail, last, digits):
    # A running number wider than its digits could equal another certificate's number: A + 1000001 is
    # A1 + 000001.
    if last >= 10 ** digits:
        raise setting.SettingError(f"证书编号 {head}…{tail} 的序号将超过 {digits} 位，会与其他编号重复。"
                                   "请院校管理员在 系统管理 → 院校设置 中增加证书编号序号位数")


def _sequence(certificate, level, year):
    """(key, head, tail, digits) of the running number a certificate level counts in during `year`.

    A stored pattern or digit count that no longer passes its check raises setting.SettingError.
    """
    digits = setting.get("certificate_number_digits")
    head, tail = _parts(setting.get("certificate_number_pattern"), setting.get("college_code"),
                        _code(certificate), level, year)
    return _key(head, tail), head, tail, digits


def _numbers(head, tail, digits, last, count):
    return [f"{head}{n:0{digits}d}{tail}" for n in range(last - count + 1, last + 1)]


def allocate(certificate, level, year, count):
    """Reserve `count` consecutive numbers; call inside the issuing transaction. Returns the numbers."""
    key, head, tail, digits = _sequence(certificate, level, year)
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
        _refuse_overflow(head, tail, last, digits)
    return _numbers(head, tail, digits, last, count)


def peek(certificate, level, year, count):
    """The `count` numbers allocate() would hand out now, reserving none: what 颁证's confirmation names.
    Another reviewer issuing meanwhile moves them on; allocate() decides."""
    key, head, tail, digits = _sequence(certificate, level, year)
    row = NumberSequence.get_or_none(NumberSequence.key == key)
    last = (row.last if row else 0) + count
    _refuse_overflow(head, tail, last, digits)
    return _numbers(head, tail, digits, last, count)


def span(numbers):
    """Consecutive numbers as one range, the last from where it differs (at least its last three
    characters): WEB22026000014–025."""
    first, last = numbers[0], numbers[-1]
    if first == last:
        return first
    cut = min(len(commonprefix([first, last])), len(last) - 3)
    return f"{first}–{last[max(cut, 0):]}"


@dataclass
class Preview:
    """The next number the first 试点证书 would get under settings as typed, or why they are refused."""
    number: str = ""
    example: str = ""                            # which certificate, level and year it numbers
    shared: list = field(default_factory=list)   # what shares one running number under this pattern
    errors: list = field(default_factory=list)   # why each refused setting is refused, in Chinese


def preview(raw):
    """The 院校设置 preview of `SETTINGS` as typed in `raw` (a form or query string); allocates nothing."""
    values, errors = setting.clean(raw, keys=SETTINGS)
    if errors:
        return Preview(errors=[error.message for error in errors.values()])
    pilot = PilotCertificate.ordered().first()
    code = _code(pilot.certificate) if pilot else SAMPLE_CODE
    level, year = (pilot.level if pilot else SAMPLE_LEVEL), date.today().year
    pattern, digits = values["certificate_number_pattern"], values["certificate_number_digits"]
    head, tail = _parts(pattern, values["college_code"], code, level, year)
    row = NumberSequence.get_or_none(NumberSequence.key == _key(head, tail))
    following = (row.last if row else 0) + 1
    example = (f"{pilot.certificate.name} {level}，{year} 年" if pilot
               else f"尚无试点证书，以证书代码 {code}、{level}、{year} 年为例")
    try:
        _refuse_overflow(head, tail, following, digits)
    except setting.SettingError as exc:
        return Preview(example=example, errors=[str(exc)])
    return Preview(f"{head}{following:0{digits}d}{tail}", example, number_pattern.shared(pattern))
