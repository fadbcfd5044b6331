"""Normalisers for what people type into forms and spreadsheets: IDs, dates, phone numbers, enumerations.

Each cleaner takes the raw text and returns the stored value, or raises FieldError with the problem and
how to fix it, in Chinese. The candidate form and every spreadsheet import use these same functions.
"""
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from sheets.spec import FieldError  # noqa: F401  (the engine's error; models import it from here)

# Compiled once: these run for every cell of a batch import (re.sub with a pattern string looks the
# pattern up in re's cache on each call, a fifth of the cost of a short cell).
_SEPARATORS = re.compile(r"[\s\-]")


# The characters that set the direction of the text around them (U+202E shows what follows it reversed, up
# to the end of the line: a 院系 typed with one turned the rest of a 提示 around) and the marks that only steer
# it. No name, 院系 or class holds one on purpose: text() drops them.
DIRECTION_CONTROLS = dict.fromkeys(map(ord, "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                                            "\u2066\u2067\u2068\u2069"))


def text(raw):
    """Trim, turn full-width characters into half-width, drop direction controls and collapse inner
    whitespace."""
    if raw is None:
        return ""
    value = unicodedata.normalize("NFKC", raw if type(raw) is str else str(raw))
    # isprintable() is true for nearly every value, and false for every direction control (category Cf).
    if not value.isprintable():
        value = value.translate(DIRECTION_CONTROLS)
    # NFKC also makes the ideographic space U+3000 a plain space; split() with no argument splits on
    # every Unicode whitespace run (as \s+ does) and drops the ends, at a third of a regex's cost.
    return " ".join(value.split())


NAME_CHARS = 200  # an uploaded file's name as it is stored and shown


def file_name(raw, unnamed="未命名"):
    """An uploaded file's name as it is stored and shown: the last part of its path, without control or
    direction-changing characters (a NUL cannot be stored in PostgreSQL; U+202E shows what follows it
    reversed, so an .exe can read as an .xlsx), at most NAME_CHARS characters with its extension kept."""
    name = raw.replace("\\", "/").rsplit("/", 1)[-1] if raw else ""
    name = "".join(c for c in name if unicodedata.category(c) not in ("Cc", "Cf", "Cs")).strip()
    if not name.strip("."):
        return unnamed
    stem, dot, extension = name.rpartition(".")
    if not dot or len(extension) > 16:
        return name[:NAME_CHARS]
    return stem[:NAME_CHARS - len(extension) - 1] + "." + extension


# The largest integer a database column holds (a PostgreSQL BIGINT, an SQLite INTEGER): a larger id or
# number typed into a URL or a form names no row, and the SQLite driver refuses to send it (OverflowError).
MAX_INTEGER = 2**63 - 1


def whole_number(raw, high=MAX_INTEGER):
    """A non-negative integer written in decimal digits and at most `high` (ids, years, counts); else None."""
    value = text(raw)
    # Length first: int() of thousands of digits is slow, and Python refuses it beyond 4,300.
    if not value.isdecimal() or len(value) > len(str(high)):
        return None
    number = int(value)
    return number if number <= high else None


_EXCEL_NUMBER = re.compile(r"^\d(\.\d+)?E\+\d+$", re.IGNORECASE)
_DECIMAL_ZEROS = re.compile(r"\d+\.0+")


def id_number(raw):
    """An ID number: full-width digits and spaces removed, lowercase x made X; Excel's numeric damage refused."""
    value = text(raw)
    if value.isascii() and value.isalnum():
        # Nearly every cell: no separator to remove, and Excel's damage needs a "." or "E+".
        return value.upper()
    value = _SEPARATORS.sub("", value).upper()
    if _EXCEL_NUMBER.match(value) or _DECIMAL_ZEROS.fullmatch(value):
        raise FieldError(f"证件号码被 Excel 当作数字显示为「{text(raw)}」，位数已丢失",
                         "将证件号码列设为「文本」格式后重新输入完整号码（或在号码前加英文单引号 '）")
    return value


def looks_truncated_by_excel(number):
    """Excel keeps 15 significant digits: an 18-digit ID typed as a number ends in 000."""
    return len(number) == 18 and number.isdecimal() and number.endswith("000")


_DATE_PATTERNS = [
    (re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"), None),
    (re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"), None),
    (re.compile(r"^(\d{4})(\d{2})(\d{2})$"), None),
]
EXCEL_EPOCH = date(1899, 12, 30)


def parse_date(raw, label="日期"):
    """A date from 2003-01-05, 2003/1/5, 2003.1.5, 20030105, 2003年1月5日, an Excel serial or a date object."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    value = text(raw)
    if not value:
        return None
    value = re.sub(r"\s+\d{1,2}:\d{2}(:\d{2})?$", "", value)  # "2003-01-05 00:00:00" from a reader
    for pattern, _ in _DATE_PATTERNS:
        match = pattern.match(value)
        if match:
            year, month, day = (int(part) for part in match.groups())
            try:
                return date(year, month, day)
            except ValueError:
                raise FieldError(f"{label}「{value}」不是真实存在的日期", "请检查年、月、日，例如 2003-01-05")
    if re.fullmatch(r"\d{4,5}(\.0+)?", value):
        serial = int(float(value))
        if 10000 <= serial <= 80000:
            return EXCEL_EPOCH + timedelta(days=serial)
    raise FieldError(f"{label}「{value}」无法识别", "请写成 2003-01-05 或 2003/1/5 的格式")


def choice(raw, allowed, label, aliases=None):
    """One of the allowed values (aliases map common variants to them)."""
    value = text(raw)
    if not value:
        return ""
    value = (aliases or {}).get(value, value)
    if value not in allowed:
        shown = "、".join(allowed) if len(allowed) <= 8 else "、".join(allowed[:6]) + " 等"
        raise FieldError(f"{label}「{value}」不是可选值", f"请从下拉列表中选择：{shown}")
    return value


_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")


def mobile(raw):
    value = text(raw)
    # Digits only (nearly every cell): no separator, prefix or Excel notation to look for.
    if not (value.isascii() and value.isdecimal()):
        value = _SEPARATORS.sub("", value)
        if value.startswith("+86"):
            value = value[3:]
        if not value:
            return ""
        if _EXCEL_NUMBER.match(value):
            raise FieldError("手机号被 Excel 当作数字显示", "将该列设为「文本」格式后重新输入")
    if not _MOBILE.match(value):
        raise FieldError(f"手机号「{value}」格式不正确", "请填写 11 位手机号码，例如 13812345678")
    return value


def phone(raw):
    """A mobile or a landline number (0371-12345678)."""
    value = text(raw).replace(" ", "")
    if not value:
        return ""
    if _MOBILE.match(value) or _LANDLINE.match(value):
        return value
    raise FieldError(f"联系电话「{value}」格式不正确", "请填写 11 位手机号或带区号的座机号，例如 0371-12345678")


_YEAR = re.compile(r"\d{4}(\.0+)?")


def year(raw, label="年份"):
    value = text(raw)
    if not value:
        return None
    if _YEAR.fullmatch(value):
        number = int(float(value))
        if 1950 <= number <= date.today().year + 1:
            return number
    raise FieldError(f"{label}「{value}」不正确", "请填写四位年份，例如 2024")


@dataclass(frozen=True)
class Number:
    """A cleaner for a number from `low` to `high` (a whole number unless `decimals`); empty is None."""
    low: float
    high: float
    decimals: bool = False

    @property
    def kind(self):
        return "数" if self.decimals else "整数"

    @property
    def hint(self):
        return f"{self.low}–{self.high} 的{self.kind}{'，可带小数' if self.decimals else ''}"

    def __call__(self, raw):
        value = text(raw)  # NFKC: full-width ５ and superscript ² become 5 and 2
        if not value:
            return None  # a required column says so
        number = self._parse(value)
        if number is None:
            raise FieldError(f"「{value}」不是{self.kind}", f"请填写 {self.hint}")
        if not self.low <= number <= self.high:
            raise FieldError(f"{value} 不在 {self.low}–{self.high} 之间", f"请填写 {self.hint}")
        return number

    def _parse(self, value):
        if not self.decimals:
            return int(value) if value.isascii() and value.isdecimal() else None
        try:
            number = Decimal(value)
        except InvalidOperation:
            return None
        # NaN would compare false both ways and switch the range check off.
        return float(number) if number.is_finite() else None


def day_or_none(raw):
    """A filter's date, or None when it cannot be read (the filter is then left out)."""
    try:
        return parse_date(raw)
    except FieldError:
        return None
