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
