#!/usr/bin/env python3
"""A province-sized history of the 12368 line, for the work-order benchmarks.

    python bench/province.py --url sqlite:////tmp/province.db --orders 1000000
    python bench/province.py --url postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
        --orders 1000000 --now 2026-11-24T15:00:00+08:00 --seed 12368

``generate(url, orders, now=..., seed=...)`` migrates the database at ``url``, refuses it
if it already holds work orders, and writes one year of a fictitious province ending at
``now``. The same seed and ``now`` give the same rows, on SQLite and PostgreSQL alike.

What is written
---------------
* The directory: 示范省第一中级人民法院 (豫01, intermediate) and 15 primary courts
  示范市…区人民法院 (豫0101–豫0115, parent = the intermediate court). Each court has a
  president and 2–3 deputy presidents, 10–12 departments (at least one filing, petition,
  enforcement, enforcement-supervision, discipline and "other" department, the rest trial
  departments) with head, deputy head, liaison officer and the deputy president in charge
  (``leader_id``), 5–15 judges per trial department (heads and deputy heads of trial
  departments are judges too), and 20,000 cases with canonical numbers such as
  （2025）豫0103民初1234号, each with its judge and department. Mobiles are fictitious:
  the directory's are 1390xxxxxxx, the callers' 1391…–1399….
* ``orders`` work orders over the 365 local (Asia/Shanghai) days ending at ``now``: fewer
  on weekends and holidays (``CourtCalendar().is_working_day``), a dip around the Spring
  Festival, busier spring and autumn, a surge on the first working day after a holiday.
  The busiest month always holds at least 10.5% of the orders (day counts are allocated
  exactly, not sampled); ``GenStats.busiest_month`` names it. The intermediate court has
  15% of the orders, the primary courts the rest, unevenly.
* Channels hotline 70%, hall 12%, web 8%, wechat 8%, kiosk 2%; types 1–6 at 35/30/15/5/8/7%.
  ``number`` is ``YYYYMMDD-NNNN`` per court and local day, in order of creation, and
  ``order_counters`` holds the last number of every court-day, so live registration
  carries on after it. Hall and kiosk orders are created in staffed hours (08:30–17:30
  on working days); hotline, web and wechat orders partly after hours.
* Every hotline order has its ``calls`` row (``call_id``): in staffed hours the line is
  open (``mode`` open; answered ~96.5%, abandoned, callback after the overflow, IVR
  hang-up), after hours it takes messages (R6). Answered calls wait 2–9 s mostly, ~8%
  more than 10 s (``overflowed_at`` = offered + 10 s, the R1 breach). About 93% of all
  calls are answered.
* ~30% of the orders carry a case number of their court's cases.

Handling (R4)
-------------
* Types 1, 2 and most of 6 are closed on the call: rule ``R4.1``, ``closed_at`` a few
  minutes after ``created_at`` (a message: the next working morning; web and wechat:
  within working hours). Type 6 also has abusive (``R4.7``) and urgent (``R4.8``) calls,
  closed with the flag set. Type 3 is mostly answered with the judge's channel (``R4.2``,
  closed); types 4 and 5 are sometimes answered on the call (``R4.1``).
* Forwarded orders (types 3, 4, 5; ~14.5% of all): rule ``R4.2`` (judge of the order's
  case, ``judge_id`` set), ``R4.3`` (petition office head), ``R4.4`` (head of the judge's
  department, or of a trial department), ``R4.5`` (filing or enforcement-supervision
  head), ``R4.6`` (discipline centre). ``department_id``, ``assignee_role``/``name``/
  ``mobile`` are set; ``decided_at = created_at``; ``dispatch_due_at =
  add_working_hours(created_at, 2)``; ``dispatched_at`` within that for ~97%.
  ``feedback_due_at`` = 24:00 (local) of the 3rd working day after the dispatch day.
  Feedback comes in time for ~92%, late (up to 4 working days) for ~6%, never for ~2%.
* An order whose call was abandoned, ended in the IVR or asked for a callback is never
  forwarded: it gets a callback (reason ``abandoned`` for abandoned and IVR hang-ups,
  ``unanswered`` for callback requests), mostly done, and is closed (``R4.1``) at it.

The sweep's state (R5, R7, R8) — what the sweep and ledger benchmarks rely on
------------------------------------------------------------------------------
Everything matches what ``workorder.deadlines.due_actions`` would have left behind with
the default policy, had the sweep run up to ``now`` — except the *due set*:

* The due set: exactly ``round(orders * due_share)`` orders have ``next_due_at <= now``.
  They are the forwarded, dispatched-on-time orders with the latest passed feedback
  deadlines (``feedback_due_at <= now``, newest first, ties by id), as if the sweep had
  not run since the oldest of them fell due: status ``dispatched``, ``feedback_at``,
  ``overdue_at`` NULL, ``escalation_level`` 0, no reminder, escalation or callback rows,
  ``next_due_at = feedback_due_at``. ``GenStats.due_orders`` counts them. ``generate``
  refuses a ``due_share`` larger than the history can hold.
* Every other order has been swept up to ``now``:
  - closed, fed-back, in-progress and callback-pending orders: ``next_due_at`` NULL;
  - dispatched, not yet due: ``next_due_at = feedback_due_at > now``;
  - the few forwarded orders created in the last two working hours and not yet
    dispatched: status ``to_dispatch``, ``next_due_at = dispatch_due_at > now``;
  - overdue and still open: ``overdue_at`` set, one Reminder (round 1, created just after
    ``overdue_at``, ``due_by`` = 24:00 of the next working day, ``sent_at`` mostly set),
    an Escalation for every ladder step already reached (level 1 ``department_leader`` at
    3 working days after dispatch — the same instant as ``feedback_due_at`` — level 2
    ``deputy_president`` at 5, level 3 ``president`` at 7, level 4
    ``intermediate_president`` at 8 for primary courts only; ``at`` = 24:00 of that
    working day, ``court`` = the order's court, recipient in ``to_name``/``to_mobile``),
    ``escalation_level`` = the highest step reached, ``next_due_at`` = the next step (in
    the future), or NULL at the top of the ladder.
  - Overdue means: fed back after ``feedback_due_at`` or not at all by now
    (``overdue_at = feedback_due_at``, reason ``no_feedback``), or dispatched after
    ``dispatch_due_at`` (~3%: ``overdue_at = dispatch_due_at``, reason
    ``not_dispatched``, as the sweep marks a late dispatch). Orders fed back late keep the
    escalations reached before their feedback.
* Fed-back orders: a CallbackTask (reason ``feedback``, priority 1 for types 3 and 4 or
  with a case number, else 2, due at 24:00 of the next working day). Done (satisfaction
  满意 ~85%, 基本满意 ~10%, 不满意 ~5%) → the order is ``closed`` at the callback;
  pending → the order stays ``fed_back``.

Not generated: call timelines (``call_events``), ``order_calls``, recordings, seats (the
calls name seat1001…seat1040), ``repeat_of_id``. ``order_history`` gets one
``registered`` row per order and nothing else: the benchmarks measure the sweep and the
ledger, which read orders, not history.

Speed
-----
Ids are assigned here (no RETURNING); rows are built as tuples in chunks of 20,000 orders
and written in one transaction: on SQLite by the driver's ``executemany`` with instants
pre-rendered in SQLAlchemy's own SQLite storage format (naive UTC, ``YYYY-MM-DD
HH:MM:SS.ffffff``, so comparisons with bound datetimes work as usual), on PostgreSQL by
``COPY … FROM STDIN``. Measured on 2 cores with 200,000 orders, that is 8.5 s against
13.7 s for ``conn.execute(insert(Table), dicts)`` on SQLite and 8.8 s against 18.6 s on
PostgreSQL (per-value type processing dominated the Core path). Drawing the rows alone
takes ~3 s per 200,000 orders; calendar facts are cached per day. The history row costs
under 10%. 1,000,000 orders: ~45 s on SQLite, ~50 s on PostgreSQL (2 cores). Afterwards
PostgreSQL's id sequences are moved past the ids written and the database is analysed.
"""

from __future__ import annotations

import argparse
import random
import sys
import time as _time
from bisect import bisect
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import Connection

from hotline.db import make_engine, migrate
from workorder.calendar import CourtCalendar
from workorder.models import (
    Call,
    CallbackTask,
    Case,
    Court,
    Department,
    Escalation,
    Judge,
    Leader,
    OrderCounter,
    OrderHistory,
    Reminder,
    WorkOrder,
)

__all__ = ["GenStats", "ProvinceError", "generate", "main"]

TZ_NAME = "Asia/Shanghai"
DAY = 86_400
CHUNK = 20_000  # orders per batch of rows written
CASES = 20_000
SEATS = 40  # seat1001 … seat1040
EPOCH_DAY = date(1970, 1, 1)

INTERMEDIATE_NAME = "示范省第一中级人民法院"
INTERMEDIATE_CODE = "豫01"
# None is named like the demo court's primary courts (东城, 西城): the province can be written
# into a database that holds the demo court (the panel benchmark does).
DISTRICTS = ("东港", "西岭", "南关", "北湖", "中山", "新华", "青山", "河西", "河东", "龙湖",
             "凤凰", "桃源", "长乐", "安平", "永宁")
INTERMEDIATE_SHARE = 0.15
PRIMARY_WEIGHTS = (1.9, 1.6, 1.45, 1.3, 1.2, 1.1, 1.0, 0.95, 0.85, 0.8, 0.7, 0.6, 0.5, 0.45,
                   0.35)

CHANNELS = ("hotline", "hall", "web", "wechat", "kiosk")
HOTLINE, HALL, WEB, WECHAT, KIOSK = range(5)
CHANNEL_SHARE = (0.70, 0.12, 0.08, 0.08, 0.02)
NONWORKING_MIX = (0.40, 0.0, 0.30, 0.30, 0.0)  # no hall or kiosk on closed days
AFTER_HOURS = (0.02, 0.0, 0.30, 0.35, 0.0)  # share created outside staffed hours
TYPE_CUM = (0.35, 0.65, 0.80, 0.85, 0.93, 1.0)  # types 1–6: 35/30/15/5/8/7%
CASE_SHARE = (0.0, 0.45, 0.03, 0.60, 0.30, 0.30, 0.02)  # by type: carries a case number
MONTH_FACTOR = (0, 0.95, 0.85, 1.30, 1.15, 1.05, 1.10, 0.95, 0.85, 1.10, 1.0, 1.10, 1.05)
NONWORKING_WEIGHT = 0.10  # a closed day's volume against a working day's
BUSIEST_MIN_SHARE = 0.105

# Call outcomes; the open line's shares, then the closed line's.
ANSWERED, ABANDONED, CALLBACK, MESSAGE, IVR_HANGUP = range(5)
OUTCOMES = ("answered", "abandoned", "callback", "message", "ivr_hangup")
OPEN_OUTCOME_CUM = (0.965, 0.987, 0.995, 0.995, 1.0)
CLOSED_IVR_HANGUP = 0.10

# Handling decisions (R4): closed ones, forwarded ones, and "at the callback".
R41, R42_CLOSED, R47, R48 = 0, 1, 2, 3
F_JUDGE, F_PETITION, F_HEAD, F_FILING, F_ENF_SUP, F_DISCIPLINE = 10, 11, 12, 13, 14, 15
AT_CALLBACK = 20
CLOSED_RULE = {R41: "R4.1", R42_CLOSED: "R4.2", R47: "R4.7", R48: "R4.8", AT_CALLBACK: "R4.1"}
FORWARD = {  # decision: (rule, assignee_role, department kind)
    F_JUDGE: ("R4.2", "judge", "trial"),
    F_PETITION: ("R4.3", "petition_head", "petition"),
    F_HEAD: ("R4.4", "department_head", "trial"),
    F_FILING: ("R4.5", "filing_head", "filing"),
    F_ENF_SUP: ("R4.5", "enforcement_supervision_head", "enforcement_supervision"),
    F_DISCIPLINE: ("R4.6", "discipline_head", "discipline"),
}
DISPATCH_HOURS = 2  # R5
FEEDBACK_DAYS = 3  # R7
REMINDER_DAYS = 1  # R8
CALLBACK_DAYS = 1  # R10
LADDER = ((3, "department_leader"), (5, "deputy_president"), (7, "president"))
PRIMARY_LADDER_TOP = (8, "intermediate_president")
SATISFACTION_CUM = ((0.85, "满意"), (0.95, "基本满意"), (1.0, "不满意"))

# Local time-of-day profiles: (from, to, weight), seconds since local midnight.
H = 3600
STAFFED = ((8 * H + 1800, 9 * H, 1.0), (9 * H, 10 * H, 1.4), (10 * H, 11 * H, 1.5),
           (11 * H, 12 * H, 1.2), (12 * H, 13 * H, 0.45), (13 * H, 14 * H, 0.8),
           (14 * H, 15 * H, 1.3), (15 * H, 16 * H, 1.3), (16 * H, 17 * H, 1.1),
           (17 * H, 17 * H + 1800, 0.7))
AFTER = ((0, 6 * H, 0.03), (6 * H, 7 * H, 0.15), (7 * H, 8 * H + 1800, 0.5),
         (17 * H + 1800, 19 * H, 0.6), (19 * H, 22 * H, 0.35), (22 * H, 24 * H, 0.1))
CLOSED_DAY = ((0, 7 * H, 0.05), (7 * H, 9 * H, 0.5), (9 * H, 12 * H, 1.0),
              (12 * H, 14 * H, 0.7), (14 * H, 18 * H, 0.9), (18 * H, 22 * H, 0.6),
              (22 * H, 24 * H, 0.15))

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余"
            "杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史")
GIVEN = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍建红鹏飞宇浩然欣怡晨阳婷雪峰"
         "志斌辉俊凯亮波宁文博海林颖琳慧佳振国庆东晓松云龙彬梅琴蕾瑞丹雯昊哲睿泽轩")
CAUSES = {
    "民": ("民间借贷纠纷", "买卖合同纠纷", "离婚纠纷", "机动车交通事故责任纠纷", "劳动争议",
          "物业服务合同纠纷", "房屋租赁合同纠纷", "金融借款合同纠纷"),
    "刑": ("盗窃罪", "诈骗罪", "故意伤害罪", "危险驾驶罪", "帮助信息网络犯罪活动罪"),
    "行": ("行政处罚", "行政许可", "房屋征收补偿", "政府信息公开"),
}


class ProvinceError(RuntimeError):
    """The database cannot take the history (not empty, or an impossible request)."""


@dataclass
class GenStats:
    """What ``generate`` wrote: rows per table, the busiest month and the time taken."""

    courts: int = 0
    leaders: int = 0
    departments: int = 0
    judges: int = 0
    cases: int = 0
    calls: int = 0
    work_orders: int = 0
    order_history: int = 0
    reminders: int = 0
    escalations: int = 0
    callbacks: int = 0
    order_counters: int = 0
    due_orders: int = 0  # orders with next_due_at <= now (the sweep's work)
    open_orders: int = 0  # status not closed
    busiest_month: str = ""  # 'YYYY-MM', Asia/Shanghai
    busiest_month_orders: int = 0
    seconds: float = 0.0

    TABLES = ("courts", "leaders", "departments", "judges", "cases", "calls", "work_orders",
              "order_history", "reminders", "escalations", "callbacks", "order_counters")

    def counts(self) -> dict[str, int]:
        """Rows written per table."""
        return {name: getattr(self, name) for name in self.TABLES}

    def as_dict(self) -> dict:
        return asdict(self)


# ---- the calendar, cached per local day ----------------------------------------------------
class _Days:
    """Working-day facts of one court calendar on integer instants (UTC epoch seconds).

    Days are local day numbers (days since 1970-01-01 in court time). Asia/Shanghai has a
    fixed offset, which ``generate`` checks over the window before relying on it.
    """

    def __init__(self, cal: CourtCalendar, offset: int) -> None:
        self.cal = cal
        self.off = offset
        self.open_s = cal.staffed_from.hour * H + cal.staffed_from.minute * 60
        self.close_s = cal.staffed_until.hour * H + cal.staffed_until.minute * 60
        self._working: dict[int, bool] = {}
        self._next: dict[int, int] = {}
        self._add: dict[tuple[int, int], int] = {}

    @staticmethod
    def date(day: int) -> date:
        return EPOCH_DAY + timedelta(days=day)

    def working(self, day: int) -> bool:
        found = self._working.get(day)
        if found is None:
            found = self._working[day] = self.cal.is_working_day(self.date(day))
        return found

    def next_working(self, day: int) -> int:
        found = self._next.get(day)
        if found is None:
            nxt = self.cal.next_working_day(self.date(day))
            found = self._next[day] = (nxt - EPOCH_DAY).days
        return found

    def add_working_days(self, day: int, n: int) -> int:
        key = (day, n)
        found = self._add.get(key)
        if found is None:
            found = self._add[key] = (self.cal.add_working_days(self.date(day), n)
                                      - EPOCH_DAY).days
        return found

    def end_of_working_day(self, t: int, n: int) -> int:
        """24:00 (local) of the n-th working day after the local day of ``t``."""
        return (self.add_working_days((t + self.off) // DAY, n) + 1) * DAY - self.off

    def next_opening(self, t: int) -> int:
        local = t + self.off
        day = local // DAY
        if self.working(day):
            sod = local - day * DAY
            if sod < self.open_s:
                return day * DAY + self.open_s - self.off
            if sod < self.close_s:
                return t
        return self.next_working(day) * DAY + self.open_s - self.off

    def add_working_seconds(self, t: int, seconds: int) -> int:
        """CourtCalendar.add_working_hours on integers: staffed time only."""
        current = self.next_opening(t)
        while True:
            day = (current + self.off) // DAY
            left = day * DAY + self.close_s - self.off - current
            if seconds <= left:
                return current + seconds
            seconds -= left
            current = self.next_working(day) * DAY + self.open_s - self.off


class _Profile:
    """Draws a second of the local day from piecewise-constant weights."""

    def __init__(self, segments: tuple[tuple[int, int, float], ...]) -> None:
        self.starts = [a for a, _b, _w in segments]
        self.lengths = [b - a for a, b, _w in segments]
        masses = [(b - a) * w for a, b, w in segments]
        total = sum(masses)
        acc, self.cum = 0.0, []
        for m in masses:
            acc += m / total
            self.cum.append(acc)
        self.cum[-1] = 1.0

    def draw(self, rnd: Callable[[], float]) -> int:
        i = bisect(self.cum, rnd())
        if i >= len(self.cum):
            i = len(self.cum) - 1
        return self.starts[i] + int(rnd() * self.lengths[i])

    def mass_before(self, sod: int) -> float:
        """Share of the profile's mass before second ``sod`` of the day."""
        total, prev = 0.0, 0.0
        for start, length, cum in zip(self.starts, self.lengths, self.cum, strict=True):
            mass = cum - prev
            prev = cum
            if sod >= start + length:
                total += mass
            elif sod > start:
                total += mass * (sod - start) / length
        return total


_STAFFED, _AFTER, _CLOSED_DAY = _Profile(STAFFED), _Profile(AFTER), _Profile(CLOSED_DAY)


# ---- the directory --------------------------------------------------------------------------
@dataclass
class _Dept:
    id: int
    court: int  # index into _Directory.courts
    name: str
    kind: str
    head: str
    head_mobile: str
    leader: str  # the deputy president in charge
    leader_mobile: str
    judges: list[tuple[int, str, str]]  # (id, name, mobile)


@dataclass
class _CourtInfo:
    id: int
    name: str
    code: str
    primary: bool
    president: tuple[str, str]
    depts: dict[str, list[_Dept]]  # by kind


class _Directory:
    def __init__(self) -> None:
        self.courts: list[_CourtInfo] = []
        self.depts: dict[int, _Dept] = {}
        self.judges: dict[int, tuple[str, str, int]] = {}  # id → (name, mobile, dept id)
        self.cases: list[list[tuple[str, int, int]]] = []  # per court: (number, judge, dept)
        self.rows: dict[str, list[dict]] = {}


def _mobile(n: int) -> str:
    """The n-th fictitious directory mobile, 1390xxxxxxx (distinct for n < 10^7)."""
    return f"1390{(n * 7_654_321 + 1_234_567) % 10_000_000:07d}"


def _build_directory(rng: random.Random, bases: dict[str, int], year: int) -> _Directory:
    d = _Directory()
    rows: dict[str, list[dict]] = {k: [] for k in ("courts", "leaders", "departments", "judges",
                                                    "cases")}
    ids = dict(bases)
    mobiles = iter(range(1, 10**7))

    def next_id(table: str) -> int:
        ids[table] += 1
        return ids[table]

    names_used: set[str] = set()

    def person() -> str:
        while True:
            given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
            name = rng.choice(SURNAMES) + given
            if name not in names_used:
                names_used.add(name)
                return name

    court_names = [(INTERMEDIATE_NAME, INTERMEDIATE_CODE, False)] + [
        (f"示范市{district}区人民法院", f"豫01{i:02d}", True)
        for i, district in enumerate(DISTRICTS, start=1)
    ]
    intermediate_id = bases["courts"] + 1
    for ci, (cname, code, primary) in enumerate(court_names):
        names_used = set()
        court_id = next_id("courts")
        rows["courts"].append(dict(id=court_id, name=cname, code=code,
                                   level="primary" if primary else "intermediate",
                                   parent_id=intermediate_id if primary else None))
        president = (person(), _mobile(next(mobiles)))
        rows["leaders"].append(dict(id=next_id("leaders"), court=cname, name=president[0],
                                    role="president", mobile=president[1],
                                    portfolio="主持全面工作"))
        deputies: list[tuple[int, str, str]] = []
        portfolios = ("分管立案、诉讼服务和信访工作", "分管民事审判工作", "分管刑事、行政审判工作",
                      "分管执行工作")
        for k in range(rng.choice((2, 3, 3))):
            lid = next_id("leaders")
            who = (lid, person(), _mobile(next(mobiles)))
            deputies.append(who)
            rows["leaders"].append(dict(id=lid, court=cname, name=who[1],
                                        role="deputy_president", mobile=who[2],
                                        portfolio=portfolios[k]))
        if primary:
            town = rng.sample(("城关", "东关", "柳林", "古城", "白沙", "石桥", "新店", "杨庄"), 2)
            trial = ["刑事审判庭", "民事审判第一庭", "民事审判第二庭", "行政审判庭", "速裁庭",
                     f"{town[0]}人民法庭", f"{town[1]}人民法庭"]
            enf_sup = "执行裁决庭"
        else:
            trial = ["刑事审判第一庭", "刑事审判第二庭", "民事审判第一庭", "民事审判第二庭",
                     "民事审判第三庭", "行政审判庭", "审判监督庭"]
            enf_sup = "执行监督庭"
        trial = sorted(rng.sample(trial, rng.choice((4, 5, 5, 6))), key=trial.index)
        layout = [("立案庭", "filing"), ("信访办公室", "petition"), ("执行局", "enforcement"),
                  (enf_sup, "enforcement_supervision"), ("违法违纪举报中心", "discipline"),
                  ("办公室", "other")] + [(name, "trial") for name in trial]
        info = _CourtInfo(court_id, cname, code, primary, president, {})
        court_cases: list[tuple[str, int, int]] = []
        for k, (dname, kind) in enumerate(layout):
            dept_id = next_id("departments")
            leader = deputies[k % len(deputies)]
            head, deputy = (person(), _mobile(next(mobiles))), (person(), _mobile(next(mobiles)))
            liaison = (person(), _mobile(next(mobiles)))
            rows["departments"].append(dict(
                id=dept_id, court=cname, name=dname, kind=kind, head_name=head[0],
                head_mobile=head[1], deputy_head_name=deputy[0], deputy_head_mobile=deputy[1],
                liaison_name=liaison[0], liaison_post=rng.choice(("内勤", "书记员", "综合科科员")),
                liaison_office_phone=f"0371-6{(dept_id * 7919) % 10_000_000:07d}",
                liaison_mobile=liaison[1], leader_id=leader[0]))
            dept = _Dept(dept_id, ci, dname, kind, head[0], head[1], leader[1], leader[2], [])
            if kind == "trial":
                people = [head, deputy] + [(person(), _mobile(next(mobiles)))
                                           for _ in range(rng.randint(3, 13))]
                for jname, jmobile in people:
                    jid = next_id("judges")
                    dept.judges.append((jid, jname, jmobile))
                    d.judges[jid] = (jname, jmobile, dept_id)
                    rows["judges"].append(dict(id=jid, name=jname, department_id=dept_id,
                                               mobile=jmobile, court=cname))
            d.depts[dept_id] = dept
            info.depts.setdefault(kind, []).append(dept)
        d.courts.append(info)
        d.cases.append(court_cases)

    # Cases, shared out like the orders; numbers run on per court, year and kind.
    weights = _court_weights(rng)
    seq: dict[tuple[int, int, str], int] = {}
    for ci, (info, n) in enumerate(zip(d.courts, _allocate(weights, CASES), strict=True)):
        trial = info.depts["trial"]
        for _ in range(n):
            dept = rng.choice(trial)
            jid, _jname, _jm = rng.choice(dept.judges)
            case_year = year if rng.random() < 0.7 else year - 1
            kind = "刑" if "刑事" in dept.name else "行" if "行政" in dept.name else "民"
            stage = "申" if "监督" in dept.name else "初" if info.primary or rng.random() < 0.2 \
                else "终"
            key = (ci, case_year, kind + stage)
            seq[key] = seq.get(key, rng.randint(0, 40)) + rng.randint(1, 3)
            number = f"（{case_year}）{info.code}{kind}{stage}{seq[key]}号"
            cid = next_id("cases")
            rows["cases"].append(dict(id=cid, number=number, year=case_year, seq=seq[key],
                                      court=info.name, judge_id=jid, department_id=dept.id,
                                      cause=rng.choice(CAUSES[kind])))
            d.cases[ci].append((number, jid, dept.id))
    d.rows = rows
    return d


def _court_weights(rng: random.Random) -> list[float]:
    primary = [w * rng.uniform(0.9, 1.1) for w in PRIMARY_WEIGHTS]
    total = sum(primary)
    return [INTERMEDIATE_SHARE] + [(1 - INTERMEDIATE_SHARE) * w / total for w in primary]


# ---- how many orders on which day ---------------------------------------------------------
@dataclass
class _DayPlan:
    day: int  # local day number
    working: bool
    count: int
    limit: int  # only seconds of the day below this (today: now's second of day)


def _plan_days(rng: random.Random, days: _Days, now_local: datetime,
               orders: int) -> tuple[list[_DayPlan], tuple[list[float], list[float]]]:
    """Orders per local day (exact counts) and the channel mixes of working/closed days."""
    today = (now_local.date() - EPOCH_DAY).days
    now_sod = now_local.hour * H + now_local.minute * 60 + now_local.second
    first = today - 364
    # The Spring Festival holidays near the window: a quiet fortnight around each.
    festival = [day for day in range(first - 20, today + 20)
                if "春节" in days.cal.reason(days.date(day))]
    quiet = {q for day in festival for q in range(day - 7, day + 11)}
    weights: list[float] = []
    for day in range(first, today + 1):
        d = days.date(day)
        w = MONTH_FACTOR[d.month]
        if days.working(day):
            if d.weekday() == 0:
                w *= 1.12
            elif d.weekday() == 4:
                w *= 0.95
            if not days.working(day - 1) and days.cal.reason(days.date(day - 1)) != "周末":
                w *= 1.3  # the first working day after a holiday: the messages (R6)
        else:
            w *= NONWORKING_WEIGHT
        if day in quiet:
            w *= 0.6
        weights.append(w * rng.uniform(0.88, 1.12))
    plans = [_DayPlan(day, days.working(day), 0, DAY) for day in range(first, today + 1)]
    plans[-1].limit = now_sod  # today only up to now
    weights[-1] *= _today_fraction(plans[-1].working, now_sod, _channel_mixes(0.05)[0])
    # The busiest month must hold at least BUSIEST_MIN_SHARE (the ledger benchmark's month).
    _boost_busiest(weights, [days.date(p.day).strftime("%Y-%m") for p in plans])
    for p, count in zip(plans, _allocate(weights, orders), strict=True):
        p.count = count
    closed = sum(p.count for p in plans if not p.working)
    return plans, _channel_mixes(closed / orders if orders else 0.0)


def _today_fraction(working: bool, sod: int, work_mix: list[float]) -> float:
    """Share of a day's orders created before second ``sod``."""
    if not working:
        return _CLOSED_DAY.mass_before(sod)
    total = 0.0
    for ch, share in enumerate(work_mix):
        after = AFTER_HOURS[ch]
        total += share * ((1 - after) * _STAFFED.mass_before(sod) + after * _AFTER.mass_before(sod))
    return total


def _boost_busiest(weights: list[float], month_of: list[str]) -> None:
    totals: dict[str, float] = {}
    for w, m in zip(weights, month_of, strict=True):
        totals[m] = totals.get(m, 0.0) + w
    total = sum(totals.values())
    busiest = max(totals, key=totals.__getitem__)
    share = totals[busiest] / total
    if share >= BUSIEST_MIN_SHARE:
        return
    t = BUSIEST_MIN_SHARE
    factor = t * (1 - share) / (share * (1 - t))
    for i, m in enumerate(month_of):
        if m == busiest:
            weights[i] *= factor


def _allocate(weights: list[float], total: int) -> list[int]:
    """Integer counts proportional to ``weights`` summing to ``total`` (largest remainder)."""
    s = sum(weights)
    exact = [w * total / s for w in weights]
    counts = [int(x) for x in exact]
    short = total - sum(counts)
    by_rest = sorted(range(len(exact)), key=lambda i: (counts[i] - exact[i], i))
    for i in by_rest[:short]:
        counts[i] += 1
    return counts


def _channel_mixes(closed_share: float) -> tuple[list[float], list[float]]:
    """Working-day and closed-day channel mixes whose blend gives CHANNEL_SHARE."""
    f = min(max(closed_share, 0.0), 0.5)
    work = [max(0.0, (CHANNEL_SHARE[c] - f * NONWORKING_MIX[c]) / (1 - f)) for c in range(5)]
    total = sum(work)
    return [w / total for w in work], list(NONWORKING_MIX)


def _cum(shares: list[float]) -> list[float]:
    acc, out = 0.0, []
    for s in shares:
        acc += s
        out.append(acc)
    out[-1] = 1.0
    return out


# ---- the core draws (replayed: once to choose the due set, once to write) ------------------
def _core(seed: int, days: _Days, plans: list[_DayPlan], mixes: tuple[list[float], list[float]],
          court_cum: list[float], case_counts: list[int]) -> Iterator[tuple]:
    """Per order, in order of creation: (t, local day, court, channel, type, outcome,
    case index or -1, decision, dispatch delay s, feedback kind, feedback delay s).

    Only what decides an order's clocks is drawn here, from its own generator, so the same
    stream can be replayed."""
    rng = random.Random(seed)
    rnd = rng.random
    work_cum, closed_cum = _cum(mixes[0]), _cum(mixes[1])
    off = days.off
    open_s, close_s = days.open_s, days.close_s
    for plan in plans:
        if not plan.count:
            continue
        cum = work_cum if plan.working else closed_cum
        drawn: list[tuple[int, int]] = []
        for _ in range(plan.count):
            for _try in range(200):
                ch = bisect(cum, rnd())
                if ch > 4:
                    ch = 4
                if not plan.working:
                    sod = _CLOSED_DAY.draw(rnd)
                elif rnd() < AFTER_HOURS[ch]:
                    sod = _AFTER.draw(rnd)
                else:
                    sod = _STAFFED.draw(rnd)
                if sod < plan.limit:
                    break
            else:
                ch, sod = WEB, int(rnd() * plan.limit)
            drawn.append((sod, ch))
        drawn.sort()
        base = plan.day * DAY - off
        for sod, ch in drawn:
            court = bisect(court_cum, rnd())
            if court >= len(court_cum):
                court = len(court_cum) - 1
            otype = bisect(TYPE_CUM, rnd()) + 1
            if otype > 6:
                otype = 6
            outcome = -1
            if ch == HOTLINE:
                if plan.working and open_s <= sod < close_s:
                    outcome = bisect(OPEN_OUTCOME_CUM, rnd())
                    if outcome > 4:
                        outcome = 4
                else:
                    outcome = IVR_HANGUP if rnd() < CLOSED_IVR_HANGUP else MESSAGE
                if outcome == IVR_HANGUP:
                    otype = 6  # hung up before choosing: the default type (R3)
            case = -1
            if rnd() < CASE_SHARE[otype]:
                case = int(rnd() * case_counts[court])
            disp = fb_kind = fb_delay = 0
            if outcome in (ABANDONED, CALLBACK, IVR_HANGUP):
                decision = AT_CALLBACK
            elif otype <= 2:
                decision = R41
            elif otype == 3:
                decision = F_JUDGE if case >= 0 and rnd() < 0.40 else R42_CLOSED
            elif otype == 4:
                decision = F_PETITION if rnd() < 0.80 else R41
            elif otype == 5:
                r = rnd()
                decision = (R41 if r < 0.15 else F_HEAD if r < 0.5325 else F_FILING
                            if r < 0.7325 else F_ENF_SUP if r < 0.8725 else F_DISCIPLINE)
            else:
                r = rnd()
                decision = R41 if r < 0.94 else R47 if r < 0.97 else R48
            if decision >= F_JUDGE and decision != AT_CALLBACK:
                if rnd() < 0.97:  # R5: dispatched within 2 working hours, mostly early
                    disp = 300 + int(rnd() ** 1.6 * (DISPATCH_HOURS * H - 300))
                else:
                    disp = DISPATCH_HOURS * H + 60 + int(rnd() * 4 * H)
                r = rnd()
                if r < 0.92:  # R7: in time, within 27 working hours of dispatch
                    fb_kind, fb_delay = 0, 1800 + int(rnd() ** 1.3 * (27 * H - 1800))
                elif r < 0.98:  # late by up to 4 working days
                    fb_kind, fb_delay = 1, 600 + int(rnd() ** 1.5 * 4 * 9 * H)
                else:
                    fb_kind = 2  # never
            yield (base + sod, plan.day, court, ch, otype, outcome, case, decision, disp,
                   fb_kind, fb_delay)


def _clocks(days: _Days, now: int, t: int, disp_delay: int, fb_kind: int,
            fb_delay: int) -> tuple[int, int | None, bool, int | None, int | None]:
    """(dispatch_due_at, dispatched_at or None, late, feedback_due_at, feedback_at or None)
    of a forwarded order as seen at ``now``."""
    due = days.add_working_seconds(t, DISPATCH_HOURS * H)
    dispatched: int | None = days.add_working_seconds(t, disp_delay)
    if dispatched > now:
        dispatched = now if due <= now else None  # late and still waiting: dispatched now
    if dispatched is None:
        return due, None, False, None, None
    late = dispatched > due
    fdue = days.end_of_working_day(dispatched, FEEDBACK_DAYS)
    if fb_kind == 0:
        fb: int | None = days.add_working_seconds(dispatched, fb_delay)
    elif fb_kind == 1:
        fb = days.add_working_seconds(fdue, fb_delay)
    else:
        fb = None
    if fb is not None and fb > now:
        fb = None
    return due, dispatched, late, fdue, fb


# ---- writing ---------------------------------------------------------------------------------
CALL_COLS = ("id", "uniqueid", "caller_phone", "caller_raw", "caller_name", "received_at",
             "mode", "mode_reason", "order_type", "menu_attempts", "queue", "offered_at",
             "answered_at", "seat", "hold_time_s", "talk_time_s", "overflowed_at", "ended_at",
             "outcome", "recording_path")
ORDER_COLS = ("id", "court", "number", "channel", "order_type", "status", "caller_phone",
              "caller_name", "callback_phone", "content", "created_at", "updated_at",
              "call_id", "version", "case_number", "registered_by", "abusive", "urgent",
              "touches_rights", "repeat_of_id", "rule", "department_id", "assignee_role",
              "assignee_name", "assignee_mobile", "judge_id", "decided_at", "dispatch_due_at",
              "dispatched_at", "feedback_due_at", "feedback_at", "feedback_by",
              "feedback_text", "closed_at", "resolution", "overdue_at", "overdue_reason",
              "escalation_level", "next_due_at")
HISTORY_COLS = ("id", "order_id", "at", "actor", "action", "changes", "reason")
REMINDER_COLS = ("id", "order_id", "round", "created_at", "due_by", "to_name", "to_mobile",
                 "sent_at", "sent_by")
ESCALATION_COLS = ("id", "order_id", "level", "role", "at", "court", "to_name", "to_mobile")
CALLBACK_COLS = ("id", "order_id", "reason", "priority", "phone", "created_at", "due_at",
                 "status", "attempts", "outcome", "satisfaction", "note", "done_at", "done_by")
TABLE_COLS = {"calls": CALL_COLS, "work_orders": ORDER_COLS, "order_history": HISTORY_COLS,
              "reminders": REMINDER_COLS, "escalations": ESCALATION_COLS,
              "callbacks": CALLBACK_COLS}
WRITE_ORDER = ("calls", "work_orders", "order_history", "callbacks", "reminders",
               "escalations")


class _Sink:
    """Writes row tuples in the columns of TABLE_COLS, the fastest way the database has."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"
        self._sql = {
            table: f"INSERT INTO {table} ({', '.join(cols)}) VALUES "
                   f"({', '.join('?' for _ in cols)})"
            for table, cols in TABLE_COLS.items()
        }
        # Instants as the dialect stores them: SQLAlchemy's SQLite format (naive UTC), or
        # text that PostgreSQL's COPY reads as timestamptz.
        suffix = "+00" if self.postgres else ".000000"
        self._hms = [f"{s // H:02d}:{s // 60 % 60:02d}:{s % 60:02d}{suffix}" for s in range(DAY)]
        self._days: dict[int, str] = {}

    def ts(self, t: int) -> str:
        day, sod = divmod(t, DAY)
        prefix = self._days.get(day)
        if prefix is None:
            prefix = self._days[day] = f"{EPOCH_DAY + timedelta(days=day):%Y-%m-%d} "
        return prefix + self._hms[sod]

    def write(self, table: str, rows: list[tuple]) -> None:
        if not rows:
            return
        if self.postgres:
            cols = ", ".join(TABLE_COLS[table])
            raw = self.conn.connection.driver_connection
            with raw.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                write_row = copy.write_row
                for row in rows:
                    write_row(row)
        else:
            self.conn.exec_driver_sql(self._sql[table], rows)


# ---- generate ----------------------------------------------------------------------------------
def generate(url: str, orders: int = 1_000_000, *, now: datetime, seed: int = 12368,
             due_share: float = 0.01,
             progress: Callable[[int], None] | None = None) -> GenStats:
    """Write the province's directory and ``orders`` work orders over the year ending at
    ``now`` into the (migrated, order-free) database at ``url``; see the module docstring
    for the exact shape. Raises ProvinceError if the database already has orders or the
    request cannot be met."""
    started = _time.perf_counter()
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware, e.g. datetime.now(ZoneInfo('Asia/Shanghai'))")
    if orders < 0:
        raise ValueError(f"orders must not be negative, got {orders}")
    if not 0 <= due_share <= 1:
        raise ValueError(f"due_share must be between 0 and 1, got {due_share}")
    now = now.replace(microsecond=0)
    due_wanted = round(orders * due_share)
    tz = ZoneInfo(TZ_NAME)
    now_local = now.astimezone(tz)
    offsets = {(now_local - timedelta(days=d)).utcoffset() for d in range(0, 400, 5)}
    offsets |= {(now_local + timedelta(days=d)).utcoffset() for d in range(0, 120, 5)}
    if len(offsets) != 1:
        raise ProvinceError(f"{TZ_NAME} changes its UTC offset within the year; unsupported")
    offset = int(next(iter(offsets)).total_seconds())
    now_t = int(now.timestamp())

    migrate(url)
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            stats = _generate(conn, orders, now_t, now_local, offset, seed, due_wanted,
                              progress)
            if conn.dialect.name == "postgresql":
                _after_postgres_load(conn)
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")
    finally:
        engine.dispose()
    stats.seconds = round(_time.perf_counter() - started, 2)
    return stats


def _refuse_unless_empty(conn: Connection) -> dict[str, int]:
    if conn.scalar(select(WorkOrder.id).limit(1)) is not None:
        n = conn.scalar(select(func.count()).select_from(WorkOrder))
        raise ProvinceError(
            f"the database already has {n} work orders; the province history needs a "
            "database without orders (create a new one, or drop and migrate this one)")
    names = [INTERMEDIATE_NAME] + [f"示范市{d}区人民法院" for d in DISTRICTS]
    if conn.scalar(select(Court.id).where(Court.name.in_(names)).limit(1)) is not None:
        raise ProvinceError("the database already has the courts of the province "
                            "(示范省第一中级人民法院 …); use a new database")
    # Ids continue after whatever the directory already holds (e.g. the demo court).
    bases = {}
    for name, table in (("courts", Court), ("leaders", Leader), ("departments", Department),
                        ("judges", Judge), ("cases", Case), ("calls", Call),
                        ("work_orders", WorkOrder), ("order_history", OrderHistory),
                        ("reminders", Reminder), ("escalations", Escalation),
                        ("callbacks", CallbackTask)):
        bases[name] = conn.scalar(select(func.coalesce(func.max(table.id), 0)))
    return bases


def _after_postgres_load(conn: Connection) -> None:
    """Move every id sequence past the ids written here, so the application's own inserts
    (the sweep's reminders and escalations) do not collide with them."""
    for table in ("courts", "leaders", "departments", "judges", "cases", "calls",
                  "work_orders", "order_history", "reminders", "escalations", "callbacks"):
        conn.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false) "
            f"WHERE pg_get_serial_sequence('{table}', 'id') IS NOT NULL"))


def _generate(conn: Connection, orders: int, now: int, now_local: datetime, offset: int,
              seed: int, due_wanted: int, progress: Callable[[int], None] | None) -> GenStats:
    bases = _refuse_unless_empty(conn)
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA cache_size=-262144")  # 256 MiB: indexes stay in memory
    master = random.Random(seed)
    dir_seed, plan_seed, core_seed, detail_seed = (master.getrandbits(64) for _ in range(4))
    cal = CourtCalendar(TZ_NAME)
    days = _Days(cal, offset)
    stats = GenStats()

    directory = _build_directory(random.Random(dir_seed), bases, now_local.year)
    for table, model in (("courts", Court), ("leaders", Leader), ("departments", Department),
                         ("judges", Judge), ("cases", Case)):
        rows = directory.rows[table]
        for i in range(0, len(rows), CHUNK):
            conn.execute(insert(model.__table__), rows[i:i + CHUNK])
        setattr(stats, table, len(rows))

    plan_rng = random.Random(plan_seed)
    court_weights = _court_weights(plan_rng)
    court_cum = _cum(court_weights)
    plans, mixes = _plan_days(plan_rng, days, now_local, orders)
    months: dict[str, int] = {}
    for p in plans:
        key = days.date(p.day).strftime("%Y-%m")
        months[key] = months.get(key, 0) + p.count
    if months:
        stats.busiest_month = max(sorted(months), key=months.__getitem__)
        stats.busiest_month_orders = months[stats.busiest_month]
    case_counts = [len(c) for c in directory.cases]

    # Pass 1: the clocks of every forwarded order, and the due set.
    forwarded: dict[int, tuple] = {}
    candidates: list[tuple[int, int]] = []
    for idx, o in enumerate(_core(core_seed, days, plans, mixes, court_cum, case_counts)):
        if F_JUDGE <= o[7] <= F_DISCIPLINE:
            clock = _clocks(days, now, o[0], o[8], o[9], o[10])
            forwarded[idx] = clock
            due, dispatched, late, fdue, _fb = clock
            if dispatched is not None and not late and fdue <= now:
                candidates.append((fdue, idx))
    if due_wanted > len(candidates):
        raise ProvinceError(
            f"due_share asks for {due_wanted} due orders, but only {len(candidates)} "
            f"forwarded orders of {orders} have a passed feedback deadline; "
            "use a smaller due_share or more orders")
    candidates.sort(reverse=True)
    due_set = {idx for _f, idx in candidates[:due_wanted]}
    del candidates

    # Pass 2: every row.
    _write_orders(conn, days, directory, plans, mixes, court_cum, case_counts, forwarded,
                  due_set, now, bases, core_seed, detail_seed, stats, progress)
    return stats


def _write_orders(conn: Connection, days: _Days, directory: _Directory, plans: list[_DayPlan],
                  mixes: tuple[list[float], list[float]], court_cum: list[float],
                  case_counts: list[int], forwarded: dict[int, tuple], due_set: set[int],
                  now: int, bases: dict[str, int], core_seed: int, detail_seed: int,
                  stats: GenStats, progress: Callable[[int], None] | None) -> None:
    sink = _Sink(conn)
    ts = sink.ts
    rng = random.Random(detail_seed)
    rnd, randint, choice = rng.random, rng.randint, rng.choice
    off = days.off
    add_ws, end_wd = days.add_working_seconds, days.end_of_working_day
    courts = directory.courts
    court_names = [c.name for c in courts]
    intermediate_president = courts[0].president
    ladders = []
    for c in courts:
        steps = list(LADDER) + ([PRIMARY_LADDER_TOP] if c.primary else [])
        ladders.append(steps)
    seats = [f"seat{1001 + i}" for i in range(SEATS)]
    halls = [f"hall{i:02d}" for i in range(1, 9)]
    titles = [s + t for s in SURNAMES for t in ("先生", "女士")]
    history_changes = {(ch, t): f'{{"status": "registered", "channel": "{CHANNELS[ch]}", '
                                f'"order_type": {t}}}'
                       for ch in range(5) for t in range(1, 7)}
    mode_reason: dict[int, str] = {}

    ids = {k: bases[k] for k in ("calls", "reminders", "escalations", "callbacks")}
    order_base, history_base = bases["work_orders"], bases["order_history"]
    buffers: dict[str, list[tuple]] = {t: [] for t in WRITE_ORDER}
    calls_buf, orders_buf, hist_buf = (buffers["calls"], buffers["work_orders"],
                                       buffers["order_history"])
    cb_buf, rem_buf, esc_buf = buffers["callbacks"], buffers["reminders"], buffers["escalations"]
    counters: dict[tuple[int, int], int] = {}
    day_counter: dict[int, int] = {}
    current_day = -1
    day_str = ""
    done = 0
    open_orders = 0

    def flush() -> None:
        for table in WRITE_ORDER:
            rows = buffers[table]
            sink.write(table, rows)
            setattr(stats, table, getattr(stats, table) + len(rows))
            rows.clear()
        if progress is not None:
            progress(done)

    def satisfaction() -> str:
        r = rnd()
        for bound, label in SATISFACTION_CUM:
            if r < bound:
                return label
        return SATISFACTION_CUM[-1][1]

    core = _core(core_seed, days, plans, mixes, court_cum, case_counts)
    for idx, (t, day, ci, ch, otype, outcome, case_i, decision, _dd, _fk, _fd) in enumerate(core):
        if day != current_day:
            if current_day >= 0:
                for c, n in day_counter.items():
                    counters[(c, current_day)] = n
            current_day = day
            day_counter = {}
            day_str = f"{days.date(day):%Y%m%d}"
        seq = day_counter.get(ci, 0) + 1
        day_counter[ci] = seq
        order_id = order_base + idx + 1
        court = courts[ci]
        cname = court_names[ci]
        phone = f"139{10_000_000 + (int(rnd() * 400_000) * 7_919_113) % 90_000_000:08d}"
        name = choice(titles)
        case_number = None
        case_judge = case_dept = 0
        if case_i >= 0:
            case_number, case_judge, case_dept = directory.cases[ci][case_i]
        created = ts(t)
        closed_t: int | None = None  # when the matter was settled without forwarding
        registered_by = ""
        call_id = None
        abusive = urgent = False
        # -- the call (R1, R2) --
        if ch == HOTLINE:
            ids["calls"] += 1
            call_id = ids["calls"]
            seat = None
            offered = answered = overflowed = hold = talk = None
            queue = None
            if outcome == MESSAGE or (outcome == IVR_HANGUP and not
                                      (days.working(day) and days.open_s <= t + off - day * DAY
                                       < days.close_s)):
                mode = "closed"
                reason = mode_reason.get(day)
                if reason is None:
                    reason = mode_reason[day] = (
                        "outside staffed hours" if days.working(day)
                        else days.cal.reason(days.date(day)))
            else:
                mode, reason = "open", "staffed hours"
            if outcome == ANSWERED:
                offered = t + randint(8, 35)
                r = rnd()
                hold = (11 + min(int(rng.expovariate(1 / 12)), 170) if r < 0.08
                        else randint(1, 10) if r < 0.12 else randint(2, 9))
                answered = offered + hold
                talk = min(1800, max(20, int(rng.lognormvariate(5.0, 0.6))))
                ended = answered + talk
                seat = choice(seats)
                registered_by = seat
                queue = f"hotline-{otype}"
                if hold > 10:
                    overflowed = offered + 10
                closed_t = ended + randint(0, 120)
            elif outcome in (ABANDONED, CALLBACK):
                offered = t + randint(8, 35)
                hold = randint(3, 60) if outcome == ABANDONED else randint(15, 45)
                ended = offered + hold
                queue = f"hotline-{otype}"
                if hold > 10:
                    overflowed = offered + 10
            elif outcome == MESSAGE:
                ended = t + randint(30, 120)
                registered_by = choice(seats)  # heard the next working morning (R6)
                closed_t = add_ws(ended, 300 + int(rnd() * 3 * H))
            else:  # IVR hang-up
                ended = t + randint(3, 20)
            calls_buf.append((
                call_id, f"{t}.{call_id}", phone, phone, "", created, mode, reason,
                None if outcome == IVR_HANGUP else otype,
                0 if outcome == IVR_HANGUP else (2 if rnd() < 0.08 else 1), queue,
                None if offered is None else ts(offered),
                None if answered is None else ts(answered), seat, hold, talk,
                None if overflowed is None else ts(overflowed), ts(ended),
                OUTCOMES[outcome], None))
        elif ch == HALL or ch == KIOSK:
            registered_by = choice(halls) if ch == HALL else "kiosk"
            closed_t = t + randint(180, 1200)
        else:
            registered_by = CHANNELS[ch]
            closed_t = add_ws(t, 600 + int(rnd() * 4 * H))
        # -- content --
        content = _content(otype, decision, case_number, rnd)
        touches = otype in (3, 4) or case_number is not None
        priority = 1 if touches else 2
        status = "closed"
        rule = resolution = None
        dept_id = role = a_name = a_mobile = judge_id = None
        decided = disp_due = dispatched = fdue = fb = closed = overdue = None
        fb_by = fb_text = overdue_reason = None
        level = 0
        next_due = None
        updated = t
        if decision == AT_CALLBACK:
            # R2: the caller is called back; the matter is settled at the callback.
            ids["callbacks"] += 1
            cb_created = ended
            cb_due = end_wd(cb_created, CALLBACK_DAYS)
            cb_done = add_ws(cb_created, 300 + int(rnd() * 3 * H))
            r = rnd()
            if cb_done > now:
                cb = ("pending", 0, None, None, None)
                status = "callback_pending"
            elif r < 0.04:
                cb = ("failed", 3, "no_answer", ts(cb_done), choice(seats))
                closed_t = cb_done
                resolution = "回拨三次未接通，按规定办结"
            else:
                cb = ("done", 1 if r < 0.85 else 2, "reached", ts(cb_done), choice(seats))
                closed_t = cb_done + randint(60, 600)
                resolution = "回拨后已答复来电人"
            cb_buf.append((ids["callbacks"], order_id,
                           "unanswered" if outcome == CALLBACK else "abandoned", priority,
                           phone, ts(cb_created), ts(cb_due), cb[0], cb[1], cb[2], None, "",
                           cb[3], cb[4]))
            if status == "callback_pending":
                closed_t = None
            else:
                rule = "R4.1"
                registered_by = registered_by or cb[4]
        elif decision < F_JUDGE:
            rule = CLOSED_RULE[decision]
            if decision == R47:
                abusive = True
                resolution = "来电辱骂工作人员，录音已整理成书面材料报院领导（R4.7）"
            elif decision == R48:
                urgent = True
                resolution = "紧急事项，已即时报告部门负责人及分管院领导，当日处理完毕（R4.8）"
            elif decision == R42_CLOSED:
                if case_number is not None:
                    jname = directory.judges[case_judge][0]
                    resolution = f"已告知承办法官{jname}的联系方式"
                else:
                    resolution = "已告知相关业务庭的联系电话"
            else:
                resolution = _RESOLUTIONS[otype][int(rnd() * len(_RESOLUTIONS[otype]))]
        else:
            # -- forwarded (R4.2–R4.6), the clocks of R5/R7/R8 --
            rule, role, kind = FORWARD[decision]
            if decision == F_JUDGE:
                judge_id, dept_id = case_judge, case_dept
                a_name, a_mobile = directory.judges[judge_id][:2]
                dept = directory.depts[dept_id]
            else:
                if decision == F_HEAD and case_number is not None:
                    dept = directory.depts[case_dept]
                else:
                    options = court.depts[kind]
                    dept = options[int(rnd() * len(options))]
                dept_id = dept.id
                a_name, a_mobile = dept.head, dept.head_mobile
            closed_t = None
            resolution = None
            decided = created
            due_t, disp_t, late, fdue_t, fb_t = forwarded[idx]
            disp_due = ts(due_t)
            if disp_t is None:
                status = "to_dispatch"
                next_due = disp_due
            else:
                dispatched = ts(disp_t)
                fdue = ts(fdue_t)
                updated = disp_t
                if idx in due_set:
                    status = "dispatched"
                    next_due = fdue
                else:
                    overdue_t = None
                    if late:
                        overdue_t, overdue_reason = due_t, "not_dispatched"
                    elif fb_t is None and fdue_t <= now or fb_t is not None and fb_t > fdue_t:
                        overdue_t, overdue_reason = fdue_t, "no_feedback"
                    # Ladder steps reached before the feedback (or by now, still open).
                    limit = now + 1 if fb_t is None else fb_t
                    next_t = None
                    for n, (wdays, erole) in enumerate(ladders[ci], start=1):
                        at = end_wd(disp_t, wdays)
                        if at >= limit:
                            next_t = at
                            break
                        level = n
                        ids["escalations"] += 1
                        if n == 1:
                            to = (dept.head, dept.head_mobile)
                        elif n == 2:
                            to = (dept.leader, dept.leader_mobile)
                        elif n == 3:
                            to = court.president
                        else:
                            to = intermediate_president
                        esc_buf.append((ids["escalations"], order_id, n, erole, ts(at), cname,
                                        to[0], to[1]))
                    if overdue_t is not None:
                        overdue = ts(overdue_t)
                        ids["reminders"] += 1
                        rem_created = min(overdue_t + randint(5, 60), now)
                        rem_due = end_wd(overdue_t, REMINDER_DAYS)
                        sent = add_ws(rem_created, 1200 + int(rnd() * 8 * H))
                        if sent > now or rnd() < 0.05 or (fb_t is not None and sent > fb_t):
                            sent_at = sent_by = None
                        else:
                            sent_at, sent_by = ts(sent), choice(seats)
                        rem_buf.append((ids["reminders"], order_id, 1, ts(rem_created),
                                        ts(rem_due), dept.head, dept.head_mobile, sent_at,
                                        sent_by))
                    if fb_t is None:
                        # The next thing the sweep has to do: the feedback deadline while
                        # not overdue, else the next ladder step (none at the top).
                        status = "dispatched"
                        if overdue_t is None and (next_t is None or fdue_t < next_t):
                            next_t = fdue_t
                        next_due = None if next_t is None else ts(next_t)
                    else:
                        fb = ts(fb_t)
                        fb_by = a_name
                        fb_text = _FEEDBACK[int(rnd() * len(_FEEDBACK))]
                        updated = fb_t
                        ids["callbacks"] += 1
                        cb_due = end_wd(fb_t, CALLBACK_DAYS)
                        cb_done = add_ws(fb_t, 1200 + int(rnd() * 8 * H))
                        if cb_done > now or rnd() < 0.03:
                            status = "fed_back"
                            attempts = 0 if cb_done > now else randint(1, 2)
                            cb_buf.append((ids["callbacks"], order_id, "feedback", priority,
                                           phone, fb, ts(cb_due), "pending", attempts,
                                           None if attempts == 0 else "no_answer", None, "",
                                           None, None))
                        else:
                            status = "closed"
                            closed_t = cb_done
                            sat = satisfaction()
                            cb_buf.append((ids["callbacks"], order_id, "feedback", priority,
                                           phone, fb, ts(cb_due), "done", 1, "reached", sat,
                                           "", ts(cb_done), choice(seats)))
                            resolution = f"经办部门已反馈，回访{sat}"
        if closed_t is not None:
            if closed_t > now:  # not settled yet at ``now``
                status = ("callback_pending" if decision == AT_CALLBACK else "in_progress"
                          if outcome == ANSWERED else "message_pending" if outcome == MESSAGE
                          else "registered")
                rule = resolution = None
            else:
                closed = ts(closed_t)
                updated = closed_t
        if status != "closed":
            open_orders += 1
        orders_buf.append((
            order_id, cname, f"{day_str}-{seq:04d}", CHANNELS[ch], otype, status, phone, name,
            phone if outcome == CALLBACK else None, content, created, ts(updated), call_id, 1,
            case_number, registered_by, abusive, urgent, touches, None, rule, dept_id, role,
            a_name, a_mobile, judge_id, decided, disp_due, dispatched, fdue, fb, fb_by,
            fb_text, closed, resolution, overdue, overdue_reason, level, next_due))
        hist_buf.append((history_base + idx + 1, order_id, created, registered_by or "system",
                         "registered", history_changes[(ch, otype)], ""))
        done += 1
        if len(orders_buf) >= CHUNK:
            flush()
    if current_day >= 0:
        for c, n in day_counter.items():
            counters[(c, current_day)] = n
    flush()
    stats.open_orders = open_orders
    stats.due_orders = len(due_set)
    counter_rows = [dict(court=court_names[c], day=f"{days.date(d):%Y%m%d}", last=n)
                    for (c, d), n in sorted(counters.items())]
    for i in range(0, len(counter_rows), CHUNK):
        conn.execute(insert(OrderCounter.__table__), counter_rows[i:i + CHUNK])
    stats.order_counters = len(counter_rows)


_RESOLUTIONS = {
    1: ("已查询并告知案件进展", "已告知开庭时间", "已告知文书送达情况", "已告知案件承办部门"),
    2: ("已当场解答", "已告知所需材料清单", "已告知诉讼费标准", "已指导网上立案操作"),
    3: ("已告知相关业务庭的联系电话",),
    4: ("已解释相关法律规定，来电人表示理解", "已告知申诉途径及材料要求"),
    5: ("已告知投诉途径，来电人表示理解", "已解释相关规定"),
    6: ("已当场解答", "已记录建议并致谢", "已告知办公时间"),
}
_FEEDBACK = ("已与当事人联系并答复", "已核实情况并向当事人说明", "已督促承办人加快办理并告知当事人",
             "已约谈当事人，问题已解决", "经核查反映情况不属实，已向当事人说明")


def _content(otype: int, decision: int, case: str | None, rnd: Callable[[], float]) -> str:
    if case is not None:
        options = _CONTENT_CASE.get(decision) or _CONTENT_CASE[otype]
        return options[int(rnd() * len(options))] % case
    options = _CONTENT.get(decision) or _CONTENT[otype]
    return options[int(rnd() * len(options))]


# Keyed by type (1–6) or by decision (10+ forwarded, 2/3 abusive/urgent).
_CONTENT_CASE = {
    1: ("查询%s案件的审理进度", "询问%s的开庭时间", "询问%s判决书何时送达", "查询%s执行款到账情况"),
    2: ("咨询%s上诉期限如何计算", "咨询%s申请执行需要哪些材料"),
    3: ("要求联系%s的承办法官", "多次联系不上%s的承办法官，请求转达"),
    4: ("对%s的裁判结果不服，提出申诉", "反映%s的问题，要求信访接待"),
    5: ("投诉%s承办法官拖延办案", "反映%s承办法官工作作风问题"),
    6: ("反映%s相关事项",),
    F_FILING: ("投诉立案窗口不接收%s相关起诉材料",),
    F_ENF_SUP: ("投诉%s执行案件长期未执行", "反映%s执行人员消极执行"),
    F_DISCIPLINE: ("举报%s承办人员收受当事人财物，提供了具体线索",),
}
_CONTENT = {
    1: ("查询案件进度，未提供案号", "询问本人案件由哪位法官承办"),
    2: ("咨询起诉离婚需要准备哪些材料", "咨询诉讼费缴纳标准", "咨询网上立案的操作步骤",
        "咨询财产保全的申请条件", "咨询上诉期限如何计算"),
    3: ("要求联系承办法官，未提供案号",),
    4: ("反映历史遗留问题，要求信访接待", "对判决不服，咨询申诉程序"),
    5: ("投诉法官拖延办案", "投诉工作人员服务态度差"),
    6: ("询问诉讼服务中心办公时间", "反映法院周边停车难", "建议增加自助终端"),
    R47: ("来电辱骂工作人员",),
    R48: ("情绪激动，称账户被冻结影响工资发放，请求紧急处理",),
    F_FILING: ("投诉立案窗口不接收起诉材料", "投诉网上立案长期未审核"),
    F_ENF_SUP: ("投诉执行案件长期未执行", "投诉执行人员态度粗暴"),
    F_DISCIPLINE: ("举报法院工作人员收受当事人财物，提供了具体线索",
                   "举报案卷材料丢失，提供了具体线索"),
}


# ---- command line --------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", required=True, help="SQLAlchemy URL of the (new) database")
    ap.add_argument("--orders", type=int, default=1_000_000, help="work orders (default 1M)")
    ap.add_argument("--now", help="end of the year of history, ISO 8601; without a zone it is "
                    "Asia/Shanghai time (default: now)")
    ap.add_argument("--seed", type=int, default=12368)
    ap.add_argument("--due-share", type=float, default=0.01,
                    help="share of the orders the sweep finds due at --now (default 0.01)")
    opts = ap.parse_args(argv)
    tz = ZoneInfo(TZ_NAME)
    if opts.now:
        now = datetime.fromisoformat(opts.now)
        if now.tzinfo is None:
            now = now.replace(tzinfo=tz)
    else:
        now = datetime.now(tz)
    started = _time.perf_counter()

    def report(done: int) -> None:
        print(f"  {done:>9,} orders  {_time.perf_counter() - started:6.1f} s", file=sys.stderr,
              flush=True)

    try:
        stats = generate(opts.url, opts.orders, now=now, seed=opts.seed,
                         due_share=opts.due_share, progress=report)
    except ProvinceError as exc:
        print(f"province: {exc}", file=sys.stderr)
        return 2
    print(f"province history up to {now.astimezone(tz):%Y-%m-%d %H:%M:%S %Z}, seed {opts.seed}")
    for table, n in stats.counts().items():
        print(f"  {table:<15} {n:>10,}")
    print(f"  due at now      {stats.due_orders:>10,}  (next_due_at <= now)")
    print(f"  open orders     {stats.open_orders:>10,}")
    share = stats.busiest_month_orders / max(stats.work_orders, 1)
    print(f"  busiest month   {stats.busiest_month}: {stats.busiest_month_orders:,} orders "
          f"({share:.1%})")
    print(f"  took            {stats.seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
