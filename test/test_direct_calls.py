"""jit.Direct: a compiled step called past numba's dispatch gives what numba's dispatch gives —
also when a call site's argument types change (then numba again, not the bytes reinterpreted)."""

from collections import namedtuple

import numpy as np
import pytest

from sprint_fusion.core import jit
from sprint_fusion.core import kalman as kf

Pair = namedtuple("Pair", "a b")

# numba is a core requirement; without it Direct calls the plain function
pytestmark = pytest.mark.skipif(not jit.COMPILED, reason="numba not installed")


@jit.jit
def weighted(pair, w, scale):
    """Σ (a + b)·w, times scale: arrays in a record, a loose array, a scalar."""
    total = 0.0
    for k in range(w.shape[0]):
        total += (pair.a[k] + pair.b[k]) * w[k]
    return total * scale


def plain(pair, w, scale):
    return float(np.sum((np.asarray(pair.a, float) + np.asarray(pair.b, float)) * np.asarray(w, float)) * scale)


def test_later_calls_skip_the_dispatch_and_give_the_same_numbers():
    call = jit.Direct(weighted)
    pair, w = Pair(np.arange(4.0), np.ones(4)), np.array([0.5, 1.0, 2.0, 4.0])
    assert call(pair, w, 2.0) == pytest.approx(plain(pair, w, 2.0))
    assert call.entry is not None  # resolved: the next calls go past numba's typing
    for k in range(5):
        pair.a[:] += k  # records are written in place, as the filters' are
        assert call(pair, w, 1.5) == pytest.approx(plain(pair, w, 1.5))


@pytest.mark.parametrize("changed", ["float32 array", "strided array", "int scalar", "readonly array"])
def test_other_argument_types_go_through_numba_again(changed):
    call = jit.Direct(weighted)
    pair, w = Pair(np.arange(4.0), np.ones(4)), np.array([0.5, 1.0, 2.0, 4.0])
    call(pair, w, 2.0)
    first, original = call.entry, w
    scale = 2.0
    if changed == "float32 array":  # its bytes read as float64 would be other numbers
        w = w.astype(np.float32)
    elif changed == "strided array":
        w = np.repeat(w, 2)[::2]
    elif changed == "int scalar":
        scale = 3
    else:
        w = w.copy()
        w.flags.writeable = False
    assert call(pair, w, scale) == pytest.approx(plain(pair, w, scale))
    # the first specialisation stays: a call site alternating between two layouts is not typed anew
    assert call.entry is first and call(pair, original, 2.0) == pytest.approx(plain(pair, original, 2.0))


def test_a_filter_stepped_directly_equals_one_stepped_through_numba():
    """A constant-jerk filter (kalman's predict/update through Direct) against the same filter
    through numba's dispatch, over measurements of varied spacing."""
    rng = np.random.default_rng(3)
    noise = kf.diag_noise([1e-3, 1e-2, 1.0, 100.0])
    through, direct = kf.new_filter(4, noise), kf.new_filter(4, noise)
    kf.start(through, 0.0, 0.0)
    kf.start(direct, 0.0, 0.0)
    advance, update = jit.Direct(kf.advance), jit.Direct(kf.update)
    t = 0.0
    for _ in range(200):
        t += float(rng.uniform(0.001, 0.05))
        z, i = float(rng.normal()), int(rng.integers(0, 3))
        assert kf.advance(through, t) == advance(direct, t)
        kf.update(through, z, i, 0.01)
        update(direct, z, i, 0.01)
    assert update.entry is not None
    np.testing.assert_allclose(direct.x, through.x, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(direct.P, through.P, rtol=1e-12, atol=1e-15)


def test_kf5s_three_axis_fixes_in_one_call_are_three_cj_fixes():
    """Kf5.on_gnss takes a fix's east, north and up in one compiled call (cj_fuser.three_fixes):
    the same states, bit for bit, as each axis's CjFuser.fix — gates, outliers and history reruns
    included (a fix arrives after IMU steps past it; one fix jumps)."""
    import math

    from sprint_fusion.core.kf5 import AXES, Kf5
    from sprint_fusion.core.params import FilterParams
    from sprint_fusion.core.samples import FixType, GnssFix

    params = FilterParams({"time.fix_delay": 0.1, "gnss.gate": 3.0, "gnss.velocity": True})
    one_call, per_axis = Kf5(params), Kf5(params)
    rng = np.random.default_rng(5)
    cov = np.diag([1e-4, 1e-4, 4e-4])
    for k in range(60):
        t = 0.05 * k
        enu = np.array([4.0 * t, 0.3 * t, 0.0]) + rng.normal(0.0, 0.01, 3) + (2.0 if k == 40 else 0.0)
        fix = GnssFix(t, 48.0, 11.0, 500.0, cov, FixType.RTK_FIXED, np.array([4.0, 0.3, 0.0]) + rng.normal(0, 0.05, 3),
                      np.eye(3) * 0.01)
        accel = rng.normal(0.0, 1.0, (4, 3))
        for kf5 in (one_call, per_axis):
            for j in range(4):  # IMU steps past the fix's stamp, run again once it arrives
                for i, name in enumerate(AXES):
                    kf5.axes[name].acceleration(t + 0.0125 * j, float(accel[j, i]))
        one_call.on_gnss(fix, enu)
        per_axis.yaw_bias.on_gnss(fix)
        for i, name in enumerate(AXES):
            per_axis.axes[name].fix(t, float(enu[i]), math.sqrt(cov[i, i]), float(fix.velocity[i]),
                                    float(fix.velocity_covariance[i, i]))
    for name in AXES:
        a, b = one_call.axes[name], per_axis.axes[name]
        assert np.array_equal(a.state, b.state) and np.array_equal(a.covariance, b.covariance)
        assert a.outliers == b.outliers
    assert sum(one_call.axes[name].outliers for name in AXES) >= 1  # the jump was gated
