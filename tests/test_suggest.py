"""The suggested type (R3) of an after-hours message (R6): the court's keyword rules matched
in the transcript, the longest phrase counting where phrases overlap, with the keywords
that decided it for the operator who confirms."""

from __future__ import annotations

import pytest

from workorder.errors import DomainError
from workorder.suggest import (
    DEFAULT_RULES,
    Alternative,
    Match,
    RulesError,
    load,
    loads,
    suggest,
)
from workorder.types import OrderType

RULES = load()


def spaced(text):
    """The text as a recogniser that puts a space between every character writes it."""
    return " ".join(text.replace(" ", ""))


def said(suggestion):
    return [m.keyword for m in suggestion.matches]


def test_r3_the_default_rules_cover_the_six_types():
    assert RULES.source == str(DEFAULT_RULES)
    assert {kw.order_type for kw in RULES.keywords} == set(OrderType)
    assert all(kw.weight > 0 and kw.key for kw in RULES.keywords)
    assert load(DEFAULT_RULES) == RULES == loads(DEFAULT_RULES.read_text(), str(DEFAULT_RULES))


# Messages as Vosk's Mandarin model writes them: words separated by spaces, numbers in
# Chinese numerals, no punctuation.
MESSAGES = [
    (
        "喂 你好 我 想 查询 一下 我 的 案子 现在 是 什么 进展 案号 是 二零二四 京 零一零五 "
        "民初 一千二百三十四 号",
        OrderType.CASE_INQUIRY,
    ),
    ("你好 我 想 问 一下 我 那个 案子 什么 时候 开庭 传票 一直 没有 收到", OrderType.CASE_INQUIRY),
    ("我 的 判决书 什么 时候 能 寄 过来", OrderType.CASE_INQUIRY),
    ("我 上个月 交 的 材料 立案 了 没有", OrderType.CASE_INQUIRY),
    ("你好 我 想 咨询 一下 我 要 起诉 离婚 需要 什么 材料 诉讼费 怎么 交", OrderType.CONSULTATION),
    ("请问 一审 判决 以后 上诉期 是 多少 天", OrderType.CONSULTATION),
    (
        "我 找 承办 法官 电话 一直 打 不 通 联系 不 上 法官 麻烦 让 他 给 我 回 个 电话",
        OrderType.CONTACT_JUDGE,
    ),
    ("我 想 要 一下 书记员 的 电话", OrderType.CONTACT_JUDGE),
    ("我 对 这个 判决 不服 我 要 申请 再审", OrderType.PETITION),
    ("我 已经 信访 好 几 次 了 一直 没有 结果", OrderType.PETITION),
    ("我 要 投诉 你们 那个 法官 态度 特别 恶劣 还 一直 拖着 不 给 我 立案", OrderType.COMPLAINT),
    ("我 举报 执行 法官 收 了 红包 消极 执行", OrderType.COMPLAINT),
    ("请问 法院 地址 在 哪里 坐 几 路 车 能 到", OrderType.OTHER),
    ("我 想 给 法官 送 一 面 锦旗 表扬 一下", OrderType.OTHER),
]


@pytest.mark.parametrize("transcript, expected", MESSAGES)
def test_r6_a_message_gets_the_type_its_words_point_to(transcript, expected):
    assert suggest(transcript, RULES).order_type is expected


@pytest.mark.parametrize("transcript, expected", MESSAGES)
def test_r6_spaces_the_recogniser_puts_between_characters_change_nothing(transcript, expected):
    words = suggest(transcript, RULES)
    chars = suggest(spaced(transcript), RULES)
    compact = suggest(transcript.replace(" ", ""), RULES)
    assert chars.order_type is compact.order_type is expected
    assert said(chars) == said(compact) == said(words)
    assert chars.score == compact.score == words.score


def test_r6_offsets_point_into_the_text_as_given_so_a_screen_can_highlight_them():
    text = "喂 我 联系 不 上 法官 想 投诉"
    s = suggest(text, RULES)
    assert [(m.keyword, m.type, text[m.start : m.end]) for m in s.matches] == [
        ("联系不上法官", OrderType.CONTACT_JUDGE, "联系 不 上 法官"),
        ("投诉", OrderType.COMPLAINT, "投诉"),
    ]
    assert s.matches[0] == Match("联系不上法官", OrderType.CONTACT_JUDGE, 4, 13, 1.0)


def test_r6_no_keyword_suggests_other_with_nothing_matched():
    for text in ["", "   ", "喂 喂 你好 有人 吗", "二零二四 年"]:
        s = suggest(text, RULES)
        assert (s.order_type, s.score, s.matches, s.alternatives) == (OrderType.OTHER, 0, [], [])
        assert s.reason == "未找到关键词，归为其他"


# ---- overlapping keywords -------------------------------------------------------------


def test_r3_the_longest_keyword_counts_and_nothing_inside_it_counts_again():
    s = suggest("联系不上法官", RULES)  # 法官 is a [3] keyword too
    assert (s.order_type, said(s), s.score, s.alternatives) == (
        OrderType.CONTACT_JUDGE,
        ["联系不上法官"],
        1.0,
        [],
    )


def test_r3_complaining_about_a_judge_is_a_complaint_not_contact_judge():
    s = suggest("我 要 投诉 法官", RULES)  # 投诉 [5] and 法官 [3] are inside 投诉法官 [5]
    assert s.order_type is OrderType.COMPLAINT
    assert len(s.matches) == 1 and s.alternatives == []
    assert suggest("投诉法官", RULES).reason == "关键词：投诉法官"


@pytest.mark.parametrize(
    "transcript, expected, keywords",
    [
        ("我 不服 判决书", OrderType.PETITION, ["不服判决"]),  # not 判决书 [1]
        ("法院 不 给 立案", OrderType.COMPLAINT, ["不给立案"]),
        ("我 想 知道 立案 了 没有", OrderType.CASE_INQUIRY, ["立案了没有"]),
        ("我 想 问 怎么 立案", OrderType.CONSULTATION, ["怎么立案"]),
        ("执行 法官 的 电话 是 多少", OrderType.CONTACT_JUDGE, ["法官的电话"]),  # not 执行法官 too
        ("投诉 执行 法官", OrderType.COMPLAINT, ["投诉执行", "法官"]),
    ],
)
def test_r3_conflicting_keywords_resolve_to_the_longer_phrase(transcript, expected, keywords):
    s = suggest(transcript, RULES)
    assert s.order_type is expected
    assert said(s) == keywords


def test_r4_a_complaint_outweighs_the_contact_it_is_about_and_the_other_type_is_shown():
    s = suggest("我 打 了 好 几 天 电话 找不到 法官 我 要 投诉", RULES)
    assert s.order_type is OrderType.COMPLAINT
    assert s.alternatives == [Alternative(OrderType.CONTACT_JUDGE, 1.0)]
    assert s.reason == "关键词：投诉；也像联系法官（找不到法官）"


def test_r6_reason_lists_each_keyword_once_in_the_order_said():
    s = suggest("承办法官 联系不上法官 承办法官 电话 打不通", RULES)
    assert s.order_type is OrderType.CONTACT_JUDGE
    assert s.reason == "关键词：承办法官、联系不上法官、打不通"
    assert s.score == 4.0  # every mention counts


# ---- a court's own rules --------------------------------------------------------------


def test_weights_decide_between_types():
    rules = loads("""
[1]
keywords = ["案件", { keyword = "案号", weight = 0.5 }]
[2]
keywords = [{ keyword = "咨询", weight = 2.5 }]
""")
    s = suggest("咨询 案件 案号", rules)
    assert (s.order_type, s.score) == (OrderType.CONSULTATION, 2.5)
    assert s.alternatives == [Alternative(OrderType.CASE_INQUIRY, 1.5)]
    s = suggest("案件 案号 案件 案号 咨询", rules)
    assert (s.order_type, s.score) == (OrderType.CASE_INQUIRY, 3.0)


def test_a_tie_goes_to_the_type_with_more_text_matched_then_to_the_first_said():
    rules = loads(
        "[1]\nkeywords = ['案件进展']\n[3]\nkeywords = ['法官']\n[5]\nkeywords = ['投诉']"
    )
    assert suggest("法官 案件进展", rules).order_type is OrderType.CASE_INQUIRY
    assert suggest("法官 投诉", rules).order_type is OrderType.CONTACT_JUDGE
    assert suggest("投诉 法官", rules).order_type is OrderType.COMPLAINT


def test_of_two_overlapping_keywords_of_equal_length_the_heavier_then_the_earlier_counts():
    rules = loads("[3]\nkeywords = ['法官电话']\n[5]\nkeywords = ['投诉法官']")
    assert said(suggest("投诉法官电话", rules)) == ["投诉法官"]
    heavier = loads(
        "[3]\nkeywords = [{ keyword = '法官电话', weight = 2 }]\n[5]\nkeywords = ['投诉法官']"
    )
    assert said(suggest("投诉法官电话", heavier)) == ["法官电话"]


def test_width_and_latin_case_are_ignored_offsets_stay_in_the_original():
    rules = loads("[2]\nkeywords = ['APP 上 立案', 'ｗｅｃｈａｔ', '12368']")
    text = "我 在 ａｐｐ 上立案 不 会 用 WeChat 打 １２３６８"
    s = suggest(text, rules)
    assert [text[m.start : m.end] for m in s.matches] == ["ａｐｐ 上立案", "WeChat", "１２３６８"]
    assert said(s) == ["APP 上 立案", "ｗｅｃｈａｔ", "12368"]  # as written in the rules


def test_spaces_between_latin_words_still_separate_them():
    rules = loads("[6]\nkeywords = ['we chat']")
    assert said(suggest("WE   CHAT", rules)) == ["we chat"]
    assert said(suggest("wechat", rules)) == []


def test_label_is_optional_and_checked_when_given():
    assert (
        loads("[4]\nlabel = '信访申诉'\nkeywords = ['申诉']").keywords[0].order_type
        is OrderType.PETITION
    )
    assert loads("[4]\nkeywords = ['申诉']").keywords[0].order_type is OrderType.PETITION


# ---- bad rules files ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "[1]\nkeywords = ['案件']\n\n[7]\nkeywords = ['别的']",
            "court.toml:4 [7]: unknown type code '7' (expected 1–6: 1 案件查询, 2 诉讼咨询, 3 联系法官, "
            "4 信访申诉, 5 投诉举报, 6 其他)",
        ),
        ("[case]\nkeywords = ['案件']", "court.toml:1 [case]: unknown type code 'case'"),
        ("[1]\nkeywords = ['案件',\n  '',\n]", "court.toml:3 [1]: empty keyword ''"),
        ("[1]\nkeywords = ['  ']", "court.toml:2 [1]: empty keyword '  '"),
        (
            "[1]\nkeywords = ['开庭时间']\n[3]\nkeywords = [\n  '法官',\n  '开庭时间',\n]",
            "court.toml:6 [3]: keyword '开庭时间' is also under [1] 案件查询; "
            "a keyword belongs to one type only",
        ),
        (
            "[1]\nkeywords = ['开庭 时间']\n[3]\nkeywords = ['开庭时间']",  # the same once normalised
            "court.toml:4 [3]: keyword '开庭时间' is also under [1] 案件查询",
        ),
        (
            "[5]\nkeywords = ['投诉', '举报', '投诉']",
            "court.toml:2 [5]: keyword '投诉' is listed twice",
        ),
        (
            "[5]\nkeywords = [{ keyword = '投诉', weight = 0 }]",
            "court.toml:2 [5]: weight of '投诉' must be a number above 0, not 0",
        ),
        ("[5]\nkeywords = [{ keyword = '投诉', weight = -1.5 }]", "not -1.5"),
        ("[5]\nkeywords = [{ keyword = '投诉', weight = '2' }]", "not '2'"),
        ("[5]\nkeywords = [{ keyword = '投诉', weight = true }]", "not True"),
        ("[5]\nkeywords = [{ keyword = '投诉', weight = inf }]", "not inf"),
        ("[5]\nkeywords = [{ keyword = '投诉', weight = nan }]", "not nan"),
        (
            "[5]\nkeywords = [{ word = '投诉' }]",
            "court.toml:1 [5]: unknown setting 'word' in {'word': '投诉'} (expected keyword, weight)",
        ),
        ("[5]\nkeywords = [{ weight = 2 }]", "court.toml:1 [5]: {'weight': 2} has no keyword"),
        ("[5]\nkeywords = [3]", "court.toml:1 [5]: keyword 3 must be a phrase in quotes or"),
        ("[5]\nkeywords = []", "court.toml:1 [5]: keywords must be a non-empty list of phrases"),
        ("[5]\nkeywords = '投诉'", "keywords must be a non-empty list"),
        ("[5]\nlabel = '投诉举报'", "keywords must be a non-empty list"),
        (
            "[5]\nwords = ['投诉']",
            "court.toml:1 [5]: unknown setting 'words' (expected label, keywords)",
        ),
        (
            "[2]\nlabel = '案件查询'\nkeywords = ['诉讼费']",
            "court.toml:1 [2]: label '案件查询' is not type 2's name '诉讼咨询'; check the code",
        ),
        ("keywords = ['案件']", "court.toml [keywords]: expected a table such as [1]"),
        ("[1\nkeywords =", "court.toml: not valid TOML"),
        ("", "court.toml: no keyword rules"),
        ("# only comments\n", "no keyword rules"),
    ],
)
def test_a_bad_rules_file_says_which_file_where_and_what(text, message):
    with pytest.raises(RulesError) as err:
        loads(text, "court.toml")
    assert str(err.value).startswith("court.toml")
    assert message in str(err.value)
    assert isinstance(err.value, DomainError) and not isinstance(err.value, ValueError)


def test_a_file_is_named_by_its_path_and_text_by_a_default_name(tmp_path):
    court = tmp_path / "court.toml"
    court.write_text("[1]\nkeywords = ['案件']\n[3]\nkeywords = ['案件']\n", encoding="utf-8")
    with pytest.raises(RulesError) as err:
        load(str(court))
    assert str(err.value).startswith(f"{court}:4 [3]: keyword '案件' is also under [1]")
    with pytest.raises(RulesError, match=r"^<rules>:1 \[9\]: unknown type code '9'"):
        loads("[9]\nkeywords = ['x']")


def test_a_missing_or_unreadable_file_is_a_rules_error(tmp_path):
    with pytest.raises(RulesError, match="missing.toml: cannot be read"):
        load(tmp_path / "missing.toml")
    gb = tmp_path / "gb18030.toml"
    gb.write_bytes("[1]\nkeywords = ['案件']".encode("gb18030"))
    with pytest.raises(RulesError, match="gb18030.toml: not UTF-8 text"):
        load(gb)


def test_text_must_be_a_string():
    with pytest.raises(TypeError, match="got NoneType"):
        suggest(None, RULES)
