"""Declare a parameter table on a node, with descriptors and ranges, and read it validated."""

from __future__ import annotations

from typing import Any

from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor
from rclpy.exceptions import ParameterException
from rclpy.node import Node

from ..core.params import Param, ParameterError, validate_all


def _descriptor(p: Param) -> ParameterDescriptor:
    d = ParameterDescriptor(description=p.description + (f" [{p.unit}]" if p.unit else ""))
    if p.choices:
        d.additional_constraints = "one of: " + ", ".join(p.choices)
    elif isinstance(p.default, (bool, str, list)):
        pass
    elif isinstance(p.default, int) and p.low is not None:
        d.integer_range = [IntegerRange(from_value=int(p.low), to_value=int(p.high), step=1)]
    elif isinstance(p.default, float) and p.low is not None:
        d.floating_point_range = [FloatingPointRange(from_value=float(p.low), to_value=float(p.high), step=0.0)]
    return d


def declare(node: Node, table: tuple[Param, ...], prefix: str = "") -> dict[str, Any]:
    """Declare every parameter (ROS refuses out-of-range values itself) and return the validated
    values by name; a value ROS accepts but the table does not (a choice, a list length) raises
    ParameterError naming the node and the parameter."""
    values = {}
    for p in table:
        default = list(p.default) if isinstance(p.default, (list, tuple)) else p.default
        try:
            values[p.name] = node.declare_parameter(prefix + p.name, default, _descriptor(p)).value
        except ParameterException as err:  # out of range, wrong type (rclpy's own checks)
            raise ParameterError(f"node '{node.get_fully_qualified_name()}': {err}") from None
    try:
        return validate_all(table, values)
    except ParameterError as err:
        raise ParameterError(f"node '{node.get_fully_qualified_name()}': {err}") from None
