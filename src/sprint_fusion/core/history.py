"""A CJ filter's short state history, for GNSS measurements used after IMU steps went past them.

With time.fix_delay the graph does not hold IMU samples for a fix still on its way: each filter
steps on, and uses the fix time.fix_delay after its stamp. Then the filter goes back to where the
fix belongs — its state kept after the last measurement before the stamp — takes the fix there
and runs the measurements since again (robot_localization's history, in a fixed-size record).
So from then on the state is exactly what it would be had the fix come in time; only what was
published meanwhile lacked it.

A record of what was applied, in order: time, kind (ACCEL: the IMU's acceleration; ROW: a
scalar z = row·x; REANCHOR: the displacement started anew; START: the filter started by its
first fix), z, r, row, and the filter's x and P after it. Accelerations that came before the
filter started are kept too: the first fix, used after them, starts the filter at its stamp and
runs them. Capacity 0: no history (time.fix_delay 0), every call a no-op.

Beside it, the integral S of the IMU acceleration the filter received over its last moments
(gnss.velocity_lag_from 'imu'): a velocity that describes the motion L seconds before its epoch
is carried to the epoch by S(t) − S(t − L), what the IMU measured the athlete gain meanwhile.
Capacity 0 there too when no lag is carried.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from . import kalman as kf
from .jit import jit

# n: one entry, how many are kept. at, a, s: the accelerations' ring (time, value, integral S);
# ring: its next slot and how many it holds. tail_*: the measurements rewind() takes out, for
# rerun() (their slots are written anew meanwhile): room kept here, so no step allocates.
History = namedtuple("History", "t kind z r row x P n at a s ring tail_t tail_kind tail_z tail_r tail_row")
ACCEL, ROW, REANCHOR, START = 0, 1, 2, 3
NO_ROW = np.zeros(0)  # what an ACCEL entry keeps as its row
MAX_IMU_RATE = 2000.0  # Hz: the capacity covers time.fix_delay (+ margin) of IMU steps at up to this rate


def new_history(dim: int, fix_delay: float, carried_lag: float = 0.0) -> History:
    """Room for the steps of fix_delay seconds (none when 0); a fix older than that (a faster IMU)
    is used as of the filter's time instead (rewind). carried_lag > 0: a ring of the accelerations
    of the last carried_lag + fix_delay seconds (+ margin) at up to MAX_IMU_RATE."""
    cap = 0 if fix_delay <= 0 else 2 * (32 + math.ceil(fix_delay * MAX_IMU_RATE / 2))  # even: halves
    ring = 0 if carried_lag <= 0 else 8 + math.ceil((carried_lag + fix_delay + RING_MARGIN) * MAX_IMU_RATE)
    return History(np.zeros(cap), np.zeros(cap, np.int64), np.zeros(cap), np.zeros(cap), np.zeros((cap, dim)),
                   np.zeros((cap, dim)), np.zeros((cap, dim, dim)), np.zeros(1, np.int64),
                   np.zeros(ring), np.zeros(ring), np.zeros(ring), np.zeros(2, np.int64),
                   np.zeros(cap), np.zeros(cap, np.int64), np.zeros(cap), np.zeros(cap), np.zeros((cap, dim)))


RING_MARGIN = 0.1  # s: a fix used a little after its stamp still finds the accelerations before it
UNMEASURED = 1e5  # an acceleration with a variance this large was no measurement (no heading yet)


def clear(h: History) -> None:
    h.n[0] = 0
    h.ring[:] = 0


@jit(nrt=False)
def received(h, t, a, r) -> None:
    """An IMU acceleration the filter received at t (variance r) into the ring. One that measured
    nothing (r ≥ UNMEASURED), or time going back, empties it: the gain is not known across them."""
    cap = h.at.shape[0]
    if cap == 0:
        return
    head, count = h.ring[0], h.ring[1]
    if r >= UNMEASURED or (count > 0 and t < h.at[(head - 1) % cap]):
        forget(h)
        return
    s = 0.0
    if count > 0:
        last = (head - 1) % cap
        s = h.s[last] + 0.5 * (h.a[last] + a) * (t - h.at[last])  # trapezoid
    h.at[head], h.a[head], h.s[head] = t, a, s
    h.ring[0], h.ring[1] = (head + 1) % cap, min(count + 1, cap)


@jit(nrt=False)
def forget(h) -> None:
    """The ring emptied: what came before does not carry a velocity."""
    h.ring[0], h.ring[1] = 0, 0


@jit(nrt=False)
def integral_at(h, t) -> float:
    """S(t) from the last acceleration received before t, held to t (what a fix stamped t sees
    whether it came in time or late: the samples at and after its stamp play no part); NaN when
    none came before t (an empty ring, or t before the oldest)."""
    cap, head, count = h.at.shape[0], h.ring[0], h.ring[1]
    k = (head - 1) % cap if count > 0 else 0
    for _ in range(count):
        if h.at[k] < t:
            return h.s[k] + h.a[k] * (t - h.at[k])
        k = (k - 1) % cap
    return math.nan


@jit(nrt=False)
def gained(h, t, lag) -> float:
    """The speed the IMU measured gained from t − lag to t on this axis (NaN: not all received)."""
    return integral_at(h, t) - integral_at(h, t - lag)


@jit(inline=True)
def apply(f, kind, z, row, r) -> None:
    """One measurement into f (already at its time)."""
    if kind == ACCEL:
        if f.x.shape[0] == 5:
            kf.update_sum5(f, z, 2, 4, r)  # the acceleration measured with its bias: H = (0 0 1 0 1)
        else:
            kf.update(f, z, 2, r)
    elif kind == ROW:
        kf.update_row(f, z, row, r)
    else:
        kf.reanchor(f, 0, z, r)


@jit(inline=True)
def remember(h, f, t, kind, z, row, r) -> None:
    """A measurement just applied to f at t, with f's state after it. Full: the older half goes.
    Element loops, not slices: in a compiled loop ~10 ns a call against ~190 ns with the slices,
    even those on the branch not taken (measured); it runs after every step of every CJ filter."""
    cap = h.t.shape[0]
    if cap == 0:
        return
    k = h.n[0]
    dim = h.x.shape[1]
    if k == cap:
        half = cap // 2
        k = cap - half
        for j in range(k):
            h.t[j], h.kind[j], h.z[j], h.r[j] = h.t[half + j], h.kind[half + j], h.z[half + j], h.r[half + j]
            for a in range(dim):
                h.row[j, a] = h.row[half + j, a]
                h.x[j, a] = h.x[half + j, a]
                for b in range(dim):
                    h.P[j, a, b] = h.P[half + j, a, b]
    h.t[k], h.kind[k], h.z[k], h.r[k] = t, kind, z, r
    for a in range(row.shape[0]):
        h.row[k, a] = row[a]
    for a in range(dim):
        h.x[k, a] = f.x[a]
        for b in range(dim):
            h.P[k, a, b] = f.P[a, b]
    h.n[0] = k + 1


@jit
def restart(h, f) -> None:
    """f was just started (its first fix): it comes first, then the accelerations kept from its
    time on (only accelerations come before a start; their states are computed when they run
    again); those before it go."""
    n = h.n[0]
    if h.t.shape[0] == 0:
        return
    p = 0
    while p < n and h.t[p] < f.t[0]:
        p += 1
    keep = min(n - p, h.t.shape[0] - 1)
    t, kind, z, r = h.t[p:p + keep].copy(), h.kind[p:p + keep].copy(), h.z[p:p + keep].copy(), h.r[p:p + keep].copy()
    h.n[0] = 0
    remember(h, f, f.t[0], START, f.x[0], NO_ROW, 0.0)
    h.t[1:1 + keep], h.kind[1:1 + keep], h.z[1:1 + keep], h.r[1:1 + keep] = t, kind, z, r
    h.n[0] = 1 + keep


@jit(nrt=False)
def rewind(h, f, t):
    """f back to just before a GNSS measurement stamped t — after every measurement before t and
    the GNSS ones at t, before the IMU's at t (a fix goes before the IMU sample of its stamp).
    Returns the time to apply it at (t, or f's time when the history does not reach back that
    far) and how many measurements it took out of the history (into h.tail_*), to be run again
    after it (rerun)."""
    n = h.n[0]
    p = n
    while p > 0 and (h.t[p - 1] > t or (h.t[p - 1] == t and h.kind[p - 1] == ACCEL)):
        p -= 1
    if p == 0 and n > 0:  # older than the history: used now
        p, t = n, f.t[0]
    if p < n:
        for a in range(f.x.shape[0]):
            f.x[a] = h.x[p - 1, a]
            for b in range(f.x.shape[0]):
                f.P[a, b] = h.P[p - 1, a, b]
        f.t[0] = h.t[p - 1]
    # the tail: what rerun() applies again (its states are computed anew: not kept)
    for k in range(n - p):
        h.tail_t[k], h.tail_kind[k], h.tail_z[k], h.tail_r[k] = h.t[p + k], h.kind[p + k], h.z[p + k], h.r[p + k]
        for a in range(h.row.shape[1]):
            h.tail_row[k, a] = h.row[p + k, a]
    h.n[0] = p
    return t, n - p


@jit(nrt=False)
def rerun(h, f, count) -> int:
    """The `count` measurements rewind() took out, again, each remembered anew."""
    for k in range(count):
        t, kind, z, r = h.tail_t[k], h.tail_kind[k], h.tail_z[k], h.tail_r[k]
        if not kf.advance(f, t):
            return kf.TIME_BACK
        apply(f, kind, z, h.tail_row[k], r)
        remember(h, f, t, kind, z, h.tail_row[k], r)
    return kf.UPDATED
