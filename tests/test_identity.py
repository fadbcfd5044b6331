"""The offline identity verifier and the normalisers behind the candidate form and imports."""
from datetime import date

import pytest
from stdnum.cn import ric

from models import normalise
from models.identity import CHECK_DIGIT_PROBLEM, check_format, identity_notes, identity_problems, implied_by_number
from models.normalise import FieldError

TODAY = date(2026, 11, 29)


def make_id(area="410102", born="20030105", seq="12", gender_digit=3):
    body = f"{area}{born}{seq}{gender_digit}"
    return body + ric.calc_check_digit(body + "0")


def test_valid_resident_id_passes():
    number = make_id()
    assert identity_problems("张三", "居民身份证", number, "男", date(2003, 1, 5), TODAY) == []


def test_real_number_from_a_renamed_district_is_not_refused():
    # stdnum's validate() refuses this real number because of its area code; CertDesk must not.
    assert identity_problems("张三", "居民身份证", "510107196501010010", "男", None, TODAY) == []


def test_wrong_check_character_sends_people_to_the_card_and_never_names_the_digit_that_passes():
    number = make_id()
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    assert identity_problems("张三", "居民身份证", wrong, "男", None, TODAY) == [CHECK_DIGIT_PROBLEM]


def test_gender_and_birth_date_must_match_the_number():
    number = make_id(gender_digit=4)  # even: 女
    problems = identity_problems("张三", "居民身份证", number, "男", date(2003, 1, 6), TODAY)
    assert "性别与证件号码不符（证件号码表示女）" in problems
    assert "出生日期与证件号码不符（证件号码为 2003-01-05）" in problems


def test_future_birth_date_and_age_range_are_refused():
    future = make_id(born="20270101")
    assert "证件号码中的出生日期在未来" in identity_problems("张三", "居民身份证", future, "男", None, TODAY)
    child = make_id(born="20150101")
    assert any("不在 14–80 岁之间" in p for p in identity_problems("张三", "居民身份证", child, "男", None, TODAY))


def test_impossible_birth_date_in_number():
    number = make_id(born="20030230")
    assert "证件号码中的出生日期不存在" in identity_problems("张三", "居民身份证", number, "男", None, TODAY)


@pytest.mark.parametrize("name", ["张", "Zhang3", "张三!", "a" * 31])
def test_name_rules(name):
    assert identity_problems(name, "护照", "E12345678", "男", None, TODAY) == [
        "姓名须为 2–30 个汉字、字母、间隔号「·」或空格"]


def test_names_with_middle_dot_and_latin_letters_pass():
    assert identity_problems("阿依古丽·买买提", "护照", "E12345678", "女", None, TODAY) == []
    assert identity_problems("John Smith", "护照", "E12345678", "男", None, TODAY) == []


def test_unknown_area_code_is_only_a_note():
    number = make_id(area="999999")
    assert identity_problems("张三", "居民身份证", number, "男", None, TODAY) == []
    assert identity_notes("居民身份证", number) == ["地区码 999999 不在内置行政区划表中（仅提示，不影响认证）"]


def test_implied_birth_date_and_gender():
    assert implied_by_number("居民身份证", make_id(gender_digit=5)) == (date(2003, 1, 5), "男")
    assert implied_by_number("护照", "E12345678") == (None, None)


@pytest.mark.parametrize("id_type, number", [
    ("港澳居民来往内地通行证", "H12345678"),
    ("台湾居民来往大陆通行证", "12345678"),
    ("外国人永久居留身份证", "USA123456789012"),
    ("护照", "E12345678"),
])
def test_other_id_types_accept_their_format(id_type, number):
    assert check_format(id_type, number) == number


def test_format_errors_say_how_to_write_the_number():
    with pytest.raises(FieldError) as exc:
        check_format("港澳居民来往内地通行证", "X1234")
    assert "H 或 M 开头" in exc.value.fix
    with pytest.raises(FieldError) as exc:
        check_format("居民身份证", "410102030105123")
    assert "18 位" in exc.value.fix


def test_id_truncated_by_excel_is_refused_with_the_fix():
    number = make_id()[:15] + "000"
    if ric.calc_check_digit(number) == "0":  # a genuine number may end in 000; pick one that does not
        number = make_id(seq="34")[:15] + "000"
    with pytest.raises(FieldError) as exc:
        check_format("居民身份证", number)
    assert "Excel" in exc.value.problem and "文本" in exc.value.fix


def test_scientific_notation_id_is_refused():
    with pytest.raises(FieldError) as exc:
        normalise.id_number("4.10102E+17")
    assert "Excel" in exc.value.problem


@pytest.mark.parametrize("control", ["\u202e", "\u202d", "\u202a", "\u202b", "\u202c", "\u2066", "\u2067", "\u2068",
                                     "\u2069", "\u200e", "\u200f", "\u061c"])
def test_text_drops_the_characters_that_turn_what_follows_around(control):
    assert normalise.text(f" 信息{control}工程学院{control} ") == "信息工程学院"
    assert normalise.text("软件　技术\t2301") == "软件 技术 2301"  # whitespace as before


def test_id_normalisation_fullwidth_spaces_and_lowercase_x():
    assert normalise.id_number(" ４１０１０２ 2003 0105 123x ") == "41010220030105123X"


@pytest.mark.parametrize("raw", ["2003-01-05", "2003/1/5", "20030105", "2003.1.5", "2003年1月5日", "37626",
                                 "2003-01-05 00:00:00"])
def test_dates_in_every_common_form(raw):
    assert normalise.parse_date(raw) == date(2003, 1, 5)


def test_unparseable_date_says_which_format():
    with pytest.raises(FieldError) as exc:
        normalise.parse_date("05/01/03", "出生日期")
    assert "出生日期「05/01/03」无法识别" == exc.value.problem


def test_ethnicity_without_zu_is_normalised():
    from models.candidate_fields import CANDIDATE_SHEET
    assert CANDIDATE_SHEET.column("ethnicity").clean("汉") == "汉族"
    with pytest.raises(FieldError):
        CANDIDATE_SHEET.column("ethnicity").clean("火星族")
