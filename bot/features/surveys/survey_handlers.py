"""The beneficiary's side of a satisfaction survey: score buttons (one question per edit of the
same message), «skip», the optional comment, and consent to a supervisor's call after a low
score. The rules live in ``bot.features.surveys.survey_flow``."""

from __future__ import annotations

from bot.domain.textutil import clean_input
from bot.engine import dialogs
from bot.engine.context import Ctx
from bot.engine.keyboards import Callback
from bot.engine.router import Router
from bot.features.home.menus import menu_keyboard_short
from bot.features.surveys import survey_flow as survey
from storage.models import SurveyInvitation, utcnow


async def on_button(ctx: Ctx, data: Callback) -> None:
    assert ctx.user is not None
    invitation = await survey.own_invitation(ctx.session, ctx.user.id, data.int_arg(0))
    if invitation is None:
        ctx.answer(ctx._("This survey is no longer available. Thank you."))
        return
    if data.action == "a":
        await answer(ctx, invitation, data.arg(1))
    elif data.action == "s":
        await skip(ctx, invitation)
    elif data.action == "k":
        await skip_comment(ctx, invitation)
    elif data.action == "c" and invitation.finished_at is not None:
        if data.arg(1) == "y":
            await survey.notify_follow_up(ctx, invitation)
            ctx.show(
                ctx._(
                    "Thank you for your trust. A supervisor at the association will contact you soon."
                ),
                menu_keyboard_short(ctx),
            )
        else:
            ctx.show(
                ctx._("We respect your choice. Thank you for helping us improve."),
                menu_keyboard_short(ctx),
            )
        ctx.answer()
    else:
        ctx.answer(ctx._("This button is no longer active."))


async def answer(ctx: Ctx, invitation: SurveyInvitation, encoded: str) -> None:
    if invitation.finished_at is not None:
        ctx.answer(ctx._("Your answers were already recorded. Thank you!"))
        ctx.show(survey.thanks_text(ctx.tr), menu_keyboard_short(ctx))
        return
    questions = ctx.profile.survey.questions
    scores = survey.decode(encoded, questions)
    if not scores:
        ctx.answer(ctx._("This button is no longer active."))
        return
    ctx.answer()
    if len(scores) < len(questions):
        ctx.show(*survey.question_view(ctx.tr, ctx.profile, invitation.id, scores))
        return
    await survey.record_scores(ctx.session, ctx.tenant, ctx.profile, invitation, scores, utcnow())
    low = survey.is_low(ctx.profile, scores)
    if ctx.profile.survey.allow_comment:
        # the conversation the person was in (a half-filled form …) is kept aside and given back
        dialog = await dialogs.current(ctx)
        prev = None
        if dialog is not None:
            prev = (
                dialog.data.get("prev")
                if dialog.flow == survey.FLOW
                else {"flow": dialog.flow, "step": dialog.step, "data": dialog.data}
            )
        await dialogs.begin(
            ctx, survey.FLOW, "comment", {"invitation": invitation.id, "low": low, "prev": prev}
        )
        ctx.show(*survey.comment_view(ctx.tr, invitation.id))
        return
    finish(ctx, invitation, low)


async def restore(ctx: Ctx, prev: dict | None) -> None:
    """Give back the conversation the comment step put aside, and ask its question again."""
    if not prev:
        await dialogs.end(ctx)
        return
    await dialogs.begin(ctx, prev["flow"], prev["step"], prev.get("data") or {})
    flow = _flows.get(prev["flow"])
    if flow is not None:
        await flow.resume(ctx)


def finish(ctx: Ctx, invitation: SurveyInvitation, low: bool) -> None:
    """Thanks — or, after a low overall score, the question whether a supervisor may call."""
    if low:
        ctx.show(*survey.follow_up_view(ctx.tr, invitation.id))
    else:
        ctx.show(survey.thanks_text(ctx.tr), menu_keyboard_short(ctx))


async def skip_comment(ctx: Ctx, invitation: SurveyInvitation) -> None:
    ctx.answer()
    dialog = await dialogs.current(ctx)
    if (
        dialog is not None
        and dialog.flow == survey.FLOW
        and dialog.data.get("invitation") == invitation.id
    ):
        finish(ctx, invitation, bool(dialog.data.get("low")))
        await restore(ctx, dialog.data.get("prev"))
    else:  # the comment step is over already (/cancel, a restart of the survey …)
        finish(ctx, invitation, False)


async def skip(ctx: Ctx, invitation: SurveyInvitation) -> None:
    if invitation.finished_at is not None:
        ctx.answer(ctx._("Your answers were already recorded. Thank you!"))
    else:
        invitation.skipped = True
        ctx.answer()
    ctx.show(
        ctx._(
            "No problem. Thank you for your time 🌿 You can always share your opinion with us from the menu."
        ),
        menu_keyboard_short(ctx),
    )


class CommentFlow:
    """The one step of the survey that waits for a typed message: the optional comment."""

    name = survey.FLOW

    async def on_message(self, ctx: Ctx) -> None:
        assert ctx.user is not None
        dialog = await dialogs.current(ctx)
        invitation = await survey.own_invitation(
            ctx.session, ctx.user.id, dialog.data.get("invitation") if dialog else None
        )
        if invitation is None:
            ctx.reply(
                ctx._("This survey is no longer available. Thank you."), menu_keyboard_short(ctx)
            )
            await restore(ctx, dialog.data.get("prev") if dialog else None)
            return
        text = clean_input(ctx.event.text, multiline=True)
        if not text:
            ctx.reply(*survey.comment_view(ctx.tr, invitation.id))
            return
        await survey.record_comment(ctx.session, ctx.tenant, invitation, text, utcnow())
        low = bool(dialog and dialog.data.get("low"))
        if low:
            text, keyboard = survey.follow_up_view(ctx.tr, invitation.id)
            ctx.reply(ctx._("Your comment has reached us.") + "\n\n" + text, keyboard)
        else:
            ctx.reply(
                ctx._(
                    "Your comment has reached us. Thank you for your rating 🌿 It helps us improve our services."
                ),
                menu_keyboard_short(ctx),
            )
        await restore(ctx, dialog.data.get("prev") if dialog else None)

    async def resume(self, ctx: Ctx) -> None:
        dialog = await dialogs.current(ctx)
        if dialog is not None:
            ctx.reply(*survey.comment_view(ctx.tr, int(dialog.data.get("invitation", 0))))


_flows: dict = {}  # the router's flows, to ask a put-aside conversation's question again


def register(router: Router) -> None:
    """The survey's buttons and its comment step."""
    global _flows
    _flows = router.flows
    router.callback(survey.NS)(on_button)
    router.flow(CommentFlow())
    router.job(survey.send_reminders)
