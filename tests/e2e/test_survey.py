"""Satisfaction surveys end to end: a closed request or ticket invites the beneficiary; answered
(one question per edit, then a comment), skipped, reminded once; never asked too often; a low
score reaches the supervisors only with consent — and the domain rules underneath."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.engine.jobs import run_jobs
from bot.engine.keyboards import parse_cb
from bot.features.surveys import survey_flow as survey
from storage.models import AuditLog, SurveyAnswer, SurveyInvitation, utcnow
from tests.flows import fill_form, open_service, submit
from tests.harness import STAFF, STAFF_CHAT, Person, buttons

POLICY = "تقييمك حقٌّ لك، ويساعدنا على تحسين خدماتنا، ولا يُستخدم للمحاسبة."


def survey_message(person: Person) -> dict:
    for message in reversed(person.emu.messages(person.chat)):
        if "استبانة قياس الرضا" in (message.get("text") or ""):
            return message
    raise AssertionError("no survey message")


async def rate(person: Person, *scores: int) -> None:
    for score in scores:
        await person.press_data(
            survey_message(person)["message_id"],
            next(d for label, d in buttons(survey_message(person)) if label == "٠١٢٣٤٥٦٧٨٩"[score]),
        )


async def handed_over_inquiry(person: Person, emu) -> tuple[str, dict]:
    await person.say("/menu")
    await person.press("استفسار")
    await person.press("التحدث مع فريق الجمعية")
    await person.say("متى يبدأ توزيع السلال الغذائية في رمضان؟")
    card = emu.last_message(STAFF_CHAT)
    reference = re.search(r"INQ-\d{4}-\d{4}", card["text"]).group(0)
    return reference, card


async def closed_inquiry(person: Person, staff: Person, emu) -> str:
    reference, card = await handed_over_inquiry(person, emu)
    await staff.say(
        "يبدأ التوزيع في الأسبوع الأول من رمضان بإذن الله.", reply_to_message_id=card["message_id"]
    )
    await staff.say("/close", reply_to_message_id=card["message_id"])
    return reference


async def invitations(app) -> list[SurveyInvitation]:
    async with app.db.read() as session:
        return list(
            (await session.scalars(select(SurveyInvitation).order_by(SurveyInvitation.id))).all()
        )


async def answers(app) -> list[SurveyAnswer]:
    async with app.db.read() as session:
        return list((await session.scalars(select(SurveyAnswer).order_by(SurveyAnswer.id))).all())


# --------------------------------------------------------------------------------------------
# end to end
# --------------------------------------------------------------------------------------------


async def test_closed_request_is_rated_question_by_question(
    consented: Person, staff: Person, profile, emu, app
) -> None:
    await open_service(consented, profile)
    await fill_form(consented, profile)
    reference = await submit(consented)
    staff.seen = 0
    await staff.press("بدء الدراسة")
    await staff.press("✅")  # approve
    await staff.press("تم تقديم الخدمة")
    assert not await invitations(app)  # delivered is not closed yet
    await staff.press("إغلاق")
    assert "أُغلق طلبك" in consented.recent()
    invite = consented.last()
    assert POLICY in invite["text"] and reference in invite["text"]
    assert (
        "السؤال ١ من ٤" in invite["text"] and profile.survey.questions[0].text.ar in invite["text"]
    )
    labels = [label for label, _ in buttons(invite)]
    assert (
        labels[:5] == ["٥", "٤", "٣", "٢", "١"] and "تخطّي الاستبانة" in labels[5]
    )  # ١ on the right

    await rate(consented, 5, 4)
    edited = emu.message(consented.chat, invite["message_id"])  # the same message, edited
    assert (
        "السؤال ٣ من ٤" in edited["text"] and profile.survey.questions[2].text.ar in edited["text"]
    )
    assert not await answers(app)  # nothing is kept before the last question
    await rate(consented, 4, 5)
    assert "تعليق أو مقترح" in emu.message(consented.chat, invite["message_id"])["text"]
    replies = await consented.say("شكرًا لكم على حسن التعامل وسرعة الإنجاز")
    assert "وصلنا تعليقك" in replies[-1]["text"]

    rows = await answers(app)
    scores = {r.question_id: r.score for r in rows if r.score is not None}
    assert scores == {"overall": 5, "speed": 4, "clarity": 4, "courtesy": 5}
    assert {(r.service_id, r.channel, r.staff_user_id) for r in rows} == {
        ("food-support", "request", STAFF)
    }
    assert [r.comment for r in rows if r.question_id == "comment"] == [
        "شكرًا لكم على حسن التعامل وسرعة الإنجاز"
    ]
    assert not hasattr(SurveyAnswer, "beneficiary_id")
    local = rows[0].created_at.replace(tzinfo=UTC) + timedelta(hours=3)
    assert (local.hour, local.minute) == (0, 0)  # kept to the day: no time to match it to a person
    (invitation,) = await invitations(app)
    assert invitation.finished_at is not None and not invitation.skipped

    # a late press on the old buttons changes nothing
    await consented.press_data(invite["message_id"], f"sv:a:{invitation.id}:1")
    assert len(await answers(app)) == 5


async def test_ticket_skipped_in_one_tap_and_not_asked_again_soon(
    consented: Person, staff: Person, emu, app
) -> None:
    reference = await closed_inquiry(consented, staff, emu)
    invite = survey_message(consented)
    assert reference in invite["text"]
    await consented.press("تخطّي الاستبانة")
    assert "لا بأس" in emu.message(consented.chat, invite["message_id"])["text"]
    (invitation,) = await invitations(app)
    assert (
        invitation.skipped
        and invitation.finished_at is None
        and invitation.subject_kind == "ticket"
    )

    # a second case closed the same month: no second survey (min_days_between)
    await closed_inquiry(consented, staff, emu)
    assert len(await invitations(app)) == 1
    assert await run_jobs(app.rt, now=utcnow() + timedelta(hours=30)) == 0  # skipped: no reminder
    assert not await answers(app)


async def test_one_reminder_after_reminder_hours(
    consented: Person, staff: Person, emu, app, profile
) -> None:
    await closed_inquiry(consented, staff, emu)
    (invitation,) = await invitations(app)
    sent = invitation.sent_at.replace(tzinfo=UTC)
    hours = profile.survey.reminder_hours
    count = len(emu.messages(consented.chat))
    assert await run_jobs(app.rt, now=sent + timedelta(hours=hours - 1)) == 0
    assert await run_jobs(app.rt, now=sent + timedelta(hours=hours + 1)) == 1
    await app.idle()
    reminder = consented.last()
    assert len(emu.messages(consented.chat)) == count + 1
    assert (
        "تذكير لطيف" in reminder["text"]
        and POLICY in reminder["text"]
        and "السؤال ١ من ٤" in reminder["text"]
    )
    assert await run_jobs(app.rt, now=sent + timedelta(hours=hours + 30)) == 0  # once only

    await rate(consented, 4, 4, 5, 4)
    await consented.press("تخطٍّ")  # no comment
    assert "شكرًا لتقييمك" in consented.text()
    assert len([a for a in await answers(app) if a.score]) == 4 and not [
        a for a in await answers(app) if a.comment
    ]


async def test_low_score_reaches_supervisors_only_with_consent(
    consented: Person, staff: Person, emu, app
) -> None:
    reference = await closed_inquiry(consented, staff, emu)
    before_group, before_supervisor = len(emu.messages(STAFF_CHAT)), len(emu.messages(STAFF))
    await rate(consented, 2, 3, 3, 2)
    await consented.press("تخطٍّ")
    assert "مشرفي الجمعية" in consented.text() and "الأمر لك" in consented.text()
    assert (
        len(emu.messages(STAFF_CHAT)) == before_group
        and len(emu.messages(STAFF)) == before_supervisor
    )

    await consented.press("نعم، أرجو التواصل معي")
    assert "سيتواصل معك أحد مشرفي الجمعية" in consented.text()
    to_supervisor = emu.last_message(STAFF)
    assert reference in to_supervisor["text"] and "وافق على أن يتواصل معه" in to_supervisor["text"]
    link = next(e["url"] for e in to_supervisor.get("entities", []) if e.get("type") == "text_link")
    assert link == f"tg://user?id={consented.user_id}"
    in_group = emu.last_message(STAFF_CHAT)
    assert reference in in_group["text"] and "tg://" not in str(in_group)
    async with app.db.read() as session:
        audit = (
            await session.scalars(select(AuditLog).where(AuditLog.action == survey.FOLLOW_UP))
        ).all()
    assert len(audit) == 1 and audit[0].subject_kind == "ticket"

    # pressing again sends nothing more
    message = consented.last()
    invitation = (await invitations(app))[0]
    await consented.press_data(message["message_id"], f"sv:c:{invitation.id}:y")
    assert len([m for m in emu.messages(STAFF) if reference in (m.get("text") or "")]) == 1


async def test_low_score_without_consent_stays_private(
    consented: Person, staff: Person, emu, app
) -> None:
    await closed_inquiry(consented, staff, emu)
    before_group, before_supervisor = len(emu.messages(STAFF_CHAT)), len(emu.messages(STAFF))
    await rate(consented, 1, 1, 2, 1)
    await consented.say("لم يرد علي أحد لمدة يومين")
    assert "وصلنا تعليقك" in consented.text() and "الأمر لك" in consented.text()
    await consented.press("لا، شكرًا")
    assert "نحترم اختيارك" in consented.text()
    assert (
        len(emu.messages(STAFF_CHAT)) == before_group
        and len(emu.messages(STAFF)) == before_supervisor
    )
    assert [r.comment for r in await answers(app) if r.comment] == ["لم يرد علي أحد لمدة يومين"]


async def test_resolved_complaint_is_rated_as_a_complaint(
    consented: Person, staff: Person, emu, app, profile
) -> None:
    # asked as often as cases close, so a second case is rated too
    app.rt.profile = profile.model_copy(
        update={"survey": profile.survey.model_copy(update={"min_days_between": 0})}
    )
    await closed_inquiry(consented, staff, emu)
    await consented.press("تخطّي الاستبانة")

    await consented.say("/menu")
    await consented.press("شكوى أو مقترح")
    await consented.press("شكوى")
    await consented.say("تأخر التوصيل")
    await consented.say("تأخر وصول السلة الغذائية أسبوعين عن الموعد المحدد.")
    while any("تخطٍّ" in label for label, _ in buttons(consented.last())):
        await consented.press("تخطٍّ")
    await consented.press("إرسال")
    reference = re.search(r"CMP-\d{4}-\d{4}", consented.text()).group(0)
    staff.seen = 0
    await staff.press("إغلاق بنتيجة")
    await staff.say(
        "اعتذرنا للأسرة وجدولنا التوصيل صباح الغد.", reply_to_message_id=staff.last()["message_id"]
    )
    assert "جدولنا التوصيل" in consented.recent() and reference in survey_message(consented)["text"]
    await rate(consented, 4, 3, 4, 5)
    await consented.press("تخطٍّ")
    assert len(await invitations(app)) == 2
    assert {(r.channel, r.service_id) for r in await answers(app)} == {("complaint", None)}


async def test_a_comment_puts_an_unfinished_form_aside_and_gives_it_back(
    consented: Person, staff: Person, emu, app, profile
) -> None:
    await closed_inquiry(consented, staff, emu)
    await consented.say("/menu")
    await open_service(consented, profile)  # a form begins before the survey is answered
    await rate(consented, 5, 5, 5, 5)
    replies = await consented.say("خدمة ممتازة")  # the comment, not an answer to the form
    assert (
        "وصلنا تعليقك" in replies[0]["text"] and "السؤال ١" in replies[-1]["text"]
    )  # the form's question again
    replies = await consented.say("محمد عبدالله سعيد الحربي")  # the form goes on where it was
    assert "السؤال ٢" in replies[-1]["text"]
    assert [r.comment for r in await answers(app) if r.comment] == ["خدمة ممتازة"]


# --------------------------------------------------------------------------------------------
# domain
# --------------------------------------------------------------------------------------------


def test_scores_travel_in_callback_data(profile) -> None:
    questions = profile.survey.questions
    assert survey.encode([5, 1, 3]) == "513" and survey.decode("513", questions) == [5, 1, 3]
    for bad in ("6", "55555", "x", "0"):
        assert survey.decode(bad, questions) is None
    text, keyboard = survey.question_view(
        __import__("bot.i18n", fromlist=["translator"]).translator("en"),
        profile,
        123456789,
        [5, 4, 4],
    )
    data = keyboard.actions()  # neutral buttons (bot.engine.keyboards.Buttons)
    assert all(len(d.encode()) <= 64 for d in data) and parse_cb(data[0]).args == (
        "123456789",
        "5441",
    )
    assert "Question 4 of 4" in text


def test_low_overall_score(profile) -> None:
    assert survey.is_low(profile, [2, 5, 5, 5]) and survey.is_low(profile, [1])
    assert not survey.is_low(profile, [3, 1, 1, 1])


def test_times_are_kept_to_the_day() -> None:
    evening = datetime(2026, 10, 20, 22, 30, tzinfo=UTC)  # already the 21st in Riyadh
    assert survey.day_of(evening) == datetime(2026, 10, 20, 21, 0, tzinfo=UTC)


async def test_rate_limit_and_one_invitation_per_case(database_url: str, profile) -> None:
    from storage.db import Database
    from storage.models import Association, Beneficiary

    db = Database(database_url).scoped("khairat")
    await db.migrate()
    now = datetime(2026, 10, 20, 9, tzinfo=UTC)
    try:
        async with db.write() as session:
            session.add(Association(id="khairat", name="خيرات"))
            person = Beneficiary(association_id="khairat", telegram_user_id=5)
            session.add(person)
            await session.flush()
            case = survey.Case("ticket", 7, person.id, "INQ-1448-0007", "inquiry", None, True)
            assert await survey.may_invite(session, profile, case, now)
            session.add(
                SurveyInvitation(
                    association_id="khairat",
                    beneficiary_id=person.id,
                    subject_kind="ticket",
                    subject_id=7,
                    sent_at=now - timedelta(days=29),
                )
            )
            await session.flush()
            other = survey.Case(
                "request", 8, person.id, "REQ-1448-0008", "request", "food-support", True
            )
            assert not await survey.may_invite(session, profile, case, now)  # same case
            assert not await survey.may_invite(session, profile, other, now)  # too soon
            assert await survey.may_invite(session, profile, other, now + timedelta(days=2))
            still_open = survey.Case(
                "request", 9, person.id, "REQ-1448-0009", "request", "food-support", False
            )
            assert not await survey.may_invite(
                session, profile, still_open, now + timedelta(days=2)
            )
            assert (await session.scalar(select(func.count()).select_from(SurveyAnswer))) == 0
    finally:
        await db.dispose()
