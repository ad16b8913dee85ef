"""Finding the sprints in a session's fused speed, as it streams in (live) or from a table
(offline) — the same code both ways.

A trial starts when the speed rises through `start_speed` from a standstill or a crouch, and
counts only if it then reaches `min_top_speed`; it ends when the athlete decelerates below
`end_fraction` of the trial's top speed (or the recording ends: a trial cut off). Its onset —
the moment the first movement began — is found by looking back from the rise to where the
speed was last at or below `onset_speed`; an external start signal (a gun, a timing system's
start, on `sprint/start`) replaces it when one came shortly before the rise.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class TrialParams:
    start_speed: float = 1.0  # m/s, speed whose crossing starts a trial
    onset_speed: float = 0.2  # m/s, standstill level the onset is searched back to
    min_top_speed: float = 4.0  # m/s, a trial slower than this is not a sprint
    end_fraction: float = 0.8  # the trial ends below this share of its top speed
    lookback: float = 3.0  # s kept before a rise, for the onset and a start signal
    max_duration: float = 120.0  # s, a trial longer than this is closed

    def __post_init__(self):
        ok = (0 <= self.onset_speed < self.start_speed < self.min_top_speed and 0 < self.end_fraction < 1
              and self.lookback > 0 and self.max_duration > 0)
        if not ok:
            raise ValueError(f"trial parameters {self}: need 0 ≤ onset_speed < start_speed < min_top_speed, "
                             "0 < end_fraction < 1, lookback and max_duration > 0")


@dataclass
class TrialWindow:
    """One detected sprint: its samples from the look-back before the onset to the end."""

    onset: float  # s, movement onset (or the start signal)
    end: float  # s
    t: np.ndarray
    columns: dict[str, np.ndarray]  # the streamed columns over t
    start_signal: bool = False
    cut_off: bool = False  # the recording ended before the athlete slowed down
    index: int = 0


@dataclass
class TrialDetector:
    """Feed rows with push(t, speed, **columns); finished trials come back from push/finish."""

    params: TrialParams = field(default_factory=TrialParams)

    def __post_init__(self):
        self.rows: deque = deque()
        self.slow_rows = 0  # rows in `rows` at or below start_speed: was the athlete slow before a rise
        self.active = False
        self.top = 0.0
        self.rise_t = math.nan
        self.starts: deque = deque()
        self.count = 0

    def start_signal(self, t: float) -> None:
        self.starts.append(t)

    def push(self, t: float, speed: float, **columns) -> list[TrialWindow]:
        if not math.isfinite(speed):
            speed = math.nan
        p = self.params
        self.rows.append((t, speed, columns))
        self.slow_rows += speed <= p.start_speed  # NaN: False
        done: list[TrialWindow] = []
        if not self.active:
            while self.rows and self.rows[0][0] < t - p.lookback:
                self.slow_rows -= self.rows.popleft()[1] <= p.start_speed
            while self.starts and self.starts[0] < t - p.lookback:
                self.starts.popleft()
            if speed > p.start_speed and self._was_slow():
                self.active, self.top, self.rise_t = True, speed, t
            return done
        if math.isfinite(speed):
            self.top = max(self.top, speed)
        slowed = self.top >= p.min_top_speed and speed < p.end_fraction * self.top
        gave_up = self.top < p.min_top_speed and speed < p.start_speed  # a jog, not a sprint: over once slow again
        if slowed or gave_up or t - self.rise_t > p.max_duration:
            trial = self._close(cut_off=False)  # a jog too is closed (and dropped): else it ran into the next sprint
            if trial is not None and not gave_up:
                done.append(trial)
        return done

    def push_quiet(self, t: np.ndarray, speed: np.ndarray, columns_of) -> None:
        """push() of rows that cannot start a trial (no detector running, speed at or below
        start_speed or NaN, time not going back): only those still inside the look-back at the
        last one are kept — their columns made by columns_of(k) — as push() would leave them.
        columns_of may give a call that makes them instead: it is called if the rows end up in a
        trial (most are dropped again when the next block's quiet rows come)."""
        p = self.params
        assert not self.active and not (speed > p.start_speed).any()
        cutoff = float(t[-1]) - p.lookback
        while self.rows and self.rows[0][0] < cutoff:
            self.slow_rows -= self.rows.popleft()[1] <= p.start_speed
        while self.starts and self.starts[0] < cutoff:
            self.starts.popleft()
        for k in range(int(np.searchsorted(t, cutoff, side="left")), len(t)):
            s = float(speed[k])
            self.rows.append((float(t[k]), s, columns_of(k)))
            self.slow_rows += s <= p.start_speed

    def push_active(self, t: np.ndarray, speed: np.ndarray, columns_of) -> tuple[int, list[TrialWindow]]:
        """push() of rows while a trial runs, the checks on every row at once (replay hands over
        thousands of rows a block): it takes them up to the one that ends the trial, that one
        included, and returns how many it took and the trial it closed (columns_of(k): row k's
        columns). The same rows, top speed and trial as push() row by row."""
        assert self.active
        p = self.params
        speed = np.where(np.isfinite(speed), speed, np.nan)
        top = np.maximum(self.top, np.fmax.accumulate(np.where(np.isnan(speed), -np.inf, speed)))
        with np.errstate(invalid="ignore"):
            gave_up = (top < p.min_top_speed) & (speed < p.start_speed)
            ends = ((top >= p.min_top_speed) & (speed < p.end_fraction * top)) | gave_up | (
                t - self.rise_t > p.max_duration)
        hit = np.flatnonzero(ends)
        taken = int(hit[0]) + 1 if len(hit) else len(t)
        self.rows.extend((float(t[k]), float(speed[k]), columns_of(k)) for k in range(taken))
        self.slow_rows += int((speed[:taken] <= p.start_speed).sum())
        self.top = float(top[taken - 1])
        if not len(hit):
            return taken, []
        trial = self._close(cut_off=False)
        return taken, [trial] if trial is not None and not gave_up[taken - 1] else []

    def finish(self) -> list[TrialWindow]:
        """The recording ended: a trial in progress is closed as cut off."""
        if self.active:
            trial = self._close(cut_off=True)
            return [trial] if trial is not None else []
        return []

    def _was_slow(self) -> bool:
        """A row before this one, still in the look-back, at or below start_speed."""
        return self.slow_rows - (self.rows[-1][1] <= self.params.start_speed) > 0

    def _close(self, cut_off: bool) -> TrialWindow | None:
        rows = list(self.rows)
        self.active = False
        self.rows = deque(rows[-1:])  # the last sample may already be the next standstill
        self.slow_rows = int(rows[-1][1] <= self.params.start_speed)
        if self.top < self.params.min_top_speed:
            return None
        t = np.array([r[0] for r in rows])
        speed = np.array([r[1] for r in rows])
        columns = {"speed": speed}
        values = [r[2] if isinstance(r[2], dict) else r[2]() for r in rows]  # a row's columns or their maker
        for name in values[0]:
            columns[name] = np.array([v.get(name, math.nan) for v in values])
        onset, signal = self._onset(t, speed)
        self.count += 1
        return TrialWindow(onset, float(t[-1]), t, columns, signal, cut_off, self.count)

    def _onset(self, t: np.ndarray, speed: np.ndarray) -> tuple[float, bool]:
        signals = [s for s in self.starts if self.rise_t - self.params.lookback <= s <= self.rise_t]
        self.starts = deque(s for s in self.starts if s > self.rise_t)  # later signals: later trials
        if signals:
            return float(signals[-1]), True
        before = np.flatnonzero((t <= self.rise_t) & (speed <= self.params.onset_speed))
        if len(before):
            return float(t[before[-1]]), False
        lead = t <= self.rise_t  # never that slow (a rolling start, a noisy standstill): the slowest moment
        return float(t[lead][np.nanargmin(np.where(np.isfinite(speed[lead]), speed[lead], np.inf))]), False
