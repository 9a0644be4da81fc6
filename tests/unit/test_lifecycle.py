"""The case lifecycles as data (bot.domain.lifecycle): every row of every table taken, and the
refusals (unknown action, wrong status, missing reason, role) — no Telegram, no database."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from bot.domain import lifecycle
from bot.domain.lifecycle import (
    BENEFICIARY,
    DECIDERS,
    REQUEST_RULES,
    SYSTEM,
    TICKET_RULES,
    Actor,
    Audited,
    Kind,
    Refused,
    Stamped,
    Status,
    StatusChanged,
    SurveyDue,
    Tell,
    TicketStatus,
    Why,
)
from bot.domain.roles import Role
from bot.i18n import translator

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
S, T = Status, TicketStatus
STAFF = frozenset({Role.STAFF, Role.RESEARCHER, Role.SUPERVISOR})
BEN = frozenset({BENEFICIARY})
SYS = frozenset({SYSTEM})
UNDECIDED = {S.SUBMITTED, S.UNDER_REVIEW, S.AWAITING_DOCUMENTS, S.INTERVIEW, S.FIELD_VISIT}
T_OPEN = {T.OPEN, T.ACKNOWLEDGED, T.ANSWERED, T.ESCALATED}
ACTORS = {
    BENEFICIARY: Actor.beneficiary(501),
    SYSTEM: lifecycle.SYSTEM_ACTOR,
    Role.STAFF: Actor.staff(901, Role.STAFF),
    Role.RESEARCHER: Actor.staff(902, Role.RESEARCHER),
    Role.SUPERVISOR: Actor.staff(903, Role.SUPERVISOR),
}

# What each table must say, written out by hand: (action, from statuses, new status (None: stays),
# who may take it, reason required, beneficiary told, audited as, ends the case, timestamps set)
REQUEST = [
    ("submitted", {S.DRAFT}, S.SUBMITTED, BEN, False, False, None, False, {"submitted_at"}),
    (
        "review",
        {S.SUBMITTED, S.AWAITING_DOCUMENTS},
        S.UNDER_REVIEW,
        STAFF,
        False,
        True,
        None,
        False,
        set(),
    ),
    (
        "docs",
        {S.SUBMITTED, S.UNDER_REVIEW, S.INTERVIEW, S.FIELD_VISIT},
        S.AWAITING_DOCUMENTS,
        STAFF,
        True,
        True,
        None,
        False,
        set(),
    ),
    (
        "interview",
        {S.UNDER_REVIEW, S.AWAITING_DOCUMENTS, S.FIELD_VISIT},
        S.INTERVIEW,
        STAFF,
        True,
        True,
        None,
        False,
        set(),
    ),
    (
        "visit",
        {S.UNDER_REVIEW, S.AWAITING_DOCUMENTS, S.INTERVIEW},
        S.FIELD_VISIT,
        STAFF,
        True,
        True,
        None,
        False,
        set(),
    ),
    (
        "approve",
        {S.UNDER_REVIEW, S.AWAITING_DOCUMENTS, S.INTERVIEW, S.FIELD_VISIT},
        S.APPROVED,
        DECIDERS,
        False,
        True,
        "decision:approve",
        False,
        {"decided_at"},
    ),
    (
        "reject",
        UNDECIDED,
        S.REJECTED,
        DECIDERS,
        True,
        True,
        "decision:reject",
        False,
        {"decided_at"},
    ),
    ("deliver", {S.APPROVED}, S.DELIVERED, STAFF, False, True, None, False, set()),
    (
        "close",
        {S.APPROVED, S.DELIVERED, S.REJECTED},
        S.CLOSED,
        STAFF,
        False,
        True,
        None,
        True,
        {"closed_at"},
    ),
    ("reply", UNDECIDED | {S.APPROVED}, None, STAFF, False, False, None, False, set()),
    ("withdrawn", UNDECIDED, S.WITHDRAWN, BEN, False, False, None, False, {"closed_at"}),
    (
        "documents_added",
        {S.AWAITING_DOCUMENTS},
        S.UNDER_REVIEW,
        BEN,
        False,
        False,
        None,
        False,
        set(),
    ),
    (
        "withdrawn_on_erasure",
        UNDECIDED | {S.APPROVED},
        S.WITHDRAWN,
        BEN,
        False,
        False,
        None,
        False,
        set(),
    ),
    ("deadline_reminder", UNDECIDED, None, SYS, False, False, None, False, set()),
    ("overdue_alert", UNDECIDED, None, SYS, False, True, None, False, set()),
]
INQUIRY = [
    ("close", T_OPEN, T.CLOSED, STAFF, False, True, None, True, {"closed_at"}),
    ("reply", {T.OPEN, T.ACKNOWLEDGED}, T.ANSWERED, STAFF, False, False, None, False, set()),
    ("reply", {T.ANSWERED, T.ESCALATED}, None, STAFF, False, False, None, False, set()),
]
COMPLAINT = [
    ("ack", {T.OPEN}, T.ACKNOWLEDGED, STAFF, False, True, None, False, {"first_response_at"}),
    (
        "resolve",
        T_OPEN,
        T.RESOLVED,
        STAFF,
        True,
        True,
        "ticket_resolved",
        True,
        {"closed_at", "first_response_at"},
    ),
    (
        "escalate",
        T_OPEN - {T.ESCALATED},
        T.ESCALATED,
        STAFF,
        False,
        True,
        None,
        False,
        {"escalated_at"},
    ),
    ("close", T_OPEN, T.CLOSED, STAFF, False, True, None, True, {"closed_at"}),
    ("reply", T_OPEN, None, STAFF, False, False, None, False, set()),
]
COMPENSATION = [
    *COMPLAINT,
    ("breach", T_OPEN, None, STAFF, False, False, "compensation_breach", False, set()),
    ("no_breach", T_OPEN, None, STAFF, False, False, "compensation_breach", False, set()),
]
EXPECTED = {
    "request": REQUEST,
    Kind.INQUIRY: INQUIRY,
    Kind.COMPLAINT: COMPLAINT,
    Kind.SUGGESTION: COMPLAINT,
    Kind.COMPENSATION: COMPENSATION,
}
TABLES = {"request": REQUEST_RULES, **TICKET_RULES}


def make_case(kind: str, status: str) -> SimpleNamespace:
    if kind == "request":
        return SimpleNamespace(
            status=status,
            reference="REQ-1448-0001",
            submitted_at=None,
            decided_at=None,
            decision_reason="old reason",
            closed_at=None,
        )
    return SimpleNamespace(
        kind=str(kind),
        status=status,
        reference="CMP-1448-0001",
        data={},
        first_response_at=None,
        escalated_at=None,
        closed_at=None,
        outcome=None,
    )


def expanded(rows: list) -> dict[tuple[str, str], tuple]:
    return {(row[0], str(status)): row for row in rows for status in row[1]}


TABLE_ROWS = [
    (kind, rule.action, str(status))
    for kind, table in TABLES.items()
    for rule in table.rules
    for status in sorted(rule.sources)
]
EXPECTED_ROWS = [
    (kind, action, status) for kind, rows in EXPECTED.items() for action, status in expanded(rows)
]


def row_id(row: tuple) -> str:
    return "-".join(map(str, row))


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_each_table_holds_exactly_the_expected_rows(kind: str) -> None:
    in_table = {(r.action, str(s)) for r in TABLES[kind].rules for s in r.sources}
    assert in_table == set(expanded(EXPECTED[kind]))


def check_row(kind: str, action: str, status: str) -> None:
    expected = expanded(EXPECTED[kind]).get((action, status))
    assert expected is not None, f"{kind}: {action} from {status} is not expected"
    _, _, target, roles, needs_note, tells, audit, ends, stamps = expected
    rule = TABLES[kind].rule(status, action)
    assert rule is not None, f"{kind}: no row for {action} from {status}"
    assert (rule.roles, rule.needs_note) == (roles, needs_note)
    for who, actor in ACTORS.items():
        case = make_case(kind, status)
        if who not in roles:
            with pytest.raises(Refused) as refused:
                lifecycle.transition(case, action, actor, "a note", now=NOW)
            assert refused.value.why == Why.NOT_ALLOWED and case.status == status
            continue
        events = lifecycle.transition(case, action, actor, "  a note  ", now=NOW)
        assert case.status == (target or status)
        assert events[0] == StatusChanged(action, status, target or status, actor, "a note")
        told = [e for e in events if isinstance(e, Tell)]
        assert bool(told) == tells
        for tell in told:
            assert tell.params == {"reference": case.reference, "note": "a note"}
            assert translator("ar").gettext(tell.msgid) != tell.msgid  # said in Arabic
        assert [e.action for e in events if isinstance(e, Audited)] == ([audit] if audit else [])
        assert any(isinstance(e, SurveyDue) for e in events) == ends
        assert {e.name for e in events if isinstance(e, Stamped)} == stamps
        for name in stamps:
            assert getattr(case, name) == NOW


@pytest.mark.parametrize("kind,action,status", TABLE_ROWS, ids=map(row_id, TABLE_ROWS))
def test_every_row_of_every_table(kind: str, action: str, status: str) -> None:
    check_row(kind, action, status)


@pytest.mark.parametrize("kind,action,status", EXPECTED_ROWS, ids=map(row_id, EXPECTED_ROWS))
def test_every_expected_row_is_in_its_table(kind: str, action: str, status: str) -> None:
    check_row(kind, action, status)


ALL_STATUSES = {"request": list(Status), **{k: list(TicketStatus) for k in TICKET_RULES}}
WRONG = [
    (kind, action, str(status))
    for kind, rows in EXPECTED.items()
    for action in dict.fromkeys(r[0] for r in rows)
    for status in ALL_STATUSES[kind]
    if (action, str(status)) not in expanded(rows)
]


@pytest.mark.parametrize("kind,action,status", WRONG, ids=map(row_id, WRONG))
def test_wrong_status_is_refused_and_nothing_changes(kind: str, action: str, status: str) -> None:
    case = make_case(kind, status)
    before = dict(vars(case))
    for actor in ACTORS.values():
        with pytest.raises(Refused) as refused:
            lifecycle.transition(case, action, actor, "a note", now=NOW)
        assert refused.value.why == Why.WRONG_STATUS
    assert vars(case) == before


NEEDS_NOTE = [
    (kind, row[0], str(status))
    for kind, rows in EXPECTED.items()
    for row in rows
    if row[4]
    for status in row[1]
]


@pytest.mark.parametrize("kind,action,status", NEEDS_NOTE, ids=map(row_id, NEEDS_NOTE))
@pytest.mark.parametrize("note", [None, "", "   \n"])
def test_missing_reason_is_refused(kind: str, action: str, status: str, note: str | None) -> None:
    case = make_case(kind, status)
    before = dict(vars(case))
    with pytest.raises(Refused) as refused:
        lifecycle.transition(case, action, ACTORS[Role.SUPERVISOR], note, now=NOW)
    assert refused.value.why == Why.NOTE_REQUIRED and vars(case) == before


@pytest.mark.parametrize("kind", list(TABLES))
def test_an_unknown_action_is_refused(kind: str) -> None:
    case = make_case(kind, T.OPEN if kind in TICKET_RULES else S.SUBMITTED)
    with pytest.raises(Refused) as refused:
        lifecycle.transition(case, "delete_everything", ACTORS[Role.SUPERVISOR])
    assert refused.value.why == Why.UNKNOWN_ACTION


def test_breach_is_only_for_compensation_claims() -> None:
    for kind in (Kind.INQUIRY, Kind.COMPLAINT, Kind.SUGGESTION):
        with pytest.raises(Refused) as refused:
            lifecycle.transition(make_case(kind, T.OPEN), "breach", ACTORS[Role.STAFF])
        assert refused.value.why == Why.UNKNOWN_ACTION


@pytest.mark.parametrize("action,breach", [("breach", True), ("no_breach", False)])
def test_breach_is_kept_on_the_claim_and_audited(action: str, breach: bool) -> None:
    case = make_case(Kind.COMPENSATION, T.ACKNOWLEDGED)
    case.data = {"title": "late"}
    events = lifecycle.transition(case, action, ACTORS[Role.STAFF])
    assert case.data == {"title": "late", "breach": breach}
    assert [e for e in events if isinstance(e, Audited)] == [
        Audited("compensation_breach", ACTORS[Role.STAFF], {"breach": breach})
    ]


def test_decisions_keep_the_reason_and_approval_clears_it() -> None:
    rejected = make_case("request", S.UNDER_REVIEW)
    lifecycle.transition(
        rejected, "reject", ACTORS[Role.RESEARCHER], "income above the limit", now=NOW
    )
    assert (rejected.decision_reason, rejected.decided_at) == ("income above the limit", NOW)
    approved = make_case("request", S.UNDER_REVIEW)
    lifecycle.transition(approved, "approve", ACTORS[Role.RESEARCHER], now=NOW)
    assert approved.decision_reason is None and approved.decided_at == NOW


def test_resolving_keeps_the_outcome_and_the_first_response_is_not_moved() -> None:
    earlier = datetime(2026, 11, 1, tzinfo=UTC)
    case = make_case(Kind.COMPLAINT, T.ACKNOWLEDGED)
    case.first_response_at = earlier
    events = lifecycle.transition(case, "resolve", ACTORS[Role.STAFF], "refunded", now=NOW)
    assert (case.outcome, case.closed_at, case.first_response_at) == ("refunded", NOW, earlier)
    assert [e.name for e in events if isinstance(e, Stamped)] == ["closed_at"]


def test_approval_can_be_kept_for_researchers_and_supervisors() -> None:
    table = lifecycle.request_rules(deciders=DECIDERS)
    for action, note in (("approve", None), ("reject", "a reason")):
        with pytest.raises(Refused) as refused:
            lifecycle.transition(
                make_case("request", S.UNDER_REVIEW), action, ACTORS[Role.STAFF], note, table=table
            )
        assert refused.value.why == Why.NOT_ALLOWED
        for role in (Role.RESEARCHER, Role.SUPERVISOR):
            case = make_case("request", S.UNDER_REVIEW)
            lifecycle.transition(case, action, ACTORS[role], note, table=table)
            assert case.status in (S.APPROVED, S.REJECTED)
    # every other staff move stays open to every member of the staff group
    case = make_case("request", S.SUBMITTED)
    lifecycle.transition(case, "review", ACTORS[Role.STAFF], table=table)
    assert case.status == S.UNDER_REVIEW


def test_a_profiles_permissions_are_the_roles_column() -> None:
    """An association may let any member decide, or keep the review for supervisors: the
    actor carries its profile's ``permissions`` and the table reads them."""
    from bot.profile.schema import Permissions

    anyone = Permissions(approve=("staff", "researcher", "supervisor")).as_map()
    case = make_case("request", S.INTERVIEW)
    lifecycle.transition(case, "approve", Actor.staff(901, Role.STAFF, anyone))
    assert case.status == S.APPROVED
    strict = Permissions(review=("supervisor",)).as_map()
    with pytest.raises(Refused, match="not_allowed"):
        lifecycle.transition(
            make_case("request", S.SUBMITTED), "review", Actor.staff(902, Role.RESEARCHER, strict)
        )
    with pytest.raises(Refused, match="not_allowed"):  # the default: decisions for deciders
        lifecycle.transition(
            make_case("request", S.INTERVIEW),
            "approve",
            Actor.staff(901, Role.STAFF, Permissions().as_map()),
        )


def test_a_beneficiary_cannot_take_a_staff_move_nor_staff_a_beneficiarys() -> None:
    with pytest.raises(Refused, match="not_allowed"):
        lifecycle.transition(make_case("request", S.SUBMITTED), "review", ACTORS[BENEFICIARY])
    with pytest.raises(Refused, match="not_allowed"):
        lifecycle.transition(
            make_case("request", S.SUBMITTED), "withdrawn", ACTORS[Role.SUPERVISOR]
        )


# The staff card's buttons, as they were before the tables (request_cards.ACTIONS)
REQUEST_CARD = {
    S.SUBMITTED: ("review", "docs", "reject"),
    S.UNDER_REVIEW: ("docs", "interview", "visit", "approve", "reject"),
    S.AWAITING_DOCUMENTS: ("review", "interview", "visit", "approve", "reject"),
    S.INTERVIEW: ("docs", "visit", "approve", "reject"),
    S.FIELD_VISIT: ("docs", "interview", "approve", "reject"),
    S.APPROVED: ("deliver", "close"),
    S.DELIVERED: ("close",),
    S.REJECTED: ("close",),
}


@pytest.mark.parametrize("status", list(Status))
def test_the_request_cards_buttons_come_from_the_table(status: Status) -> None:
    assert lifecycle.card_actions(make_case("request", status)) == REQUEST_CARD.get(status, ())


TICKET_CARD = {
    Kind.INQUIRY: {s: ("close",) for s in T_OPEN},
    Kind.COMPLAINT: {
        T.OPEN: ("ack", "resolve", "escalate"),
        T.ACKNOWLEDGED: ("resolve", "escalate"),
        T.ANSWERED: ("resolve", "escalate"),
        T.ESCALATED: ("resolve",),
    },
}
TICKET_CARD[Kind.SUGGESTION] = TICKET_CARD[Kind.COMPLAINT]
TICKET_CARD[Kind.COMPENSATION] = {
    T.OPEN: ("ack", "breach", "no_breach", "resolve", "escalate"),
    T.ACKNOWLEDGED: ("breach", "no_breach", "resolve", "escalate"),
    T.ANSWERED: ("breach", "no_breach", "resolve", "escalate"),
    T.ESCALATED: ("breach", "no_breach", "resolve"),
}


@pytest.mark.parametrize("kind", list(Kind))
@pytest.mark.parametrize("status", list(TicketStatus))
def test_the_ticket_cards_buttons_come_from_the_table(kind: Kind, status: TicketStatus) -> None:
    assert lifecycle.card_actions(make_case(kind, status)) == TICKET_CARD[kind].get(status, ())


def test_a_table_refuses_two_rows_for_one_move() -> None:
    rule = lifecycle.Rule("x", frozenset({"a", "b"}), "c", STAFF)
    with pytest.raises(ValueError, match="two rows"):
        lifecycle.Table("broken", (rule, lifecycle.Rule("x", frozenset({"b"}), "d", STAFF)))
