"""The lifecycles of cases, Telegram-free: the service request (policy 004's eligibility
mechanism), the inquiry handed to staff, the complaint, suggestion and compensation claim.

Statuses, what each means to the beneficiary, what happens next, and — as one table per kind of
case — which moves are allowed, to whom, and what follows from each (``bot.domain.case_rules``).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.domain import case_rules
from bot.domain.case_rules import (  # noqa: F401
    ANY_STAFF,
    BENEFICIARY,
    DECIDERS,
    SYSTEM,
    SYSTEM_ACTOR,
    Actor,
    Audited,
    Event,
    Refused,
    Rule,
    Stamped,
    StatusChanged,
    SurveyDue,
    Table,
    Tell,
    Why,
)
from bot.i18n import N_


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    AWAITING_DOCUMENTS = "awaiting_documents"
    INTERVIEW = "interview_scheduled"
    FIELD_VISIT = "field_visit_scheduled"
    APPROVED = "approved"
    REJECTED = "rejected"
    DELIVERED = "delivered"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


LABELS: dict[Status, str] = {
    Status.DRAFT: N_("Draft"),
    Status.SUBMITTED: N_("Received"),
    Status.UNDER_REVIEW: N_("Under review"),
    Status.AWAITING_DOCUMENTS: N_("Awaiting documents"),
    Status.INTERVIEW: N_("Interview scheduled"),
    Status.FIELD_VISIT: N_("Field visit scheduled"),
    Status.APPROVED: N_("Approved"),
    Status.REJECTED: N_("Not approved"),
    Status.DELIVERED: N_("Service delivered"),
    Status.CLOSED: N_("Closed"),
    Status.WITHDRAWN: N_("Withdrawn at your request"),
}

NEXT_STEP: dict[Status, str] = {
    Status.DRAFT: N_("Finish the form and send it."),
    Status.SUBMITTED: N_(
        "The research committee will study your request and tell you of its decision here."
    ),
    Status.UNDER_REVIEW: N_(
        "A social researcher is studying your request. We will tell you of every step here."
    ),
    Status.AWAITING_DOCUMENTS: N_("Please add the documents we asked for, with the button below."),
    Status.INTERVIEW: N_("Please attend the interview at the time we sent you."),
    Status.FIELD_VISIT: N_("A member of the team will visit you at the time we sent you."),
    Status.APPROVED: N_(
        "Your request was approved; the team will contact you to deliver the service."
    ),
    Status.REJECTED: N_(
        "You may apply again when your circumstances change, or send us a complaint if you disagree."
    ),
    Status.DELIVERED: N_("The service was delivered. We would be glad to hear your opinion."),
    Status.CLOSED: N_("This request is closed."),
    Status.WITHDRAWN: N_("This request was withdrawn; you may apply again at any time."),
}

OPEN = frozenset(
    {
        Status.SUBMITTED,
        Status.UNDER_REVIEW,
        Status.AWAITING_DOCUMENTS,
        Status.INTERVIEW,
        Status.FIELD_VISIT,
        Status.APPROVED,
    }
)
FINAL = frozenset({Status.REJECTED, Status.CLOSED, Status.WITHDRAWN})


def label(status: str) -> str:
    return LABELS.get(Status(status), status) if status in Status._value2member_map_ else status


def next_step(status: str) -> str:
    return NEXT_STEP.get(Status(status), "") if status in Status._value2member_map_ else ""


# --------------------------------------------------------------------------------------------
# Tickets: an inquiry handed to staff, a complaint, a suggestion, a compensation claim
# (bot.domain.tickets re-exports these; they live here so that every case's rules are in one place)
# --------------------------------------------------------------------------------------------


class Kind(StrEnum):
    INQUIRY = "inquiry"
    COMPLAINT = "complaint"
    SUGGESTION = "suggestion"
    COMPENSATION = "compensation"


class TicketStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    ANSWERED = "answered"
    ESCALATED = "escalated"
    RESOLVED = "resolved"
    CLOSED = "closed"


TICKET_OPEN = frozenset(
    {TicketStatus.OPEN, TicketStatus.ACKNOWLEDGED, TicketStatus.ANSWERED, TicketStatus.ESCALATED}
)


# --------------------------------------------------------------------------------------------
# The tables: one per kind of case
# --------------------------------------------------------------------------------------------

S = Status
UNDECIDED = OPEN - {S.APPROVED}  # may be rejected or withdrawn; watched by the deadline jobs
WITHDRAWABLE = UNDECIDED
OVERDUE_APOLOGY = N_(
    "We apologise: the study of your request {reference} is taking longer than planned, because the committee is still checking its information. It has not been forgotten; it is being handled, and we will tell you of the decision here. You can also ask about it from “My requests”."
)


def request_rules(*, deciders: frozenset[str] = DECIDERS) -> Table:
    """The service request (policy 004's eligibility mechanism). ``deciders``: who may approve
    or reject — a researcher or a supervisor by default; an association's profile
    (``permissions``) may say otherwise for any staff move (``Actor.permissions``)."""
    staff = ANY_STAFF
    return Table(
        "request",
        (
            # the beneficiary sends the form
            Rule(
                "submitted",
                frozenset({S.DRAFT}),
                S.SUBMITTED,
                frozenset({BENEFICIARY}),
                stamps=("submitted_at",),
                on_card=False,
            ),
            # the staff card, in the order its buttons show
            Rule(
                "review",
                frozenset({S.SUBMITTED, S.AWAITING_DOCUMENTS}),
                S.UNDER_REVIEW,
                staff,
                tell=N_(
                    "Your request {reference} is now being studied by the social researcher. We will tell you of every step here."
                ),
            ),
            Rule(
                "docs",
                frozenset({S.SUBMITTED, S.UNDER_REVIEW, S.INTERVIEW, S.FIELD_VISIT}),
                S.AWAITING_DOCUMENTS,
                staff,
                needs_note=True,
                tell=N_(
                    "To complete your request {reference}, please add the following:\n{note}\n\nPress the button below, then send the documents as photos or PDF files."
                ),
            ),
            Rule(
                "interview",
                frozenset({S.UNDER_REVIEW, S.AWAITING_DOCUMENTS, S.FIELD_VISIT}),
                S.INTERVIEW,
                staff,
                needs_note=True,
                tell=N_(
                    "A personal interview is scheduled for your request {reference}:\n{note}\nIf the time does not suit you, please tell us here."
                ),
            ),
            Rule(
                "visit",
                frozenset({S.UNDER_REVIEW, S.AWAITING_DOCUMENTS, S.INTERVIEW}),
                S.FIELD_VISIT,
                staff,
                needs_note=True,
                tell=N_(
                    "A field visit is scheduled for your request {reference}:\n{note}\nA member of the association's team will visit you; if the time does not suit you, please tell us here."
                ),
            ),
            Rule(
                "approve",
                frozenset({S.UNDER_REVIEW, S.AWAITING_DOCUMENTS, S.INTERVIEW, S.FIELD_VISIT}),
                S.APPROVED,
                deciders,
                tell=N_(
                    "Good news: your request {reference} has been approved. The association's team will contact you to deliver the service."
                ),
                audit="decision:approve",
                stamps=("decided_at",),
                note_to="decision_reason",
            ),
            Rule(
                "reject",
                UNDECIDED,
                S.REJECTED,
                deciders,
                needs_note=True,
                tell=N_(
                    "We are sorry to tell you that your request {reference} was not approved.\nReason: {note}\nYou may apply again if your circumstances change, or send us a complaint if you disagree with the decision."
                ),
                audit="decision:reject",
                stamps=("decided_at",),
                note_to="decision_reason",
            ),
            Rule(
                "deliver",
                frozenset({S.APPROVED}),
                S.DELIVERED,
                staff,
                tell=N_(
                    "The service for your request {reference} has been delivered. Thank you for your trust in the association."
                ),
            ),
            Rule(
                "close",
                frozenset({S.APPROVED, S.DELIVERED, S.REJECTED}),
                S.CLOSED,
                staff,
                tell=N_("Your request {reference} is now closed. Thank you."),
                stamps=("closed_at",),
                ends=True,
            ),
            # a staff reply to any message of the request's thread, relayed to the beneficiary
            Rule("reply", OPEN, None, staff, on_card=False),
            # the beneficiary's own moves
            Rule(
                "withdrawn",
                WITHDRAWABLE,
                S.WITHDRAWN,
                frozenset({BENEFICIARY}),
                stamps=("closed_at",),
                on_card=False,
            ),
            Rule(
                "documents_added",
                frozenset({S.AWAITING_DOCUMENTS}),
                S.UNDER_REVIEW,
                frozenset({BENEFICIARY}),
                on_card=False,
            ),  # the note: how many files
            # erasure of the person (policy: their open requests are withdrawn, the case kept)
            Rule(
                "withdrawn_on_erasure", OPEN, S.WITHDRAWN, frozenset({BENEFICIARY}), on_card=False
            ),
            # the deadline jobs: recorded so that a restart neither repeats nor forgets
            Rule("deadline_reminder", UNDECIDED, None, frozenset({SYSTEM}), on_card=False),
            Rule(
                "overdue_alert",
                UNDECIDED,
                None,
                frozenset({SYSTEM}),
                tell=OVERDUE_APOLOGY,
                on_card=False,
            ),
        ),
    )


T = TicketStatus
_CLOSED_TICKET = N_(
    "Your case {reference} is now closed. Thank you for contacting us; you can write to us again at any time."
)


def _ticket_close(on_card: bool) -> Rule:
    return Rule(
        "close",
        TICKET_OPEN,
        T.CLOSED,
        ANY_STAFF,
        tell=_CLOSED_TICKET,
        stamps=("closed_at",),
        ends=True,
        on_card=on_card,
    )


INQUIRY_RULES = Table(
    "inquiry",
    (
        _ticket_close(on_card=True),
        # a staff reply relayed to the beneficiary (the reply itself is what they read)
        Rule("reply", frozenset({T.OPEN, T.ACKNOWLEDGED}), T.ANSWERED, ANY_STAFF, on_card=False),
        Rule("reply", frozenset({T.ANSWERED, T.ESCALATED}), None, ANY_STAFF, on_card=False),
    ),
)


def complaint_rules(kind: Kind) -> Table:
    """Complaints and suggestions; a compensation claim also records whether our obligations
    were breached (policy clauses 14, 19, 20)."""
    breach = (
        ()
        if kind != Kind.COMPENSATION
        else (
            Rule(
                "breach",
                TICKET_OPEN,
                None,
                ANY_STAFF,
                audit="compensation_breach",
                marks={"breach": True},
            ),
            Rule(
                "no_breach",
                TICKET_OPEN,
                None,
                ANY_STAFF,
                audit="compensation_breach",
                marks={"breach": False},
            ),
        )
    )
    return Table(
        str(kind),
        (
            Rule(
                "ack",
                frozenset({T.OPEN}),
                T.ACKNOWLEDGED,
                ANY_STAFF,
                stamps_once=("first_response_at",),
                tell=N_(
                    "Your {kind} {reference} has been received by the responsible team and is being handled. We will reply to you here."
                ),
            ),
            *breach,
            Rule(
                "resolve",
                TICKET_OPEN,
                T.RESOLVED,
                ANY_STAFF,
                needs_note=True,
                note_to="outcome",
                stamps=("closed_at",),
                stamps_once=("first_response_at",),
                audit="ticket_resolved",
                tell=N_(
                    "Your {kind} {reference} has been resolved.\nOutcome: {outcome}\nThank you for helping us improve."
                ),
                ends=True,
            ),
            Rule(
                "escalate",
                TICKET_OPEN - {T.ESCALATED},
                T.ESCALATED,
                ANY_STAFF,
                stamps=("escalated_at",),
                tell=N_(
                    "Your {kind} {reference} has been raised to a supervisor at the association for attention."
                ),
            ),
            _ticket_close(on_card=False),  # /close as a reply to the card
            Rule("reply", TICKET_OPEN, None, ANY_STAFF, on_card=False),
        ),
    )


REQUEST_RULES = request_rules()
TICKET_RULES: dict[Kind, Table] = {
    Kind.INQUIRY: INQUIRY_RULES,
    Kind.COMPLAINT: complaint_rules(Kind.COMPLAINT),
    Kind.SUGGESTION: complaint_rules(Kind.SUGGESTION),
    Kind.COMPENSATION: complaint_rules(Kind.COMPENSATION),
}


def table_for(case: Any) -> Table:
    """A ticket carries its kind; a service request has none."""
    kind = getattr(case, "kind", None)
    return REQUEST_RULES if kind is None else TICKET_RULES[Kind(kind)]


def rule_for(case: Any, action: str, actor: Actor) -> Rule:
    """The row that lets ``actor`` take ``action`` on ``case`` now, or ``Refused``."""
    return case_rules.rule_for(table_for(case), case, action, actor)


def transition(
    case: Any,
    action: str,
    actor: Actor,
    note: str | None = None,
    *,
    now: datetime | None = None,
    table: Table | None = None,
) -> list[Event]:
    """Check the move against the case's table, apply it to ``case``, return the events;
    ``Refused`` (nothing changed) when the table does not allow it."""
    return case_rules.transition(table or table_for(case), case, action, actor, note, now=now)


def card_actions(case: Any) -> tuple[str, ...]:
    """The staff card's buttons for the case's current status, in the table's order."""
    return table_for(case).actions(case.status, roles=ANY_STAFF, on_card=True)
