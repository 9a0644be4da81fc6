"""Taking a move of a service request: the rules are ``bot.domain.lifecycle``'s table; this
only carries out what the move returns — the request's event and audit entry (written by
``applications.move``), the beneficiary told in their language through the outbox, the card
edited in place, the satisfaction survey when the case is over."""

from __future__ import annotations

from html import escape
from typing import Any

from bot.domain import applications
from bot.domain.lifecycle import Actor, Event, SurveyDue, Tell, label
from bot.domain.textutil import isolate
from bot.engine.context import Ctx
from bot.engine.keyboards import button, cb, inline
from bot.engine.messages import Notice
from bot.engine.namespaces import NS
from bot.features.requests.request_cards import BEN_LINK, refresh_card
from bot.features.surveys import survey_flow as survey
from bot.i18n import N_, Text, translator
from storage.models import Beneficiary, ServiceRequest


async def notify_beneficiary(
    ctx: Ctx, request: ServiceRequest, text: Text, keyboard_for: Any = None
) -> None:
    """Tell the applicant, in their own language, through the outbox."""
    if request.beneficiary_id is None:
        return
    person = await ctx.session.get(Beneficiary, request.beneficiary_id)
    if person is None:
        return
    tr = translator(person.locale)
    keyboard = keyboard_for(tr) if keyboard_for else None
    notice = Notice(
        "status",
        reference=request.reference or "",
        case=tr.gettext(N_("your request {reference}")).format(
            reference=isolate(request.reference or "")
        ),
        status=tr.gettext(label(request.status)),
    )
    ctx.send(
        person.telegram_user_id,
        text.render(tr),
        keyboard,
        link=(BEN_LINK, request.id),
        notice=notice,
    )


async def take(
    ctx: Ctx, request: ServiceRequest, action: str, actor: Actor, note: str | None = None
) -> list[Event]:
    """Move the request and carry out the events; ``lifecycle.Refused`` (nothing done) when
    the move does not fit its current status or the actor's role."""
    events = applications.move(ctx.session, request, action, actor, note)
    for event in events:
        if isinstance(event, Tell):
            keyboard_for = None
            if action == "docs":  # the beneficiary adds the documents from the message itself

                def keyboard_for(tr):
                    add = button(
                        tr.gettext("📎 Add documents"), cb(NS.REQUEST_DOCS, "start", request.id)
                    )
                    return inline([[add]])

            await notify_beneficiary(
                ctx,
                request,
                Text(
                    event.msgid,
                    reference=f"<code>{request.reference}</code>",
                    note=escape(event.params.get("note") or ""),
                ),
                keyboard_for,
            )
    await refresh_card(ctx, request)
    if any(isinstance(event, SurveyDue) for event in events):
        await survey.invite(ctx, request)
    return events
