"""The sprint acceleration and force–velocity profiles against the published outputs of the R
package shorts on its own data (../shared/data/sprint/, listed in its README), to the printed
precision."""

import csv

import numpy as np
import pytest

from sprint_fusion.sprint.forces import Conditions, air_resistance, fv_profile
from sprint_fusion.sprint.in_situ import in_situ_profile
from sprint_fusion.sprint.model import acceleration_at, distance_at, fit_velocity, velocity_at


def rows(path, athlete=None):
    with open(path, newline="") as fh:
        data = [r for r in csv.DictReader(fh) if athlete is None or r["athlete"] == athlete]
    return np.array([float(r["time"]) for r in data]), np.array([float(r["velocity"]) for r in data])


def test_radar_model_of_jim_matches_shorts(shared_data):
    t, v = rows(shared_data / "sprint" / "radar_gun_data.csv", "Jim")
    p = fit_velocity(t, v, time_correction=True)
    assert round(p.mss, 3) == 7.998
    assert round(p.mac, 3) == 8.999
    assert round(p.tau, 3) == 0.889
    assert round(p.pmax, 3) == 17.993
    assert round(p.rse, 4) == 0.0506


def test_jb_morin_fit_and_force_velocity_profile_match_shorts(shared_data):
    t, v = rows(shared_data / "sprint" / "jb_morin.csv")
    p = fit_velocity(t, v, time_correction=True)
    assert p.mss == pytest.approx(9.20667816, abs=5e-8)
    assert p.mac == pytest.approx(6.91659271, abs=5e-8)
    assert p.time_correction == pytest.approx(-0.0113917, abs=5e-8)
    fv = fv_profile(p.mss, p.mac, Conditions(bodymass=120, bodyheight=1.72))  # 25 °C, 760 mmHg: shorts' defaults
    assert round(fv.F0, 4) == 829.9911
    assert round(fv.Pmax, 3) == 1978.465
    # V0 and the slope land within one unit of the last printed digit: shorts computes them from
    # its unrounded fit, which nlsLM stops at a looser tolerance (from the printed MSS and MAC
    # these formulas give 9.5348745 − 3e-8 as well)
    assert pytest.approx(9.534875, abs=1e-6) == fv.V0
    assert fv.FV_slope == pytest.approx(-0.7253994, abs=1e-7)


def test_air_resistance_matches_shorts():
    c = Conditions(bodymass=80, bodyheight=1.90, pressure=760, temperature=16, wind=-0.5)
    assert round(float(air_resistance(5.0, c)), 6) == 9.183696


def test_rf_and_drf_follow_their_definition():
    """RF = F_h/|F| must fall linearly with speed once F_h is mostly m·a (Samozino 2016): check
    RFmax at the cut-off and D_RF against a direct evaluation of the model."""
    mss, mac, c = 9.0, 8.0, Conditions(bodymass=70, bodyheight=1.78)
    fv = fv_profile(mss, mac, c)
    t = 0.3 + 1e-9
    v = float(velocity_at(t, mss, mss / mac))
    fh = c.bodymass * float(acceleration_at(t, mss, mss / mac)) + float(air_resistance(v, c))
    assert fv.RFmax == pytest.approx(fh / np.hypot(fh, c.bodymass * 9.81), rel=2e-3)
    assert -0.12 < fv.Drf < -0.05  # published sprinters: about −0.06 to −0.09 per m/s
    assert pytest.approx(c.bodymass * mac) == fv.F0  # no wind: no air resistance at rest
    with pytest.raises(ValueError, match="bodymass"):
        Conditions(bodymass=-3)


def test_model_distance_is_the_integral_of_velocity():
    t = np.linspace(0, 6, 6001)
    d = distance_at(t, 9.0, 1.1)
    v = velocity_at(t, 9.0, 1.1)
    integral = np.concatenate([[0], np.cumsum(0.5 * (v[1:] + v[:-1]) * np.diff(t))])
    assert np.max(np.abs(d - integral)) < 1e-5


def test_in_situ_profile_recovers_a_known_acceleration_speed_line():
    """Accelerations at or under the line a = MAC·(1 − v/MSS), as a session's efforts give them:
    the top two per 0.2 m/s bracket lie on the line, so the fit returns it."""
    rng = np.random.default_rng(3)
    mss, mac = 8.5, 7.0
    v = rng.uniform(0, 9, 4000)
    a = mac * (1 - v / mss) - np.abs(rng.normal(0, 1.0, v.size))  # submaximal efforts below the line
    best = rng.choice(v.size, 200, replace=False)
    a[best] = mac * (1 - v[best] / mss)  # a few maximal ones on it
    p = in_situ_profile(v, a)
    assert p.mss == pytest.approx(mss, rel=0.02) and p.mac == pytest.approx(mac, rel=0.05)
    assert in_situ_profile(v[:1], a[:1]) is None
