"""Start ``mustafeed demo`` on a free port in the current folder, open the page, ask the emulator
for the bot's getMe, send /start as the Telegram beneficiary and «مرحبا» as the WhatsApp one and
wait for the bot's answers; then stop it.
Standard library only: run it with any Python (``scripts/wheel_smoke.sh`` uses the wheel's)."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.request

DEMO_TOKEN = "123:DEMO"  # bot/web/demo.py


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str, body: dict | None = None) -> bytes:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.read()


def until(what: str, check, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
        except OSError:
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise SystemExit(f"demo smoke test: {what} not seen within {timeout:.0f} s")
        time.sleep(0.2)


def main(mustafeed: str) -> int:
    port = free_port()
    while port + 1 == 65536:  # the dashboard takes the next port
        port = free_port()
    demo = subprocess.Popen(
        [mustafeed, "demo", "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        page = until("the demo page", lambda: demo.poll() is None and fetch(base + "/"))
        assert b"<html" in page.lower(), page[:200]
        assert fetch(base + "/static/demo.css")
        me = json.loads(fetch(f"{base}/bot{DEMO_TOKEN}/getMe"))
        assert me["ok"] and me["result"]["is_bot"], me

        def answers(panel: str) -> int:
            state = json.loads(fetch(base + "/demo/api/state"))
            chat = next(p for p in state["panels"] if p["key"] == panel)
            return sum(1 for m in chat["messages"] if not m["out"])

        fetch(base + "/demo/api/send", {"panel": "beneficiary", "text": "/start"})
        until("the answer to /start", lambda: answers("beneficiary"))
        fetch(base + "/demo/api/send", {"panel": "whatsapp", "text": "مرحبا"})
        until("the answer to «مرحبا» on WhatsApp", lambda: answers("whatsapp"))
    finally:
        if demo.poll() is None:
            demo.send_signal(signal.SIGTERM)
        try:
            output = demo.communicate(timeout=30)[0].decode(errors="replace")
        except subprocess.TimeoutExpired:
            demo.kill()
            output = demo.communicate()[0].decode(errors="replace")
    if demo.returncode != 0 or "Traceback" in output:
        print(output, file=sys.stderr)
        raise SystemExit(f"demo smoke test: the demo ended with status {demo.returncode}")
    print(f"demo smoke test: page, getMe, /start and WhatsApp's «مرحبا» answered on port {port}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
