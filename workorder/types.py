"""The vocabulary of the hotline: the six order types (R3), channels and statuses."""

from __future__ import annotations

from enum import IntEnum, StrEnum


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
        """The type for a keypad digit; ValueError for anything but 1–6."""
        text = str(key).strip()
        if len(text) != 1 or text not in "123456":
            raise ValueError(f"not an order type key: {key!r} (expected 1–6)")
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
    CLOSED = "closed"


class CallOutcome(StrEnum):
    """How a call ended, as the queue saw it (R1/R2)."""

    ANSWERED = "answered"
    ABANDONED = "abandoned"  # offered to the seats, hung up before anyone answered
    CALLBACK = "callback"  # caller left a callback number after the overflow
    MESSAGE = "message"  # caller left a message (closed hours or after the overflow)
    IVR_HANGUP = "ivr_hangup"  # hung up before reaching the queue
