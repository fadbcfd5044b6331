"""证书编号格式: which patterns are refused and why, and why every accepted one keeps numbers unique."""
from datetime import date
from itertools import product

import pytest

from models import number_pattern, numbering, setting
from models.award import AwardError, AwardRecord
from models.catalog import Certificate
from models.normalise import FieldError
from models.numbering import NumberSequence
from models.setting import SettingError
from models.user import REVIEWER
from tests.conftest import other_candidates


@pytest.mark.parametrize("pattern, problem, fix", [
    ("{证书代码}{等级代码}{年}{序号}", "「{年}」不是可用的占位符", "{证书代码} {等级代码} {等级} {年份} {院校代码} {序号}"),
    ("{证书代码}{序号", "花括号不成对（第 7 个字符「{」）", "例如 {年份}"),
    ("证书代码}{序号}", "花括号不成对（第 5 个字符「}」）", "例如 {年份}"),
    ("{{证书代码}}{序号}", "花括号不成对（第 1 个字符「{」）", "例如 {年份}"),
    ("{}{序号}", "「{}」不是可用的占位符", "可用的占位符"),
    ("{证书代码}{等级代码}{年份}", "缺少 {序号}，所有证书会得到相同的编号", "请在格式中加入一次 {序号}"),
    ("{序号}{证书代码}{序号}", "{序号} 出现了 2 次", "{序号} 只能出现一次"),
    ("{证书代码} {序号}", "有空格", "证书编号不能含空格"),
    ("", "未填写", "例如 {证书代码}{等级代码}{年份}{序号}"),
    ("X" * 61 + "{序号}", "过长（65 个字符）", "60 个字符以内"),
])
def test_a_pattern_is_refused_with_what_is_wrong_and_how_to_fix_it(pattern, problem, fix):
    with pytest.raises(FieldError) as refused:
        number_pattern.check(pattern)
    assert refused.value.problem == problem and fix in refused.value.fix


def test_full_width_braces_typed_with_a_chinese_input_method_are_accepted():
    assert number_pattern.check("｛证书代码｝－｛年份｝｛序号｝") == "{证书代码}-{年份}{序号}"


# Codes of different lengths that end in digits are where numbers could meet: A + 1000001 is A1 + 000001.
CODES, LEVELS, YEARS = ("A", "A1", "A12", "AB", "B"), ("初级", "中级", "高级"), (2025, 2026)
ACCEPTED = ["{证书代码}{等级代码}{年份}{序号}", "{证书代码}{序号}", "{序号}{证书代码}", "{年份}{序号}",
            "{证书代码}{序号}{证书代码}", "{等级}{证书代码}-{序号}{院校代码}", "{院校代码}{序号}"]


@pytest.mark.parametrize("pattern", ACCEPTED)
def test_every_accepted_pattern_gives_distinct_numbers_while_the_running_number_fits_its_digits(pattern):
    digits, seen = 3, {}
    for code, level, year in product(CODES, LEVELS, YEARS):
        values = {"证书代码": code, "等级代码": numbering.LEVEL_CODES[level], "等级": level, "年份": str(year),
                  "院校代码": "10000"}
        key = number_pattern.split(number_pattern.check(pattern), values)
        for n in range(1, 10 ** digits):
            number = f"{key[0]}{n:0{digits}d}{key[1]}"
            # The same number may only come from the same sequence and running number.
            assert seen.setdefault(number, (key, n)) == (key, n), number


def test_a_pattern_without_the_certificate_code_gives_all_certificates_one_running_number(world, make_user):
    setting.put("certificate_number_pattern", "{年份}{序号}")
    other = Certificate.create(name="物流管理", organisation=world["cert"].organisation, code="WL")
    year = date.today().year
    first = numbering.allocate(world["cert"], "中级", year, 1)
    second = numbering.allocate(other, "初级", year, 1)
    assert (first, second) == ([f"{year}000001"], [f"{year}000002"])
    assert "不同证书共用一个序号" in number_pattern.shared("{年份}{序号}")


def test_a_running_number_that_would_outgrow_its_digits_is_refused(world):
    setting.put("certificate_number_digits", "4")
    year = date.today().year
    NumberSequence.create(key=f"WEB2{year}|", last=9998)
    assert numbering.allocate(world["cert"], "中级", year, 1) == [f"WEB2{year}9999"]
    with pytest.raises(SettingError, match="序号将超过 4 位.*增加证书编号序号位数"):
        numbering.allocate(world["cert"], "中级", year, 1)
    assert NumberSequence.get(NumberSequence.key == f"WEB2{year}|").last == 9999


def test_a_number_issued_under_an_earlier_format_is_not_handed_out_again(world, make_user):
    reviewer = make_user(REVIEWER)
    first, second = (AwardRecord.create(candidate=c, certificate=world["cert"], level="中级", site=world["site"],
                                        exam_date=date(2026, 6, 1)) for c in other_candidates(2))
    setting.put("certificate_number_pattern", "{证书代码}{序号}")
    AwardRecord.issue_many([first], reviewer)
    assert AwardRecord.get_by_id(first.id).certificate_number == "WEB000001"
    # A new format whose fixed text ends where the old running number began: WEB0 + 00001.
    setting.put("certificate_number_pattern", "{证书代码}0{序号}")
    setting.put("certificate_number_digits", "5")
    with pytest.raises(AwardError, match="证书编号 WEB000001 已颁发给另一条记录"):
        AwardRecord.issue_many([AwardRecord.get_by_id(second.id)], reviewer)
    assert AwardRecord.get_by_id(second.id).certificate_number is None
