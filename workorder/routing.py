"""Who a role is, for one order: the court directory turns "the petition office head" or
"the presiding judge" into a person with a mobile number (R4, R5, R8).

:class:`Directory` is a snapshot of one platform's directory in memory (a province has a
few thousand rows), so the sweep can resolve thousands of escalations without a query
each; :func:`load` reads it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from workorder.errors import DomainError
from workorder.models import Court, Department, Judge, Leader
from workorder.types import DepartmentKind, Role

__all__ = ["Directory", "RoutingError", "Target", "load"]


class RoutingError(DomainError):
    """The directory has nobody for a role; the message says what to import or choose."""

    def __str__(self) -> str:  # LookupError would quote the message
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True, slots=True)
class Target:
    role: Role
    name: str
    mobile: str
    department_id: int | None = None
    judge_id: int | None = None


_KIND_OF_ROLE = {
    Role.PETITION_HEAD: (DepartmentKind.PETITION,),
    Role.FILING_HEAD: (DepartmentKind.FILING,),
    # Courts without a separate enforcement-supervision office supervise in the bureau.
    Role.ENFORCEMENT_SUPERVISION_HEAD: (DepartmentKind.ENFORCEMENT_SUPERVISION,
                                        DepartmentKind.ENFORCEMENT),
    Role.DISCIPLINE_HEAD: (DepartmentKind.DISCIPLINE,),
}


@dataclass
class Directory:
    departments: dict[int, Department]
    judges: dict[int, Judge]
    leaders: dict[int, Leader]
    courts: dict[str, Court]  # by name

    def _president(self, court: str) -> Leader | None:
        for leader in self.leaders.values():
            if leader.court == court and leader.role == "president":
                return leader
        return None

    def department_of_kind(self, court: str, kinds: tuple[DepartmentKind, ...]) -> Department:
        for kind in kinds:
            for d in sorted(self.departments.values(), key=lambda d: d.id):
                if d.court == court and d.kind == kind:
                    return d
        labels = "/".join(k.value for k in kinds)
        raise RoutingError(f"{court} has no department of kind {labels} in the directory; "
                           "import it with `hotline directory import`, or choose a department")

    def resolve(self, role: Role, court: str, department_id: int | None = None,
                judge_id: int | None = None) -> Target:
        """The person who takes ``role`` for an order of ``court``."""
        role = Role(role)
        if role == Role.JUDGE:
            judge = self.judges.get(judge_id) if judge_id else None
            if judge is None:
                raise RoutingError("no presiding judge: give the case number (from the "
                                   "directory's case table) or name the judge")
            return Target(role, judge.name, judge.mobile, judge.department_id, judge.id)
        if role in _KIND_OF_ROLE:
            d = self.department_of_kind(court, _KIND_OF_ROLE[role])
            return Target(role, d.head_name, d.head_mobile, d.id)
        if department_id is None and judge_id and judge_id in self.judges:
            department_id = self.judges[judge_id].department_id
        dept = self.departments.get(department_id) if department_id else None
        if role in (Role.DEPARTMENT_HEAD, Role.DEPARTMENT_LEADER, Role.DEPUTY_HEAD):
            if dept is None:
                raise RoutingError(f"{role.value}: no department known for this order; "
                                   "give the case number, the judge or the department")
            if role == Role.DEPUTY_HEAD:
                if not dept.deputy_head_name:
                    return Target(Role.DEPARTMENT_HEAD, dept.head_name, dept.head_mobile, dept.id)
                return Target(role, dept.deputy_head_name, dept.deputy_head_mobile, dept.id)
            return Target(role, dept.head_name, dept.head_mobile, dept.id)
        if role == Role.DEPUTY_PRESIDENT:
            leader = self.leaders.get(dept.leader_id) if dept and dept.leader_id else None
            if leader is None:  # no portfolio known: the president takes it
                leader = self._president(court)
            if leader is None:
                raise RoutingError(f"{court}: no deputy president or president in the directory")
            return Target(role, leader.name, leader.mobile, department_id)
        if role == Role.PRESIDENT:
            leader = self._president(court)
            if leader is None:
                raise RoutingError(f"{court}: no president in the directory")
            return Target(role, leader.name, leader.mobile, department_id)
        if role == Role.INTERMEDIATE_PRESIDENT:
            this = self.courts.get(court)
            parent = next((c for c in self.courts.values()
                           if this is not None and c.id == this.parent_id), None)
            leader = self._president(parent.name) if parent else None
            if leader is None:
                raise RoutingError(f"{court}: no intermediate court president in the directory")
            return Target(role, leader.name, leader.mobile, department_id)
        raise RoutingError(f"no routing for role {role.value}")

    def is_primary(self, court: str) -> bool:
        c = self.courts.get(court)
        return c is not None and c.level == "primary"


def load(session: Session) -> Directory:
    return Directory(
        departments={d.id: d for d in session.scalars(select(Department))},
        judges={j.id: j for j in session.scalars(select(Judge))},
        leaders={x.id: x for x in session.scalars(select(Leader))},
        courts={c.name: c for c in session.scalars(select(Court))},
    )
