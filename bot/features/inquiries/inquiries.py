"""Inquiries (policy clauses 4, 14, 23): browse the FAQ by topic, or ask in free text and get the
matching answer, likely questions, or a hand-over to a person. A hand-over opens a ticket that
staff answer by replying in their group; the answer reaches the beneficiary here."""

from __future__ import annotations

from datetime import timedelta
from html import escape

from bot.domain.faq.offered import unoffered
from bot.domain.textutil import clean_input, isolate
from bot.domain.tickets import Kind, open_ticket, open_ticket_of
from bot.engine import dialogs
from bot.engine.context import Ctx
from bot.engine.keyboards import Buttons, Callback, button, cb, inline
from bot.engine.namespaces import NS
from bot.engine.owed import after_delivery, collapse
from bot.engine.router import Router
from bot.features.home.menus import back_to_menu_row, menu_keyboard_short
from bot.features.inquiries.ticket_cards import (
    BEN_LINK,
    masked_sender,
    post_ticket_card,
)
from bot.features.inquiries.ticket_relay import (
    MAX_QUESTION,
    TICKET_FLOW,
    join_reply,
    not_passed_on,
    other_message,
    relay_text,
    relay_to_staff,
)
from bot.i18n import N_

ASK_FLOW = "ask"


async def show_topics(ctx: Ctx) -> None:
    faq = ctx.profile.faq
    rows = [
        [button(f"{c.icon or '•'} {c.title.get(ctx.locale)}", cb(NS.FAQ, "cat", c.id))]
        for c in faq.categories
    ]
    if ctx.profile.documents:
        rows.append([button(ctx._("📄 The association's documents"), cb(NS.ABOUT, "docs"))])
    rows.append([button(ctx._("🙋 Talk to the association's team"), cb(NS.FAQ, "person"))])
    rows.append(back_to_menu_row(ctx))
    ctx.show(
        ctx._(
            "Write your question in your own words, and I will look for the answer. Or browse the questions by topic:"
        ),
        inline(rows),
    )


def answer_keyboard(ctx: Ctx, entry_id: str) -> Buttons:
    return inline(
        [
            [
                button(ctx._("👍 Yes, thank you"), cb(NS.FAQ, "yes", entry_id)),
                button(ctx._("👎 No"), cb(NS.FAQ, "no", entry_id)),
            ],
            back_to_menu_row(ctx),
        ]
    )


def show_answer(ctx: Ctx, entry_id: str, *, edit: bool) -> bool:
    entry = ctx.profile.faq_entry(entry_id)
    if entry is None:
        return False
    text = (
        f"<b>{escape(entry.question.get(ctx.locale))}</b>\n{entry.answer.get(ctx.locale)}\n\n"
        + ctx._("Did this answer your question?")
    )
    (ctx.show if edit else ctx.reply)(text, answer_keyboard(ctx, entry.id))
    return True


def offer_person(ctx: Ctx, text: str) -> None:
    ctx.reply(
        text,
        inline(
            [
                [button(ctx._("🙋 Yes, pass my question to the team"), cb(NS.TICKET, "new"))],
                [button(ctx._("No, thank you"), cb(NS.FAQ, "thanks"))],
            ]
        ),
    )


def not_offered(ctx: Ctx, question: str, answered: str | None) -> bool:
    """A question naming help the association does not give (bot.domain.faq.offered): say so
    kindly, list what it offers, offer a person. Not when the FAQ entry it matched speaks of
    that help itself (an entry saying "we do not give cash aid" answers better)."""
    services = [s for s in ctx.profile.services if s.active]
    offered = " ".join(
        " ".join(
            [
                s.title.get("ar"),
                s.description.get("ar") if s.description else "",
                *(e.get("ar") for e in s.eligibility),
            ]
        )
        for s in services
    )
    kind = unoffered(question, offered)
    entry = ctx.profile.faq_entry(answered) if answered else None
    if kind is None or (
        entry is not None
        and unoffered(
            question, " ".join([*entry.question.texts(), *entry.phrasings, entry.answer.get("ar")])
        )
        is None
    ):
        return False
    lines = [
        ctx._(
            "Thank you for your question. I am sorry: the association does not offer {what}."
        ).format(what=ctx._(kind.label))
    ]
    if services:
        lines += ["", ctx._("What the association offers:")]
        lines += [f"• {escape(s.title.get(ctx.locale))}" for s in services]
    lines += [
        "",
        ctx._(
            "Would you like me to pass your question to the association's team, in case they can guide you?"
        ),
    ]
    offer_person(ctx, "\n".join(lines))
    return True


async def ask(ctx: Ctx) -> None:
    """Free text outside a form: a question for the FAQ matcher."""
    question = clean_input(ctx.event.text or "")[:MAX_QUESTION]
    if not question:  # only invisible characters
        ctx.reply(
            ctx._(
                "I could not read your message. Please write your question in a few words, or choose from the menu."
            ),
            menu_keyboard_short(ctx),
        )
        return
    dialog = await dialogs.current(ctx)
    misses = int(dialog.data.get("misses", 0)) if dialog and dialog.flow == ASK_FLOW else 0
    matcher = ctx.rt.matcher
    decision = matcher.decide(question) if matcher is not None else None
    kind = decision.kind if decision else "handover"
    suggested = [m.entry_id for m in decision.matches[:3]] if decision else []
    if not_offered(ctx, question, suggested[0] if kind == "answer" else None):
        await dialogs.begin(
            ctx, ASK_FLOW, "unoffered", {"q": question, "misses": 0, "suggested": []}
        )
        return
    if kind == "answer":
        await dialogs.begin(
            ctx, ASK_FLOW, "answered", {"q": question, "misses": 0, "suggested": suggested[:1]}
        )
        show_answer(ctx, suggested[0], edit=False)
        return
    misses += 1
    await dialogs.begin(
        ctx, ASK_FLOW, kind, {"q": question, "misses": misses, "suggested": suggested}
    )
    if kind == "suggest" and suggested:
        # the questions in full in the text (a phone cuts long button titles), numbered buttons
        entries = [e for e in (ctx.profile.faq_entry(eid) for eid in suggested) if e is not None]
        lines = [ctx._("I am not sure I understood. Did you mean one of these?"), ""]
        lines += [f"{i}. {escape(e.question.get(ctx.locale))}" for i, e in enumerate(entries, 1)]
        rows = [
            [button(str(i), cb(NS.FAQ, "q", e.id)) for i, e in enumerate(entries, 1)],
            [button(ctx._("None of these"), cb(NS.FAQ, "none"))],
        ]
        if misses >= 2:  # two misunderstandings in a row: offer a person without being asked
            rows.append([button(ctx._("🙋 Talk to a person"), cb(NS.TICKET, "new"))])
        ctx.reply("\n".join(lines), inline(rows))
        return
    offer_person(
        ctx,
        ctx._(
            "I could not find an answer to your question. Shall I pass it to the specialist at the association? The answer will reach you here."
        ),
    )


async def on_faq(ctx: Ctx, data: Callback) -> None:
    faq = ctx.profile.faq
    if data.action == "cat":
        category = (
            faq.category(data.arg(0))
            if hasattr(faq, "category")
            else ctx.profile.category(data.arg(0))
        )
        if category is None:
            await show_topics(ctx)
            return
        entries = ctx.profile.faq_entries(category.id)
        rows = [[button(e.question.get(ctx.locale)[:60], cb(NS.FAQ, "q", e.id))] for e in entries]
        rows.append([button(ctx._("↩️ Topics"), cb(NS.MENU, "ask"))])
        ctx.show(
            f"<b>{escape(category.title.get(ctx.locale))}</b>\n" + ctx._("Choose a question:"),
            inline(rows),
        )
    elif data.action == "q":
        if not show_answer(ctx, data.arg(0), edit=True):
            ctx.answer(ctx._("This question is no longer available."))
            await show_topics(ctx)
    elif data.action == "yes":
        await dialogs.end(ctx)
        ctx.answer(ctx._("Glad to help"))
        ctx.reply(
            ctx._("We are glad we could help. Is there anything else?"), menu_keyboard_short(ctx)
        )
    elif (
        data.action == "none"
        and (dialog := await dialogs.current(ctx)) is not None
        and dialog.flow == ASK_FLOW
        and dialog.data.get("q")
    ):
        ctx.answer()  # "none of these": the question goes to the team as it was asked
        await hand_over(ctx)
    elif data.action in ("no", "none"):
        dialog = await dialogs.current(ctx)
        if dialog is None or dialog.flow != ASK_FLOW:
            await dialogs.begin(
                ctx,
                ASK_FLOW,
                "browse",
                {"q": "", "misses": 0, "suggested": [data.arg(0)] if data.arg(0) else []},
            )
        elif data.action == "no" and data.arg(0) and dialog.data.get("q"):
            # 👎 on an answer: the staff card says so, and what staff link the question to
            # (📚) is what the assistant learns for it
            dialogs.save(dialog, disliked=data.arg(0))
        ctx.answer()
        offer_person(
            ctx,
            ctx._(
                "Sorry about that. Shall I pass your question to the specialist at the association? The answer will reach you here."
            ),
        )
    elif data.action == "person":
        await dialogs.begin(ctx, ASK_FLOW, "person", {"q": "", "misses": 0, "suggested": []})
        ctx.answer()
        ctx.reply(
            ctx._(
                "Please write your question in one message, and I will pass it to the association's team."
            )
        )
    elif data.action == "thanks":
        await dialogs.end(ctx)
        ctx.answer()
        ctx.show(
            ctx._("As you wish. You can write another question at any time."),
            menu_keyboard_short(ctx),
        )
    else:
        await show_topics(ctx)


class AskFlow:
    """After a question: the next text is a new question (or, after “talk to the team”, the one
    to pass on)."""

    name = ASK_FLOW

    async def on_message(self, ctx: Ctx) -> None:
        dialog = await dialogs.current(ctx)
        text = ctx.event.text
        if dialog is not None and dialog.step == "person" and text:
            dialogs.save(dialog, q=clean_input(text)[:MAX_QUESTION])
            await hand_over(ctx)
            return
        if text:
            await ask(ctx)
            return
        await other_message(ctx)

    async def resume(self, ctx: Ctx) -> None:
        return None


async def hand_over(ctx: Ctx) -> None:
    """Open an inquiry ticket with the last question and post it to the right staff chat."""
    assert ctx.user is not None
    dialog = await dialogs.current(ctx)
    question = (dialog.data.get("q") if dialog and dialog.flow == ASK_FLOW else "") or ""
    if not question:
        await dialogs.begin(ctx, ASK_FLOW, "person", {"q": "", "misses": 0, "suggested": []})
        ctx.reply(
            ctx._(
                "Please write your question in one message, and I will pass it to the association's team."
            )
        )
        return
    assert dialog is not None  # a question comes from the dialog
    suggested = [eid for eid in (dialog.data.get("suggested") or []) if ctx.profile.faq_entry(eid)]
    first = ctx.profile.faq_entry(suggested[0]) if suggested else None
    category = first.category if first else None
    hours = ctx.profile.deadlines.ticket_response_hours
    ticket = await open_ticket(
        ctx.session,
        ctx.tenant,
        beneficiary_id=ctx.user.id,
        kind=Kind.INQUIRY,
        subject=question,
        due_in=timedelta(hours=hours),
        category=category,
        data={
            "suggested": suggested,
            "who": masked_sender(ctx),
            **({"disliked": d} if (d := dialog.data.get("disliked")) in suggested else {}),
        },
    )
    await dialogs.begin(ctx, TICKET_FLOW, "open", {"ticket_id": ticket.id})
    await post_ticket_card(ctx, ticket)
    card = ctx.out[-1]
    received = ctx.send(
        ctx.chat_id,
        ctx._(
            "We will pass your inquiry to the specialist at the association, and the answer will reach you here. Your inquiry number is {reference}."
        ).format(reference=f"<code>{ticket.reference}</code>")
        + "\n"
        + ctx._("You can add details or files now; they will be added to the same inquiry."),
        menu_keyboard_short(ctx),
        link=(BEN_LINK, ticket.id),
    )
    after_delivery(ctx.out, card, sent=[received], failed=[not_passed_on(ctx)])


async def on_new_ticket(ctx: Ctx, _data: Callback) -> None:
    ctx.answer()
    await hand_over(ctx)


async def on_ticket(ctx: Ctx, _data: Callback) -> None:
    ctx.answer(ctx._("This button is no longer active."))


# "Is your message about {case}, or a new question?" — one text per kind of case (agreement)
ABOUT_WHICH = {
    Kind.INQUIRY: N_("Is your message about your inquiry {reference}, or is it a new question?"),
    Kind.COMPLAINT: N_(
        "Is your message about your complaint {reference}, or is it a new question?"
    ),
    Kind.SUGGESTION: N_(
        "Is your message about your suggestion {reference}, or is it a new question?"
    ),
    Kind.COMPENSATION: N_(
        "Is your message about your compensation claim {reference}, or is it a new question?"
    ),
}


class TicketFlow:
    """While a ticket is open: a reply to one of our messages about it joins it (see
    ``join_reply``); any other text is answered by the FAQ when it is sure, or the person is
    asked once whether it is about the case or a new question — never attached silently.
    Files join the case, and the person is told so."""

    name = TICKET_FLOW

    async def on_message(self, ctx: Ctx) -> None:
        assert ctx.user is not None
        dialog = await dialogs.current(ctx)
        ticket = (
            await open_ticket_of(
                ctx.session, ctx.tenant, ctx.user.id, int(dialog.data.get("ticket_id", 0))
            )
            if dialog
            else None
        )
        if ticket is None:
            await dialogs.end(ctx)
            if ctx.event.text:
                await ask(ctx)
            else:
                await other_message(ctx)
            return
        text = ctx.event.text
        assert dialog is not None  # the ticket came from it
        if text and not dialog.data.get("about_case"):
            question = clean_input(text)[:MAX_QUESTION]
            decision = ctx.rt.matcher.decide(question) if ctx.rt.matcher and question else None
            if decision is not None and decision.kind == "answer" and decision.matches:
                show_answer(ctx, decision.matches[0].entry_id, edit=False)
                return
            waiting = list(dialog.data.get("pending") or [])
            dialogs.save(dialog, pending=[*waiting, text][-50:])
            # asked again for each (never silence), one message for a burst; the answer covers
            # every text kept
            collapse(
                ctx.reply(
                    ctx._(ABOUT_WHICH[Kind(ticket.kind)]).format(
                        reference=isolate(ticket.reference)
                    ),
                    inline(
                        [
                            [button(ctx._("📎 About it"), cb(NS.TICKET, "about", ticket.id))],
                            [button(ctx._("❓ A new question"), cb(NS.TICKET, "fresh", ticket.id))],
                        ]
                    ),
                ),
                f"which:{ticket.id}",
            )
            return
        await relay_to_staff(ctx, ticket)

    async def resume(self, ctx: Ctx) -> None:
        return None


async def on_which(ctx: Ctx, data: Callback) -> None:
    """The answer to «about your case, or a new question?»."""
    assert ctx.user is not None
    dialog = await dialogs.current(ctx)
    pending = dialog.data.get("pending") if dialog and dialog.flow == TICKET_FLOW else None
    ticket = await open_ticket_of(ctx.session, ctx.tenant, ctx.user.id, data.int_arg(0) or 0)
    if (
        not pending
        or dialog is None
        or ticket is None
        or int(dialog.data.get("ticket_id", 0)) != ticket.id
    ):
        ctx.answer(ctx._("This button is no longer active."))
        return
    ctx.answer()
    ctx.clear_buttons(ctx.chat_id, ctx.event.message_id) if ctx.event.message_id else None
    dialogs.save(dialog, pending=None)
    texts = pending if isinstance(pending, list) else [pending]
    if data.action == "about":
        dialogs.save(dialog, about_case=True)
        for text in texts:
            await relay_text(ctx, ticket, text)
        return
    await dialogs.end(ctx)  # a new question: the case stays open, its context is left
    await answer_question(ctx, "\n".join(texts))


async def answer_question(ctx: Ctx, question: str) -> None:
    """``ask`` for a text given earlier (kept while the person chose)."""
    from dataclasses import replace

    ctx.event = replace(ctx.event, text=question)
    await ask(ctx)


def register(router: Router) -> None:
    router.menu("ask")(show_topics)
    router.command("ask", "faq")(show_topics)
    router.callback(NS.FAQ)(on_faq)
    router.callback(NS.TICKET, "new")(on_new_ticket)
    router.callback(NS.TICKET)(on_ticket)
    router.callback(NS.TICKET, "about")(on_which)
    router.callback(NS.TICKET, "fresh")(on_which)
    router.flow(AskFlow())
    router.flow(TicketFlow())
    router.on_free_text = ask
    router.on_other_message = other_message
    router.case_replies.append(join_reply)
