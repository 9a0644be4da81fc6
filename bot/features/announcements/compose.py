"""``/announce`` in the staff group (supervisors only): the text (and an optional photo or
document, as a reply to the bot's question), the audience, a preview with the number of
recipients, then send — with pause, resume and cancel on the status message. Delivery and the
report: ``broadcast``; the beneficiary's side: ``notices``.
"""

from __future__ import annotations

from html import escape

from bot.domain.lifecycle import LABELS
from bot.domain.roles import Role, role_of
from bot.domain.textutil import clean_input
from bot.engine.context import Ctx
from bot.engine.keyboards import FORCE_REPLY, Buttons, Callback, button, cb, column, inline
from bot.engine.namespaces import NS
from bot.engine.router import Router
from bot.features.announcements import audience as aud
from bot.features.announcements import broadcast
from bot.i18n import translator
from storage.models import Announcement, StaffMessageLink, utcnow

TEXT_PROMPT = "ann_text"  # StaffMessageLink.subject_kind of the question "the text?"
MAX_TEXT = 3500


async def _supervisor(ctx: Ctx) -> bool:
    """Only supervisors announce; anyone else is told why (as a toast for a button)."""
    tr = translator("ar")
    if not ctx.staff_member:
        refusal = tr.gettext("Only members of the association's staff group can do this.")
    elif (
        await role_of(ctx.session, ctx.tenant, ctx.from_id, ctx.rt.settings.supervisor_ids)
        != Role.SUPERVISOR
    ):
        refusal = tr.gettext(
            "Sorry, announcements to beneficiaries are sent by the association's supervisors only, because they reach many people at once. Please ask a supervisor to send it."
        )
    else:
        return True
    if ctx.event.is_action:
        ctx.answer(refusal, alert=True)
    else:
        ctx.reply_quoting(refusal)
    return False


async def announce(ctx: Ctx) -> None:
    if not await _supervisor(ctx):
        return
    tr = translator("ar")
    ann = Announcement(association_id=ctx.tenant, created_by=ctx.from_id, status="draft")
    ctx.session.add(ann)
    await ctx.session.flush()
    text = clean_input(ctx.event.command_args, multiline=True)
    if text:
        ann.text = escape(text[:MAX_TEXT])
        ask_audience(ctx, ann, edit=False)
        return
    ctx.send(
        ctx.chat_id,
        tr.gettext(
            "📢 A new announcement to beneficiaries.\nReply to this message with its text. You may attach one photo or document, with the text as its caption."
        ),
        FORCE_REPLY,
        link=(TEXT_PROMPT, ann.id),
        quote=ctx.event.message_id,
    )


async def on_text_reply(ctx: Ctx, link: StaffMessageLink) -> bool:
    """The supervisor's reply to "the text?": the text, and a photo or document if attached."""
    if link.subject_kind != TEXT_PROMPT:
        return False
    if not await _supervisor(ctx):
        return True
    tr = translator("ar")
    ann = await ctx.session.get(Announcement, link.subject_id)
    if ann is None or ann.status != "draft" or ann.started_at is not None:
        ctx.reply_quoting(
            tr.gettext("This announcement is no longer a draft. Send /announce for a new one.")
        )
        return True
    text = clean_input(ctx.event.text or ctx.event.caption, multiline=True)
    file = ctx.event.file
    if not text:
        ctx.reply_quoting(
            tr.gettext(
                "Please reply with the announcement's text (as a caption if you attach a photo or document)."
            )
        )
        return True
    ann.text = escape(text[:MAX_TEXT])
    if file is not None and file.kind in ("photo", "document"):
        ann.file_kind, ann.file_id = file.kind, file.file_id
    ask_audience(ctx, ann, edit=False)
    return True


def _quoted(ann: Announcement) -> str:
    tr = translator("ar")
    body = ann.text or ""
    if len(body) > 600:
        body = body[:600].rsplit(" ", 1)[0] + " …"
    extra = {"photo": tr.gettext("(with a photo)"), "document": tr.gettext("(with a document)")}
    return body + (("\n" + extra[ann.file_kind]) if ann.file_kind in extra else "")


def ask_audience(ctx: Ctx, ann: Announcement, *, edit: bool) -> None:
    tr = translator("ar")
    rows = [
        [
            button(
                tr.gettext("👥 Everyone who accepted the announcements"),
                cb(NS.ANNOUNCE, "to", ann.id, "all"),
            )
        ],
        [button(tr.gettext("🗂 By service"), cb(NS.ANNOUNCE, "pick", ann.id, "service"))],
        [button(tr.gettext("📌 By request status"), cb(NS.ANNOUNCE, "pick", ann.id, "status"))],
    ]
    if aud.districts(ctx.profile):
        rows.append(
            [button(tr.gettext("📍 By district"), cb(NS.ANNOUNCE, "pick", ann.id, "district"))]
        )
    rows.append([button(tr.gettext("✖️ Cancel the announcement"), cb(NS.ANNOUNCE, "drop", ann.id))])
    text = tr.gettext("📢 Announcement #{id}:\n{text}\n\nWho should receive it?").format(
        id=ann.id, text=_quoted(ann)
    )
    (ctx.show if edit else ctx.reply_quoting)(text, inline(rows))


def _choices(ctx: Ctx, ann: Announcement, by: str) -> Buttons:
    tr = translator("ar")
    if by == "service":
        options = [(s.id, s.title.get("ar")) for s in ctx.profile.services]
    elif by == "status":
        options = [(s.value, tr.gettext(LABELS[s])) for s in aud.statuses()]
    else:
        options = [(choice, name.get("ar")) for choice, name in aud.districts(ctx.profile)]
    buttons = [button(name, cb(NS.ANNOUNCE, "to", ann.id, by, value)) for value, name in options]
    return inline(
        [*column(buttons), [button(tr.gettext("↩️ Back"), cb(NS.ANNOUNCE, "back", ann.id))]]
    )


def whatsapp_note(ctx: Ctx, ann: Announcement, n: int) -> str:
    """What WhatsApp does to this announcement for those whose 24-hour window is closed: the
    approved template carries the text alone (no photo or file), cut to what it leaves room for."""
    tr = translator("ar")
    template = ctx.profile.whatsapp.templates.for_kind("announcement")
    if template is None:
        return tr.gettext(
            "📱 On WhatsApp: {n}. No WhatsApp template is declared in the profile (whatsapp.templates), so whoever has not written to us within 24 hours will not receive it."
        ).format(n=n)
    lines = [
        tr.gettext(
            "📱 On WhatsApp: {n}. Whoever has not written to us within 24 hours receives it as the approved template: the text alone, without a photo or file."
        ).format(n=n)
    ]
    association = ctx.profile.association.name.get("ar") or ""
    room = template.text_room(len(association) if "association" in template.parameters else 0)
    if len(" ".join((ann.text or "").split())) > room:
        lines.append(
            tr.gettext(
                "The text is longer than the template allows: they receive its first {room} characters or so, ending with «…»."
            ).format(room=room)
        )
    return "\n".join(lines)


async def preview(ctx: Ctx, ann: Announcement, audience: aud.Audience) -> None:
    tr = translator("ar")
    ann.audience = audience.as_dict()
    n = await aud.count(ctx.session, ctx.tenant, audience)
    lines = [
        tr.gettext("👁 <b>Preview of announcement #{id}</b>").format(id=ann.id),
        "",
        _quoted(ann),
        "",
        tr.gettext("Audience: {audience}").format(
            audience=escape(aud.label(ctx.profile, tr, audience))
        ),
        tr.ngettext("Recipients: {n} beneficiary", "Recipients: {n} beneficiaries", n).format(n=n),
    ]
    on_whatsapp = await aud.count(ctx.session, ctx.tenant, audience, channel="whatsapp")
    if on_whatsapp:
        lines += ["", whatsapp_note(ctx, ann, on_whatsapp)]
    rows = []
    if n:
        rows.append([button(tr.gettext("✅ Send now"), cb(NS.ANNOUNCE, "go", ann.id))])
    else:
        lines.append(
            tr.gettext(
                "No one in this audience accepted the announcements. Choose another audience."
            )
        )
    rows.append([button(tr.gettext("↩️ Change the audience"), cb(NS.ANNOUNCE, "back", ann.id))])
    rows.append([button(tr.gettext("✖️ Cancel the announcement"), cb(NS.ANNOUNCE, "drop", ann.id))])
    ctx.show("\n".join(lines), inline(rows))


async def on_button(ctx: Ctx, data: Callback) -> None:
    tr = translator("ar")
    if not await _supervisor(ctx):
        return
    ann_id = data.int_arg(0)
    ann = await ctx.session.get(Announcement, ann_id) if ann_id is not None else None
    if ann is None:
        ctx.answer(tr.gettext("This announcement no longer exists."), alert=True)
        return
    action = data.action
    if ann.status == "draft" and action in ("to", "pick", "back", "drop", "go"):
        await _draft_button(ctx, ann, data)
        return
    if action in ("pause", "resume", "cancel") and ann.finished_at is None:
        await _control(ctx, ann, action)
        return
    ctx.answer(tr.gettext("This button no longer applies to the announcement."), alert=True)


async def _draft_button(ctx: Ctx, ann: Announcement, data: Callback) -> None:
    tr = translator("ar")
    action = data.action
    if action == "drop":
        ann.status, ann.finished_at = "cancelled", utcnow()
        ctx.answer()
        ctx.show(
            tr.gettext("✖️ Announcement #{id} was cancelled; nothing was sent.").format(id=ann.id),
            Buttons(()),
        )
        return
    if action == "back":
        ctx.answer()
        ask_audience(ctx, ann, edit=True)
        return
    if action == "pick" and data.arg(1) in ("service", "status", "district"):
        ctx.answer()
        ctx.show(tr.gettext("Choose:"), _choices(ctx, ann, data.arg(1)))
        return
    if action == "to":
        audience = aud.Audience(data.arg(1), data.arg(2))
        if not aud.valid(ctx.profile, audience):
            ctx.answer(tr.gettext("This choice is not available."), alert=True)
            return
        ctx.answer()
        await preview(ctx, ann, audience)
        return
    if action == "go" and ann.text:
        await _go(ctx, ann)
        return
    ctx.answer(tr.gettext("This button no longer applies to the announcement."), alert=True)


async def _go(ctx: Ctx, ann: Announcement) -> None:
    """Confirmed: the recipients written once, the first window handed to the outbox, all in
    this unit of work; the pump does the rest."""
    tr = translator("ar")
    audience = aud.Audience.of(ann.audience)
    if not aud.valid(ctx.profile, audience):
        ctx.answer(tr.gettext("This choice is not available."), alert=True)
        return
    ann.total = await aud.materialise(ctx.session, ctx.tenant, ann.id, audience)
    if not ann.total:
        ctx.answer(
            tr.gettext(
                "No one in this audience accepted the announcements. Choose another audience."
            ),
            alert=True,
        )
        return
    ann.status, ann.started_at = "sending", utcnow()
    ann.chat_id, ann.message_id = ctx.chat_id, ctx.event.message_id
    ctx.answer(tr.gettext("Sending started ✓"))
    await broadcast.top_up(ctx, ann, broadcast.WINDOW)
    numbers = {"delivered": 0, "blocked": 0, "failed": 0}
    ctx.show(broadcast.status_text(ann, numbers), broadcast.controls(ann))
    broadcast.start_pump(ctx.rt, ann.id)


async def _control(ctx: Ctx, ann: Announcement, action: str) -> None:
    tr = translator("ar")
    if action == "pause" and ann.status == "sending":
        ann.status = "paused"
        ctx.answer(tr.gettext("Paused. The messages already handed over may still arrive."))
    elif action == "resume" and ann.status == "paused":
        ann.status = "sending"
        ctx.answer(tr.gettext("Sending resumed ✓"))
        broadcast.start_pump(ctx.rt, ann.id)
    elif action == "cancel" and ann.status in ("sending", "paused"):
        ann.status = "cancelled"
        ctx.answer(tr.gettext("Cancelled. The report follows shortly."))
        broadcast.start_pump(ctx.rt, ann.id)
    else:
        ctx.answer(tr.gettext("This button no longer applies to the announcement."), alert=True)
        return
    numbers = await broadcast.figures(ctx, ann.id)
    ctx.show(
        broadcast.status_text(ann, numbers),
        broadcast.controls(ann) if ann.status != "cancelled" else Buttons(()),
    )


def register(router: Router) -> None:
    router.staff_command("announce")(announce)
    router.staff_callback(NS.ANNOUNCE)(on_button)
    router.reply_handlers.append(on_text_reply)
