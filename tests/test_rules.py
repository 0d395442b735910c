"""Handling by type (R4): close on the call or forward to whom, the R4.7 / R4.8 reports,
and the R8 note when the caller phones again about an order not yet fed back."""

from __future__ import annotations

import pytest

from workorder.rules import Answers, Complaint, History, Proposal, propose
from workorder.types import OrderType, Role

NONE = Answers()
FIRST_CALL = History()


# ---- R4.1 answered on the call --------------------------------------------------------------


@pytest.mark.parametrize(
    "order_type", [OrderType.CASE_INQUIRY, OrderType.CONSULTATION, OrderType.OTHER]
)
def test_r4_1_inquiry_consultation_and_other_are_closed_on_the_call(
    order_type: OrderType,
) -> None:
    p = propose(order_type, NONE, FIRST_CALL)
    assert p.forward is False
    assert p.rule == "R4.1"
    assert p.role is None
    assert p.immediate is False
    assert p.report_to == ()
    assert p.also == ()
    assert p.rules == ("R4.1",)
    assert "当场办结" in p.why


@pytest.mark.parametrize("key", [1, 2, 6])
def test_r4_1_the_ivr_key_as_a_plain_int_is_accepted(key: int) -> None:
    p = propose(key, NONE, FIRST_CALL)  # type: ignore[arg-type]
    assert (p.forward, p.rule, p.role) == (False, "R4.1", None)


def test_r4_1_an_unknown_type_is_rejected() -> None:
    with pytest.raises(ValueError):
        propose(7, NONE, FIRST_CALL)  # type: ignore[arg-type]


# ---- R4.2 contact the judge ----------------------------------------------------------------


def test_r4_2_first_call_to_contact_the_judge_is_closed_with_the_contact_channel() -> None:
    p = propose(OrderType.CONTACT_JUDGE, NONE, FIRST_CALL)
    assert (p.forward, p.rule, p.role) == (False, "R4.2", None)
    assert "联系方式" in p.why
    assert p.rules == ("R4.2",)


def test_r4_2_judge_unreachable_forwards_to_the_presiding_judge() -> None:
    p = propose(OrderType.CONTACT_JUDGE, Answers(judge_unreachable=True), FIRST_CALL)
    assert (p.forward, p.rule, p.role) == (True, "R4.2", Role.JUDGE)
    assert "转承办法官" in p.why
    assert "此前工单" not in p.why
    assert p.immediate is False


def test_r4_2_an_earlier_contact_judge_order_forwards_and_names_that_order() -> None:
    history = History(earlier_contact_judge="(2026)豫0105-12368-0042")
    p = propose(OrderType.CONTACT_JUDGE, NONE, history)
    assert (p.forward, p.rule, p.role) == (True, "R4.2", Role.JUDGE)
    assert "(2026)豫0105-12368-0042" in p.why
    assert p.also == ()


def test_r4_2_both_signals_forward_once_to_the_judge() -> None:
    p = propose(
        OrderType.CONTACT_JUDGE,
        Answers(judge_unreachable=True),
        History(earlier_contact_judge="W-7"),
    )
    assert (p.forward, p.rule, p.role) == (True, "R4.2", Role.JUDGE)
    assert "W-7" in p.why


@pytest.mark.parametrize(
    "order_type", [OrderType.CASE_INQUIRY, OrderType.PETITION, OrderType.OTHER]
)
def test_r4_2_an_earlier_contact_judge_order_does_not_change_other_types(
    order_type: OrderType,
) -> None:
    plain = propose(order_type, NONE, FIRST_CALL)
    p = propose(order_type, NONE, History(earlier_contact_judge="W-7"))
    assert (p.forward, p.rule, p.role) == (plain.forward, plain.rule, plain.role)
    assert "W-7" not in p.why


# ---- R4.3 – R4.6 forwarded by type and complaint ---------------------------------------------


@pytest.mark.parametrize(
    ("order_type", "answers", "rule", "role"),
    [
        (OrderType.PETITION, NONE, "R4.3", Role.PETITION_HEAD),
        (OrderType.COMPLAINT, NONE, "R4.4", Role.DEPARTMENT_HEAD),
        (OrderType.COMPLAINT, Answers(complaint=Complaint.JUDGE), "R4.4", Role.DEPARTMENT_HEAD),
        (OrderType.COMPLAINT, Answers(complaint=Complaint.FILING), "R4.5", Role.FILING_HEAD),
        (OrderType.COMPLAINT, Answers(complaint=Complaint.STAFF), "R4.5", Role.FILING_HEAD),
        (
            OrderType.COMPLAINT,
            Answers(complaint=Complaint.ENFORCEMENT),
            "R4.5",
            Role.ENFORCEMENT_SUPERVISION_HEAD,
        ),
        (OrderType.COMPLAINT, Answers(specific_clues=True), "R4.6", Role.DISCIPLINE_HEAD),
        (
            OrderType.COMPLAINT,
            Answers(specific_clues=True, complaint=Complaint.JUDGE),
            "R4.6",
            Role.DISCIPLINE_HEAD,
        ),
        (
            OrderType.COMPLAINT,
            Answers(specific_clues=True, complaint=Complaint.FILING),
            "R4.6",
            Role.DISCIPLINE_HEAD,
        ),
        (
            OrderType.COMPLAINT,
            Answers(specific_clues=True, complaint=Complaint.ENFORCEMENT),
            "R4.6",
            Role.DISCIPLINE_HEAD,
        ),
    ],
    ids=[
        "r4_3_petition",
        "r4_4_unspecified",
        "r4_4_judge",
        "r4_5_filing",
        "r4_5_staff",
        "r4_5_enforcement",
        "r4_6_clues",
        "r4_6_clues_judge",
        "r4_6_clues_filing",
        "r4_6_clues_enforcement",
    ],
)
def test_r4_3_to_r4_6_forwarded_matters_go_to_the_responsible_head(
    order_type: OrderType, answers: Answers, rule: str, role: Role
) -> None:
    p = propose(order_type, answers, FIRST_CALL)
    assert p.forward is True
    assert p.rule == rule
    assert p.role is role
    assert p.immediate is False
    assert p.report_to == ()
    assert p.also == ()
    assert p.rules == (rule,)


def test_r4_6_specific_clues_only_matter_for_a_complaint() -> None:
    p = propose(OrderType.PETITION, Answers(specific_clues=True), FIRST_CALL)
    assert (p.rule, p.role) == ("R4.3", Role.PETITION_HEAD)
    p = propose(OrderType.CASE_INQUIRY, Answers(specific_clues=True), FIRST_CALL)
    assert (p.forward, p.rule) == (False, "R4.1")


def test_r4_every_proposal_explains_itself_in_one_chinese_sentence() -> None:
    for order_type in OrderType:
        p = propose(order_type, NONE, FIRST_CALL)
        assert p.why and "\n" not in p.why
        assert any("\u4e00" <= ch <= "\u9fff" for ch in p.why)


# ---- R4.7 abuse -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("order_type", "answers", "forward", "rule", "role"),
    [
        (OrderType.CASE_INQUIRY, Answers(abusive=True), False, "R4.1", None),
        (OrderType.CONTACT_JUDGE, Answers(abusive=True), False, "R4.2", None),
        (OrderType.PETITION, Answers(abusive=True), True, "R4.3", Role.PETITION_HEAD),
        (
            OrderType.COMPLAINT,
            Answers(abusive=True, complaint=Complaint.JUDGE),
            True,
            "R4.4",
            Role.DEPARTMENT_HEAD,
        ),
    ],
)
def test_r4_7_abuse_is_reported_to_leadership_and_the_handling_stays_by_type(
    order_type: OrderType, answers: Answers, forward: bool, rule: str, role: Role | None
) -> None:
    p = propose(order_type, answers, FIRST_CALL)
    assert (p.forward, p.rule, p.role) == (forward, rule, role)
    assert p.also == ("R4.7",)
    assert p.rules == (rule, "R4.7")
    assert p.report_to == (Role.DEPUTY_PRESIDENT,)
    assert p.immediate is False
    assert "辱骂" in p.why


# ---- R4.8 urgent / extreme: the green channel -------------------------------------------------


def test_r4_8_an_urgent_case_inquiry_is_forwarded_at_once_to_the_department_head() -> None:
    p = propose(OrderType.CASE_INQUIRY, Answers(urgent=True), FIRST_CALL)
    assert (p.forward, p.rule, p.role) == (True, "R4.8", Role.DEPARTMENT_HEAD)
    assert p.immediate is True
    assert p.report_to == (Role.DEPUTY_HEAD, Role.DEPARTMENT_HEAD)
    assert p.also == ()
    assert p.rules == ("R4.8",)
    assert "绿色通道" in p.why


def test_r4_8_where_needed_the_vice_president_and_president_are_told_too() -> None:
    p = propose(OrderType.CASE_INQUIRY, Answers(urgent=True, leadership=True), FIRST_CALL)
    assert (p.forward, p.rule, p.role, p.immediate) == (True, "R4.8", Role.DEPARTMENT_HEAD, True)
    assert p.report_to == (
        Role.DEPUTY_HEAD,
        Role.DEPARTMENT_HEAD,
        Role.DEPUTY_PRESIDENT,
        Role.PRESIDENT,
    )


def test_r4_8_leadership_without_urgency_reports_to_nobody() -> None:
    p = propose(OrderType.CASE_INQUIRY, Answers(leadership=True), FIRST_CALL)
    assert (p.forward, p.rule, p.immediate, p.report_to) == (False, "R4.1", False, ())


def test_r4_8_an_urgent_first_contact_judge_call_takes_the_green_channel() -> None:
    p = propose(OrderType.CONTACT_JUDGE, Answers(urgent=True), FIRST_CALL)
    assert (p.forward, p.rule, p.role, p.immediate) == (True, "R4.8", Role.DEPARTMENT_HEAD, True)


@pytest.mark.parametrize(
    ("order_type", "answers", "rule", "role"),
    [
        (OrderType.PETITION, Answers(urgent=True), "R4.3", Role.PETITION_HEAD),
        (OrderType.CONTACT_JUDGE, Answers(urgent=True, judge_unreachable=True), "R4.2", Role.JUDGE),
        (
            OrderType.COMPLAINT,
            Answers(urgent=True, complaint=Complaint.ENFORCEMENT),
            "R4.5",
            Role.ENFORCEMENT_SUPERVISION_HEAD,
        ),
        (
            OrderType.COMPLAINT,
            Answers(urgent=True, specific_clues=True),
            "R4.6",
            Role.DISCIPLINE_HEAD,
        ),
    ],
)
def test_r4_8_an_urgent_forwarded_matter_keeps_its_rule_and_goes_immediately(
    order_type: OrderType, answers: Answers, rule: str, role: Role
) -> None:
    p = propose(order_type, answers, FIRST_CALL)
    assert (p.forward, p.rule, p.role) == (True, rule, role)
    assert p.also == ("R4.8",)
    assert p.rules == (rule, "R4.8")
    assert p.immediate is True
    assert p.report_to == (Role.DEPUTY_HEAD, Role.DEPARTMENT_HEAD)
    assert "绿色通道" in p.why


def test_r4_8_an_urgent_petition_keeps_r4_3_and_adds_r4_8() -> None:
    plain = propose(OrderType.PETITION, NONE, FIRST_CALL)
    p = propose(OrderType.PETITION, Answers(urgent=True), FIRST_CALL)
    assert p.rule == "R4.3"
    assert "R4.8" in p.also
    assert p.immediate is True
    assert p.why.startswith(plain.why)


# ---- R8 the caller phones again about an open forwarded order ---------------------------------


def test_r8_a_call_about_an_order_not_yet_fed_back_notes_r8_and_the_number() -> None:
    p = propose(OrderType.CASE_INQUIRY, NONE, History(open_forwarded="W-2026-00017"))
    assert (p.forward, p.rule, p.role) == (False, "R4.1", None)
    assert p.also == ("R8",)
    assert p.rules == ("R4.1", "R8")
    assert "W-2026-00017" in p.why
    assert "逾期" in p.why
    assert p.report_to == ()


def test_r8_applies_beside_a_forwarding_rule_too() -> None:
    p = propose(
        OrderType.COMPLAINT, Answers(complaint=Complaint.FILING), History(open_forwarded="W-9")
    )
    assert (p.rule, p.role, p.also) == ("R4.5", Role.FILING_HEAD, ("R8",))
    assert "W-9" in p.why


# ---- Proposal.rules and report_to -------------------------------------------------------------


def test_rules_lists_the_main_rule_first_then_the_others_in_order() -> None:
    answers = Answers(urgent=True, abusive=True, leadership=True)
    p = propose(OrderType.PETITION, answers, History(open_forwarded="W-3"))
    assert p.rule == "R4.3"
    assert p.also == ("R4.8", "R4.7", "R8")
    assert p.rules == ("R4.3", "R4.8", "R4.7", "R8")


def test_urgent_abusive_call_reports_each_role_once() -> None:
    answers = Answers(urgent=True, abusive=True, leadership=True)
    p = propose(OrderType.CASE_INQUIRY, answers, FIRST_CALL)
    assert p.rule == "R4.8"
    assert p.also == ("R4.7",)
    assert p.report_to == (
        Role.DEPUTY_HEAD,
        Role.DEPARTMENT_HEAD,
        Role.DEPUTY_PRESIDENT,
        Role.PRESIDENT,
    )
    assert len(set(p.report_to)) == len(p.report_to)


def test_urgent_abusive_call_without_leadership_adds_the_vice_president_once() -> None:
    p = propose(OrderType.CASE_INQUIRY, Answers(urgent=True, abusive=True), FIRST_CALL)
    assert p.report_to == (Role.DEPUTY_HEAD, Role.DEPARTMENT_HEAD, Role.DEPUTY_PRESIDENT)


@pytest.mark.parametrize("order_type", list(OrderType))
@pytest.mark.parametrize(
    "answers",
    [
        Answers(urgent=True, abusive=True, leadership=True),
        Answers(urgent=True, abusive=True),
        Answers(abusive=True, leadership=True),
        Answers(urgent=True, leadership=True, specific_clues=True, judge_unreachable=True),
    ],
)
def test_no_role_and_no_rule_is_listed_twice(order_type: OrderType, answers: Answers) -> None:
    p = propose(order_type, answers, History(earlier_contact_judge="W-1", open_forwarded="W-2"))
    assert len(set(p.report_to)) == len(p.report_to)
    assert len(set(p.rules)) == len(p.rules)
    assert p.rules[0] == p.rule


def test_a_proposal_built_by_hand_lists_its_rules() -> None:
    p = Proposal(True, "R4.4", Role.DEPARTMENT_HEAD, "…", also=("R4.7", "R8"))
    assert p.rules == ("R4.4", "R4.7", "R8")
    assert Proposal(False, "R4.1", None, "…").rules == ("R4.1",)
