"""The paper profile carries the spec's numbers; bad parameters are refused by name."""

import re
from pathlib import Path

import pytest

from sprint_fusion.core.params import FILTER_PARAMS, FilterParams, ParameterError, markdown_table, parse_override

REPO = Path(__file__).resolve().parents[1]
PAPER = REPO / "config" / "filters" / "paper.yaml"

# Typed from the spec (shared/spec/fusion-model.md), not from the code.
SPEC = {
    "kf2.q_diag": [0.0001, 0.01, 0.01, 0.01],
    "kf2.r_imu": 0.1,
    "yaw.q_diag": [0.005, 0.005, 0.05],
    "yaw.r_yaw": 15.0,
    "yaw.r_rate": 5.0,
    "bias.r": 30.0,
    "bias.sigma_q": 0.5,
    "axis.q_diag": [0.0001, 0.01, 0.01, 0.01],
    "axis.r_imu": 0.01,
    "speed.r": 20.0,
    "speed.sigma_q": 0.05,
    "p0": 1.0,
    "gnss.r_from": "std",
    "process_noise": "per_step",
}


@pytest.mark.parametrize("source", ["file", "defaults"])
def test_paper_profile_has_the_spec_numbers(source):
    params = FilterParams.from_yaml(PAPER) if source == "file" else FilterParams()
    for name, value in SPEC.items():
        assert params[name] == value, name


def test_paper_file_sets_every_parameter():
    from sprint_fusion.core.params import read_params_file

    assert set(read_params_file(PAPER)) == {p.name for p in FILTER_PARAMS}


@pytest.mark.parametrize(("name", "value", "message"), [
    ("kf2.r_imu", -1.0, r"'kf2.r_imu' = -1.0: must lie in"),
    ("kf2.q_diag", [1, 2], r"'kf2.q_diag' .*list of 4 numbers"),
    ("gnss.r_from", "sigma", r"'gnss.r_from' = 'sigma': must be one of std, variance"),
    ("yaw.r_yaw", "15", r"'yaw.r_yaw' = '15': must be a number"),
    ("speed.r", float("nan"), r"'speed.r' = nan"),
    ("no.such", 1, r"unknown parameter 'no.such'"),
])
def test_wrong_parameter_is_refused_with_its_name(name, value, message):
    with pytest.raises(ParameterError, match=message):
        FilterParams({name: value})


def test_file_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("/**:\n  ros__parameters:\n    speed:\n      r: -3\n")
    with pytest.raises(ParameterError, match=r"bad.yaml: parameter 'speed.r'"):
        FilterParams.from_yaml(bad)
    bad.write_text("speed: {r: 3}\n")
    with pytest.raises(ParameterError, match="no '/\\*\\*: ros__parameters:' section"):
        FilterParams.from_yaml(bad)


def test_override_parsing():
    assert parse_override("kf2.q_diag=[1, 2, 3, 4]") == ("kf2.q_diag", [1, 2, 3, 4])
    assert parse_override("gnss.r_from=variance") == ("gnss.r_from", "variance")
    with pytest.raises(ParameterError):
        parse_override("kf2.r_imu")


@pytest.mark.parametrize("name", ["filters", "gnss_driver", "imu_driver", "sprint_analyzer"])
def test_documented_parameter_tables_are_current(name):
    from sprint_fusion.sensors.driver_params import GNSS_DRIVER_PARAMS, IMU_DRIVER_PARAMS
    from sprint_fusion.sprint.params import SPRINT_PARAMS

    tables = {"filters": FILTER_PARAMS, "gnss_driver": GNSS_DRIVER_PARAMS, "imu_driver": IMU_DRIVER_PARAMS,
              "sprint_analyzer": SPRINT_PARAMS}
    doc = (REPO / "docs" / "parameters.md").read_text(encoding="utf-8")
    marker = "params" if name == "filters" else f"params:{name}"
    table = re.search(rf"<!-- {marker}:begin -->\n(.*?)\n<!-- {marker}:end -->", doc, re.S)
    assert table, f"docs/parameters.md lacks the generated {name} parameter table"
    assert table.group(1).strip() == markdown_table(tables[name]).strip(), (
        f"run: sprint-fusion params --markdown --table {name}")


@pytest.mark.parametrize("config", sorted((REPO / "config" / "sensors").glob("*.yaml")))
def test_sensor_configs_are_valid_for_both_drivers(config):
    from sprint_fusion.core.params import read_params_file, validate_all
    from sprint_fusion.sensors.driver_params import GNSS_DRIVER_PARAMS, IMU_DRIVER_PARAMS

    for node, params in (("gnss_driver", GNSS_DRIVER_PARAMS), ("imu_driver", IMU_DRIVER_PARAMS)):
        written = read_params_file(config, f"/**/{node}")
        values = validate_all(params, written)
        assert set(values) == {p.name for p in params}  # every parameter, the unwritten ones at their defaults
        for name, value in written.items():  # what the file says is what the driver gets
            assert values[name] == (pytest.approx(value) if isinstance(value, float) else value), (node, name)


def test_sprint_analysis_file_sets_every_parameter_validly():
    from sprint_fusion.core.params import read_params_file, validate_all
    from sprint_fusion.sprint.params import SPRINT_PARAMS

    values = read_params_file(REPO / "config" / "sprint" / "analysis.yaml", "/**/sprint_analyzer")
    assert set(values) == {p.name for p in SPRINT_PARAMS}
    assert validate_all(SPRINT_PARAMS, values) == validate_all(SPRINT_PARAMS, {})  # the defaults, written out
    with pytest.raises(ParameterError, match=r"splits\.distances"):
        validate_all(SPRINT_PARAMS, {"splits.distances": []})


def test_readme_graph_table_is_current():
    from sprint_fusion.graph import markdown_table as graph_table

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = re.search(r"<!-- graph:begin -->\n(.*?)\n<!-- graph:end -->", readme, re.S)
    assert table and table.group(1).strip() == graph_table().strip()


def test_readme_is_a_front_door_and_its_links_resolve():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 250
    for doc in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", doc.read_text(encoding="utf-8")):
            if not target.startswith("http"):
                assert (doc.parent / target).exists(), f"{doc.name}: link to {target}"


def test_the_fix_delay_launch_argument_reads_as_ros_reads_a_number():
    """fix_delay:=0 must reach time.fix_delay (a double) as 0.0, not as an integer rclpy refuses;
    text that is no number goes to the nodes as it is, which refuse it by name."""
    from sprint_fusion.launch_support import _seconds

    assert _seconds("0") == 0.0 and isinstance(_seconds("0"), float)
    assert _seconds("0.05") == 0.05
    assert _seconds("soon") == "soon"
    with pytest.raises(ParameterError, match=r"time\.fix_delay"):
        FilterParams({"time.fix_delay": _seconds("soon")})
