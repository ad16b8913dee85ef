"""Flags per metric, weekly and per session day, tuned from config/monitoring.yaml; and the
athlete's report page (plots with baseline bands, the load–velocity profile, GPS load) read in a
real browser at a phone's width. The series are synthetic with a known change planted."""

import datetime as dt

import numpy as np
import pytest

from sprint_fusion.monitoring.analysis import METRICS, MonitoringParams, Period, flags

from .conftest import REPO

MONDAY = dt.date(2026, 3, 2)


def series(name: str, level: float, noise: float, last: float, n: int = 7, step=dt.timedelta(weeks=1)):
    """n periods of a metric around `level` (seeded noise), the last one set to `last`."""
    rng = np.random.default_rng(11)
    periods = [Period(MONDAY + k * step, **{name: level + rng.normal(0, noise)}) for k in range(n)]
    setattr(periods[-1], name, last)
    return periods


@pytest.mark.parametrize("name,level,noise,worse,better", [
    ("velocity", 0.80, 0.01, 0.72, 0.88),
    ("e1rm", 160.0, 2.0, 145.0, 175.0),
    ("velocity_loss", 18.0, 1.0, 30.0, 8.0),
    ("top_speed", 9.0, 0.03, 8.6, 9.4),
    ("t_10m", 1.80, 0.01, 1.90, 1.70),
    ("t_30m", 4.20, 0.02, 4.40, 4.00),
    ("hsr_distance", 600.0, 20.0, 900.0, 300.0),
    ("total_distance", 6000.0, 150.0, 8000.0, 4000.0),
])
@pytest.mark.parametrize("period", ["week", "day"])
def test_each_metric_flags_its_worse_direction_only(name, level, noise, worse, better, period):
    p = MonitoringParams()
    rule = ("" if period == "week" else "day-") + METRICS[name].rule
    down = flags(series(name, level, noise, worse), p, period)
    assert [f.rule for f in down] == [rule] and down[0].period == period
    assert down[0].numbers[f"{name.replace('_', ' ')} {METRICS[name].unit}"] == worse
    assert flags(series(name, level, noise, better), p, period) == []  # the better way is no flag
    assert flags(series(name, level, noise, level), p, period) == []  # nor no change


def test_a_session_today_is_flagged_though_its_week_is_not():
    """Issue 19: flags were weekly, never today's — one bad session in a week of two moved the
    weekly mean by half as much."""
    p = MonitoringParams()
    days = series("velocity", 0.80, 0.008, 0.74, n=12, step=dt.timedelta(days=3))
    found = flags(days, p, "day")
    assert [(f.start, f.rule) for f in found] == [(days[-1].start, "day-velocity-down")]
    assert "session of" in found[0].explain()


def test_the_bundled_settings_are_the_defaults_and_each_metric_can_be_tuned(tmp_path):
    assert MonitoringParams.from_yaml(REPO / "config" / "monitoring.yaml") == MonitoringParams()
    path = tmp_path / "m.yaml"
    path.write_text("metrics:\n  velocity: {enabled: false}\n  top_speed: {te: 0.5}\n")
    p = MonitoringParams.from_yaml(path)
    assert flags(series("velocity", 0.80, 0.01, 0.72), p) == []  # switched off
    assert flags(series("top_speed", 9.0, 0.03, 8.6), p) == []  # −0.4 m/s is within TE 0.5 now
    assert [f.rule for f in flags(series("top_speed", 9.0, 0.03, 8.3), p)] == ["top-speed-down"]
    for text, message in (("metrics:\n  vo2max: {te: 1}\n", "unknown 'vo2max'"),
                          ("metrics:\n  velocity: {tee: 1}\n", r"metrics.velocity: unknown \['tee'\]"),
                          ("metrics:\n  velocity: {te: -1}\n", "non-negative TE"),
                          ("baseline_sessions: 3\nmin_baseline_sessions: 4\n", "the same for sessions")):
        path.write_text(text)
        with pytest.raises(ValueError, match=message):
            MonitoringParams.from_yaml(path)
