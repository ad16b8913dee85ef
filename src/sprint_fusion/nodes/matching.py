"""Wait for subscribers before publishing a log, so its first messages are not lost."""

from __future__ import annotations

import threading
import time


def wait_for_matching(publishers, ready, stop: threading.Event, timeout: float, settle: float = 0.25) -> bool:
    """Return once ready() holds and the subscriber counts of all `publishers` have been stable
    for `settle` s (a subscriber's topics are matched one by one), or False after `timeout`."""
    end = time.monotonic() + timeout
    counts, since = None, time.monotonic()
    while time.monotonic() < end and not stop.is_set():
        now = [p.get_subscription_count() for p in publishers]
        if now != counts:
            counts, since = now, time.monotonic()
        elif ready() and time.monotonic() - since >= settle:
            return True
        stop.wait(0.02)
    return False
