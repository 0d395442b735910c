"""A small platform directory for the work-order tests: an intermediate court with one
primary court, their leaders, departments of every kind, judges and cases."""

from __future__ import annotations

from sqlalchemy.orm import Session

from workorder.calendar import CourtCalendar
from workorder.deadlines import Policy
from workorder.models import Case, Court, Department, Judge, Leader
from workorder.orders import Service

MID = "示范市中级人民法院"
PRIMARY = "示范市东城区人民法院"
CASE = "（2026）豫99民初1234号"
PRIMARY_CASE = "（2026）豫9901民初88号"


def build(session: Session) -> dict[str, int]:
    """Create the directory; returns ids by a short key."""
    mid = Court(name=MID, code="豫99", level="intermediate")
    session.add(mid)
    session.flush()
    prim = Court(name=PRIMARY, code="豫9901", level="primary", parent_id=mid.id)
    session.add(prim)
    ids: dict[str, int] = {}
    for court, tag in ((MID, "m"), (PRIMARY, "p")):
        pres = Leader(court=court, name=f"院长{tag}", role="president", mobile=f"1390000{tag == 'm' and '1' or '2'}000")
        deputy = Leader(court=court, name=f"副院长{tag}", role="deputy_president",
                        mobile=f"1390000{tag == 'm' and '1' or '2'}001", portfolio="民事审判")
        session.add_all([pres, deputy])
        session.flush()
        for key, name, kind in (("civil", "民事审判第一庭", "trial"), ("filing", "立案庭", "filing"),
                                ("petition", "信访办公室", "petition"),
                                ("enf", "执行局", "enforcement"),
                                ("disc", "违法违纪举报中心", "discipline")):
            n = len(ids) + 10
            d = Department(court=court, name=name, kind=kind, head_name=f"{name[:2]}长{tag}",
                           head_mobile=f"139000{n:05d}", deputy_head_name=f"{name[:2]}副{tag}",
                           deputy_head_mobile=f"138000{n:05d}",
                           leader_id=deputy.id if kind == "trial" else None)
            session.add(d)
            session.flush()
            ids[f"{tag}_{key}"] = d.id
        judge = Judge(court=court, name=f"法官{tag}", department_id=ids[f"{tag}_civil"],
                      mobile=f"1370000000{len(ids) % 10}")
        session.add(judge)
        session.flush()
        ids[f"{tag}_judge"] = judge.id
    session.add(Case(number=CASE, year=2026, seq=1234, court=MID, judge_id=ids["m_judge"],
                     department_id=ids["m_civil"]))
    session.add(Case(number=PRIMARY_CASE, year=2026, seq=88, court=PRIMARY,
                     judge_id=ids["p_judge"], department_id=ids["p_civil"]))
    session.flush()
    return ids


def service(**policy: object) -> Service:
    return Service(CourtCalendar(), Policy(**policy))  # type: ignore[arg-type]


def dispatched_order(uow, at) -> int:
    """The demo directory, and one order forwarded to the judge at ``at`` (the judge was
    unreachable on the call): its id, for the feedback page's tests."""
    from workorder.rules import Answers

    svc = service()
    with uow.begin() as s:
        build(s)
        o = svc.open_order(s, MID, channel="hall", order_type=3, by="seat1001", at=at,
                           caller_phone="13812345678", case_number=CASE, content="联系不上法官")
        svc.forward(s, o, version=None, by="seat1001", at=at,
                    answers=Answers(judge_unreachable=True))
        return o.id
