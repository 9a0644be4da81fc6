"""One Bot API call's client CPU (issue #16): ``sendMessage`` through each way the bot can
make it, in the same run, alternated, against the project's emulator in ANOTHER process.

    .venv/bin/python -m bench.http_bench                       # 6 rounds × 2000 calls a way
    .venv/bin/python -m bench.http_bench --calls 5000 --rounds 10 --concurrency 8

The ways (``bot/channels/telegram/transport.py``):

* ``ptb``     — what ``call`` did before Session 7: ``Bot._do_post`` → PTB's ``BaseRequest.post``
  (a ``RequestParameter`` per key, ``RequestData``, ``_request_wrapper``) → ``AiohttpRequest``
  → ``aiohttp.ClientSession.request``;
* ``aiohttp`` — the lean call (``orjson`` body, :func:`result_of`) over the same aiohttp
  session (what the bot does when a proxy is set);
* ``http11``  — the lean call over ``bot/channels/telegram/http11.py`` (the bot's default);
* ``httpx``   — for reference, PTB's default client (``MUSTAFEED_HTTP_CLIENT=httpx``).

Each round runs every way (in a rotated order) for ``--calls`` calls after a short warm-up and
takes this process's ``time.process_time()`` around them: the client's CPU alone, the
emulator's being another process's. Printed: the median over the rounds of CPU µs per call,
and the wall time per call; the one-minute load average before and after (2 shared cores).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

TOKEN = "123:ABC"
CHAT = 4242
PAYLOAD: dict[str, Any] = {
    "chat_id": CHAT,
    "text": "تم استلام طلبك رقم 2026-0042. سنراجعه ونرد عليك خلال يومي عمل.",
    "parse_mode": "HTML",
    "reply_markup": {
        "inline_keyboard": [
            [{"text": "حالة الطلب", "callback_data": "req:st:42"}],
            [{"text": "القائمة", "callback_data": "home:menu"}],
        ]
    },
}
WAYS = ("ptb", "aiohttp", "http11", "httpx")


async def _serve() -> None:
    """The emulator's process: one bot, one person, the port on stdout, until stdin closes."""
    from bot.emulator.server import Emulator

    async with Emulator("127.0.0.1", 0, demo=False) as emulator:
        emulator.add_user(CHAT, "أحمد")
        print(emulator.port, flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


def _bot(base_url: str, way: str) -> Any:
    from telegram import Bot
    from telegram.request import HTTPXRequest

    from bot.channels.telegram.transport import AiohttpRequest

    if way == "httpx":
        request: Any = HTTPXRequest(connection_pool_size=256, read_timeout=15)
    else:
        request = AiohttpRequest(connection_pool_size=256, read_timeout=15)
        request.use_pool = way == "http11"
    return Bot(TOKEN, base_url=base_url, request=request, get_updates_request=request)


def _caller(bot: Any, way: str) -> Callable[[], Awaitable[Any]]:
    from bot.channels.telegram.transport import call

    if way == "ptb":
        return lambda: bot._do_post("sendMessage", dict(PAYLOAD))
    return lambda: call(bot, "sendMessage", PAYLOAD)


async def _run(way: str, send: Callable[[], Awaitable[Any]], calls: int, concurrency: int):
    async def worker(n: int) -> None:
        for _ in range(n):
            result = await send()
            assert result["chat"]["id"] == CHAT, result

    share = [calls // concurrency + (i < calls % concurrency) for i in range(concurrency)]
    for _ in range(2):  # warm-up: connections open, caches filled
        await asyncio.gather(*(worker(1) for _ in range(concurrency)))
    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker(n) for n in share))
    return (time.process_time() - cpu) / calls * 1e6, (time.perf_counter() - wall) / calls * 1e6


async def _bench(args: argparse.Namespace) -> None:
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.http_bench", "--serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        base_url = f"http://127.0.0.1:{port}/bot"
        ways = [w for w in WAYS if w in args.ways.split(",")]
        bots = {way: _bot(base_url, way) for way in ways}
        for bot in bots.values():
            await bot.initialize()
        cpu: dict[str, list[float]] = {way: [] for way in ways}
        wall: dict[str, list[float]] = {way: [] for way in ways}
        load_before = os.getloadavg()[0]
        for round_ in range(args.rounds):
            order = ways[round_ % len(ways) :] + ways[: round_ % len(ways)]
            for way in order:
                c, w = await _run(way, _caller(bots[way], way), args.calls, args.concurrency)
                cpu[way].append(c)
                wall[way].append(w)
            print(
                f"round {round_ + 1}: "
                + "  ".join(f"{w} {cpu[w][-1]:.0f}" for w in ways)
                + " µs CPU/call",
                flush=True,
            )
        load_after = os.getloadavg()[0]
        for bot in bots.values():
            await bot.shutdown()
    finally:
        if server.stdin is not None:
            server.stdin.close()
        server.wait(timeout=10)
    print(
        f"\n{args.calls} sendMessage × {args.rounds} rounds, concurrency {args.concurrency}, "
        f"{'uvloop' if args.uvloop else 'asyncio'}; load average {load_before:.2f} → "
        f"{load_after:.2f}"
    )
    base = statistics.median(cpu[ways[0]])
    for way in ways:
        med = statistics.median(cpu[way])
        print(
            f"  {way:8s} CPU {med:6.0f} µs/call (min {min(cpu[way]):.0f}, max "
            f"{max(cpu[way]):.0f}; ×{med / base:.2f} of {ways[0]})   wall "
            f"{statistics.median(wall[way]):6.0f} µs/call"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.http_bench", description=__doc__)
    parser.add_argument("--calls", type=int, default=2000, help="calls per way per round")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--concurrency", type=int, default=1, help="calls in flight at once")
    parser.add_argument("--ways", default=",".join(WAYS), help="a comma-separated subset")
    parser.add_argument(
        "--uvloop", action=argparse.BooleanOptionalAction, default=True, help="as the bot runs"
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        asyncio.run(_serve())
        return
    if args.uvloop:
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(_bench(args))
    else:
        asyncio.run(_bench(args))


if __name__ == "__main__":
    main()
