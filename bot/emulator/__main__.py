"""``python -m bot.emulator``: run the emulator standalone (demo page on by default)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from .demo_page import Demo
from .server import DEFAULT_TOKEN, Emulator


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot.emulator", description="Local Telegram Bot API emulator"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="the default bot's token")
    parser.add_argument("--username", default="mustafeed_bot", help="the default bot's username")
    parser.add_argument(
        "--demo",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="serve the demo page at / (default: on)",
    )
    parser.add_argument("--demo-user-id", type=int, default=Demo.USER_ID)
    parser.add_argument("--staff-chat-id", type=int, default=Demo.STAFF_CHAT_ID)
    parser.add_argument("--staff-user-id", type=int, default=Demo.STAFF_USER_ID)
    return parser.parse_args()


async def _serve(args: argparse.Namespace) -> None:
    emulator = Emulator(
        args.host,
        args.port,
        token=args.token,
        username=args.username,
        demo=args.demo,
        demo_user_id=args.demo_user_id,
        staff_chat_id=args.staff_chat_id,
        staff_user_id=args.staff_user_id,
    )
    async with emulator:
        print(f"Bot API:   base_url={emulator.base_url}  base_file_url={emulator.base_file_url}")
        print(f"Bot token: {args.token}")
        if args.demo:
            print(f"Demo page: {emulator.url}/  (staff group {args.staff_chat_id})")
        await asyncio.Event().wait()


def main() -> None:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(_arguments()))


if __name__ == "__main__":
    main()
