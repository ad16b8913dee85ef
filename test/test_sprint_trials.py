"""Sprint diagnostics on simulated sessions with known truth: the right trials, their splits and
top speed within stated bounds, and a quality verdict that spots GNSS trouble."""

import numpy as np
import pytest

from sprint_fusion.sprint.analysis import SessionAnalyzer
from sprint_fusion.sprint.quality import BRIDGED, UNUSABLE, USABLE
from sprint_fusion.sprint.session import analyze_samples
from sprint_fusion.summary import top_speed

from .sprint_cases import session_onsets, session_scenario, truth_split_times

# Bounds, set from measurement (3 seeds × 3 sprints; README, "Sprint diagnostics") with margin:
# the moment each distance is reached, KF2 within 0.02 s of the truth (measured ≤ 0.004 s), KF5
# within 0.15 s (measured ≤ 0.133 s: its speed stage starts only with a valid heading, so its
# first metres are missed); the onset within 0.04 s (measured +0.013…+0.023 s: the speed has to
# reach trial.onset_speed); top speed within the published 2 %.
SPLIT_BOUND = {"kf2": 0.02, "kf5": 0.15, "smoothed": 0.01}  # smoothed: the target with RTK fixed
TOP_SPEED_BOUND = 0.02
ONSET_BOUND = 0.04
REPS = [{"mss": 9.0, "tau": 1.1, "run_time": 6.0, "decel": 3.0, "rest": 8.0},
        {"mss": 8.4, "tau": 1.3, "run_time": 7.0, "decel": 2.5, "rest": 8.0},
        {"mss": 9.6, "tau": 1.0, "run_time": 5.0, "decel": 3.5, "rest": 6.0}]


def analyzed(scenario, **kwargs):
    return analyze_samples(scenario.simulated.merged(), analyzer=SessionAnalyzer(**kwargs))


def check_against_truth(trial, truth, onset, run_time):
    assert trial.onset == pytest.approx(onset, abs=ONSET_BOUND)
    moving = (truth.t >= onset) & (truth.t <= onset + run_time)
    true_top, _ = top_speed(truth.t[moving], truth.speed[moving])
    for name, est in trial.estimators.items():
        marks = [s.distance for s in est.splits]
        assert marks and marks[0] == 5.0
        expected = truth_split_times(truth, onset, marks)
        got = np.array([s.time for s in est.splits]) + (trial.onset - onset)  # on the true onset's clock
        assert np.max(np.abs(got - expected)) <= SPLIT_BOUND[name], (name, got - expected)
        assert est.top_speed == pytest.approx(true_top, rel=TOP_SPEED_BOUND), name
        assert est.profile is not None and abs(est.profile.mss - true_top) / true_top < 0.05


def test_a_session_is_cut_into_its_sprints_each_timed_against_the_truth():
    scenario, onsets = session_scenario(REPS)
    result = analyzed(scenario)
    assert len(result.trials) == len(REPS)
    for trial, onset, rep in zip(result.trials, onsets, REPS, strict=True):
        assert trial.quality.verdict == USABLE, trial.quality.reasons
        assert not trial.cut_off and not trial.start_signal
        check_against_truth(trial, scenario.simulated.truth, onset, rep["run_time"])
        assert set(trial.estimators) == {"kf5", "kf2", "smoothed"}  # both filters and the smoother, side by side


def test_a_short_outage_is_bridged_and_a_long_one_makes_the_trial_unusable():
    reps = REPS[:2]
    first, second = session_onsets(reps)
    scenario, onsets = session_scenario(reps, outages=[(first + 4.0, 0.8), (second + 3.5, 3.0)])  # at full speed
    result = analyzed(scenario)
    assert [t.quality.verdict for t in result.trials] == [BRIDGED, UNUSABLE]
    bridged, lost = result.trials
    assert bridged.quality.longest_outage == pytest.approx(0.8, abs=0.15)
    assert any("bridged with the IMU" in r for r in bridged.quality.reasons)
    assert any("outage of 3." in r for r in lost.quality.reasons)
    # the bridged trial is still timed within the bounds: the IMU carried the filters through
    check_against_truth(bridged, scenario.simulated.truth, onsets[0], reps[0]["run_time"])


def test_float_only_gnss_is_judged_unusable_with_its_reason():
    scenario, _ = session_scenario(REPS[:1], fix_type="rtk_float")
    (trial,) = analyzed(scenario).trials
    assert trial.quality.verdict == UNUSABLE
    assert any("RTK fixed in 0%" in r for r in trial.quality.reasons)


def test_a_trial_cut_off_by_the_end_of_the_recording_is_still_analysed():
    scenario, onsets = session_scenario(REPS[:1], duration=3.0 + 4.0)  # the bag ends 4 s into the sprint
    (trial,) = analyzed(scenario).trials
    assert trial.cut_off
    truth = scenario.simulated.truth
    covered = truth.distance[-1] - np.interp(onsets[0], truth.t, truth.distance)
    for est in trial.estimators.values():
        assert est.splits[-1].distance <= covered  # only distances actually run
        assert est.distance == pytest.approx(covered, rel=0.03)


def test_an_external_start_signal_sets_the_onset():
    scenario, onsets = session_scenario(REPS[:2])
    gun = [onsets[0] - 0.15, onsets[1] - 0.12]  # reaction times
    result = analyze_samples(scenario.simulated.merged(), start_signals=gun)
    assert [t.start_signal for t in result.trials] == [True, True]
    assert [t.onset for t in result.trials] == gun
    est = result.trials[0].estimators["kf2"]
    expected = truth_split_times(scenario.simulated.truth, onsets[0], [s.distance for s in est.splits]) + 0.15
    assert np.max(np.abs(np.array([s.time for s in est.splits]) - expected)) <= SPLIT_BOUND["kf2"]


def test_jogs_and_standing_are_not_trials():
    jog = {"mss": 3.0, "tau": 1.0, "run_time": 5.0, "decel": 1.0, "rest": 5.0}
    scenario, _ = session_scenario([jog, REPS[0]])
    assert len(analyzed(scenario).trials) == 1


def test_the_in_situ_profile_of_a_session_recovers_the_model():
    """Three sprints of one athlete in a session, no maximal test needed: the in-situ profile from
    the fused speed lands near the mono-exponential model the sprints were simulated with."""
    mss, tau = 9.0, 1.1
    scenario, _ = session_scenario([{"mss": mss, "tau": tau, "run_time": 6.0, "decel": 3.0, "rest": 8.0}] * 3)
    profile = analyzed(scenario).in_situ
    assert profile.mss == pytest.approx(mss, rel=0.04)  # measured 1.2 %
    assert profile.mac == pytest.approx(mss / tau, rel=0.07)  # measured 4 %


def test_gnss_lost_for_good_at_full_speed_is_unusable_whatever_the_imu_made_of_the_end():
    """The receiver falls silent at full speed and stays so; the IMU-only speed decays and ends the
    trial 1.5 s into the silence. Measured up to that end only, the outage was never more than
    the bridge, which printed 'usable with bridged outage' (seen on track_400m with 10 s of
    silence). Epochs of 10 Hz RTK fixes up to 10 s, none after; the trial from 2 s to 11.5 s."""
    from sprint_fusion.core.samples import FixType
    from sprint_fusion.sprint.quality import GnssEpoch, QualityParams, judge

    epochs = [GnssEpoch(0.1 * k, FixType.RTK_FIXED, 0.014, 8.0 * 0.1 * k, 0.0) for k in range(101)]
    t = np.arange(2.0, 11.5, 0.01)
    q = judge(epochs, 2.0, 11.5, t, 8.0 * t, np.zeros_like(t), QualityParams())
    assert q.verdict == UNUSABLE and any("not back by then" in r for r in q.reasons), q.reasons
    q = judge([*epochs, GnssEpoch(11.4, FixType.RTK_FIXED, 0.014, 91.2, 0.0)], 2.0, 11.5, t, 8.0 * t,
              np.zeros_like(t), QualityParams())
    assert q.verdict == BRIDGED  # back within the bridge: 1.4 s bridged by the IMU


def test_the_verdict_does_not_depend_on_where_the_trial_was_cut():
    """The paper's KF5 lags the first push by more than 3 σ of the fixes: judged as outliers, those
    fixes were 4.7 % of a whole trial and 8.8 % of one cut 3.5 s in (issue 20)."""
    from sprint_fusion.core.params import FilterParams

    shares = []
    for duration in (None, 3.0 + 4.3, 3.0 + 3.5):  # whole, and cut 4.3 s and 3.5 s after the onset
        scenario, _ = session_scenario(REPS[:1], duration=duration)
        (trial,) = analyze_samples(scenario.simulated.merged(), params=FilterParams()).trials
        assert trial.quality.verdict == USABLE
        shares.append(trial.quality.outlier_share)
    assert max(shares) - min(shares) <= 0.01, shares


def test_rows_pushed_in_blocks_find_what_rows_one_by_one_find():
    """push_rows skips the quiet stretches between sprints at once (replay's speed); the live node
    pushes row by row: the same trials, windows and numbers either way, wherever the blocks break."""
    from sprint_fusion.core.fusion import COLUMNS, run
    from sprint_fusion.sprint.analysis import ROW_COLUMNS

    jog = {"mss": 3.0, "tau": 1.5, "run_time": 4.0, "decel": 1.0, "rest": 5.0}
    scenario, onsets = session_scenario([REPS[0], jog, REPS[1]])
    table = run(scenario.simulated.merged()).table
    one, blocks = SessionAnalyzer(), SessionAnalyzer()
    for a in (one, blocks):
        a.start_signal(onsets[2] - 0.3)
    found_one = []
    for row in table:
        found_one += one.push_row(row[0], **{name: float(row[COLUMNS.index(name)]) for name in ROW_COLUMNS})
    rng = np.random.default_rng(3)
    cuts = np.sort(rng.choice(np.arange(1, len(table)), 40, replace=False))
    found_blocks = [tr for part in np.split(table, cuts) for tr in blocks.push_rows(part)]
    found_one += one.finish()
    found_blocks += blocks.finish()
    assert len(found_one) == len(found_blocks) == 2 and found_blocks[1].start_signal
    for a, b in zip(found_one, found_blocks, strict=True):
        assert (a.onset, a.end, a.start_signal, a.cut_off) == (b.onset, b.end, b.start_signal, b.cut_off)
        for name in a.estimators:
            assert np.array_equal(a.estimators[name].t, b.estimators[name].t)
            assert np.array_equal(a.estimators[name].speed, b.estimators[name].speed, equal_nan=True)
            assert [s.time for s in a.estimators[name].splits] == [s.time for s in b.estimators[name].splits]


def test_a_jog_between_sprints_is_dropped_not_run_into_the_next_sprint():
    """A jog (never reaching min_top_speed) left the detector running when it ended, so the next
    sprint's trial began at the jog: its onset 12 s early, its splits wrong."""
    jog = {"mss": 3.0, "tau": 1.5, "run_time": 4.0, "decel": 1.0, "rest": 5.0}
    reps = [REPS[0], jog, REPS[1]]
    scenario, onsets = session_scenario(reps)
    result = analyzed(scenario)
    assert len(result.trials) == 2
    check_against_truth(result.trials[1], scenario.simulated.truth, onsets[2], REPS[1]["run_time"])
