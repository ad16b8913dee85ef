"""Time ordering: samples arrive late (GNSS latency), repeated or out of order.

The filters need stamps in order. A ReorderBuffer holds samples for a short window and
releases them sorted; a StampGuard then drops what is still too old (counted, never silent)
and asks for a reset when time jumps back further than a threshold (a bag restarted, a
clock reset), as robot_localization does on a time jump — but only once the clock has stayed
back for a few samples: one stray message stamped in the past is dropped, not allowed to throw
away the filters' state.
"""

from __future__ import annotations

import heapq
import itertools
import math
from typing import Any


class StampGuard:
    """admit(stamp, item) → (reset?, items to process now, in order).

    In order: the item. A little behind the newest stamp: dropped (counted). Far behind (more
    than reset_jump_back): held; once CONFIRM such samples came in a row, in order, the clock
    really went back — reset, then process the held ones and this one. A sample in order again
    before that: the held ones were strays and are dropped (counted)."""

    CONFIRM = 5

    def __init__(self, reset_jump_back: float = 1.0):
        self.reset_jump_back = reset_jump_back
        self.newest: float | None = None
        self.held: list[tuple[float, Any]] = []
        self.dropped = 0
        self.resets = 0

    def admit(self, stamp: float, item: Any) -> tuple[bool, list[Any]]:
        if self.newest is None or stamp >= self.newest:
            self.newest = stamp
            self.dropped += len(self.held)
            self.held = []
            return False, [item]
        if self.newest - stamp <= self.reset_jump_back:
            self.dropped += 1
            return False, []
        if self.held and stamp < self.held[-1][0]:  # not a clock running on from an earlier time
            self.dropped += len(self.held)
            self.held = []
        self.held.append((stamp, item))
        if len(self.held) < self.CONFIRM:
            return False, []
        ready = [i for _, i in self.held]
        self.newest, self.held = stamp, []
        self.resets += 1
        return True, ready

    def admit_run(self, last_stamp: float) -> None:
        """admit() of a run of items in order, none before the newest (checked by the caller),
        the last stamped last_stamp: held strays are dropped, the clock moves on."""
        self.dropped += len(self.held)
        self.newest, self.held = last_stamp, []


class ReorderBuffer:
    """Release (stamp, kind, item) in stamp order once they are `window` seconds old.

    Equal stamps are released by kind name, then arrival ("gnss" before "imu": a fix and an
    IMU sample of one instant form one step), so the order never depends on arrival jitter.
    An item with exactly the stamp and kind of one already seen is a duplicate and is dropped.
    """

    def __init__(self, window: float = 0.1):
        self.window = window
        self._heap: list[tuple[float, str, int, Any]] = []
        self._seq = itertools.count()  # ties keep arrival order
        self._seen: set[tuple[float, str]] = set()
        self.duplicates = 0
        self.horizon = -math.inf  # everything stamped up to here may have been released


    def push(self, stamp: float, kind: str, item: Any) -> list[tuple[float, str, Any]]:
        key = (stamp, kind)
        if key in self._seen:
            self.duplicates += 1
            return []
        self._seen.add(key)
        heapq.heappush(self._heap, (stamp, kind, next(self._seq), item))
        newest = max(stamp, self._heap[0][0])
        self.horizon = max(self.horizon, newest - self.window)
        return self._release(lambda s: s <= newest - self.window)

    def take(self) -> list[tuple[float, str, Any]]:
        """Everything held, in release order, out of the buffer (to be released or held again
        by hold())."""
        out = [(stamp, kind, item) for stamp, kind, _, item in sorted(self._heap, key=lambda e: e[:3])]
        self._heap, self._seen = [], set()
        return out

    def hold(self, items) -> None:
        """Hold (stamp, kind, item) not yet due, in arrival order, without releasing anything."""
        for stamp, kind, item in items:
            self._seen.add((stamp, kind))
            heapq.heappush(self._heap, (stamp, kind, next(self._seq), item))

    def __len__(self) -> int:
        return len(self._heap)

    def discard(self, predicate) -> int:
        """Forget held items for which predicate(kind, item) holds; returns how many."""
        keep = [e for e in self._heap if not predicate(e[1], e[3])]
        gone = len(self._heap) - len(keep)
        for e in self._heap:
            if predicate(e[1], e[3]):
                self._seen.discard((e[0], e[1]))
        self._heap = keep
        heapq.heapify(self._heap)
        return gone

    def flush(self) -> list[tuple[float, str, Any]]:
        if self._heap:
            self.horizon = max(self.horizon, max(e[0] for e in self._heap))
        return self._release(lambda s: True)

    def _release(self, ready) -> list[tuple[float, str, Any]]:
        out = []
        while self._heap and ready(self._heap[0][0]):
            stamp, kind, _, item = heapq.heappop(self._heap)
            self._seen.discard((stamp, kind))
            out.append((stamp, kind, item))
        return out

