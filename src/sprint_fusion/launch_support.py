"""Building blocks of the launch files (launch/*.launch.py): their arguments, and the graph's
nodes as launch_ros Node actions. launch and launch_ros are imported here only when called,
so the rest of the package never needs them."""

from __future__ import annotations

from .graph import nodes

DRIVER_ARGUMENTS = ("sensors", "gnss_path", "imu_path", "imu_tag")
ARGUMENTS = (
    ("one_process", "true", "run every node in one process (the graph executable; about half the CPU of "
                            "nine) — false: each node in its own process, e.g. drivers on a pod, fusion on a laptop"),
    ("local_delivery", "true", "in one process, the nodes hand each other their messages in memory and DDS "
                               "carries what a subscriber elsewhere listens to (nodes/local_bus.py) — false: every "
                               "hop over DDS"),
    ("sensors", ["config", "sensors", "f9p_external_imu.yaml"], "sensor config (config/sensors/*.yaml)"),
    ("filters", ["config", "filters", "accurate.yaml"],
     "filter profile (config/filters/*.yaml; paper.yaml: the published model)"),
    ("sprint", ["config", "sprint", "analysis.yaml"], "sprint analysis parameters (config/sprint/*.yaml)"),
    ("fix_delay", "", "time.fix_delay in s (empty: the filter profile's, 0.05 in accurate.yaml): use each GNSS "
                      "fix this long after its stamp so no IMU sample waits for it — about the receiver's latency; "
                      "0: each waits for its epoch's fix; docs/filters.md"),
    ("namespace", "", "namespace of this athlete's topics and nodes"),
    ("use_sim_time", None, "follow /clock (bag replay)"),
    ("gnss_path", "", "GNSS log/solution file, for file-based sensor configs (empty: the config's)"),
    ("imu_path", "", "IMU log file, for file-based sensor configs (empty: the config's)"),
    ("imu_tag", "", "RTKLIB .tag of the IMU log (empty: the config's)"),
)


def _wanted(drivers: bool):
    return [a for a in ARGUMENTS if drivers or a[0] not in DRIVER_ARGUMENTS]


def declare_arguments(drivers: bool, use_sim_time: str) -> list:
    from launch.actions import DeclareLaunchArgument
    from launch.substitutions import PathJoinSubstitution
    from launch_ros.substitutions import FindPackageShare

    out = []
    for name, default, description in _wanted(drivers):
        if isinstance(default, list):
            default = PathJoinSubstitution([FindPackageShare("sprint_fusion"), *default])
        elif default is None:
            default = use_sim_time
        out.append(DeclareLaunchArgument(name, default_value=default, description=description))
    return out


def graph_nodes(context, drivers: bool) -> list:
    """Node actions of the graph with the launch arguments resolved (an OpaqueFunction body): one
    process holding every node (one_process, the default), or one process per node."""
    from launch.substitutions import LaunchConfiguration
    from launch_ros.actions import Node

    value = {name: LaunchConfiguration(name).perform(context) for name, _, _ in _wanted(drivers)}
    sim_time = _true(value["use_sim_time"])
    changed = {"time.fix_delay": _seconds(value["fix_delay"])} if value["fix_delay"].strip() else {}
    paths = _driver_paths(value) if drivers else {}
    if _true(value["one_process"]):
        files = [value["filters"], value["sprint"]] + ([value["sensors"]] if drivers else [])
        if paths:
            files.append(_paths_file(paths))
        # no name: a name would rename every node of the process
        return [Node(package="sprint_fusion", executable="graph", namespace=value["namespace"],
                     parameters=[*files, {**changed, "use_sim_time": sim_time}],
                     arguments=([] if drivers else ["--no-drivers"])
                     + ([] if _true(value["local_delivery"]) else ["--all-dds"]),
                     output="screen", emulate_tty=True)]
    actions = []
    for spec in nodes(drivers):
        parameters = [value["filters"], {**changed, "use_sim_time": sim_time}, dict(spec.parameters)]
        if spec.role == "analysis":
            parameters.insert(0, value["sprint"])
        if spec.role == "driver":
            parameters.insert(0, value["sensors"])
            parameters.append(paths.get(spec.name, {}))  # empty: keep the sensor config's
        actions.append(Node(package="sprint_fusion", executable=spec.executable, name=spec.name,
                            namespace=value["namespace"], parameters=parameters, output="screen",
                            emulate_tty=True))
    return actions


def _seconds(text: str):
    """A number as ROS reads one from the command line, '0' a float too (the parameter is a double);
    anything else goes to the nodes as it is, which refuse it naming the parameter."""
    import yaml

    value = yaml.safe_load(text)
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _true(text: str) -> bool:
    return text.strip().lower() in ("true", "1", "yes", "on")


def _driver_paths(value: dict) -> dict:
    """{driver: {parameter: path}} of the path arguments given (empty ones keep the config's)."""
    given = {"gnss_driver": {"path": value["gnss_path"]},
             "imu_driver": {"path": value["imu_path"], "tag_path": value["imu_tag"]}}
    return {node: {k: v for k, v in params.items() if v} for node, params in given.items()
            if any(params.values())}


def _paths_file(paths: dict) -> str:
    """A parameter file with a section per driver: in one process, a plain parameter would reach
    both drivers."""
    import atexit
    import os
    import tempfile

    import yaml

    with tempfile.NamedTemporaryFile("w", suffix=".yaml", prefix="sprint_fusion_paths_", delete=False) as fh:
        yaml.safe_dump({f"/**/{node}": {"ros__parameters": params} for node, params in paths.items()}, fh)
    atexit.register(lambda: os.path.exists(fh.name) and os.remove(fh.name))  # when launch ends
    return fh.name


def launch_description(drivers: bool, use_sim_time: str):
    from launch import LaunchDescription
    from launch.actions import OpaqueFunction

    return LaunchDescription([*declare_arguments(drivers, use_sim_time),
                              OpaqueFunction(function=graph_nodes, kwargs={"drivers": drivers})])
