"""One input timeline: sensor samples in arrival order, the filters' events out in stamp order.

Samples arrive late (GNSS latency, a busy executor), repeated or out of order, and a receiver
epoch arrives as several messages. InputTimeline is the one place that handles all of it, for
the offline chain (SprintFusion), the live fusion nodes and the bag reader:
- a GNSS stamp is moved back by the receiver latency to the epoch it describes;
- a ReorderBuffer holds samples for a short window and releases them sorted, so a late fix
  still lands between the IMU samples of its epoch (duplicates dropped, counted) — live, as soon
  as every input stream has passed them (StreamClock: early release, the same order);
- a released fix is completed with the velocity and heading of its epoch (GnssEpochs); no-fix
  epochs and invalid samples are counted and go no further;
- a StampGuard drops what is still too old (counted, never silent) and turns a confirmed jump
  back in time into a RESET event, as robot_localization resets on a time jump — but only once
  the clock has stayed back for a few samples: one stray old stamp is dropped;
- a fix without velocity gets one from the previous position (PositionDifferencer).

Out come events (GNSS, fix), (IMU, sample or ImuBlock) and (RESET, stamp). What a sample still
waits for live is the fix of an epoch that began before it — unless time.fix_delay puts each
epoch that long after its stamp (epoch_delays): the filters then take it from their state
history (core/history.py), and a receiver whose latency is shorter holds no IMU sample back.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import heapq
import itertools
import math
import statistics
from typing import Any

import numpy as np

from .gnss_velocity import PositionDifferencer
from .samples import FixType, GnssFix, ImuBlock, ImuSample

GNSS, IMU, RESET = "gnss", "imu", "reset"


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

    def confirms(self, stamp: float) -> bool:
        """Whether admit(stamp) would confirm a jump back in time (return a reset)."""
        return (self.newest is not None and self.newest - stamp > self.reset_jump_back
                and len(self.held) == self.CONFIRM - 1 and stamp >= self.held[-1][0])

    @contextlib.contextmanager
    def held_aside(self):
        """The held samples wait, not judged strays, while the rest of the time before a jump
        (still in order on the old clock) is admitted."""
        held, self.held = self.held, []
        try:
            yield
        finally:
            self.held = held

    def admit_run(self, last_stamp: float) -> None:
        """admit() of a run of items in order, none before the newest (checked by the caller),
        the last stamped last_stamp: held strays are dropped, the clock moves on."""
        self.dropped += len(self.held)
        self.newest, self.held = last_stamp, []


class StreamClock:
    """What one input stream (one kind of item) tells about the future. It arrives in stamp order
    (one driver, one DDS writer), so nothing stamped at or before its newest stamp can still come;
    a periodic stream (a receiver's epochs) nothing either before its next epoch, expected no
    sooner than PERIODIC_SHARE of its shortest recent interval after the last. A stamp going back
    makes the stream unordered: its clock tells nothing more."""

    PERIODIC_SHARE = 0.8  # epochs are regular (GNSS time); a host-stamped receiver jitters a little
    INTERVALS = 8
    # A dense stream is trusted to keep its order once it kept it this long: an item out of order
    # after early releases would be too late for its place (dropped, counted), so a jittery IMU
    # must show itself first (at 100–400 Hz, 10–40 samples). A receiver's epochs are 50–1000 ms
    # apart, far beyond any stamp jitter: trusted from the first, or every IMU sample after a first
    # fix would wait the window (the live graph's first outputs 100–250 ms late, measured).
    PROBATION = 0.1  # s of its own stamps

    def __init__(self, periodic: bool, probation: float | None = None):
        self.periodic = periodic
        own = self.PROBATION if probation is None else probation
        self.probation = 0.0 if periodic else own  # a receiver's epochs: trusted from the first
        self.first = self.newest = -math.inf
        self.intervals: collections.deque = collections.deque(maxlen=self.INTERVALS)
        self.ordered = True
        self.passed = -math.inf  # known from elsewhere: nothing at or before here can still come

    def seen(self, stamp: float) -> None:
        if stamp < self.newest:
            self.ordered = False
            return
        if not math.isfinite(self.first):
            self.first = stamp
        if self.periodic and self.newest < stamp and math.isfinite(self.newest):
            self.intervals.append(stamp - self.newest)
        self.newest = stamp

    @property
    def trusted(self) -> bool:
        return self.ordered and self.newest - self.first >= self.probation

    def bound(self) -> float:
        """Every item of this stream that belongs at or before this stamp has arrived."""
        own = self.newest
        if self.periodic and len(self.intervals) >= 4:  # the next epoch, strictly later than this
            own = math.nextafter(self.newest + self.PERIODIC_SHARE * min(self.intervals), -math.inf)
        return max(own, self.passed)


class ReorderBuffer:
    """Release (stamp, kind, item) in stamp order once they are `window` seconds old — or, with
    `early`, as soon as every input stream's clock (StreamClock, one per kind: 'imu' dense, the
    others periodic) says nothing that belongs before them can still come: a watermark, as stream
    processors keep one. The order released is the same either way, so the results are; only the
    wait differs (an IMU sample waits for the fix of an epoch that began before it, not a whole
    window). A stream that goes silent holds the early release back, and the window applies; one
    that goes out of order turns it off — until time is confirmed to have gone back (a reset:
    a replayed bag looping), when the clocks start over.

    Equal stamps are released by kind name, then arrival ("gnss" before "imu": a fix and an
    IMU sample of one instant form one step), so the order never depends on arrival jitter.
    An item with exactly the stamp and kind of one already seen is a duplicate and is dropped.
    """

    def __init__(self, window: float = 0.1, early: bool = False, expect: tuple[str, ...] = (IMU,),
                 delays: dict[str, float] | None = None, probation: float | None = None):
        """expect: the kinds whose clocks must be running before anything goes early — a stream
        that first appears after early releases began would find its first items too late.
        delays: kinds whose items take their place this long after their stamp (at()).
        probation: how long a stream must keep its order before it is trusted (StreamClock)."""
        self.window = window
        self.expect = expect
        self.delays = delays or {}
        self.probation = probation
        self._heap: list[tuple[float, str, int, Any]] = []
        self._seq = itertools.count()  # ties keep arrival order
        self._seen: set[tuple[float, str]] = set()
        self.duplicates = 0
        self.horizon = -math.inf  # everything stamped up to here may have been released
        self.clocks: dict[str, StreamClock] | None = {} if early else None
        self.watermark = -math.inf  # items stamped up to here may go early (every clock has passed them)
        # released early, an item can no longer be matched by a duplicate among the held ones:
        # the keys released within the last window are kept for that
        self._released: set[tuple[float, str]] = set()
        self._released_order: collections.deque = collections.deque()

    def at(self, kind: str, stamp: float) -> float:
        """Where an item of `kind` stamped `stamp` takes its place in the release order: its stamp —
        a GNSS epoch's plus time.fix_delay, the moment the filters use it (epoch_delays)."""
        return stamp + self.delays.get(kind, 0.0)

    def clock(self, kind: str, stamp: float) -> None:
        """A stream's item seen at `stamp` (also a part of a GNSS epoch that waits elsewhere: the
        fix of that epoch is not released before it)."""
        if self.clocks is None or not math.isfinite(stamp):
            return
        stamp = self.at(kind, stamp)
        clock = self.clocks.get(kind)
        if clock is None:  # (not setdefault: that would build a clock at every item)
            clock = self.clocks[kind] = StreamClock(kind != IMU, self.probation)
        clock.seen(stamp)
        self._watermark()

    def passed(self, kinds: tuple[str, ...], place: float) -> None:
        """Streams of `kinds` are known to have delivered everything whose place in the order
        (at()) is at or before `place` — a node's topics that arrive as it published them, in its
        release order, once a later one has come (a stage fed in memory, nodes/local_bus.py)."""
        if self.clocks is None:
            return
        for kind in kinds:
            clock = self.clocks.get(kind)
            if clock is not None:
                clock.passed = max(clock.passed, place)
        self._watermark()

    def _watermark(self) -> None:
        clocks = self.clocks.values()
        running = all(k in self.clocks for k in self.expect) and all(c.trusted for c in clocks)
        self.watermark = min(c.bound() for c in clocks) if running else -math.inf

    def _early(self, stamp: float) -> bool:
        return stamp <= self.watermark

    def restart_clocks(self) -> None:
        """Time went back for good (a reset): the clocks start over, on probation again."""
        if self.clocks is not None:
            self.clocks, self.watermark = {}, -math.inf
            self._released.clear()
            self._released_order.clear()

    def release_mode(self) -> str:
        """How samples leave now, for a node's diagnostics: early, or by the window and why."""
        if self.clocks is None:
            return "window"
        for kind, c in self.clocks.items():
            if not c.ordered:
                return f"window: {kind} arrived out of order"
        missing = [k for k in self.expect if k not in self.clocks]
        if missing:
            return f"window: no {', '.join(missing)} yet"
        if not all(c.trusted for c in self.clocks.values()):
            return "window: streams on probation"
        newest = max(c.newest for c in self.clocks.values())
        silent = [kind for kind, c in self.clocks.items() if c.bound() < newest - self.window]
        return f"window: no {', '.join(silent)} for {self.window:g} s" if silent else "early"

    def push(self, stamp: float, kind: str, item: Any) -> list[tuple[float, str, Any]]:
        """Released items come out as (their place in the order (at()), kind, item)."""
        key = (self.at(kind, stamp), kind)
        if key in self._seen or (self.clocks is not None and key in self._released):
            self.duplicates += 1
            return []
        self._seen.add(key)
        self.clock(kind, stamp)
        stamp = key[0]
        heapq.heappush(self._heap, (stamp, kind, next(self._seq), item))
        newest = max(stamp, self._heap[0][0])
        self.horizon = max(self.horizon, newest - self.window)
        return self._release(lambda s: s <= newest - self.window or self._early(s))

    def due(self) -> list[tuple[float, str, Any]]:
        """What the clocks let go now (one moved without an item here: a part of an epoch)."""
        return self._release(self._early)

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

    def take_after(self, stamp: float) -> list[tuple[float, str, Any]]:
        """Held items stamped after `stamp`, in release order, out of the buffer."""
        held = self.take()
        self.hold([e for e in held if e[0] <= stamp])
        return [e for e in held if e[0] > stamp]

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
            self.horizon = max(self.horizon, stamp)
            out.append((stamp, kind, item))
        if self.clocks is not None and out:
            for stamp, kind, _ in out:
                self._released.add((stamp, kind))
                self._released_order.append((stamp, kind))
            while self._released_order and self._released_order[0][0] < self.horizon - self.window:
                self._released.discard(self._released_order.popleft())
        return out


@dataclasses.dataclass
class InputCounts:
    imu: int = 0  # IMU samples passed on to the filters
    gnss: int = 0  # GNSS fixes passed on
    no_fix: int = 0  # receiver epochs without a solution (outages), reported or missing (silence)
    rejected: int = 0  # non-finite or impossible samples
    dropped: int = 0  # late: older than what the filters already processed
    duplicates: int = 0  # a second sample of one kind with one stamp
    resets: int = 0  # confirmed jumps back in time
    # where they happened: (newest stamp before, the stamp that went back, its kind), the first few
    jumps: list[tuple[float, float, str]] = dataclasses.field(default_factory=list)

    MAX_JUMPS_KEPT = 20


class StampOrder:
    """ReorderBuffer then StampGuard on items of any kind: what the downstream graph nodes (axis
    filters, speed fuser) need of the timeline, their inputs coming from nodes that already
    checked them. push() and flush() return events (kind, item) and (RESET, stamp)."""

    def __init__(self, window: float = 0.1, reset_jump_back: float = 1.0, early: bool = False,
                 expect: tuple[str, ...] = (IMU,), fix_delay: float = 0.0, probation: float | None = None):
        self.reorder = ReorderBuffer(window, early, expect, epoch_delays(fix_delay), probation)
        self.guard = StampGuard(reset_jump_back)
        self.counts = InputCounts()

    @property
    def window(self) -> float:
        return self.reorder.window

    def __len__(self) -> int:
        return len(self.reorder)

    def push(self, stamp: float, kind: str, item) -> list[tuple[str, Any]]:
        return self._order(self.reorder.push(stamp, kind, item))

    def flush(self) -> list[tuple[str, Any]]:
        return self._order(self.reorder.flush())

    def due(self) -> list[tuple[str, Any]]:
        return self._order(self.reorder.due())

    def _order(self, released) -> list[tuple[str, Any]]:
        events = []
        for stamp, kind, item in released:
            events += self._admit(stamp, kind, item)
        self.counts.dropped, self.counts.duplicates = self.guard.dropped, self.reorder.duplicates
        return events

    def _admit(self, stamp: float, kind: str, item) -> list[tuple[str, Any]]:
        events = []
        if self.guard.confirms(stamp):  # what the window still holds of the time before the jump goes first
            with self.guard.held_aside():
                for s, k, i in self.reorder.take_after(stamp + self.guard.reset_jump_back):
                    events += self._admit(s, k, i)
        before, back = self.guard.newest, self.guard.held[0][0] if self.guard.held else stamp
        reset, ready = self.guard.admit(stamp, (kind, item))
        self.counts.resets = self.guard.resets
        if reset:
            self.reorder.restart_clocks()  # a new time line: its streams are judged afresh
        if reset and len(self.counts.jumps) < InputCounts.MAX_JUMPS_KEPT:
            self.counts.jumps.append((float(before), float(back), ready[0][0]))
        return events + ([(RESET, stamp)] if reset else []) + ready


class GnssEpochs:
    """One receiver epoch arrives as several messages sharing a stamp: the fix, its velocity and
    its heading of motion (gnss/fix, gnss/vel, gnss/heading). The parts wait here by stamp (ns)
    until their fix is completed; parts of older epochs whose fix never came are dropped then."""

    def __init__(self):
        self.parts: dict[str, dict[int, dict[str, Any]]] = {"velocity": {}, "heading": {}, "fix_type": {}}

    def velocity(self, key: int, velocity: np.ndarray, covariance: np.ndarray) -> None:
        self.parts["velocity"][key] = {"velocity": velocity, "velocity_covariance": covariance}

    def heading(self, key: int, heading: float, accuracy: float) -> None:
        self.parts["heading"][key] = {"heading": heading, "heading_accuracy": accuracy}

    def fix_type(self, key: int, fix_type) -> None:
        """The solution type of the epoch's fix, where it came after the fix (gnss/fix_type has no
        stamp: a live node pairs it with the fix it came beside)."""
        self.parts["fix_type"][key] = {"fix_type": fix_type}

    def has(self, part: str, key: int) -> bool:
        return key in self.parts[part]

    def complete(self, key: int, fix: GnssFix) -> GnssFix:
        fields: dict[str, Any] = {}
        for part in self.parts.values():
            fields.update(part.pop(key, {}))
            for old in [k for k in part if k < key]:
                del part[old]
        return dataclasses.replace(fix, **fields) if fields else fix


EPOCH_KINDS = (GNSS, "gnss_vel", "gnss_heading")  # the messages of one receiver epoch, by kind


def epoch_delays(fix_delay: float) -> dict[str, float]:
    """ReorderBuffer's delays for time.fix_delay: a receiver epoch takes its place that long after
    its stamp, each filter using it then (the IMU samples before are not held for it)."""
    return dict.fromkeys(EPOCH_KINDS, float(fix_delay)) if fix_delay else {}


class InputTimeline(StampOrder):
    """The sensor inputs of the filters (see the module's doc): imu(), gnss() and the parts of
    an epoch in arrival order; events out in stamp order; `counts` of everything not passed on."""

    def __init__(self, latency: float = 0.0, window: float = 0.1, reset_jump_back: float = 1.0, early: bool = False,
                 fix_delay: float = 0.0):
        super().__init__(window, reset_jump_back, early, expect=(IMU, GNSS), fix_delay=fix_delay)
        self.latency = latency
        self.epochs = GnssEpochs()
        self.differencer = PositionDifferencer()
        self.epoch_times: list[float] = []  # the latest receiver epochs released, for its period

    @classmethod
    def from_params(cls, params, live: bool = False) -> InputTimeline:
        """live: a node's, releasing early as time.early_release says (offline, nothing waits on a
        clock: the window alone, whose results early release gives too)."""
        return cls(params["gnss.latency"], params["time.reorder_window"], params["time.reset_jump_back"],
                   live and params["time.early_release"], params["time.fix_delay"])

    def part(self, kind: str, stamp: float) -> None:
        """A part of an epoch (its velocity, its heading) arrived, stamped like its fix: the fix
        is not released early before its parts (ReorderBuffer.clock)."""
        self.reorder.clock(kind, stamp - self.latency)

    # --- in --------------------------------------------------------------------------------
    def imu(self, sample: ImuSample) -> list[tuple[str, Any]]:
        return self._enter(sample.stamp, IMU, sample)

    def gnss(self, fix: GnssFix, key: int | None = None) -> list[tuple[str, Any]]:
        """A fix; with `key` (its stamp in ns as the receiver sent it) it is completed with the
        epoch's velocity and heading when it is released."""
        fix = dataclasses.replace(fix, stamp=fix.stamp - self.latency) if self.latency else fix
        return self._enter(fix.stamp, GNSS, (fix, key))

    def add(self, kind: str, sample) -> list[tuple[str, Any]]:
        """imu() or gnss() by kind ('imu' | 'gnss'), a complete fix."""
        return self.imu(sample) if kind == IMU else self.gnss(sample)

    def _enter(self, stamp: float, kind: str, item) -> list[tuple[str, Any]]:
        if not math.isfinite(stamp):
            self.counts.rejected += 1
            return []
        return self._order(self.reorder.push(stamp, kind, item))

    def discard_imu(self, predicate) -> int:
        """Forget held IMU samples for which predicate(sample) holds (a node switching IMU topic)."""
        return self.reorder.discard(lambda kind, item: kind == IMU and predicate(item))

    # --- out -------------------------------------------------------------------------------
    def _admit(self, stamp: float, kind: str, item) -> list[tuple[str, Any]]:
        if kind == GNSS:
            fix, key = item
            item = fix if key is None else self.epochs.complete(key, fix)
            self._count_silence(stamp)
            if item.fix_type == FixType.NO_FIX:
                self.counts.no_fix += 1
                return []
        if not item.is_valid():
            self.counts.rejected += 1
            return []
        events = []
        for event in super()._admit(stamp, kind, item):
            if event[0] == RESET:
                self.differencer.reset()
            elif event[0] == GNSS:
                self.counts.gnss += 1
                event = (GNSS, self.differencer.fill(event[1]))
            else:
                self.counts.imu += 1
            events.append(event)
        return events

    def _count_silence(self, stamp: float) -> None:
        """Epochs the receiver never sent (silence) count as no-fix epochs, as reported ones do:
        a gap of more than 1.5 of its periods (the median of its last intervals) holds gap/period − 1."""
        times = self.epoch_times
        if times and stamp <= times[-1]:
            return
        if len(times) >= 4:
            period = statistics.median(b - a for a, b in itertools.pairwise(times))  # np.median's value, faster
            gap = stamp - times[-1]
            if period > 0 and gap > 1.5 * period:
                self.counts.no_fix += round(gap / period) - 1
        times.append(stamp)
        del times[:-21]

    # --- in blocks (offline) ---------------------------------------------------------------
    def block(self, items: list[ImuBlock | GnssFix]) -> list[tuple[str, Any]]:
        """imu()/gnss() of IMU blocks and complete fixes in arrival order; the same events, but
        when the block is clean — valid samples, no duplicates, none arriving behind what the
        window has let go — its IMU samples between two fixes come out as one ImuBlock each."""
        items = [dataclasses.replace(i, stamp=i.stamp - self.latency) if isinstance(i, GnssFix) and self.latency
                 else i for i in items]
        held = self.reorder.take()
        held_fixes = [item for _, kind, item in held if kind == GNSS]
        held_imu = ImuBlock.of([item for _, kind, item in held if kind == IMU])
        # the held IMU samples and the block's, concatenated once (a block holds hundreds of runs)
        imu = ImuBlock.concat([held_imu, *(i for i in items if isinstance(i, ImuBlock))])
        if self._clean(imu, len(held_imu), held_fixes, items):
            return self._runs(imu, held_fixes, items)
        self.reorder.hold(held)
        events = []
        for item in items:
            if isinstance(item, GnssFix):
                events += self._enter(item.stamp, GNSS, (item, None))
            else:
                for sample in item.samples():
                    events += self._enter(sample.stamp, IMU, sample)
        return events

    def _place(self, fix: GnssFix) -> float:
        return self.reorder.at(GNSS, fix.stamp)

    def _clean(self, imu: ImuBlock, n_held: int, held_fixes: list, items) -> bool:
        """imu: the n_held IMU samples held, then the block's."""
        fixes = [i for i in items if isinstance(i, GnssFix)]
        if not imu.valid().all():
            return False
        # what a block that was not clean left held may be already due (late: to be dropped)
        held_stamps = np.concatenate([imu.stamps[:n_held], [self._place(f) for f, _ in held_fixes]])
        if not (held_stamps > self.reorder.horizon).all() or any(key is not None for _, key in held_fixes):
            return False
        stamps = np.concatenate([[self._place(i)] if isinstance(i, GnssFix) else i.stamps for i in items] or [[]])
        if not np.isfinite(stamps).all():
            return False
        # every sample after the horizon of all before it: none is released behind a later one
        horizon = np.maximum.accumulate(np.concatenate([[self.reorder.horizon], stamps - self.reorder.window]))
        if not (stamps > horizon[:-1]).all():
            return False
        # duplicates (stamp, kind): the reorder buffer drops them
        fix_stamps = np.array([self._place(f) for f, _ in held_fixes] + [self._place(f) for f in fixes])
        return all(len(np.unique(s)) == len(s) for s in (imu.stamps, fix_stamps))

    def _runs(self, imu: ImuBlock, held_fixes: list, items) -> list[tuple[str, Any]]:
        fixes = [f for f, _ in held_fixes] + [i for i in items if isinstance(i, GnssFix)]
        newest = max((self._place(i) if isinstance(i, GnssFix) else i.stamps.max(initial=-np.inf) for i in items),
                     default=-np.inf)
        horizon = max(self.reorder.horizon, newest - self.reorder.window)
        self.reorder.horizon = horizon
        due = imu.stamps <= horizon
        order = np.argsort(imu.stamps[due], kind="stable")
        ready, later = imu.take(np.flatnonzero(due)[order]), imu.take(~due)
        self.reorder.hold([(self._place(f), GNSS, (f, None)) for f in fixes if self._place(f) > horizon]
                          + [(s.stamp, IMU, s) for s in later.samples()])
        fixes = sorted([f for f in fixes if self._place(f) <= horizon], key=self._place)
        events, start = [], 0
        for fix in [*fixes, None]:  # a fix goes before IMU samples of its stamp ("gnss" < "imu")
            end = len(ready) if fix is None else int(np.searchsorted(ready.stamps, self._place(fix), side="left"))
            if end > start:
                run = ready.take(slice(start, end))
                self.guard.admit_run(float(run.stamps[-1]))
                self.counts.imu += len(run)
                events.append((IMU, run))
                start = end
            if fix is not None:
                events += self._admit(self._place(fix), GNSS, (fix, None))
        self.counts.dropped = self.guard.dropped
        return events
