"""bot.engine.flood: the per-person token bucket (the calm answer to a burst is tested end to end in
tests/e2e/test_e2e_privacy.py)."""

from __future__ import annotations

from bot.engine import flood
from bot.engine.flood import FloodGate


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_is_admitted_then_refused_with_one_warning_a_minute() -> None:
    clock = Clock()
    gate = FloodGate(rate=1.0, clock=clock)
    assert [gate.admit(7, burst=3) for _ in range(3)] == [(True, False)] * 3
    assert gate.admit(7, burst=3) == (False, True)  # the one calm answer
    assert gate.admit(7, burst=3) == (False, False)  # then silence for the rest of the burst
    clock.now += 1.0
    assert gate.admit(7, burst=3) == (True, False)  # a token a second comes back
    assert gate.admit(7, burst=3) == (False, False)
    clock.now += 0.5
    assert gate.admit(7, burst=3) == (False, False)  # still within the minute: no second warning
    clock.now += flood.WARN_EVERY
    assert gate.admit(7, burst=3) == (True, False)
    for _ in range(2):
        gate.admit(7, burst=3)
    assert gate.admit(7, burst=3) == (False, True)  # a new burst a minute later: warned again


def test_people_have_their_own_buckets() -> None:
    gate = FloodGate(clock=Clock())
    for _ in range(2):
        gate.admit(1, burst=2)
    assert gate.admit(1, burst=2)[0] is False
    assert gate.admit(2, burst=2) == (True, False)


def test_memory_stays_bounded(monkeypatch) -> None:
    monkeypatch.setattr(flood, "PRUNE_ABOVE", 100)
    clock = Clock()
    gate = FloodGate(rate=1.0, clock=clock)
    for user in range(100):
        gate.admit(user, burst=5)
    for _ in range(10):
        gate.admit(42, burst=5)  # one person still flooding: their bucket must survive the prune
    clock.now += 3  # everyone else has refilled (4 + 3 ≥ 5): their buckets equal new ones
    gate.admit(1000, burst=5)
    assert len(gate) == 2
    assert gate.admit(42, burst=5) == (True, False) and gate.admit(1000, burst=5) == (True, False)
