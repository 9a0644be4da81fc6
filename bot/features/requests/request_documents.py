"""Adding missing documents to a request (policy clause 17): the beneficiary sends photos or
PDFs, then presses Done; staff are told on the request's card and in the group."""

from __future__ import annotations

from sqlalchemy import bindparam, func, select

from bot.domain.lifecycle import REQUEST_RULES, Actor
from bot.domain.textutil import Num, isolate
from bot.domain.validation import Invalid, validate
from bot.engine import dialogs
from bot.engine.context import Ctx
from bot.engine.keyboards import Buttons, Callback, button, cb, inline
from bot.engine.namespaces import NS
from bot.engine.router import Router
from bot.features.home.menus import menu_keyboard_short
from bot.features.requests import request_moves
from bot.features.requests.request_cards import CARD
from bot.i18n import translator
from storage.models import Document, ServiceRequest, StaffMessageLink, table_of
from storage.prepared import Prepared

FLOW = "docs"
THREAD_LINK = "sr_in"  # a staff reply to this note reaches the beneficiary (request_thread)


async def _own_request(ctx: Ctx, request_id: int | None) -> ServiceRequest | None:
    if request_id is None or ctx.user is None:
        return None
    return await ctx.session.scalar(
        select(ServiceRequest).where(
            ServiceRequest.id == request_id,
            ServiceRequest.beneficiary_id == ctx.user.id,
            ServiceRequest.status.in_(sorted(REQUEST_RULES.sources("documents_added"))),
        )
    )


def done_keyboard(ctx: Ctx, request_id: int) -> Buttons:
    return inline(
        [
            [
                button(
                    ctx._("✅ Done, send to the association"),
                    cb(NS.REQUEST_DOCS, "done", request_id),
                )
            ]
        ]
    )


_DOCUMENTS = table_of(Document)
_COUNT = Prepared(  # on every document sent (the cap): on the driver's connection
    select(func.count(_DOCUMENTS.c.id)).where(
        _DOCUMENTS.c.request_id == bindparam("request"),
        _DOCUMENTS.c.association_id == bindparam("tenant"),
    )
)


async def documents_of(ctx: Ctx, request_id: int) -> int:
    params = {"request": request_id, "tenant": ctx.tenant}
    return int((await _COUNT.run(await ctx.connection(flushed=True), params)).scalar_one() or 0)


async def at_document_cap(ctx: Ctx, request_id: int, keyboard: Buttons | None = None) -> bool:
    """True (and the person told so) when the request already has the most documents it may
    receive (profile: ``deadlines.documents_per_request``)."""
    cap = ctx.profile.deadlines.documents_per_request
    if await documents_of(ctx, request_id) < cap:
        return False
    ctx.reply(
        ctx.ngettext(
            "This request has received the most documents it can take ({n} document). The association's team will ask you if anything else is needed.",
            "This request has received the most documents it can take ({n} documents). The association's team will ask you if anything else is needed.",
            cap,
        ).format(n=Num(cap).render(ctx.tr)),
        keyboard or done_keyboard(ctx, request_id),
    )
    return True


class DocumentsFlow:
    name = FLOW

    async def on_message(self, ctx: Ctx) -> None:
        dialog = await dialogs.current(ctx)
        request = await _own_request(ctx, dialog.data.get("request_id") if dialog else None)
        if request is None:
            await dialogs.end(ctx)
            ctx.reply(
                ctx._("This request is not waiting for documents any more."),
                menu_keyboard_short(ctx),
            )
            return
        if await at_document_cap(ctx, request.id):
            return
        raw = ctx.attached_file()
        try:
            doc = validate("document", raw)
        except Invalid as exc:
            ctx.reply(exc.render(ctx.tr), done_keyboard(ctx, request.id))
            return
        ctx.session.add(
            Document(
                association_id=ctx.tenant,
                beneficiary_id=ctx.user.id if ctx.user else None,
                request_id=request.id,
                kind="additional",
                telegram_file_id=doc.file_id or "",
                file_unique_id=doc.file_unique_id,
                file_name=doc.file_name,
                mime_type=doc.mime_type,
                size=doc.file_size,
            )
        )
        assert dialog is not None  # the request was found through it
        dialogs.save(dialog, count=int(dialog.data.get("count", 0)) + 1)
        ctx.reply(
            ctx._("Received ✓ Send another file, or press Done when you have sent everything."),
            done_keyboard(ctx, request.id),
        )

    async def resume(self, ctx: Ctx) -> None:
        dialog = await dialogs.current(ctx)
        if dialog is not None:
            ctx.reply(
                ctx._("Please send the documents as photos or PDF files, then press Done."),
                done_keyboard(ctx, dialog.data.get("request_id", 0)),
            )


async def on_callback(ctx: Ctx, data: Callback) -> None:
    request = await _own_request(ctx, data.int_arg(0))
    if request is None:
        ctx.answer(ctx._("This request is not waiting for documents any more."))
        return
    if data.action == "start":
        await dialogs.begin(ctx, FLOW, "upload", {"request_id": request.id, "count": 0})
        ctx.answer()
        ctx.reply(
            ctx._(
                "Please send the documents for request {reference} as photos or PDF files, one or more, then press Done."
            ).format(reference=isolate(request.reference or "")),
            done_keyboard(ctx, request.id),
        )
        return
    if data.action == "done":
        dialog = await dialogs.current(ctx)
        count = int(dialog.data.get("count", 0)) if dialog and dialog.flow == FLOW else 0
        if count == 0:
            ctx.answer(ctx._("Please send at least one file first."), alert=True)
            return
        await dialogs.end(ctx)
        await request_moves.take(
            ctx, request, "documents_added", Actor.beneficiary(ctx.from_id), note=str(count)
        )
        ctx.answer()
        ctx.show(
            ctx._(
                "Thank you. Your documents were sent to the association, and your request is back under review."
            ),
            menu_keyboard_short(ctx),
        )
        tr = translator("ar")
        card = await ctx.session.scalar(
            select(StaffMessageLink).where(
                StaffMessageLink.subject_kind == CARD,
                StaffMessageLink.subject_id == request.id,
            )
        )
        ctx.send(
            ctx.rt.staff_chat_id,
            tr.ngettext(
                "📎 The beneficiary added {n} document to request {reference}.",
                "📎 The beneficiary added {n} documents to request {reference}.",
                count,
            ).format(n=count, reference=isolate(request.reference or "")),
            quote=card.message_id if card else None,
            link=(THREAD_LINK, request.id),
        )


def register(router: Router) -> None:
    router.flow(DocumentsFlow())
    router.callback(NS.REQUEST_DOCS)(on_callback)
