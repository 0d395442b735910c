"""The vocabulary of the hotline: the six order types (R3), channels and statuses."""

from __future__ import annotations

from enum import IntEnum, StrEnum

from workorder.errors import DomainError


class UnknownType(DomainError):
    """Not one of the six order types (R3)."""


class OrderType(IntEnum):
    """The six types (R3); the value is the key the caller presses in the IVR."""

    CASE_INQUIRY = 1  # 案件查询
    CONSULTATION = 2  # 诉讼咨询
    CONTACT_JUDGE = 3  # 联系法官
    PETITION = 4  # 信访申诉
    COMPLAINT = 5  # 投诉举报
    OTHER = 6  # 其他

    @property
    def label_zh(self) -> str:
        return _LABELS_ZH[self]

    @classmethod
    def from_key(cls, key: str | int) -> OrderType:
        """The type for a keypad digit; :class:`UnknownType` for anything but 1–6."""
        text = str(key).strip()
        if len(text) != 1 or text not in "123456":
            raise UnknownType(f"not an order type key: {key!r} (expected 1–6)")
        return cls(int(text))


_LABELS_ZH = {
    OrderType.CASE_INQUIRY: "案件查询",
    OrderType.CONSULTATION: "诉讼咨询",
    OrderType.CONTACT_JUDGE: "联系法官",
    OrderType.PETITION: "信访申诉",
    OrderType.COMPLAINT: "投诉举报",
    OrderType.OTHER: "其他",
}


class Channel(StrEnum):
    """Where a matter came in; the ledger compares channels (R9)."""

    HOTLINE = "hotline"  # 12368 电话
    HALL = "hall"  # 诉讼服务大厅
    KIOSK = "kiosk"  # 自助终端
    WEB = "web"  # 网站
    WECHAT = "wechat"  # 微信


class OrderStatus(StrEnum):
    """Lifecycle of a work order. Issue-specific states are added as the rules need them."""

    REGISTERED = "registered"  # the call reached the line (R2: every call leaves a record)
    IN_PROGRESS = "in_progress"  # a seat is talking to the caller
    CALLBACK_PENDING = "callback_pending"  # nobody answered: call the caller back (R2, R10)
    MESSAGE_PENDING = "message_pending"  # after-hours message, next working day (R6)
    TO_DISPATCH = "to_dispatch"  # to be forwarded: dispatch within 2 working hours (R5)
    DISPATCHED = "dispatched"  # forwarded: feedback due within 3 working days (R7)
    FED_BACK = "fed_back"  # the handler fed back; the caller is called back (R10)
    CLOSED = "closed"

    @property
    def is_open(self) -> bool:
        return self is not OrderStatus.CLOSED

    @property
    def label_zh(self) -> str:
        return _STATUS_ZH[self]


_STATUS_ZH = {
    OrderStatus.REGISTERED: "已登记",
    OrderStatus.IN_PROGRESS: "受理中",
    OrderStatus.CALLBACK_PENDING: "待回拨",
    OrderStatus.MESSAGE_PENDING: "待听留言",
    OrderStatus.TO_DISPATCH: "待转办",
    OrderStatus.DISPATCHED: "已转办",
    OrderStatus.FED_BACK: "已反馈",
    OrderStatus.CLOSED: "已办结",
}


class Role(StrEnum):
    """Who a forwarded order, a reminder or an escalation goes to (R4, R5, R8)."""

    JUDGE = "judge"  # 承办法官 (R4.2)
    DEPARTMENT_HEAD = "department_head"  # 部门负责人/庭长 (R4.4, R8 reminders)
    DEPUTY_HEAD = "deputy_head"  # 副庭长 (R4.8)
    PETITION_HEAD = "petition_head"  # 信访部门负责人 (R4.3)
    FILING_HEAD = "filing_head"  # 立案/诉讼服务部门负责人 (R4.5)
    ENFORCEMENT_SUPERVISION_HEAD = "enforcement_supervision_head"  # 执行监督 (R4.5)
    DISCIPLINE_HEAD = "discipline_head"  # 违法违纪举报中心 (R4.6)
    DEPARTMENT_LEADER = "department_leader"  # ladder step 1: the department's leader
    DEPUTY_PRESIDENT = "deputy_president"  # 分管副院长
    PRESIDENT = "president"  # 院长
    INTERMEDIATE_PRESIDENT = "intermediate_president"  # 中院院长, for a primary court

    @property
    def label_zh(self) -> str:
        return _ROLE_ZH[self]


_ROLE_ZH = {
    Role.JUDGE: "承办法官",
    Role.DEPARTMENT_HEAD: "部门负责人",
    Role.DEPUTY_HEAD: "部门副职",
    Role.PETITION_HEAD: "信访部门负责人",
    Role.FILING_HEAD: "立案部门负责人",
    Role.ENFORCEMENT_SUPERVISION_HEAD: "执行监督部门负责人",
    Role.DISCIPLINE_HEAD: "违法违纪举报中心负责人",
    Role.DEPARTMENT_LEADER: "部门负责人",
    Role.DEPUTY_PRESIDENT: "分管副院长",
    Role.PRESIDENT: "院长",
    Role.INTERMEDIATE_PRESIDENT: "中级法院院长",
}


class DepartmentKind(StrEnum):
    TRIAL = "trial"  # 审判业务部门
    FILING = "filing"  # 立案庭 / 诉讼服务中心
    PETITION = "petition"  # 信访
    ENFORCEMENT = "enforcement"  # 执行局
    ENFORCEMENT_SUPERVISION = "enforcement_supervision"  # 执行监督
    DISCIPLINE = "discipline"  # 违法违纪举报中心
    OTHER = "other"


class Satisfaction(StrEnum):
    """The caller's verdict at the callback (R9 callback satisfaction rate, R10)."""

    SATISFIED = "满意"
    BASICALLY = "基本满意"
    DISSATISFIED = "不满意"


class CallbackReason(StrEnum):
    FEEDBACK = "feedback"  # the handler fed back: check result and satisfaction (R10)
    ABANDONED = "abandoned"  # hung up while waiting for a seat (R2)
    UNANSWERED = "unanswered"  # nobody answered; the caller asked for a callback (R1, R2)
    IVR_HANGUP = "ivr_hangup"  # hung up in the menu before reaching the queue (R2)


class CallOutcome(StrEnum):
    """How a call ended, as the queue saw it (R1/R2)."""

    ANSWERED = "answered"
    ABANDONED = "abandoned"  # offered to the seats, hung up before anyone answered
    CALLBACK = "callback"  # caller left a callback number after the overflow
    MESSAGE = "message"  # caller left a message (closed hours or after the overflow)
    IVR_HANGUP = "ivr_hangup"  # hung up before reaching the queue
