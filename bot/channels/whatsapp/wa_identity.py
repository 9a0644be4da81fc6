"""Who a WhatsApp person is, without their number in clear.

A WhatsApp id (``wa_id``) is the person's phone number: personal data. The engine's chat id for
them is derived from it by the vault's keyed hash (``chat_id_for``), above every Telegram id,
so it is the look-up key (``beneficiaries.telegram_user_id``) while the number itself is kept
only encrypted (``beneficiaries.address_enc``). Message ids (``wamid.…``) become integers the
same way, without a key: they are not personal.
"""

from __future__ import annotations

import hashlib

from storage.crypto import Vault

WHATSAPP_BASE = 1 << 60
"""Chat ids from here up are WhatsApp people (Telegram's ids stay far below 2**53)."""
_UPDATE_BASE = 1 << 61


def chat_id_for(vault: Vault, wa_id: str) -> int:
    digest = vault.blind_index(wa_id, "whatsapp")
    return WHATSAPP_BASE + int(digest[:14], 16)  # 56 bits


def is_whatsapp(chat_id: int | None) -> bool:
    return chat_id is not None and chat_id >= WHATSAPP_BASE


def message_id_for(wamid: str) -> int:
    """A WhatsApp message id as the integer the engine and the outbox keep (52 bits)."""
    return int(hashlib.sha256(wamid.encode()).hexdigest()[:13], 16)


def update_id_for(wamid: str) -> int:
    """The intake's idempotency key of one inbound WhatsApp message (Meta redelivers)."""
    return _UPDATE_BASE + int(hashlib.sha256(b"in\x00" + wamid.encode()).hexdigest()[:15], 16)


def local_display(wa_id: str) -> str:
    """``966551234567`` → ``0551234567`` (how a Saudi mobile is written at home)."""
    digits = wa_id.lstrip("+")
    return "0" + digits[3:] if digits.startswith("966") and len(digits) == 12 else digits
