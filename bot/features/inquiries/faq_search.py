"""Search by words in the «📚» offer of an answered inquiry (issue #15): when the entry that
answers the question is not among the matcher's five best, staff press «🔎 بحث بكلمات» and reply
to the prompt with a few words. The matcher ranks the FAQ for those words — its own
normalisation, dialect folding and synonyms (bot.domain.faq.learning.search) — and the entries
found are offered as numbered buttons that link exactly like the five best
(bot/features/inquiries/faq_learning.py). Nothing found: it says so, and staff reply again with
other words or draft a new entry. A reply to the results searches again.

The prompt and the results are linked to the case's ticket in the chat they are posted in
(``StaffMessageLink``), so only a reply in that chat, from a member of its staff, searches; once
an entry is chosen, a reply says so instead of searching again."""

from __future__ import annotations

from html import escape

from sqlalchemy import select

from bot.domain.faq.learned import APPROVED
from bot.domain.faq.learning import learnable, search
from bot.domain.textutil import clean_input
from bot.domain.tickets import Kind
from bot.engine.context import Ctx
from bot.engine.keyboards import Button, button, cb, inline
from bot.engine.namespaces import NS
from bot.i18n import translator
from bot.profile.schema import FaqEntry
from storage.models import LearnedPhrasing, StaffMessageLink, Ticket

SEARCH_LINK = "faq_search"


async def load_ticket(ctx: Ctx, ticket_id: int | None) -> Ticket | None:
    """The inquiry whose question can be taught to the FAQ, in this association."""
    if ticket_id is None:
        return None
    ticket = await ctx.session.scalar(
        select(Ticket).where(Ticket.id == ticket_id, Ticket.association_id == ctx.tenant)
    )
    return ticket if ticket is not None and ticket.kind == Kind.INQUIRY and ticket.subject else None


def entry_index(ctx: Ctx, entry_id: str) -> int | None:
    ids = [e.id for e in ctx.profile.faq.entries]
    return ids.index(entry_id) if entry_id in ids else None


def choices(
    ctx: Ctx, ticket_id: int, entries: list[FaqEntry], *, disliked: str | None = None
) -> tuple[list[str], list[Button]]:
    """The entries as numbered lines (each question in full) and their «link» buttons."""
    lines = [
        f"{i}. {escape(e.question.get('ar'))}" + (" 👎" if e.id == disliked else "")
        for i, e in enumerate(entries, 1)
    ]
    numbers = [
        button(str(i), cb(NS.FAQ_LEARN, "link", ticket_id, entry_index(ctx, e.id)))
        for i, e in enumerate(entries, 1)
    ]
    return lines, numbers


def search_button(ticket_id: int) -> Button:
    return button(
        translator("ar").gettext("🔎 Search by words"), cb(NS.FAQ_LEARN, "search", ticket_id)
    )


def draft_button(ticket_id: int) -> Button:
    return button(
        translator("ar").gettext("📝 Draft a new entry"), cb(NS.FAQ_LEARN, "draft", ticket_id)
    )


def prompt(ctx: Ctx, ticket: Ticket) -> None:
    """«🔎 Search by words»: a message to reply to with the words."""
    tr = translator("ar")
    ctx.answer()
    ctx.send(
        ctx.chat_id,
        tr.gettext(
            "🔎 Reply to this message with a few words from the FAQ question you are looking for, for example: working hours."
        ),
        quote=ctx.event.message_id,
        link=(SEARCH_LINK, ticket.id),
    )


async def on_reply(ctx: Ctx, link: StaffMessageLink) -> bool:
    """A staff reply to the prompt (or to earlier results): the entries its words find."""
    if link.subject_kind != SEARCH_LINK:
        return False
    tr = translator("ar")
    if not ctx.staff_member:
        ctx.reply_quoting(tr.gettext("Only members of the association's staff group can do this."))
        return True
    ticket = await load_ticket(ctx, link.subject_id)
    if ticket is None:
        ctx.reply_quoting(tr.gettext("This button is no longer active."))
        return True
    taught = (
        await ctx.session.execute(
            select(LearnedPhrasing.entry_id, LearnedPhrasing.status)
            .where(LearnedPhrasing.ticket_id == ticket.id)
            .limit(1)
        )
    ).first()
    if taught is not None:  # a result was chosen already (the results became «added»)
        entry = ctx.profile.faq_entry(taught.entry_id)
        said = (
            tr.gettext(
                "📚 The beneficiary's question is already a phrasing of the FAQ entry «{question}». To link it to another entry, press ↩️ Undo first."
            )
            if taught.status == APPROVED
            else tr.gettext(
                "📚 Adding the beneficiary's question to the FAQ entry «{question}» awaits a supervisor's approval. To link it to another entry, press ✖️ Reject first."
            )
        )
        question = entry.question.get("ar") if entry else taught.entry_id
        ctx.reply_quoting(said.format(question=escape(question)))
        return True
    words = clean_input(ctx.event.text or "")
    if not words:
        ctx.reply_quoting(tr.gettext("Please reply with text."))
        return True
    found = [ctx.profile.faq_entry(m.entry_id) for m in search(ctx.rt.matcher, words)]
    entries = [e for e in found if e is not None]
    question = learnable(ticket.subject) or ""
    if not entries:
        text = "\n".join(
            [
                tr.gettext("I found no FAQ question with these words: «{words}».").format(
                    words=escape(words)
                ),
                tr.gettext(
                    "To try other words, reply to this message; or draft a new entry from the staff answer."
                ),
            ]
        )
        keyboard = inline([[draft_button(ticket.id)]])
    else:
        lines, numbers = choices(ctx, ticket.id, entries)
        text = "\n".join(
            [
                tr.gettext(
                    "🔎 FAQ questions for «{words}». Which one answers the beneficiary's question? Their words, without personal details, will be added to it:"
                ).format(words=escape(words)),
                f"«{escape(question)}»",
                "",
                *lines,
                "",
                tr.gettext("To search with other words, reply to this message."),
            ]
        )
        keyboard = inline(
            [
                numbers,
                [draft_button(ticket.id)],
                [button(tr.gettext("✖️ None of them"), cb(NS.FAQ_LEARN, "cancel"))],
            ]
        )
    ctx.send(ctx.chat_id, text, keyboard, quote=ctx.event.message_id, link=(SEARCH_LINK, ticket.id))
    return True
