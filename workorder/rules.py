"""Handling by type (R4) as one decision the operator sees.

From the order's type, the operator's answers to a few questions and the caller's
history, :func:`propose` says: close on the call, or forward to whom — and which rule
says so. The operator may choose otherwise; the service then asks for a reason and keeps
it in the order's history. Pure: no database, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from workorder.types import OrderType, Role

__all__ = ["Answers", "Complaint", "History", "Proposal", "propose"]


class Complaint(StrEnum):
    """What a complaint (type 5) is about; decides R4.4 / R4.5."""

    JUDGE = "judge"  # work style, delay, wrong judgment, no recusal, discipline (R4.4)
    FILING = "filing"  # case filing refused or delayed (R4.5)
    STAFF = "staff"  # staff behaved badly (R4.5)
    ENFORCEMENT = "enforcement"  # enforcement (R4.5)


@dataclass(frozen=True)
class Answers:
    """The operator's answers on the call."""

    specific_clues: bool = False  # concrete clues of lost files, bribery, hidden evidence (R4.6)
    complaint: Complaint | None = None
    abusive: bool = False  # R4.7
    urgent: bool = False  # R4.8: extreme words or behaviour, or an urgent matter
    leadership: bool = False  # R4.8 "where needed": also the vice president and president
    judge_unreachable: bool = False  # R4.2: the caller could not reach the judge


@dataclass(frozen=True)
class History:
    """What the caller (same phone or same case number) had before, within the window."""

    earlier_contact_judge: str | None = None  # number of an earlier contact-the-judge order
    open_forwarded: str | None = None  # number of a forwarded order not yet fed back (R8)


@dataclass(frozen=True)
class Proposal:
    forward: bool
    rule: str  # the rule that decides the handling, e.g. "R4.4"
    role: Role | None  # to whom, when forwarding
    why: str  # one sentence in Chinese, for the operator's screen
    immediate: bool = False  # R4.8 green channel: dispatch now, at any hour
    report_to: tuple[Role, ...] = ()  # R4.7/R4.8 reports beside the handling
    also: tuple[str, ...] = field(default=())  # further rules that apply (R4.7, R4.8, R8)

    @property
    def rules(self) -> tuple[str, ...]:
        return (self.rule, *self.also)


def _by_type(order_type: OrderType, a: Answers, h: History) -> Proposal:
    if order_type in (OrderType.CASE_INQUIRY, OrderType.CONSULTATION):
        return Proposal(False, "R4.1", None, "案件查询、诉讼咨询由话务员直接答复，当场办结（简案快办）")
    if order_type == OrderType.CONTACT_JUDGE:
        if a.judge_unreachable or h.earlier_contact_judge:
            earlier = f"（此前工单 {h.earlier_contact_judge}）" if h.earlier_contact_judge else ""
            return Proposal(True, "R4.2", Role.JUDGE,
                            f"来电人再次来电，未能联系上法官{earlier}，转承办法官办理")
        return Proposal(False, "R4.2", None, "告知法官的联系方式，当场办结；如再次来电仍联系不上，转承办法官")
    if order_type == OrderType.PETITION:
        return Proposal(True, "R4.3", Role.PETITION_HEAD, "涉本院信访申诉，转信访部门负责人")
    if order_type == OrderType.COMPLAINT:
        if a.specific_clues:
            return Proposal(True, "R4.6", Role.DISCIPLINE_HEAD,
                            "有具体线索（丢失卷宗、收受贿赂、隐匿证据等），转违法违纪举报中心")
        if a.complaint == Complaint.ENFORCEMENT:
            return Proposal(True, "R4.5", Role.ENFORCEMENT_SUPERVISION_HEAD, "投诉执行问题，转执行监督部门")
        if a.complaint in (Complaint.FILING, Complaint.STAFF):
            return Proposal(True, "R4.5", Role.FILING_HEAD,
                            "投诉立案难、工作人员态度等，转立案（诉讼服务）部门负责人调查并书面回复")
        return Proposal(True, "R4.4", Role.DEPARTMENT_HEAD,
                        "投诉法官作风、拖延、错判、应回避未回避等，无具体线索，转法官所在部门负责人")
    return Proposal(False, "R4.1", None, "其他事项由话务员直接答复，当场办结")


def propose(order_type: OrderType, answers: Answers, history: History) -> Proposal:
    """The handling R4 prescribes for this call."""
    p = _by_type(OrderType(order_type), answers, history)
    also: list[str] = []
    report: list[Role] = []
    forward, rule, role, why, immediate = p.forward, p.rule, p.role, p.why, False
    if answers.urgent:
        # R4.8 green channel: reported at once to the division's deputy head and head,
        # and where needed to the vice president and the president.
        immediate = True
        report = [Role.DEPUTY_HEAD, Role.DEPARTMENT_HEAD]
        if answers.leadership:
            report += [Role.DEPUTY_PRESIDENT, Role.PRESIDENT]
        if not forward:
            forward, rule, role = True, "R4.8", Role.DEPARTMENT_HEAD
            why = "来电人言行极端或事项紧急，立即报告部门正副职（绿色通道）"
        else:
            also.append("R4.8")
            why += "；事项紧急，立即转办（绿色通道）"
    if answers.abusive:
        # R4.7: the recording becomes written material reported to court leadership.
        also.append("R4.7")
        report.append(Role.DEPUTY_PRESIDENT)
        why += "；来电人辱骂、骚扰，录音整理成书面材料报院领导"
    if history.open_forwarded:
        also.append("R8")
        why += f"；此前转办工单 {history.open_forwarded} 尚未反馈，再次来电使其逾期"
    return Proposal(forward, rule, role, why, immediate, tuple(dict.fromkeys(report)),
                    tuple(also))
