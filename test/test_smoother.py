"""The offline smoother against filterpy's Rauch–Tung–Striebel smoother, and the measurements the
accurate profile adds against filterpy's update and exact motion."""

import numpy as np
import pytest
from filterpy.kalman import KalmanFilter, rts_smoother

from sprint_fusion.core import kalman as kf
from sprint_fusion.core.cj_fuser import CjFuser
from sprint_fusion.core.columns import WIDTH
from sprint_fusion.core.smoother import TrackSmoother, rts

from .spec_models import cj_transition, diag_q

Q_DIAG = [0.0, 0.01, 10.0, 1000.0]


def forward(seed: int, per: str, steps: int = 300):
    """A filterpy CJ filter over irregular steps (Δt 0 included) and random measurements of d, v
    or a; its filtered states and the matrices of each step."""
    rng = np.random.default_rng(seed)
    Q = diag_q(Q_DIAG, per)
    ref = KalmanFilter(dim_x=4, dim_z=1)
    ref.x, ref.P = np.zeros((4, 1)), np.eye(4)
    t, xs, Ps, Fs, Qs = [0.0], [ref.x.ravel().copy()], [ref.P.copy()], [], []
    for _ in range(steps):
        dt = float(rng.choice([0.005, 0.0, 0.02, 0.1]))
        F, Qk = (cj_transition(dt), Q(dt)) if dt > 0 else (np.eye(4), np.zeros((4, 4)))
        if dt > 0:
            ref.predict(F=F, Q=Qk)
        H = np.zeros((1, 4))
        H[0, int(rng.integers(0, 3))] = 1.0
        ref.update(np.array([[rng.normal(0.0, 3.0)]]), R=np.array([[float(rng.uniform(0.01, 1.0))]]), H=H)
        t.append(t[-1] + dt)
        xs.append(ref.x.ravel().copy())
        Ps.append(ref.P.copy())
        Fs.append(F)
        Qs.append(Qk)
    # filterpy's Fs[k], Qs[k] lead from step k to k + 1
    return np.array(t), np.array(xs), np.array(Ps), np.array([*Fs, np.eye(4)]), np.array([*Qs, np.zeros((4, 4))])


@pytest.mark.parametrize("per", ["per_step", "per_second"])
@pytest.mark.parametrize("seed", range(3))
def test_rts_equals_filterpy(seed, per):
    t, x, P, Fs, Qs = forward(seed, per)
    want_x, want_P, _, _ = rts_smoother(x[:, :, None], P, Fs=Fs, Qs=Qs)
    got_x, got_P = np.empty_like(x), np.empty_like(P)
    rts(t, x, P, kf.diag_noise(Q_DIAG, per), got_x, got_P)
    assert np.abs(got_x - want_x[:, :, 0]).max() < 1e-9 and np.abs(got_P - want_P).max() < 1e-9
    assert np.all(np.diagonal(got_P, axis1=1, axis2=2) <= np.diagonal(P, axis1=1, axis2=2) + 1e-12)  # never worse


def test_intervals_break_where_the_filter_restarted():
    t, x, P, _, _ = forward(0, "per_second", steps=50)
    smoother = TrackSmoother(kf.diag_noise(Q_DIAG, "per_second"))
    smoother.add_states(t, x, P)
    smoother.add_states(t, x, P)  # the same run again, from its start: time went back
    times, xs, _ = smoother.smoothed()
    half = len(t)
    assert np.array_equal(times, np.concatenate([t, t])) and np.allclose(xs[:half], xs[half:], atol=1e-12)


@pytest.mark.parametrize("lag", [0.0, 0.08, 0.2])
def test_a_lagging_velocity_measures_the_velocity_it_had(lag):
    """Exact cubic motion: a receiver reporting v(t − L) at t, modelled as v − L·a + L²/2·j, leaves
    the filter on the true velocity at t (measured against the polynomial, not the code)."""
    d0, v0, a0, j = 0.0, 0.5, 6.0, -3.0

    def truth(t):
        return np.array([d0 + v0 * t + a0 * t**2 / 2 + j * t**3 / 6, v0 + a0 * t + j * t**2 / 2, a0 + j * t, j])

    f = CjFuser(Q_DIAG, r_imu=0.01, r_from="variance", process_noise="per_second", velocity_latency=lag)
    for k in range(60):
        t = 0.1 * k
        f.position(t, truth(t)[0], 0.01)
        f.velocity(t, truth(t - lag)[1], 1e-4)
        for step in range(1, 20):
            f.acceleration(t + step * 0.005, truth(t + step * 0.005)[2])
    t = float(f.filter.t[0])
    assert f.state[1] == pytest.approx(truth(t)[1], abs=0.01)


def test_the_velocity_row_is_filterpys_update():
    f = CjFuser(Q_DIAG, r_imu=0.01, r_from="variance", velocity_latency=0.08)
    f.position(0.0, 1.0, 0.1)
    ref = KalmanFilter(dim_x=4, dim_z=1)
    ref.x, ref.P = f.state.reshape(-1, 1).copy(), f.covariance.copy()
    f.velocity(0.0, 2.0, 0.04)
    ref.update(np.array([[2.0]]), R=np.array([[0.04]]), H=np.array([[0.0, 1.0, -0.08, 0.0032]]))
    assert np.allclose(f.state, ref.x.ravel(), atol=1e-12) and np.allclose(f.covariance, ref.P, atol=1e-12)


def test_the_gate_keeps_a_jump_out_and_takes_one_that_lasts():
    """Standing still (IMU at 200 Hz, fixes and Doppler at 10 Hz): a 1 m position jump is kept out;
    one that lasts past five fixes is where the filter starts its position anew."""
    f = CjFuser(Q_DIAG, r_imu=0.2, r_from="variance", process_noise="per_second", gate=5.0)

    def second(t0, position):
        for k in range(10):
            t = t0 + 0.1 * k
            f.position(t, position, 0.01)
            f.velocity(t, 0.0, 0.0025)
            for step in range(1, 20):
                f.acceleration(t + step * 0.005, 0.0)

    second(0.0, 0.0)
    second(1.0, 0.0)
    f.position(2.0, 1.0, 0.01)  # a 1 m multipath jump: kept out
    assert abs(f.state[0]) < 0.01 and f.outliers == 1
    second(2.1, 1.0)  # it lasts: four more kept out, then believed
    assert f.outliers == 5 and f.state[0] == pytest.approx(1.0, abs=0.01) and abs(f.state[1]) < 0.05


def test_nothing_to_smooth_is_no_error():
    """A run where KF2 never started (no GNSS at all): empty intervals are skipped, not indexed
    (compiled, an index −1 on an empty array wrote outside it)."""
    smoother = TrackSmoother(kf.diag_noise(Q_DIAG, "per_second"))
    smoother.add_rows(np.full((10, WIDTH), np.nan))
    smoother.add_states(np.empty(0), np.empty((0, 4)), np.empty((0, 4, 4)))
    assert smoother.smoothed_rows(10)["smoothed_speed"].shape == (10,)
    xs, Ps = np.empty((0, 4)), np.empty((0, 4, 4))
    rts(np.empty(0), np.empty((0, 4)), np.empty((0, 4, 4)), kf.diag_noise(Q_DIAG), xs, Ps)  # returns at once


def test_the_spilled_smoother_is_the_in_memory_one_window_by_window():
    """replay smooths from a file, backwards a window at a time (memory flat with the recording's
    length): the same numbers as smoothing it all in memory, bit for bit — across windows and
    across a restart of the filters (time going back)."""
    import dataclasses

    from sprint_fusion.core.fusion import SprintFusion
    from sprint_fusion.core.smoother import SpilledTrackSmoother

    from .sprint_cases import ramp_sprint

    samples = list(ramp_sprint(seed=1).merged())
    later = [(kind, dataclasses.replace(s, stamp=s.stamp - 3.0)) for kind, s in samples]
    memory, spilled = SprintFusion(smooth=True), SprintFusion(smooth=True, spill=True)
    spilled.smoother.WINDOW = 977  # many windows, one seam inside a sprint
    for fusion in (memory, spilled):
        for kind, s in samples + later[: len(later) // 2]:  # a second run starting 3 s back: a restart
            fusion.push(kind, s)
        fusion.flush()
    whole = memory.smoothed_states()
    blocks = list(spilled.smoothed_blocks(1500))
    spilled.close()
    for name, column in whole.items():
        assert np.array_equal(np.concatenate([b[name] for b in blocks]), column, equal_nan=True), name
    assert len(whole["t"]) > 3 * spilled.smoother.WINDOW and np.any(np.diff(whole["t"]) < 0)
    assert SpilledTrackSmoother.WINDOW > 977  # the class's own window was left alone


def test_states_kept_a_block_at_a_time_are_those_kept_one_by_one():
    """Offline, the smoother takes a block's fused rows and epochs in one go (settle): the same
    states in the same order — each epoch's state between the rows before and after it — as when
    the samples come one by one."""
    from sprint_fusion.core.fusion import SprintFusion
    from sprint_fusion.core.samples import ImuBlock

    from .sprint_cases import ramp_sprint

    samples = list(ramp_sprint(seed=2).merged())
    items, run = [], []  # IMU runs between fixes, as the bag reader gives them
    for kind, s in samples:
        if kind == "imu":
            run.append(s)
            continue
        items += [ImuBlock.of(run), s] if run else [s]
        run = []
    items += [ImuBlock.of(run)] if run else []
    one_by_one, in_blocks = SprintFusion(smooth=True), SprintFusion(smooth=True)
    for kind, s in samples:
        one_by_one.push(kind, s)
    one_by_one.flush()
    for k in range(0, len(items), 150):
        in_blocks.push_block(items[k:k + 150])
    in_blocks.flush()
    for a, b in zip(one_by_one.smoother.smoothed(), in_blocks.smoother.smoothed(), strict=True):
        assert np.array_equal(a, b)
    kept = [np.concatenate(f.smoother.from_row) for f in (one_by_one, in_blocks)]
    assert np.array_equal(*kept) and kept[0].any() and not kept[0].all()
    assert np.array_equal(np.concatenate(one_by_one.smoother.row_kept), np.concatenate(in_blocks.smoother.row_kept))
