"""The order the sender keeps in one chat (issue #14 item 4): cards and decisions first, in
order; a follow-up ahead of them only when one belongs to its case; follow-ups of one case
merged, at most one message per interval."""

from __future__ import annotations

from bot.engine.outbox import Limits, Out, SlidingWindow
from bot.engine.owed import collapse, joined, paced
from bot.engine.sender import Sender, _ChatQueue

GROUP = -100


def card(case: int, text: str = "card") -> Out:
    return Out(GROUP, "sendMessage", {"chat_id": GROUP, "text": text}, "ticket", case)


def follow(case: int, body: str) -> Out:
    payload = {"chat_id": GROUP, "text": f"head\n{body}", "parse_mode": "HTML"}
    return joined(
        Out(GROUP, "sendMessage", payload, "ticket", case), f"ticket:{case}", "head", body
    )


def sender(interval: float = 10.0) -> Sender:
    return Sender(None, None, "t", Limits(followup_interval=interval))  # type: ignore[arg-type]


def queue(*items: Out) -> _ChatQueue:
    q = _ChatQueue()
    q.items.extend(items)
    return q


def test_a_new_case_goes_ahead_of_waiting_follow_ups() -> None:
    a1, a2, b = follow(1, "a1"), follow(1, "a2"), card(2)
    batch, _ = sender()._choose(queue(a1, a2, b))
    assert batch == [b]


def test_the_same_case_keeps_its_order() -> None:
    a1, edit = follow(1, "a1"), card(1, "edit of case 1")
    batch, _ = sender()._choose(queue(a1, edit))
    assert batch == [a1]


def test_follow_ups_of_one_case_are_merged_up_to_a_message_of_that_case() -> None:
    a1, a2, other, a3, edit, a4 = (
        follow(1, "a1"),
        follow(1, "a2"),
        follow(2, "b1"),
        follow(1, "a3"),
        card(1),
        follow(1, "a4"),
    )
    s = sender()
    batch, _ = s._choose(queue(a1, a2, other, a3, edit, a4))
    assert batch == [a1, a2, a3]
    merged = s._merged(batch)
    assert merged.payload["text"] == "head\na1\na2\na3"


def test_one_message_per_interval_for_a_case() -> None:
    s = sender(interval=60)
    s._cool["ticket:1"] = float("inf")  # case 1 sent a moment ago
    a2, b1 = follow(1, "a2"), follow(2, "b1")
    batch, _ = s._choose(queue(a2, b1))
    assert batch == [b1]  # another case's follow-up is not held by it
    batch, wait = s._choose(queue(a2))
    assert batch == [] and wait > 0


def test_repeated_acknowledgements_are_sent_once_and_files_one_by_one() -> None:
    acks = [
        collapse(Out(5, "sendMessage", {"chat_id": 5, "text": "added"}), "added:1")
        for _ in range(3)
    ]
    s = sender()
    batch, _ = s._choose(queue(*acks))
    assert len(batch) == 3 and s._merged(batch) is acks[0]
    photos = [
        paced(Out(GROUP, "copyMessage", {"chat_id": GROUP}, "ticket", 1), "ticket:1")
        for _ in range(2)
    ]
    batch, _ = s._choose(queue(*photos, card(2)))
    assert batch[0].method == "sendMessage"  # the card first
    batch, _ = s._choose(queue(*photos))
    assert batch == [photos[0]]


def test_a_groups_window_holds_the_limit_in_any_period() -> None:
    """Telegram's 20 a minute to a group, exactly: the 21st waits for the first one's minute to
    end, counted from when its send ended; a quiet spell does not give a fresh burst."""
    clock = [100.0]
    window = SlidingWindow(3, 60.0, clock=lambda: clock[0])
    assert [window.delay() for _ in range(3)] == [0.0, 0.0, 0.0]
    clock[0] = 101.0
    window.stamp()  # the third send ended a second later
    clock[0] = 130.0
    assert window.delay() == 30.0  # the first one's minute: 100 + 60
    clock[0] = 160.0
    window.stamp()
    assert window.delay() == 0.0  # the second's ended at 100 as well
    clock[0] = 161.0
    assert window.delay() == 0.0  # the third's, at 101
    assert window.delay() == 59.0  # the fourth's, stamped at 160
