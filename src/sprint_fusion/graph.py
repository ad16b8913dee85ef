"""The node graph, described once: which node runs which executable, with which fixed
parameters, subscribing and publishing what. The launch files, `sprint-fusion graph` (one
process, for pip users) and the README's graph table all read this.
"""

from __future__ import annotations

import dataclasses
import importlib
from dataclasses import dataclass, field

from . import topics as t

SENSOR_TOPICS = (t.IMU_DATA, t.IMU_RAW, t.GNSS_FIX, t.GNSS_VEL, t.GNSS_HEADING, t.GNSS_FIX_TYPE)


@dataclass(frozen=True)
class GraphNode:
    name: str
    executable: str  # console script, installed to lib/sprint_fusion
    factory: str  # module:class
    role: str  # "driver", "fusion" or "analysis"
    subscribes: tuple[str, ...]
    publishes: tuple[str, ...]
    parameters: dict = field(default_factory=dict)

    def node_class(self):
        module, cls = self.factory.split(":")
        return getattr(importlib.import_module(module), cls)


def _axis(axis: str) -> GraphNode:
    return GraphNode(f"axis_filter_{axis}", "axis_filter", "sprint_fusion.nodes.axis_filter:AxisFilterNode", "fusion",
                     (t.GNSS_ENU, t.GNSS_ENU_VELOCITY, t.ACCEL_ENU), (t.axis_state(axis), t.axis_accel(axis)),
                     {"axis": axis})


GRAPH: tuple[GraphNode, ...] = (
    GraphNode("gnss_driver", "gnss_driver", "sprint_fusion.nodes.gnss_driver:GnssDriver", "driver", (),
              (t.GNSS_FIX, t.GNSS_VEL, t.GNSS_HEADING, t.GNSS_FIX_TYPE)),
    GraphNode("imu_driver", "imu_driver", "sprint_fusion.nodes.imu_driver:ImuDriver", "driver", (),
              (t.IMU_RAW, t.IMU_DATA)),
    GraphNode("yaw_bias_estimator", "yaw_bias_estimator", "sprint_fusion.nodes.yaw_bias_estimator:YawBiasNode",
              "fusion", SENSOR_TOPICS, (t.YAW, t.YAW_BIAS, t.ACCEL_ENU, t.GNSS_ENU, t.GNSS_ENU_VELOCITY, t.DATUM)),
    *(_axis(a) for a in t.AXES),
    GraphNode("horizontal_velocity_fuser", "horizontal_velocity_fuser",
              "sprint_fusion.nodes.horizontal_velocity_fuser:SpeedFuserNode", "fusion",
              tuple(t.axis_state(a) for a in t.AXES), (t.SPEED, t.ODOMETRY)),
    GraphNode("kf2_filter", "kf2_filter", "sprint_fusion.nodes.kf2_filter:Kf2Node", "fusion", SENSOR_TOPICS,
              (t.KF2_SPEED, t.KF2_DISTANCE)),
    GraphNode("sprint_analyzer", "sprint_analyzer", "sprint_fusion.nodes.sprint_analyzer:SprintAnalyzerNode",
              "analysis", (t.KF2_SPEED, t.KF2_DISTANCE, t.SPEED, t.ODOMETRY, t.GNSS_ENU, t.GNSS_FIX_TYPE, t.GNSS_FIX,
                           t.SPRINT_START), (t.SPRINT_TRIAL, t.SPRINT_SPLITS)),
)


def readers(topic: str) -> int:
    """How many of the graph's nodes subscribe to a topic."""
    return sum(topic in n.subscribes for n in GRAPH)


def nodes(drivers: bool = True) -> tuple[GraphNode, ...]:
    """The graph's nodes; a file-fed driver is told how many readers of its main topic to wait for."""
    out = []
    for n in GRAPH:
        if n.role == "driver":
            if not drivers:
                continue
            n = dataclasses.replace(n, parameters={**n.parameters, "start_subscribers": readers(n.publishes[0])})
        out.append(n)
    return tuple(out)


def markdown_table() -> str:
    rows = ["| node (executable) | subscribes | publishes |", "|---|---|---|"]
    for n in GRAPH:
        exe = n.name if n.name == n.executable else f"{n.name} ({n.executable}, axis: {n.parameters['axis']})"
        rows.append(f"| `{exe}` | {', '.join(f'`{x}`' for x in n.subscribes) or '(the device)'} | "
                    f"{', '.join(f'`{x}`' for x in n.publishes)} |")
    return "\n".join(rows)
