"""The supervisors' daily delivery report: how many messages to beneficiaries the outbox gave
up on since the last report, by reason — counts only, no names and no words (a failure to a
staff chat is told at once, by the sender)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from bot.domain.textutil import format_number
from bot.i18n import N_, translator
from storage.models import AuditLog, OutboxMessage

DIGEST_ACTION = "delivery_digest"
DIGEST_EVERY = timedelta(hours=24)


def _reason(error: str | None) -> str:
    text = error or ""
    if "Forbidden" in text:
        return N_("the person blocked the bot or closed their account")
    if text.startswith("gave up"):
        return N_("Telegram could not be reached in time")
    return N_("Telegram refused the message")


async def delivery_digest(ctx: Any, now: datetime) -> int:
    """Once a day, tell the supervisors how many messages to beneficiaries were given up since
    the last digest, by reason (no names, no words). Recorded in the audit log, so a restart
    neither repeats nor skips it; returns 1 when a digest was sent."""
    session, tenant = ctx.session, ctx.tenant
    last = await session.scalar(
        select(func.max(AuditLog.at)).where(AuditLog.action == DIGEST_ACTION)
    )
    last = _aware(last) if last is not None else None
    if last is not None and now - last < DIGEST_EVERY:
        return 0
    since = last or now - DIGEST_EVERY
    supervisors = frozenset(ctx.rt.settings.supervisor_ids)
    rows = (
        await session.execute(
            select(OutboxMessage.chat_id, OutboxMessage.error).where(
                OutboxMessage.status == "failed",
                OutboxMessage.chat_id > 0,
                OutboxMessage.sent_at >= since,
                OutboxMessage.method.like("send%")
                | OutboxMessage.method.in_(("copyMessage", "forwardMessage")),
            )
        )
    ).all()
    reasons: dict[str, int] = {}
    for chat_id, error in rows:
        if chat_id not in supervisors:
            reason = _reason(error)
            reasons[reason] = reasons.get(reason, 0) + 1
    total = sum(reasons.values())
    session.add(
        AuditLog(
            association_id=tenant,
            action=DIGEST_ACTION,
            at=now,
            detail={"failed": total, "since": since.isoformat()},
        )
    )
    if not total:
        return 0
    tr = translator("ar")
    lines = [
        tr.ngettext(
            "📬 Delivery report: {count} message to beneficiaries could not be delivered since the last report.",
            "📬 Delivery report: {count} messages to beneficiaries could not be delivered since the last report.",
            total,
        ).format(count=format_number(total, "ar"))
    ]
    lines += [
        f"• {tr.gettext(reason)}: {format_number(n, 'ar')}"
        for reason, n in sorted(reasons.items(), key=lambda kv: -kv[1])
    ]
    for supervisor in sorted(supervisors):
        ctx.send(supervisor, "\n".join(lines))
    return 1


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
