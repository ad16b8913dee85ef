"""The sprint analysis parameters, one table for the sprint_analyzer node, its YAML file and the
README (as the filter parameters are)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..core.params import Param
from .forces import Conditions
from .quality import QualityParams
from .trials import TrialParams

if TYPE_CHECKING:  # analysis imports the filters, which settle the process's kernels (core/jit.py): the CLI
    from .analysis import SessionAnalyzer  # builds its options from this table in every process, live ones too

# Here, not in analysis.py, for that reason
DEFAULT_DISTANCES = (5.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 100.0, 200.0, 400.0)
ESTIMATORS = ("kf5", "kf2", "smoothed")  # smoothed: KF2 smoothed over the whole recording, offline

SPRINT_PARAMS: tuple[Param, ...] = (
    Param("trial.start_speed", 1.0, "Speed whose crossing from a standstill starts a trial", "m/s", low=0.1, high=5.0),
    Param("trial.onset_speed", 0.2, "Standstill level the movement onset is searched back to", "m/s",
          low=0.0, high=2.0),
    Param("trial.min_top_speed", 4.0, "A trial slower than this is not a sprint", "m/s", low=1.0, high=15.0),
    Param("trial.end_fraction", 0.8, "A trial ends when the speed falls below this share of its top speed",
          low=0.3, high=0.99),
    Param("trial.lookback", 3.0, "Time kept before a rise for the onset and a start signal", "s", low=0.5, high=30.0),
    Param("trial.max_duration", 120.0, "A trial longer than this is closed", "s", low=5.0, high=3600.0),
    Param("trial.detect_on", "kf2", "Filter whose speed finds the trials", choices=ESTIMATORS),
    Param("splits.distances", list(DEFAULT_DISTANCES), "Distances timed from the start (as far as the run goes)",
          "m", low=0.5, high=10000.0, any_length=True),
    Param("quality.max_bridge", 1.5, "Longest GNSS outage the IMU may bridge in a usable trial", "s",
          low=0.0, high=30.0),
    Param("quality.min_rtk_fixed_share", 0.5, "Least share of RTK-fixed epochs in a usable trial", low=0.0, high=1.0),
    Param("quality.max_median_accuracy", 0.10, "Largest median reported horizontal accuracy in a usable trial",
          "m", low=0.005, high=10.0),
    Param("quality.max_outlier_share", 0.1, "Largest share of fixes > 3 σ from the filter's prediction",
          low=0.0, high=1.0),
    Param("quality.outlier_settle", 1.0, "Fixes this soon after the onset are not judged as outliers (the "
          "filters lag the first push, most of all the paper's)", "s", low=0.0, high=10.0),
    Param("athlete.bodymass", 0.0, "Body mass; 0: unknown, no force–velocity profile", "kg", low=0.0, high=250.0),
    Param("athlete.bodyheight", 1.75, "Body height (frontal area for air resistance)", "m", low=1.0, high=2.5),
    Param("air.temperature", 25.0, "Air temperature", "°C", low=-30.0, high=50.0),
    Param("air.pressure", 760.0, "Barometric pressure", "mmHg", low=400.0, high=850.0),
    Param("air.wind", 0.0, "Wind along the run, + from behind", "m/s", low=-20.0, high=20.0),
    Param("output_dir", "", "Folder for sprint.json, trials.csv, plots and report.html; empty: none"),
    Param("figures", True, "Also write the HTML page and its SVG plots"),
)


def analyzer_from(values: Mapping[str, Any]) -> SessionAnalyzer:
    """A SessionAnalyzer from validated SPRINT_PARAMS values."""
    from .analysis import SessionAnalyzer

    trial = TrialParams(values["trial.start_speed"], values["trial.onset_speed"], values["trial.min_top_speed"],
                        values["trial.end_fraction"], values["trial.lookback"], values["trial.max_duration"])
    quality = QualityParams(min_rtk_fixed_share=values["quality.min_rtk_fixed_share"],
                            max_bridge=values["quality.max_bridge"],
                            max_median_accuracy=values["quality.max_median_accuracy"],
                            max_outlier_share=values["quality.max_outlier_share"],
                            settle=values["quality.outlier_settle"])
    conditions = None
    if values["athlete.bodymass"] > 0:
        conditions = Conditions(values["athlete.bodymass"], values["athlete.bodyheight"], values["air.pressure"],
                                values["air.temperature"], values["air.wind"])
    return SessionAnalyzer(trial, sorted(values["splits.distances"]), conditions, quality, values["trial.detect_on"])
