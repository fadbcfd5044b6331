"""Identity numbers and the identity verifier behind 认证.

The verifier is an interface: the offline default checks what can be checked without a network. The
setting 身份认证方式 (`identity_verifier`) names one of the verifiers registered at the end of this module,
by key; see `register` for how a college with a real identity service adds its own.
"""
import re
from datetime import date
from functools import lru_cache

from stdnum import numdb
from stdnum.cn import ric

from .normalise import FieldError, looks_truncated_by_excel

RESIDENT_ID = "居民身份证"
ID_TYPES = (
    RESIDENT_ID,
    "港澳居民来往内地通行证",
    "台湾居民来往大陆通行证",
    "港澳台居民居住证",
    "外国人永久居留身份证",
    "护照",
)
# Types whose number is an 18-character GB 11643-1999 number with birth date, gender and check character.
GB11643_TYPES = (RESIDENT_ID, "港澳台居民居住证")

# type: (pattern of a well-formed number, how to write one)
FORMATS = {
    RESIDENT_ID: (re.compile(r"^\d{17}[\dX]$"), "18 位，前 17 位为数字，最后一位为数字或 X"),
    "港澳居民来往内地通行证": (re.compile(r"^[HM]\d{8}(\d{2})?$"), "H 或 M 开头加 8 位或 10 位数字，例如 H12345678"),
    "台湾居民来往大陆通行证": (re.compile(r"^\d{8}(\d{2})?$"), "8 位或 10 位数字，例如 12345678"),
    "港澳台居民居住证": (re.compile(r"^8[123]0000\d{11}[\dX]$"), "18 位，以 810000、820000 或 830000 开头"),
    "外国人永久居留身份证": (re.compile(r"^([A-Z]{3}\d{12}|9\d{16}[\dX])$"), "15 位（3 个字母加 12 位数字）或 9 开头的 18 位"),
    "护照": (re.compile(r"^[A-Z0-9]{5,17}$"), "5 到 17 位字母或数字，例如 E12345678"),
}

# The ID every example shows (templates, 填写说明, placeholders, photo rules): it passes every offline check
# (check character 3, born 2003-01-05, male), so copying it never teaches a number CertDesk refuses.
EXAMPLE_ID = "410102200301051233"

NAME_PATTERN = re.compile(r"^[\u3400-\u9fffA-Za-z·• ]{2,30}$")
MIN_AGE, MAX_AGE = 14, 80


def check_format(id_type, number):
    """Refuse a number that cannot be an ID of its type (the form and the imports call this)."""
    if not number:
        raise FieldError("证件号码为空", "请填写证件号码")
    if id_type == RESIDENT_ID and len(number) == 15 and number.isdecimal():
        raise FieldError("证件号码为 15 位旧号码", "请填写 18 位居民身份证号码")
    pattern, hint = FORMATS.get(id_type, (None, ""))
    if pattern is not None and not pattern.match(number):
        raise FieldError(f"{id_type}号码「{number}」格式不正确", f"应为{hint}")
    if id_type in GB11643_TYPES and looks_truncated_by_excel(number) and not check_digit_ok(number):
        raise FieldError(f"证件号码「{number}」末三位为 000，疑似被 Excel 当作数字截断",
                         "将证件号码列设为「文本」格式后重新输入完整号码")
    return number


def check_digit_ok(number):
    return ric.calc_check_digit(number) == number[-1]


def implied_by_number(id_type, number):
    """(birth date, gender) a GB 11643 number states, or (None, None) when it states none or is invalid."""
    if id_type not in GB11643_TYPES or not FORMATS[id_type][0].match(number or ""):
        return None, None
    born = _birth_date(number[6:14])
    if born is None:
        return None, None
    return born, ("男" if number[16] in "13579" else "女")


@lru_cache(maxsize=100_000)
def _birth_date(digits):
    # The number matched its format, so its date digits are read directly: stdnum's get_birth_date
    # cleans the number again first. Cached: a college's students share a few thousand birthdays.
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None


@lru_cache(maxsize=None)
def area_known(area_code):
    # stdnum's lookup costs ~25 µs; there are only a few thousand area codes, so cache each one.
    return bool(numdb.get("cn/loc").info(area_code)[0][1])


# Never name the check character that would pass: people would change the last digit to silence the
# warning, while the mistake is most likely in one of the 17 digits before it.
CHECK_DIGIT_PROBLEM = "证件号码校验位不符：前 17 位中很可能有数字输错，须对照身份证核对"
CHECK_DIGIT_FIX = "请对照身份证逐位核对整个号码（不要只改最后一位）"


def identity_findings(name, id_type, number, gender, birth_date, today=None):
    """Every reason the offline checks refuse this identity as (column key, problem, fix); empty: it passes."""
    today = today or date.today()
    findings = []
    if not NAME_PATTERN.match(name or ""):
        findings.append(("name", "姓名须为 2–30 个汉字、字母、间隔号「·」或空格", "请按证件上的姓名填写"))
    pattern, hint = FORMATS.get(id_type, (None, ""))
    if pattern is None:
        return findings + [("id_type", f"证件类型「{id_type}」不受支持", "请从下拉列表选择证件类型")]
    if not pattern.match(number or ""):
        return findings + [("id_number", f"证件号码格式不正确，应为{hint}", "请对照证件核对号码")]
    if id_type not in GB11643_TYPES:
        return findings
    if not check_digit_ok(number):
        findings.append(("id_number", CHECK_DIGIT_PROBLEM, CHECK_DIGIT_FIX))
    # The number matched its format: its birth date and gender digits are read directly.
    born = _birth_date(number[6:14])
    findings += _birth_date_findings(born, today)
    if born is not None and born <= today and birth_date and birth_date != born:
        findings.append(("birth_date", f"出生日期与证件号码不符（证件号码为 {born:%Y-%m-%d}）",
                         "请对照身份证改正出生日期或证件号码；居民身份证可不填出生日期"))
    implied_gender = None if born is None else ("男" if number[16] in "13579" else "女")
    if implied_gender and gender and gender != implied_gender:
        findings.append(("gender", f"性别与证件号码不符（证件号码表示{implied_gender}）",
                         "请对照身份证改正性别或证件号码"))
    return findings


@lru_cache(maxsize=100_000)
def _birth_date_findings(born, today):
    """What the offline checks say of the birth date a number states (None: not a real date), on `today`.
    Cached: a college's students share a few thousand birthdays."""
    date_fix = "请对照身份证核对号码第 7–14 位（出生日期）"
    if born is None:
        return (("id_number", "证件号码中的出生日期不存在", date_fix),)
    if born > today:
        return (("id_number", "证件号码中的出生日期在未来", date_fix),)
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if not MIN_AGE <= age <= MAX_AGE:
        return (("id_number", f"按证件号码计算年龄为 {age} 岁，不在 {MIN_AGE}–{MAX_AGE} 岁之间", date_fix),)
    return ()


def identity_problems(name, id_type, number, gender, birth_date, today=None):
    """Every reason the offline checks refuse this identity, in Chinese; an empty list means it passes."""
    return [problem for _, problem, _ in identity_findings(name, id_type, number, gender, birth_date, today)]


AREA_FIX = "请对照身份证核对号码前 6 位；号码无误时可照常导入"


def identity_notes(id_type, number):
    """Remarks that never refuse: an area code the bundled table does not know (districts change)."""
    if id_type == RESIDENT_ID and FORMATS[id_type][0].match(number or "") and not area_known(number[:6]):
        return [f"地区码 {number[:6]} 不在内置行政区划表中（仅提示，不影响认证）"]
    return []


class OfflineVerifier:
    """The default verifier: GB 11643-1999 checks, age range, gender and birth date, name characters."""

    def verify(self, candidates, today=None):
        """{candidate id: (problems, notes)} for each candidate given."""
        return {
            c.id: (identity_problems(c.name, c.id_type, c.id_number, c.gender, c.birth_date, today),
                   identity_notes(c.id_type, c.id_number))
            for c in candidates
        }


# key: verifier class, and key: the Chinese name 院校设置 offers. Only `register` writes them.
VERIFIERS = {}
VERIFIER_NAMES = {}


def register(key, name, verifier_class):
    """Offer a verifier in 院校设置 → 身份认证方式 under `name`; the setting stores `key`.

    A college with a real identity service (name + ID number checked against the public-security
    source) writes a class with the same `verify(candidates, today=None)` as OfflineVerifier, returning
    {candidate id: (problems, notes)} with the reasons in Chinese, in a module of its own under models/
    (say models/identity_police.py), and registers it at the end of that module:

        identity.register("police", "公安身份核验（姓名 + 证件号码联网核查）", PoliceVerifier)

    Then it imports that module in models/__init__.py, so the registration runs when CertDesk starts,
    and an administrator chooses the new name in 院校设置. Keys are stored: never rename one in use.
    """
    VERIFIERS[key] = verifier_class
    VERIFIER_NAMES[key] = name


def verifier_key(stored):
    """The registry key a stored setting means: a key, or the dotted class path stored before there was
    a registry (models.identity.OfflineVerifier); None when it names no registered verifier."""
    if stored in VERIFIERS:
        return stored
    return next((key for key, cls in VERIFIERS.items() if f"{cls.__module__}.{cls.__qualname__}" == stored), None)


register("offline", "离线校验（GB 11643 校验位、出生日期、性别）", OfflineVerifier)
