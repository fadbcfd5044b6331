"""Masking of personal information (证件号码, 手机号) wherever the full value is not needed."""
import re

from peewee import Case, fn

# An ID-like token: 15 to 18 characters of digits with an optional trailing X, or a passport-style
# letter+digit run; matched in free text such as log lines and audit details.
_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{5,8})(\d{3}[\dXx])(?![0-9A-Za-z])")


def mask_id(number):
    """410102199001011234 -> 410102********1234; short numbers keep only their last 4 characters."""
    if not number:
        return ""
    number = str(number)
    if len(number) >= 15:
        return number[:6] + "*" * (len(number) - 10) + number[-4:]
    if len(number) > 4:
        return "*" * (len(number) - 4) + number[-4:]
    return "*" * len(number)


# Enough stars for any stored 证件号码 (a CharField: at most 255 characters).
_STARS = "*" * 255


def mask_id_sql(column):
    """mask_id() of a text column as an SQL expression both databases evaluate to the same text, for labels
    the database writes itself (audit events of an import: audit.record_same)."""
    number = fn.COALESCE(column, "")
    length, last_four = fn.LENGTH(number), fn.SUBSTR(number, fn.LENGTH(number) - 3)
    return Case(None, [(length >= 15, fn.SUBSTR(number, 1, 6).concat(fn.SUBSTR(_STARS, 1, length - 10)).concat(last_four)),
                       (length > 4, fn.SUBSTR(_STARS, 1, length - 4).concat(last_four))],
                fn.SUBSTR(_STARS, 1, length))


def mask_phone(phone):
    """13812345678 -> 138****5678."""
    if not phone or len(phone) < 7:
        return phone or ""
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_ids_in_text(text):
    """Mask every ID-like number inside free text (log lines, query strings, audit details)."""
    if not text:
        return text
    return _ID_IN_TEXT.sub(lambda m: m.group(1) + "*" * len(m.group(2)) + m.group(3), str(text))
