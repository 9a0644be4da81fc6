"""The service-request lifecycle (policy 004's eligibility mechanism), Telegram-free.

Statuses, what each means to the beneficiary, what happens next, and which moves are allowed.
"""

from __future__ import annotations

from enum import StrEnum

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
    Status.SUBMITTED: N_("The research committee will study your request and tell you of its decision here."),
    Status.UNDER_REVIEW: N_("A social researcher is studying your request. We will tell you of every step here."),
    Status.AWAITING_DOCUMENTS: N_("Please add the documents we asked for, with the button below."),
    Status.INTERVIEW: N_("Please attend the interview at the time we sent you."),
    Status.FIELD_VISIT: N_("A member of the team will visit you at the time we sent you."),
    Status.APPROVED: N_("Your request was approved; the team will contact you to deliver the service."),
    Status.REJECTED: N_("You may apply again when your circumstances change, or send us a complaint if you disagree."),
    Status.DELIVERED: N_("The service was delivered. We would be glad to hear your opinion."),
    Status.CLOSED: N_("This request is closed."),
    Status.WITHDRAWN: N_("This request was withdrawn; you may apply again at any time."),
}

OPEN = frozenset({Status.SUBMITTED, Status.UNDER_REVIEW, Status.AWAITING_DOCUMENTS, Status.INTERVIEW,
                  Status.FIELD_VISIT, Status.APPROVED})
FINAL = frozenset({Status.REJECTED, Status.CLOSED, Status.WITHDRAWN})


def label(status: str) -> str:
    return LABELS.get(Status(status), status) if status in Status._value2member_map_ else status


def next_step(status: str) -> str:
    return NEXT_STEP.get(Status(status), "") if status in Status._value2member_map_ else ""
