"""The node graph on real DDS (isolated domain, loopback), fed a bundled bag at recorded pace."""

import time

import numpy as np
import pytest
from rclpy.node import Node
from rclpy.parameter import Parameter

from sprint_fusion.bags.reader import read_samples, read_truth
from sprint_fusion.core.fusion import run
from sprint_fusion.core.params import FilterParams, ParameterError
from sprint_fusion.nodes.axis_filter import AxisFilterNode
from sprint_fusion.nodes.runner import build, make_executor, spin
from sprint_fusion.paths import config_file

from .conftest import REPO
from .graph_helpers import Player, sensor_records
from .sprint_cases import PUBLISHED_TOLERANCE, relative_errors

pytestmark = pytest.mark.slow  # the node graph over DDS, seconds of real time per test

BAG = REPO / "bags" / "sprint_40m"


class Graph:
    """Fusion nodes + a player + a listener in one executor, spun in a background thread."""

    def __init__(self, context, namespaces=("",), params: dict | None = None, local: bool = True):
        from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
        from geometry_msgs.msg import TwistWithCovarianceStamped
        from nav_msgs.msg import Odometry

        self.context = context
        self.nodes, self.players, self.got = [], {}, {}
        for ns in namespaces:
            built = (build(context, drivers=False, local=local) if not (ns or params) else
                     self._namespaced(ns, params or {}, local))
            self.nodes += built
            self.players[ns] = Player(context, ns)
            listener = Node("listener", namespace=ns, context=context)
            got = {"speed": [], "kf2": [], "east": [], "diag": [], "trial": []}
            listener.create_subscription(TwistWithCovarianceStamped, "fusion/speed", got["speed"].append, 1000)
            listener.create_subscription(TwistWithCovarianceStamped, "fusion/kf2/speed", got["kf2"].append, 1000)
            listener.create_subscription(Odometry, "fusion/axis/east", got["east"].append, 1000)
            listener.create_subscription(DiagnosticArray, "/diagnostics", got["diag"].append, 1000)
            listener.create_subscription(DiagnosticStatus, "sprint/trial", got["trial"].append, 10)
            self.got[ns] = got
            self.nodes += [listener, self.players[ns].node]
        self.executor = make_executor("events", context)
        for n in self.nodes:
            self.executor.add_node(n)
        import threading

        self.stop = threading.Event()
        self.thread = threading.Thread(target=spin, args=(self.executor, context, self.stop), daemon=True)
        self.thread.start()

    def _namespaced(self, ns, params=None, local=True):
        from sprint_fusion.graph import nodes

        overrides = {spec.name: params for spec in nodes(drivers=False) if spec.role != "analysis"}
        return build(self.context, drivers=False, node_overrides=overrides, local=local, namespace=ns)

    def close(self):
        self.stop.set()
        self.thread.join(timeout=5.0)
        self.executor.shutdown(timeout_sec=5.0)
        for n in reversed(self.nodes):
            n.destroy_node()


@pytest.fixture
def graph(ros):
    graphs = []

    def make(namespaces=("",), params=None, local=True):
        g = Graph(ros, namespaces, params, local)
        graphs.append(g)
        return g

    yield make
    for g in graphs:
        g.close()


def stamps(msgs_):
    return np.array([m.header.stamp.sec + m.header.stamp.nanosec * 1e-9 for m in msgs_])


def settle(got, key, timeout=3.0):
    """Wait until `key` stops growing (the reorder windows flush when the input pauses)."""
    n, end = -1, time.monotonic() + timeout
    while time.monotonic() < end and len(got[key]) != n:
        n = len(got[key])
        time.sleep(0.3)


# profile → (parameter file, values changed, messages between the nodes in memory or over DDS);
# the accurate profile's time.fix_delay 0.05: no IMU sample waits for a fix, each node's CJ filters
# go back to it in their history — and still the very numbers of offline; with 0 each waits
PROFILES = {"paper": (None, {}, True), "accurate": ("accurate.yaml", {}, True),
            "accurate, every fix waited for": ("accurate.yaml", {"time.fix_delay": 0.0}, True),
            "accurate, every hop over DDS": ("accurate.yaml", {}, False)}


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_live_graph_equals_the_offline_core_and_meets_the_truth_bound(graph, profile):
    path, values, local = PROFILES[profile]
    params = FilterParams.from_yaml(config_file("filters", path), values) if path else FilterParams()
    changed = {k: v for k, v in params.items() if v != FilterParams()[k]}
    g = graph(params=changed or None, local=local)
    player = g.players[""]
    assert player.wait_for_graph(subscribers_per_topic=2)  # yaw_bias_estimator and kf2_filter
    player.play(sensor_records(BAG)).join()
    settle(g.got[""], "speed")
    speed = g.got[""]["speed"]
    live_t = stamps(speed)
    live_v = np.array([m.twist.twist.linear.x for m in speed])

    offline = run([(k, s) for k, s, _ in read_samples(BAG)], params)
    ok = np.isfinite(offline["kf5_speed"])
    assert len(live_t) == ok.sum()  # every fused step, nothing dropped
    assert np.array_equal(live_t, offline["t"][ok])
    assert np.allclose(live_v, offline["kf5_speed"][ok], rtol=0, atol=1e-9)  # the same numbers
    kf2 = g.got[""]["kf2"]
    assert np.allclose([m.twist.twist.linear.x for m in kf2], offline["kf2_speed"][np.isfinite(offline["kf2_speed"])],
                       atol=1e-9)

    # and the truth, with the bound the core tests put on this bag (the published ±2 %)
    distance_error, top_error = relative_errors(live_t, live_v, read_truth(BAG))
    assert abs(distance_error) <= PUBLISHED_TOLERANCE and abs(top_error) <= PUBLISHED_TOLERANCE


def test_two_namespaced_athletes_do_not_mix(graph):
    g = graph(("athlete_a", "athlete_b"))
    for player in g.players.values():
        assert player.wait_for_graph(subscribers_per_topic=2)
    played_a = sensor_records(BAG, until=5.0)
    a = g.players["athlete_a"].play(played_a)
    b = g.players["athlete_b"].play(sensor_records(REPO / "bags" / "sprint_100m_outage", until=5.0))
    a.join()
    b.join()
    for ns in g.got:
        settle(g.got[ns], "speed")
    ta, tb = stamps(g.got["athlete_a"]["speed"]), stamps(g.got["athlete_b"]["speed"])
    assert len(ta) and len(tb)
    # the two bags were recorded five minutes apart: no output of one athlete holds the other's stamps
    assert ta.max() < tb.min()
    last_log = played_a[-1][1]  # the same input offline: everything the player sent
    offline = run([(k, s) for k, s, log_ns in read_samples(BAG) if log_ns * 1e-9 <= last_log])
    ok = np.isfinite(offline["kf5_speed"])
    live_a = [m.twist.twist.linear.x for m in g.got["athlete_a"]["speed"]]
    assert np.allclose(live_a, offline["kf5_speed"][ok], atol=1e-9)


def test_gnss_lost_mid_run_degrades_to_imu_prediction(graph):
    g = graph()
    player = g.players[""]
    assert player.wait_for_graph(subscribers_per_topic=2)
    lost_after = 4.5  # s into the bag: mid-sprint
    records = sensor_records(BAG, skip=lambda topic, t: topic.startswith("/gnss/") and t > lost_after)
    player.play(records).join()
    time.sleep(1.5)  # longer than gnss_timeout: the nodes notice
    got = g.got[""]
    settle(got, "speed")
    v = np.array([m.twist.twist.linear.x for m in got["speed"]])
    assert np.all(np.isfinite(v)) and stamps(got["speed"]).max() > records[-1][1] - 0.2  # kept running
    east = got["east"]
    var = np.array([m.pose.covariance[0] for m in east])
    t_east = stamps(east)
    start = records[0][1]
    before = var[(t_east > start + lost_after - 0.5) & (t_east < start + lost_after)]
    after = var[t_east > start + lost_after + 1.0]
    assert after[-1] > 10 * before.max()  # position uncertainty grows without GNSS
    warnings = [s for d in got["diag"] for s in d.status if "IMU-only" in s.message]
    assert {s.name.rsplit("/", 1)[-1] for s in warnings} >= {"yaw_bias_estimator", "axis_filter_east", "kf2_filter"}


def test_a_wrong_parameter_is_refused_at_start_up(ros):
    with pytest.raises(ParameterError, match=r"'axis' = 'west': must be one of east, north, up"):
        AxisFilterNode(context=ros, parameter_overrides=[Parameter("axis", value="west")])
    with pytest.raises(ParameterError, match=r"speed\.r"):
        AxisFilterNode(context=ros, parameter_overrides=[Parameter("speed.r", value=-1.0)])


def test_sprint_analyzer_publishes_each_trial_as_replay_finds_it(graph, tmp_path):
    """A two-sprint session (short outage in the first, long in the second) played into the live
    graph: sprint_analyzer publishes both trials with the verdicts and splits offline replay gives."""
    from sprint_fusion.bags.replay import replay
    from sprint_fusion.bags.simulation import simulation_records
    from sprint_fusion.bags.writer import typestore, write_bag
    from sprint_fusion.msgs import bag_types

    from .sprint_cases import session_onsets, session_scenario

    reps = [{"mss": 9.0, "tau": 1.1, "run_time": 5.0, "decel": 3.5, "rest": 4.0},
            {"mss": 8.6, "tau": 1.2, "run_time": 5.0, "decel": 3.5, "rest": 3.0}]
    first, second = session_onsets(reps)
    scenario, _ = session_scenario(reps, outages=[(first + 3.5, 0.7), (second + 3.0, 2.0)])
    store = typestore()
    write_bag(tmp_path / "session", simulation_records(scenario, bag_types(store)), store)
    offline = replay(tmp_path / "session", tmp_path / "out").trials

    g = graph()
    analyzer = next(n for n in g.nodes if n.get_name() == "sprint_analyzer")
    analyzer.set_parameters([Parameter("output_dir", value=str(tmp_path / "trials")),
                             Parameter("figures", value=False)])
    player = g.players[""]
    assert player.wait_for_graph(subscribers_per_topic=2)
    player.play(sensor_records(tmp_path / "session"), rate=2.0).join()
    got = g.got[""]
    end = time.monotonic() + 10.0
    while time.monotonic() < end and len(got["trial"]) < len(offline):
        time.sleep(0.2)
    assert len(offline) == 2 and len(got["trial"]) == 2
    assert [s.level for s in got["trial"]] == [b"\x01", b"\x02"]  # WARN bridged, ERROR unusable
    for status, trial in zip(got["trial"], offline, strict=True):
        values = {kv.key: kv.value for kv in status.values}
        assert status.message.startswith(trial.quality.verdict)
        for s in trial.estimators["kf2"].splits:
            assert float(values[f"KF2 time at {s.distance:g} m [s]"]) == pytest.approx(s.time, abs=1e-3)
    import json

    written = json.loads((tmp_path / "trials" / "sprint.json").read_text())  # the node's trial files
    assert [t["quality"]["verdict"] for t in written["trials"]] == [t.quality.verdict for t in offline]


def test_bad_input_of_every_kind_is_survived_flagged_and_the_output_stays_finite(graph):
    """NaN and absurd values, duplicated and out-of-order stamps, time jumping back, GNSS and then
    the IMU going silent and coming back, a 10× IMU rate burst — one after the other, mid-sprint."""
    from sprint_fusion.bags.writer import typestore

    store = typestore()
    records = sensor_records(BAG)
    t0 = records[0][1]

    def edit(raw, msgtype, change):
        msg = store.deserialize_cdr(raw, msgtype)
        change(msg)
        return bytes(store.serialize_cdr(msg, msgtype))

    def restamp(msg, dt):
        ns = msg.header.stamp.sec * 1_000_000_000 + msg.header.stamp.nanosec + int(dt * 1e9)
        msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(ns, 1_000_000_000)

    imu = "sensor_msgs/msg/Imu"
    out = []
    for k, (topic, t, raw) in enumerate(records):
        rel = t - t0
        is_imu, is_fix = topic.startswith("imu/"), topic == "gnss/fix"
        if is_imu and 1.0 < rel < 2.0 and k % 7 == 0:
            raw = edit(raw, imu, lambda m: setattr(m.linear_acceleration, "x", float("nan")))
        elif is_imu and 2.4 < rel < 2.5:
            raw = edit(raw, imu, lambda m: setattr(m.angular_velocity, "z", 1e6))
        elif is_fix and 3.0 < rel < 3.2:
            raw = edit(raw, "sensor_msgs/msg/NavSatFix", lambda m: setattr(m, "latitude", float("nan")))
        elif is_fix and 3.4 < rel < 3.6:
            raw = edit(raw, "sensor_msgs/msg/NavSatFix", lambda m: setattr(m, "latitude", 1000.0))
        if (topic.startswith("gnss/") and 5.5 < rel < 6.5) or (is_imu and 6.5 < rel < 7.0):
            continue  # GNSS silent for 1 s, then the IMU for 0.5 s
        out.append((topic, t, raw))
        if is_imu and 4.0 < rel < 4.1:
            out.append((topic, t, raw))  # duplicated
        if is_imu and 5.0 < rel < 5.05:
            out.append((topic, t, edit(raw, imu, lambda m: restamp(m, -10.0))))  # from 10 s ago
        if is_imu and 7.0 < rel < 7.5:  # a 10× rate burst: nine more samples between this one and the next
            for j in range(1, 10):
                out.append((topic, t, edit(raw, imu, lambda m, j=j: restamp(m, j * 0.0005))))
    swap = [i for i, (topic, t, _) in enumerate(out) if topic == "imu/data" and 4.5 < t - t0 < 4.6]
    for a, b in zip(swap[::2], swap[1::2], strict=False):  # out of order
        out[a], out[b] = out[b], out[a]

    g = graph()
    player = g.players[""]
    assert player.wait_for_graph(subscribers_per_topic=2)
    player.play(out).join()
    time.sleep(1.2)  # a diagnostics period
    got = g.got[""]
    settle(got, "speed")
    for key in ("speed", "kf2"):
        v = np.array([m.twist.twist.linear.x for m in got[key]])
        assert len(v) and np.all(np.isfinite(v)), key
        assert stamps(got[key]).max() > records[-1][1] - 0.3  # still running after it all
    warned: dict[str, str] = {}
    for d in got["diag"]:
        for s in d.status:
            if s.level == b"\x01" and "since the last report" in s.message:
                name = s.name.rsplit("/", 1)[-1]
                warned[name] = warned.get(name, "") + s.message
    for node in ("yaw_bias_estimator", "kf2_filter"):  # the bad input was flagged, each kind
        assert "rejected" in warned[node] and "dropped (late)" in warned[node], warned.get(node)
    assert all("resets" not in m for m in warned.values())  # one stray old stamp does not reset the filters


def test_a_stopping_node_publishes_what_its_timeline_still_holds(ros):
    """SIGINT: serve() stops spinning and calls on_stop() while the context is up — the samples
    still in the reorder window go through KF2 and out, instead of being lost with the process."""
    from geometry_msgs.msg import TwistWithCovarianceStamped

    from sprint_fusion import msgs
    from sprint_fusion.nodes.kf2_filter import Kf2Node

    listener = Node("listener", context=ros)
    ros.track(listener)
    got = []
    listener.create_subscription(TwistWithCovarianceStamped, "/fusion/kf2/speed", got.append, 1000)
    node = Kf2Node(context=ros)
    ros.track(node)
    types = msgs.rclpy_types()
    samples = [(k, s) for k, s, _ in read_samples(BAG)][:400]  # 2 s of the bag: the filter starts
    for kind, sample in samples:
        pairs = (msgs.gnss_messages(types, sample) if kind == "gnss"
                 else msgs.imu_messages(types, sample, "imu_link", 1e-4, 1e-6, np.eye(3) * 1e-4))
        for topic, msg in pairs:
            if topic == "gnss/fix":
                node._on_fix(msg)
            elif topic == "gnss/vel":
                msgs.add_velocity_part(node.timeline.epochs, msg)
            elif topic == "imu/data_raw":
                node._imu(msg)
    held = len(node.timeline)
    assert held > 0  # the last ~0.1 s wait in the reorder window
    executor = make_executor("single", context=ros)
    executor.add_node(listener)
    executor.add_node(node)
    end = time.monotonic() + 3.0
    while time.monotonic() < end and not got:  # what was released before
        executor.spin_once(timeout_sec=0.05)
    before = len(got)
    node.on_stop()
    assert len(node.timeline) == 0
    end = time.monotonic() + 3.0
    last_imu = max(s.stamp for k, s in samples if k == "imu")
    while time.monotonic() < end and (not got or stamps(got)[-1] < last_imu - 1e-9):
        executor.spin_once(timeout_sec=0.05)
    assert len(got) > before and stamps(got)[-1] == pytest.approx(last_imu, abs=1e-6)
