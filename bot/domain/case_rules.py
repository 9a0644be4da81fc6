"""Rules of a case as data: a table of moves, and the one pure function that takes a move.

A table holds ``Rule`` rows: (from statuses, action) → new status, who may take it, whether
words (a note, a reason) must be given, what the beneficiary is told, what is audited, whether
the move ends the case (the survey is then due), and which timestamps it sets. ``transition``
checks a move against its table, applies it to the case object and returns what happened as
events; handlers only persist and render them. No database and no messenger here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

# Role moves to bot/domain/roles.py (the integrator fixes this import)
from bot.domain.roles import Role

# who may take a move: the roles column names these
BENEFICIARY = "beneficiary"
SYSTEM = "system"  # scheduled jobs, erasure
ANY_STAFF: frozenset[str] = frozenset({Role.STAFF, Role.RESEARCHER, Role.SUPERVISOR})
DECIDERS: frozenset[str] = frozenset({Role.RESEARCHER, Role.SUPERVISOR})


@dataclass(frozen=True)
class Actor:
    """Who takes a move: a beneficiary, a member of staff with their role, or the system."""

    kind: str  # beneficiary | staff | system (also RequestEvent.actor_kind)
    id: int | None = None  # the Telegram user id, as recorded today
    role: Role | None = None  # staff only
    # staff only: the association's own roles column (profile ``permissions``: action → roles),
    # read instead of the table's for the actions it names
    permissions: Mapping[str, frozenset[str]] | None = field(default=None, compare=False)

    @classmethod
    def staff(
        cls,
        user_id: int | None,
        role: Role = Role.STAFF,
        permissions: Mapping[str, frozenset[str]] | None = None,
    ) -> Actor:
        return cls("staff", user_id, role, permissions)

    def may(self, rule: Rule) -> bool:
        """Whether this actor's role may take ``rule``'s move."""
        roles = rule.roles
        if self.kind == "staff" and self.permissions and rule.roles & ANY_STAFF:
            roles = self.permissions.get(rule.action, roles)
        return self.who in roles

    @classmethod
    def beneficiary(cls, user_id: int | None) -> Actor:
        return cls(BENEFICIARY, user_id)

    @property
    def who(self) -> str:
        """The name a rule's roles column uses for this actor."""
        return str(self.role or Role.STAFF) if self.kind == "staff" else self.kind


SYSTEM_ACTOR = Actor(SYSTEM)


@dataclass(frozen=True)
class Rule:
    """One row: from any of ``sources``, ``action`` moves the case to ``target``."""

    action: str
    sources: frozenset[str]
    target: str | None  # None: the status stays (the move is still recorded)
    roles: frozenset[str]
    needs_note: bool = False  # words from the actor are required (a reason, an outcome …)
    tell: str | None = None  # msgid of what the beneficiary is told
    audit: str | None = None  # AuditLog.action written for the move
    ends: bool = False  # the case is over for the beneficiary: the satisfaction survey is due
    stamps: tuple[str, ...] = ()  # timestamps set to now
    stamps_once: tuple[str, ...] = ()  # timestamps set to now when still empty
    note_to: str | None = None  # the case's attribute that keeps the note (None clears it)
    marks: Mapping[str, Any] = field(default_factory=dict)  # keys set in the case's ``data``
    on_card: bool = True  # a button on the staff card (else taken another way: a reply, /close)


class Why(StrEnum):
    UNKNOWN_ACTION = "unknown_action"
    WRONG_STATUS = "wrong_status"
    NOT_ALLOWED = "not_allowed"  # the actor's role may not take this move
    NOTE_REQUIRED = "note_required"


class Refused(Exception):
    """A move that the table does not allow; nothing was changed."""

    def __init__(self, why: Why, action: str, status: str) -> None:
        super().__init__(f"{action} from {status}: {why}")
        self.why, self.action, self.status = why, action, status


@dataclass(frozen=True)
class Table:
    name: str
    rules: tuple[Rule, ...]

    def __post_init__(self) -> None:
        seen: set[tuple[str, str]] = set()
        for rule in self.rules:
            for status in rule.sources:
                if (status, rule.action) in seen:
                    raise ValueError(f"{self.name}: two rows for {rule.action} from {status}")
                seen.add((status, rule.action))

    def knows(self, action: str) -> bool:
        return any(r.action == action for r in self.rules)

    def action_names(self, *, on_card: bool | None = None) -> tuple[str, ...]:
        """Every action of the table (or only those on the card, or only those off it)."""
        return tuple(
            dict.fromkeys(r.action for r in self.rules if on_card is None or r.on_card == on_card)
        )

    def rule(self, status: str, action: str) -> Rule | None:
        return next((r for r in self.rules if r.action == action and status in r.sources), None)

    def sources(self, action: str) -> frozenset[str]:
        """Every status from which ``action`` may be taken."""
        return frozenset().union(*(r.sources for r in self.rules if r.action == action))

    def actions(
        self, status: str, *, roles: Iterable[str] | None = None, on_card: bool | None = None
    ) -> tuple[str, ...]:
        """The actions open from ``status``, in the table's order (for buttons)."""
        wanted = frozenset(roles) if roles is not None else None
        out: list[str] = []
        for r in self.rules:
            if status not in r.sources or r.action in out:
                continue
            if (wanted is None or r.roles & wanted) and (on_card is None or r.on_card == on_card):
                out.append(r.action)
        return tuple(out)


class Case(Protocol):
    status: str


@dataclass(frozen=True)
class StatusChanged:
    """The move itself (``to_status`` equals ``from_status`` for a row that keeps the status)."""

    action: str
    from_status: str
    to_status: str
    actor: Actor
    note: str | None


@dataclass(frozen=True)
class Tell:
    """The beneficiary is to be told ``msgid`` (its parameters raw; the handler formats them)."""

    msgid: str
    params: Mapping[str, Any]


@dataclass(frozen=True)
class Audited:
    action: str
    actor: Actor
    detail: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Stamped:
    name: str
    at: datetime


@dataclass(frozen=True)
class SurveyDue:
    """The case ended: invite the beneficiary to rate it."""


Event = StatusChanged | Tell | Audited | Stamped | SurveyDue


def rule_for(table: Table, case: Case, action: str, actor: Actor) -> Rule:
    """The row that lets ``actor`` take ``action`` now, or ``Refused`` (the note is not checked:
    handlers ask for words only once the move is known to fit)."""
    if not table.knows(action):
        raise Refused(Why.UNKNOWN_ACTION, action, case.status)
    rule = table.rule(case.status, action)
    if rule is None:
        raise Refused(Why.WRONG_STATUS, action, case.status)
    if not actor.may(rule):
        raise Refused(Why.NOT_ALLOWED, action, case.status)
    return rule


def transition(
    table: Table,
    case: Any,
    action: str,
    actor: Actor,
    note: str | None = None,
    *,
    now: datetime | None = None,
) -> list[Event]:
    """Take a move: check it, apply it to ``case`` and return what happened."""
    rule = rule_for(table, case, action, actor)
    note = (note or "").strip() or None
    if rule.needs_note and note is None:
        raise Refused(Why.NOTE_REQUIRED, action, case.status)
    now = now or datetime.now(UTC)
    from_status = case.status
    if rule.target is not None:
        case.status = rule.target
    events: list[Event] = [StatusChanged(action, from_status, case.status, actor, note)]
    for name in rule.stamps:
        setattr(case, name, now)
        events.append(Stamped(name, now))
    for name in rule.stamps_once:
        if getattr(case, name) is None:
            setattr(case, name, now)
            events.append(Stamped(name, now))
    if rule.note_to is not None:
        setattr(case, rule.note_to, note)
    if rule.marks:
        case.data = {**(case.data or {}), **rule.marks}
    if rule.audit is not None:
        events.append(Audited(rule.audit, actor, dict(rule.marks) or None))
    if rule.tell is not None:
        reference = getattr(case, "reference", None)
        events.append(Tell(rule.tell, {"reference": reference, "note": note}))
    if rule.ends:
        events.append(SurveyDue())
    return events
