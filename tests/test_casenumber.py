"""Case numbers (案号) as work orders carry them (R2: the matter of the call; R4: the order
is handled on its case): the official form in every typed variant, the keypad form, and
case numbers found in operators' notes and speech transcripts."""

from __future__ import annotations

import re
from datetime import date

import pytest

from workorder.casenumber import (
    PROVINCES,
    CaseNumber,
    CaseNumberError,
    CaseQuery,
    find_in_text,
    parse,
    parse_any,
    parse_keyed,
)
from workorder.errors import DomainError

TODAY = date(2026, 6, 1)  # valid years are 1990–2027
CASE = CaseNumber(2024, "京0105", "民初", 1234)


# ---- the official form ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "（2024）京0105民初1234号",
        "(2024)京0105民初1234号",
        "〔2024〕京0105民初1234号",
        "[2024]京0105民初1234号",
        "【2024】京0105民初1234号",
        "(2024）京0105民初1234号",  # mixed widths, as typed with an input method
        "2024京0105民初1234号",  # no brackets, as a recogniser writes it
        "2024年京0105民初1234号",
        "  （2024） 京 0105 民初 1234 号  ",
        "（2024）\u3000京0105民初1234号",  # ideographic space
        "（2024）京0105民初\n1234号",
        "（２０２４）京０１０５民初１２３４号",  # full-width digits
        "（2024）京0105民初第1234号",
        "（2024）京0105民初1234",  # no 号
        "（2024）京0105民初字第1234号",  # legacy 字 (before 2016)
        "（2024）京0105民初字1234号",
        "（2024）京0105民初001234号",  # leading zeros
        "（二〇二四）京〇一〇五民初一二三四号",  # Chinese numerals
        # said positionally, as an operator may copy a message's words (R6)
        "（2024）京0105民初一千二百三十四号",
        "（两千零二十四）京0105民初一千二百三十四号",
        "2024年京〇一〇五民初字第一千二百三十四号",
    ],
)
def test_typed_variants_of_one_case_number_parse_to_the_same_case(text: str) -> None:
    assert parse(text, TODAY) == CASE


@pytest.mark.parametrize(
    ("text", "court", "type_code", "seq"),
    [
        ("（2024）最高法民申12号", "最高法", "民申", 12),  # Supreme People's Court
        ("（2024）京民终7号", "京", "民终", 7),  # high court
        ("（2024）京01民终7号", "京01", "民终", 7),  # intermediate court
        ("（2024）京0105民初7号", "京0105", "民初", 7),  # primary court
        ("（2024）兵0101民初7号", "兵0101", "民初", 7),  # Production and Construction Corps
        ("（2024）沪74民初7号", "沪74", "民初", 7),  # a specialised court numbered like one
        ("（2024）粤0305执7号", "粤0305", "执", 7),
        ("（2024）粤0305执恢7号", "粤0305", "执恢", 7),
        ("（2024）浙01财保7号", "浙01", "财保", 7),
        ("（2024）京73知民初7号", "京73", "知民初", 7),
        ("（2024）川01破7号", "川01", "破", 7),
        ("（2024）京0105民初999999号", "京0105", "民初", 999999),
        ("（2024）京0105刑初1号", "京0105", "刑初", 1),
        ("（2024）京0105行赔初再审1号", "京0105", "行赔初再审", 1),  # five characters
    ],
)
def test_court_and_case_type_codes_are_kept_as_written(
    text: str, court: str, type_code: str, seq: int
) -> None:
    number = parse(text, TODAY)
    assert (number.year, number.court_code, number.type_code, number.seq) == (
        2024,
        court,
        type_code,
        seq,
    )


@pytest.mark.parametrize("province", list(PROVINCES))
def test_every_province_abbreviation_is_a_court_code(province: str) -> None:
    assert parse(f"（2024）{province}01民终3号", TODAY).court_code == f"{province}01"


def test_canonical_form_has_full_width_brackets_no_spaces_and_hao() -> None:
    number = parse(" [2024] 京 0105 民初字第 001234 ", TODAY)
    assert number.canonical == "（2024）京0105民初1234号"
    assert str(number) == number.canonical


@pytest.mark.parametrize(
    "text",
    [
        "（2024）京0105民初1234号",
        "(1990)最高法民申1号",
        "【2027】兵民终999999号",
        "2025年沪01执恢字第0012号",
        "（二零二五）粤零三零五民初幺二号",
    ],
)
def test_canonical_form_parses_back_to_the_same_case(text: str) -> None:
    number = parse(text, TODAY)
    assert parse(number.canonical, TODAY) == number


def test_year_bounds_are_1990_and_next_year() -> None:
    assert parse("（1990）京0105民初1号", TODAY).year == 1990
    assert parse("（2027）京0105民初1号", TODAY).year == 2027
    with pytest.raises(CaseNumberError, match="year 2028 is out of range 1990–2027"):
        parse("（2028）京0105民初1号", TODAY)


def test_today_defaults_to_the_clock() -> None:
    this_year = date.today().year
    assert parse(f"（{this_year}）京0105民初1号").year == this_year
    with pytest.raises(CaseNumberError, match=f"out of range 1990–{this_year + 1}"):
        parse(f"（{this_year + 2}）京0105民初1号")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty case number: ''"),
        ("   ", "empty case number: '   '"),
        ("\u3000\t\n", "empty case number"),
        ("abc", "not a case number: 'abc' (expected e.g. （2024）京0105民初1234号)"),
        ("民初1234号", "not a case number"),
        ("京0105民初1234号", "no year before the court code"),
        ("（）京0105民初1234号", "no year before the court code"),
        ("（1850）京0105民初1号", "year 1850 is out of range 1990–2027"),
        ("（1989）京0105民初1号", "year 1989 is out of range 1990–2027"),
        ("（2030）京0105民初1号", "year 2030 is out of range 1990–2027"),
        ("（24）京0105民初1号", "year 24 is not 4 digits"),
        ("（20241）京0105民初1号", "year 20241 is not 4 digits"),
        ("（2024）0105民初1号", "no court code after the year"),
        ("（2024）", "no court code after the year"),
        ("（2024）民初1234号", "court code must start with a province abbreviation"),
        (
            "（2024）港0105民初1号",
            "court code must start with a province abbreviation or 最高法, found 港",
        ),
        ("（2024）最高民终1号", "found 最"),
        ("（2024）京010民初1号", "court code 京010 has 3 digits"),
        ("（2024）京1民初1号", "court code 京1 has 1 digits"),
        ("（2024）京010501民初1号", "court code 京010501 has 6 digits"),
        ("（2024）京01051234号", "court code 京01051234 has 8 digits"),
        ("（2024）京0105第1234号", "no case-type code after the court code"),
        ("（2024）京0105abc1234号", "no case-type code after the court code"),
        ("（2024）京0105字第1234号", "no case-type code before 字"),
        (
            "（2024）京0105民事初审案件1号",
            "case-type code 民事初审案件 is longer than 5 characters",
        ),
        ("（2024）京0105民初号", "no sequence number after the case-type code"),
        ("（2024）京0105民初第号", "no sequence number"),
        ("（2024）京0105民初0号", "sequence number must not be 0"),
        ("（2024）京0105民初000号", "sequence number must not be 0"),
        ("（2024）京0105民初1234567号", "sequence number 1234567 has more than 6 digits"),
        ("（2024）京0105民初12a号", "unexpected 'a号' after the case number"),
        ("（2024）京0105民初12号之一", "unexpected '之1' after the case number"),
        ("（2024）京0105民初12号（2024）京0105民初13号", "unexpected"),
        ("2024*1234", "no court code after the year"),  # the keyed form is parse_keyed's
        # R6: a number that could be read two ways is refused, as in transcripts
        ("（2024）京0105民初一千五号", "cannot read 一千五 as a number"),
        ("（2024）京0105民初一二百号", "cannot read 一二百 as a number"),
        ("（两零两四）京0105民初1号", "cannot read 两零两四 as a number"),
        ("（2024）京0105民初一百万号", "sequence number 1000000 has more than 6 digits"),
    ],
)
def test_bad_official_input_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(CaseNumberError, match=re.escape(message)) as raised:
        parse(text, TODAY)
    assert "\n" not in str(raised.value)
    # the user's mistake, said in one line; never mistaken for a bug's ValueError
    assert isinstance(raised.value, DomainError) and not isinstance(raised.value, ValueError)


def test_error_message_quotes_the_input_clipped_to_one_line() -> None:
    text = "案号：" + "很长的备注\n" * 20
    with pytest.raises(CaseNumberError) as raised:
        parse(text, TODAY)
    message = str(raised.value)
    assert message.startswith("not a case number: '案号：很长的备注\\n")
    assert "…'" in message
    assert "\n" not in message
    assert len(message) < 120


@pytest.mark.parametrize("func", [parse, parse_keyed, parse_any, find_in_text])
def test_none_is_a_type_error_not_a_case_number_error(func) -> None:
    with pytest.raises(TypeError, match="got NoneType"):
        func(None, TODAY)


# ---- building a CaseNumber / CaseQuery directly --------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ((2024, "京010", "民初", 1), "court code '京010'"),
        ((2024, "港01", "民初", 1), "court code '港01'"),
        ((2024, "", "民初", 1), "court code ''"),
        ((2024, "京01", "民初字", 1), "type code '民初字'"),
        ((2024, "京01", "民初一", 1), "type code '民初一'"),  # would read back as a digit
        ((2024, "京01", "民十", 1), "type code '民十'"),  # would read back as a number
        ((2024, "京01", "民事初审案件", 1), "type code '民事初审案件'"),
        ((2024, "京01", "MC", 1), "type code 'MC'"),
        ((2024, "京01", "民初", 0), "sequence number 0"),
        ((2024, "京01", "民初", 1_000_000), "sequence number 1000000"),
        ((2024, "京01", "民初", True), "sequence number True"),
        ((1850, "京01", "民初", 1), "year 1850"),
        ((20240, "京01", "民初", 1), "year 20240"),
        (("2024", "京01", "民初", 1), "year '2024'"),
    ],
)
def test_case_number_rejects_parts_that_would_not_parse_back(fields, message: str) -> None:
    with pytest.raises(CaseNumberError, match=message):
        CaseNumber(*fields)


def test_case_number_is_immutable_and_hashable() -> None:
    with pytest.raises(AttributeError):
        CASE.seq = 1  # type: ignore[misc]
    assert {CASE, parse("（2024）京0105民初1234号", TODAY)} == {CASE}


def test_case_number_gives_the_query_a_caller_would_key() -> None:
    assert CASE.query == CaseQuery(2024, 1234)
    assert CASE.query == parse_keyed("2024*1234", TODAY)


@pytest.mark.parametrize(("year", "seq"), [(1850, 1), (2024, 0), (2024, 1_000_000)])
def test_case_query_rejects_impossible_values(year: int, seq: int) -> None:
    with pytest.raises(CaseNumberError):
        CaseQuery(year, seq)


# ---- the keypad form ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2024*1234",
        "2024#1234",
        "2024-1234",
        "2024 1234",
        "20241234",
        " 2024 * 1234 ",
        "2024*001234",
        "2024*1234#",  # '#' ends keypad input
        "20241234#",
        "２０２４＊１２３４",  # full-width, from an input method
    ],
)
def test_keyed_forms_give_year_and_sequence_number(text: str) -> None:
    query = parse_keyed(text, TODAY)
    assert query == CaseQuery(2024, 1234)
    assert str(query) == "2024*1234"


@pytest.mark.parametrize(
    ("text", "year", "seq"),
    [("20241", 2024, 1), ("2024999999", 2024, 999999), ("1990*1", 1990, 1), ("2027#5", 2027, 5)],
)
def test_unseparated_keyed_form_is_a_four_digit_year_then_the_sequence(
    text: str, year: int, seq: int
) -> None:
    assert parse_keyed(text, TODAY) == CaseQuery(year, seq)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty case number: ''"),
        ("  ", "empty case number"),
        ("2024", "no sequence number after the year: '2024'"),
        ("2024*", "not a case number"),
        ("*1234", "not a case number"),
        ("24*1234", "year 24 is not 4 digits"),
        ("202401*1234", "year 202401 is not 4 digits"),
        ("1850*1234", "year 1850 is out of range 1990–2027"),
        ("18501234", "year 1850 is out of range 1990–2027"),
        ("2024*0", "sequence number must not be 0"),
        ("20240000", "sequence number must not be 0"),
        ("2024*1234567", "sequence number 1234567 has more than 6 digits"),
        ("20241234567", "sequence number 1234567 has more than 6 digits"),
        ("2024**1234", "not a case number"),
        ("2024*12*34", "not a case number"),
        ("abc", "not a case number: 'abc' (expected year and number keyed as 2024*1234)"),
        ("2024*12a", "not a case number"),
        ("（2024）京0105民初1234号", "not a case number"),
    ],
)
def test_bad_keyed_input_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(CaseNumberError, match=re.escape(message)):
        parse_keyed(text, TODAY)


# ---- either form ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("（2024）京0105民初1234号", CASE),
        ("2024京0105民初1234", CASE),
        ("二零二四京零一零五民初一二三四号", CASE),
        ("2024*1234", CaseQuery(2024, 1234)),
        ("20241234", CaseQuery(2024, 1234)),
        ("２０２４－１２３４", CaseQuery(2024, 1234)),
    ],
)
def test_parse_any_reads_chinese_as_official_and_digits_as_keyed(
    text: str, expected: CaseNumber | CaseQuery
) -> None:
    assert parse_any(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "abc",
            "not a case number: 'abc' (expected e.g. （2024）京0105民初1234号, "
            "or year and number keyed as 2024*1234)",
        ),
        ("案号不记得了", "not a case number: '案号不记得了' (expected e.g."),
        ("(2024)1234", "not a case number"),
        ("1850*1", "year 1850 is out of range"),
        ("（2024）京010民初1号", "court code 京010 has 3 digits"),
    ],
)
def test_parse_any_errors_name_both_forms_or_come_from_the_one_chosen(
    text: str, message: str
) -> None:
    with pytest.raises(CaseNumberError, match=re.escape(message)):
        parse_any(text, TODAY)


# ---- case numbers in free text --------------------------------------------------------


def test_finds_several_case_numbers_in_order() -> None:
    notes = (
        "当事人称（2024）京0105民初1234号已判决，上诉案号(2025)京01民终88号；"
        "另有执行案件〔2025〕京0105执恢字第3号，请一并查询。"
    )
    assert find_in_text(notes, TODAY) == [
        CASE,
        CaseNumber(2025, "京01", "民终", 88),
        CaseNumber(2025, "京0105", "执恢", 3),
    ]


def test_reports_each_case_number_once_in_order_of_first_mention() -> None:
    notes = "（2024）京0105民初1234号，（2023）沪01民终5号，又问（2024） 京0105 民初 1234 号"
    assert find_in_text(notes, TODAY) == [CASE, CaseNumber(2023, "沪01", "民终", 5)]


@pytest.mark.parametrize(
    ("transcript", "expected"),
    [
        ("案号是二零二四京零一零五民初一二三四号", CASE),
        ("我的案号是二〇二四年京〇一〇五民初一二三四号谢谢", CASE),
        ("案号二零二四京零一零五民初幺二三四号", CASE),  # 幺 for 1, as said on the phone
        ("是二零二四 京零一零五 民初 一二三四 号", CASE),
        ("括号二零二四京零幺零五民初第一二三四号", CASE),
        ("案号(2024)京0105民初1234号", CASE),
        ("二零二五最高法民申零零七号", CaseNumber(2025, "最高法", "民申", 7)),
        ("二零二五京民终七号", CaseNumber(2025, "京", "民终", 7)),  # high court, with 号
    ],
)
def test_reads_digits_spoken_one_by_one(transcript: str, expected: CaseNumber) -> None:
    assert find_in_text(transcript, TODAY) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "来电人询问开庭时间，未提供案号。",
        "我想问一下我的案件，案号是二零二四民初一二三四号，谢谢",  # no court code
        "2024京东买了3个",  # bare province, no brackets, no 第/号: chatter
        "二零二五京民终七",  # the same shape, so a real high-court number needs 号 here
        "（1850）京0105民初1号",  # year out of range
        "（2024）京0105民初0号",  # sequence number 0
        "（2024）京0105民初1234567号",  # seven digits: not cut down to six
        "13820241234京0105民初1号",  # the year would be cut out of a phone number
        "（2024）京010民初1号",  # three-digit court code
        "（2024）港0105民初1号",  # not a province
        "2024*1234",  # keyed form, not an official number
        "一千二百三十四号",
    ],
)
def test_text_without_a_valid_case_number_gives_an_empty_list(text: str) -> None:
    assert find_in_text(text, TODAY) == []


def test_whitespace_does_not_join_a_sequence_number_to_the_next_figure() -> None:
    assert find_in_text("（2024）京0105民初12 3天后回电", TODAY) == [
        CaseNumber(2024, "京0105", "民初", 12)
    ]


def test_invalid_numbers_are_skipped_and_valid_ones_around_them_kept() -> None:
    text = "（1850）京0105民初1号、（2024）京0105民初1234号、（2024）京0105民初0号"
    assert find_in_text(text, TODAY) == [CASE]


def test_found_numbers_have_the_canonical_form_parse_gives() -> None:
    [found] = find_in_text("备注：2024年京0105民初字第001234号", TODAY)
    assert found == parse("2024年京0105民初字第001234号", TODAY)
    assert found.canonical == "（2024）京0105民初1234号"


# ---- numbers said positionally, as recognisers write after-hours messages (R6) ---------


@pytest.mark.parametrize(
    ("transcript", "seq"),
    [
        ("二零二四年京零一零五民初一千二百三十四号", 1234),
        ("二零二四年京零一零五民初一千两百三十四号", 1234),
        ("二零二四年京零一零五民初一千零五号", 1005),
        ("二零二四年京零一零五民初一千〇五号", 1005),
        ("二零二四年京零一零五民初一千零五十号", 1050),
        ("二零二四年京零一零五民初一千零一十五号", 1015),
        ("二零二四年京零一零五民初一千零十五号", 1015),  # 零十 for 零一十
        ("二零二四年京零一零五民初一百零五号", 105),
        ("二零二四年京零一零五民初一百一十号", 110),
        ("二零二四年京零一零五民初一百十二号", 112),  # 百十 for 百一十
        ("二零二四年京零一零五民初三千四百号", 3400),
        ("二零二四年京零一零五民初两千号", 2000),
        ("二零二四年京零一零五民初十二号", 12),
        ("二零二四年京零一零五民初二十号", 20),
        ("二零二四年京零一零五民初十号", 10),
        ("二零二四年京零一零五民初幺百幺十幺号", 111),  # 幺 for 1, as said on the phone
        ("二零二四年京零一零五民初两号", 2),
        ("二零二四年京零一零五民初第一千二百三十四号", 1234),
        ("二零二四年京零一零五民初一万号", 10_000),
        ("二零二四年京零一零五民初一万零五百号", 10_500),
        ("二零二四年京零一零五民初十二万三千四百五十六号", 123_456),
        ("二零二四年京零一零五民初九十九万九千九百九十九号", 999_999),
        ("二零二四年京零一零五民初第1234号", 1234),  # Arabic digits, as an operator types
        ("二零二四年京零一零五民初一二三四号", 1234),  # digit by digit
        ("二零二四年京零一零五民初零零一二号", 12),
    ],
)
def test_r6_sequence_number_said_positionally_is_read_as_a_whole(transcript: str, seq: int) -> None:
    assert find_in_text(transcript, TODAY) == [CaseNumber(2024, "京0105", "民初", seq)]


@pytest.mark.parametrize(
    ("transcript", "year"),
    [
        ("二零二四年京零一零五民初一千二百三十四号", 2024),
        ("二〇二四年京〇一〇五民初一千二百三十四号", 2024),
        ("两千零二十四年京零一零五民初一千二百三十四号", 2024),
        ("二千零二十四年京零一零五民初一千二百三十四号", 2024),
        ("两千零二十年京零一零五民初一千二百三十四号", 2020),
        ("一千九百九十年京零一零五民初一千二百三十四号", 1990),
        ("一九九九年京零一零五民初一千二百三十四号", 1999),
        ("两千零二十七年京零一零五民初一千二百三十四号", 2027),  # next year
    ],
)
def test_r6_year_is_read_digit_by_digit_or_positionally(transcript: str, year: int) -> None:
    assert find_in_text(transcript, TODAY) == [CaseNumber(year, "京0105", "民初", 1234)]


@pytest.mark.parametrize(
    "transcript",
    [
        "二 零 二 四 年 京 零 一 零 五 民 初 一 千 二 百 三 十 四 号",
        "案 号 是 二 零 二 四 年 京 零 一 零 五 民 初 第 一 千 二 百 三 十 四 号 谢 谢",
        "二零二四 年 京 零一零五 民初 一千二百 三十四 号",  # words, as Vosk writes them
        "两千 零 二十四 年 京 零 幺 零 五 民初 一 二 三 四 号",
        "二\u3000零二四年京零一零五民初一千二百三十四号",  # ideographic space
        "（ 二 零 二 四 ） 京 零 一 零 五 民 初 一 千 二 百 三 十 四 号",
    ],
)
def test_r6_recogniser_spaces_between_characters_are_ignored(transcript: str) -> None:
    assert find_in_text(transcript, TODAY) == [CASE]


@pytest.mark.parametrize(
    "transcript",
    [
        "二零二四年京零一零五民初一千五号",  # 1500 to some, 1005 (零 dropped) to others
        "二零二四年京零一零五民初一百五号",
        "二零二四年京零一零五民初一千二百三号",
        "二零二四年京零一零五民初一万五号",
        "二零二四年京零一零五民初一万五百号",  # a gap after 万 without 零
        "二零二四年京零一零五民初一千零五百号",  # 零 where nothing is skipped
        "二零二四年京零一零五民初一千零零五号",
        "二零二四年京零一零五民初一千零号",
        "二零二四年京零一零五民初零一百号",
        "二零二四年京零一零五民初一二百号",  # digit by digit and positional mixed
        "二零二四年京零一零五民初一百二千号",  # places out of order
        "二零二四年京零一零五民初百号",
        "二零二四年京零一零五民初千二百号",
        "二零二四年京零一零五民初两十号",
        "二零二四年京零一零五民初十两号",
        "二零二四年京零一零五民初两两号",  # 两 is not said digit by digit
        "二零二四年京零一零五民初一万万号",
        "二零二四年京零一零五民初万号",
        "二零二四年京零一零五民初1千2百号",  # Arabic digits with Chinese places
        "二零二四年京零一零五民初12百号",
        "二零二四年京零一零五民初一百万号",  # seven digits
        "二零二四年京零一零五民初零号",
        "两零两四年京零一零五民初一千二百三十四号",
        "两千二十四年京零一零五民初一千二百三十四号",  # a gap without 零
        "一千九百八十九年京零一零五民初一千二百三十四号",  # before 1990
        "两千零二十八年京零一零五民初一千二百三十四号",  # after next year
        "二零二四年京一百零五民初一千二百三十四号",  # a court code is said digit by digit
    ],
)
def test_r6_a_number_that_is_ambiguous_or_not_fully_read_gives_no_case_number(
    transcript: str,
) -> None:
    """R6: a wrong number sends the inquiry to the wrong case; no number sends the operator
    to the recording."""
    assert find_in_text(transcript, TODAY) == []


def test_r6_numerals_split_by_the_recogniser_count_as_one_number_only_before_hao() -> None:
    # "一二 三天后回电": the 三 may be three days, not part of the number.
    assert find_in_text("二零二四年京零一零五民初一二 三天后回电", TODAY) == []
    assert find_in_text("二零二四年京零一零五民初一千二百 三十四", TODAY) == []
    assert find_in_text("二零二四年京零一零五民初一二 三四 号", TODAY) == [CASE]
    # Spaces only around the number leave it whole.
    assert find_in_text("二零二四年京零一零五民初 一二三四 谢谢", TODAY) == [CASE]


def test_r6_a_positional_number_is_never_cut_short_to_a_wrong_one() -> None:
    """Before positional numbers were read, 一千二百三十四 gave sequence number 1."""
    found = find_in_text("二零二四年京零一零五民初一千二百三十四号", TODAY)
    assert [n.seq for n in found] == [1234]
    assert find_in_text("（2024）京0105民初12百号", TODAY) == []


def test_r6_positional_numbers_in_a_message_with_several_case_numbers() -> None:
    transcript = (
        "我 有 两 个 案子 一个 是 二零二四 年 京 零一零五 民初 一千零五 号 "
        "另 一个 是 两千零二十五 年 京 零一 民终 八十八 号 麻烦 查 一下"
    )
    assert find_in_text(transcript, TODAY) == [
        CaseNumber(2024, "京0105", "民初", 1005),
        CaseNumber(2025, "京01", "民终", 88),
    ]


def test_full_width_digits_in_free_text() -> None:
    """Operators' notes on an order (R2, R6) are typed with an input method."""
    assert find_in_text("案号（２０２４）京０１０５民初１２３４号", TODAY) == [CASE]
