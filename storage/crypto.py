"""Personal data at rest: AES-GCM encryption with a key id, and a keyed hash for look-ups.

Keys are derived from ``MUSTAFEED_SECRET_KEY`` with HKDF, one for encryption and one for the
blind index, so neither reveals the other. A ciphertext reads ``<key id>:<base64 nonce+ct>``;
to rotate, give the new secret and keep the old ones in ``old_secrets`` until re-encrypted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"mustafeed/v1", info=purpose).derive(
        secret.encode("utf-8")
    )


def key_id(secret: str) -> str:
    return hashlib.sha256(_derive(secret, b"key-id")).hexdigest()[:8]


class Vault:
    def __init__(self, secret: str, old_secrets: tuple[str, ...] = ()) -> None:
        self._kid = key_id(secret)
        self._aead = {key_id(s): AESGCM(_derive(s, b"aead")) for s in (*old_secrets, secret)}
        self._index_key = _derive(secret, b"blind-index")

    def encrypt(self, plaintext: str, context: str = "") -> str:
        nonce = os.urandom(12)
        ct = self._aead[self._kid].encrypt(
            nonce, plaintext.encode("utf-8"), context.encode() or None
        )
        return f"{self._kid}:{base64.urlsafe_b64encode(nonce + ct).decode('ascii')}"

    def decrypt(self, token: str, context: str = "") -> str:
        kid, _, body = token.partition(":")
        raw = base64.urlsafe_b64decode(body.encode("ascii"))
        return self._aead[kid].decrypt(raw[:12], raw[12:], context.encode() or None).decode("utf-8")

    def blind_index(self, value: str, scope: str = "") -> str:
        """A keyed hash to find a value (e.g. a national ID) without storing it in clear."""
        return hmac.new(self._index_key, f"{scope}\x00{value}".encode(), hashlib.sha256).hexdigest()


def address_context(tenant: str, chat_id: int | None) -> str:
    """The vault context of a beneficiary's encrypted address (``beneficiaries.address_enc``):
    a row copied onto another person's does not decrypt."""
    return f"address:{tenant}:{chat_id}"
