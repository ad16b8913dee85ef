"""The whole graph in one process: `sprint-fusion graph`.

For machines without launch_ros (pip installs). It reads the same YAML files as the launch
files, passed the ROS way (--params-file), so /**, /**/gnss_driver … sections apply alike.

Executor: rclpy's EventsExecutor by default (`--executor` chooses): the single-threaded one costs
more CPU, and rclpy's MultiThreadedExecutor saturates a core rebuilding wait sets and falls behind,
so the reorder windows drop samples (docs/benchmarks.md has the figures).
"""

from __future__ import annotations

import signal
import threading

import rclpy
from rclpy.executors import ExternalShutdownException, MultiThreadedExecutor, SingleThreadedExecutor
from rclpy.parameter import Parameter
from rclpy.signals import SignalHandlerOptions

from ..core.params import ParameterError
from ..graph import nodes
from .local_bus import BusNode, LocalBus


def ros_arguments(sensors: str | None, filters: str, namespace: str = "", use_sim_time: bool = False,
                  overrides: dict | None = None, sprint: str | None = None) -> list[str]:
    args = ["--ros-args"]
    for f in (sensors, filters, sprint):
        if f:
            args += ["--params-file", str(f)]
    if namespace:
        args += ["-r", f"__ns:=/{namespace.strip('/')}"]
    args += ["-p", f"use_sim_time:={'true' if use_sim_time else 'false'}"]
    for name, value in (overrides or {}).items():
        text = repr(value) if isinstance(value, float) else str(value)  # 0.0, not 0: a double stays a double
        args += ["-p", f"{name}:={text}"]
    return args


def build(context, drivers: bool = True, node_overrides: dict | None = None, local: bool = True,
          namespace: str | None = None) -> list:
    """Instantiate the graph's nodes in `context` (node_overrides: {node name: {parameter: value}},
    e.g. a driver's log path); a refused parameter destroys what was built. `local`: the fusion
    and analysis nodes hand each other their messages in memory (nodes/local_bus.py), and onto
    DDS only what a subscriber elsewhere listens to; else every hop goes over DDS. `namespace`:
    the nodes' own (default: the process's, from its ROS arguments)."""
    built = []
    bus = LocalBus() if local else None
    try:
        for spec in nodes(drivers):
            values = {**spec.parameters, **(node_overrides or {}).get(spec.name, {})}
            overrides = [Parameter(k, value=v) for k, v in values.items()]
            cls = spec.node_class()
            on_bus = {"bus": bus} if issubclass(cls, BusNode) else {}  # the drivers publish from their own threads
            where = {"namespace": namespace} if namespace is not None else {}
            built.append(cls(node_name=spec.name, context=context, parameter_overrides=overrides, **on_bus, **where))
        if bus is not None:
            bus.connect()
    except Exception:
        for n in built:
            n.destroy_node()
        raise
    return built


def make_executor(kind: str = "events", context=None):
    if kind == "events":
        from rclpy.experimental import EventsExecutor

        return EventsExecutor(context=context)
    if kind == "multi":
        return MultiThreadedExecutor(context=context)
    return SingleThreadedExecutor(context=context)


def spin(executor, context=None, stop=None) -> None:
    """Spin until shutdown (or `stop` is set). The EventsExecutor of this rclpy is driven by
    spin_once: its spin() does not return and blocks publishers on other threads."""
    while rclpy.ok(context=context) and not (stop is not None and stop.is_set()):
        executor.spin_once(timeout_sec=0.1)


def init(args=None) -> threading.Event:
    """rclpy.init without rclpy's signal handlers: SIGINT and SIGTERM set the returned event, so
    serve() stops spinning within 0.1 s and the nodes flush and publish what they hold while the
    context is still up (rclpy's own handler shuts the context first: nothing could be sent)."""
    rclpy.init(args=args, signal_handler_options=SignalHandlerOptions.NO)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def serve(make_nodes, executor: str = "single", label: str = "error", stop: threading.Event | None = None) -> int:
    """Build nodes and spin them until shutdown or `stop` (rclpy already initialised). A parameter
    the nodes refuse ends it with exit code 2 and a message naming it; nothing is left behind. On
    stop each node's on_stop() runs (flush what it holds) before it is destroyed."""
    built = []
    try:
        built = make_nodes()
        spinner = make_executor(executor)
        for n in built:
            spinner.add_node(n)
        if len(built) > 1:
            names = ", ".join(n.get_fully_qualified_name() for n in built)
            built[0].get_logger().info(f"running {len(built)} nodes: {names}")
        spin(spinner, stop=stop)
        for n in built:
            getattr(n, "on_stop", lambda: None)()
    except ParameterError as err:
        print(f"{label}: {err}", flush=True)
        return 2
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        for n in built:
            n.destroy_node()
        rclpy.try_shutdown()
    return 0


def run_node(factory, args=None) -> int:
    """main() of a single node's executable."""
    stop = init(args)
    return serve(lambda: [factory()], stop=stop)


def run(sensors: str | None, filters: str, namespace: str = "", use_sim_time: bool = False, drivers: bool = True,
        overrides: dict | None = None, executor: str = "events", sprint: str | None = None,
        node_overrides: dict | None = None, local: bool = True) -> int:
    """`sprint-fusion graph`: the whole graph in this process."""
    stop = init(ros_arguments(sensors, filters, namespace, use_sim_time, overrides, sprint))
    return serve(lambda: build(None, drivers, node_overrides, local), executor, "sprint-fusion graph: error", stop)


def main(args: list[str] | None = None) -> int:
    """The `graph` executable (lib/sprint_fusion/graph): the whole graph in one process, as the
    launch files start it by default (one_process:=true). Its own flags, before --ros-args:
    --no-drivers (the fusion only, for a bag player), --all-dds (every hop between the nodes over
    DDS, not in memory). Parameter files and namespace come the ROS way (--ros-args --params-file …
    -r __ns:=…); node-specific sections (/**/gnss_driver) apply to their node."""
    import sys

    argv = list(sys.argv[1:] if args is None else args)
    own = argv[: argv.index("--ros-args")] if "--ros-args" in argv else argv
    unknown = [a for a in own if a not in ("--no-drivers", "--all-dds")]
    if unknown:
        print(f"graph: unknown argument(s) {' '.join(unknown)} (only --no-drivers and --all-dds, then --ros-args …)",
              flush=True)
        return 2
    stop = init(argv)
    return serve(lambda: build(None, "--no-drivers" not in own, local="--all-dds" not in own), "events",
                 "graph: error", stop)
