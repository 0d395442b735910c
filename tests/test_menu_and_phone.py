"""Unit tests of the IVR decision (R3) and of caller-ID normalisation (R2 registration)."""

import pytest

from ivr.menu import MAX_ATTEMPTS, MenuResult, decide
from workorder import phone
from workorder.types import OrderType


@pytest.mark.parametrize("key", list("123456"))
def test_r3_keys_one_to_six_choose_the_type(key):
    decision = decide(key, attempt=1)
    assert decision.result is MenuResult.CHOSEN
    assert decision.order_type == OrderType(int(key))


@pytest.mark.parametrize("key", ["0", "7", "9", "*", "#", "12", "a"])
def test_r3_a_wrong_key_replays_the_menu(key):
    assert decide(key, attempt=1).result is MenuResult.RETRY
    assert decide(key, attempt=1).order_type is None


@pytest.mark.parametrize("key", ["", None])
@pytest.mark.parametrize("attempt", [1, 2])
def test_r1_r3_no_key_after_one_play_goes_to_a_person_as_other(key, attempt):
    """A silent caller is not made to hear the menu again: the wait before the queue is
    the caller's wait too, and the answer target (R1) only starts there."""
    decision = decide(key, attempt=attempt)
    assert decision.result is MenuResult.DEFAULTED
    assert decision.order_type is OrderType.OTHER


def test_r3_after_the_last_play_the_caller_goes_through_as_other():
    decision = decide("9", attempt=MAX_ATTEMPTS)
    assert decision.result is MenuResult.DEFAULTED
    assert decision.order_type is OrderType.OTHER


def test_r3_six_types_have_their_chinese_names():
    assert [t.label_zh for t in OrderType] == [
        "案件查询", "诉讼咨询", "联系法官", "信访申诉", "投诉举报", "其他"]


@pytest.mark.parametrize("raw, expected", [
    ("13800138000", "13800138000"),
    ("+8613800138000", "13800138000"),
    ("008613800138000", "13800138000"),
    ("010-8888 6666", "01088886666"),
    ("anonymous", None),
    ("Anonymous", None),
    ("unknown", None),
    ("", None),
    (None, None),
    ("abc123", None),
    ("1" * 200, None),
    ("12", None),
    ("138\x00001", None),
])
def test_r2_caller_ids_are_normalised_or_rejected(raw, expected):
    assert phone.normalize(raw) == expected


def test_r2_raw_caller_id_is_kept_printable_and_short():
    kept = phone.clip_raw("x\x00y" + "9" * 500)
    assert kept.startswith("x?y")
    assert len(kept) == phone.RAW_MAX
