"""The Bot API's TLS context is built once per process: loading the CA bundle costs ~17 ms of
CPU, and every photo or document a person sends opens a connector for its first bytes
(``bot.channels.telegram.file_head``) — built per fetch, it doubled the bot's CPU per update
under load (docs/benchmarks.md, Session 3)."""

from __future__ import annotations

import ssl

from bot.channels.telegram import transport


def test_tls_context_is_built_once(monkeypatch) -> None:
    built = []
    real = ssl.create_default_context

    def counting(*args, **kwargs):
        built.append(args or kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(ssl, "create_default_context", counting)
    transport._tls_context.cache_clear()
    try:
        first = transport._tls_context()
        assert transport._tls_context() is first
        assert isinstance(first, ssl.SSLContext)
        assert first.verify_mode == ssl.CERT_REQUIRED and first.check_hostname
        assert len(built) == 1
    finally:
        transport._tls_context.cache_clear()  # the next caller builds it with the real function
