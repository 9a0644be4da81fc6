"""The reference for ``bench.load``: a bare python-telegram-bot echo bot.

``telegram.ext.Application`` with one ``MessageHandler`` that answers every text with the same
text, ``run_polling`` against the emulator — no database, no outbox, no routing. What is left
is the cost every bot on python-telegram-bot pays: long polling, parsing each update into
``Update`` objects, one ``sendMessage`` per update through PTB's httpx client.

    python -m bench.echo_bot --base-url http://127.0.0.1:PORT/bot --token 123:ABC [--concurrency 256]

``--concurrency 0`` (the default) keeps PTB's default: one update at a time. It is the stronger
reference on this machine: with ``concurrent_updates(256)`` the echo bot spends twice the CPU per
update and its p99 grows fivefold at 200 users (httpcore's pool bookkeeping grows with the
requests in flight), see docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import logging

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters


async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is not None and message.text:
        await message.reply_text(message.text)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.echo_bot", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--base-url",
        required=True,
        help="python-telegram-bot's base_url, e.g. http://127.0.0.1:8081/bot",
    )
    parser.add_argument("--token", default="123:ABC")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=0,
        help="concurrent_updates (0: PTB's default, sequential)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    base = args.base_url.rstrip("/")
    head, _, tail = base.rpartition("/")
    builder = (
        Application.builder().token(args.token).base_url(base).base_file_url(f"{head}/file/{tail}")
    )
    if args.concurrency:
        builder = builder.concurrent_updates(args.concurrency)
    app = builder.build()
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    # run_polling stops cleanly on SIGTERM/SIGINT (what bench.load sends).
    app.run_polling(allowed_updates=["message"], poll_interval=0.0, timeout=25)


if __name__ == "__main__":
    main()
