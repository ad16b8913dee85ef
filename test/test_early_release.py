"""Live nodes release samples before their window is over once every input stream has passed them
(the timeline's stream clocks, a watermark): the events must be the window's, in the window's
order — only sooner. An IMU sample waits for the fix of an epoch that began before it, no longer;
a silent or disordered stream falls back to the window, and nothing is lost or taken twice."""

import math

import pytest

from sprint_fusion.core.timeline import GNSS, IMU, InputTimeline, StampOrder, StreamClock
from sprint_fusion.sim.profiles import ConstantAccelerationRamp
from sprint_fusion.sim.sensors import GnssModel, ImuModel, simulate
from sprint_fusion.sim.truth import straight_sprint

LATENCY, GNSS_RATE, IMU_RATE, WINDOW = 0.03, 20.0, 200.0, 0.1


@pytest.fixture(scope="module")
def arrivals():
    """(arrival time, kind, sample) of a sprint: fixes 30 ms after their epoch, at 20 Hz."""
    truth = straight_sprint(ConstantAccelerationRamp(3.0, 9.0), duration=6.0, rate=IMU_RATE, standstill=2.0)
    sim = simulate(truth, GnssModel(rate=GNSS_RATE, latency=LATENCY), ImuModel(rate=IMU_RATE), seed=1)
    out = [(e.receive_time, GNSS, e.fix) for e in sim.epochs if e.fix.fix_type.value] + \
          [(s.stamp, IMU, s) for s in sim.imu]
    return sorted(out, key=lambda a: (a[0], a[1] != GNSS))


def feed(timeline: InputTimeline, arrivals):
    """Events in release order, and for each IMU sample how long it was held (arrival of the item
    that released it − its own)."""
    events, held, arrived = [], {}, {}
    for now, kind, sample in arrivals:
        if kind == IMU:
            arrived[sample.stamp] = now
        out = timeline.imu(sample) if kind == IMU else timeline.gnss(sample)
        for k, item in out:
            if k == IMU:
                held[item.stamp] = now - arrived[item.stamp]
        events += out
    return events + timeline.flush(), held


def signature(events):
    return [(kind, item.stamp) for kind, item in events]


def test_the_same_events_in_the_same_order_released_sooner(arrivals):
    window, _ = feed(InputTimeline(window=WINDOW), arrivals)
    early, held = feed(InputTimeline(window=WINDOW, early=True), arrivals)
    assert signature(early) == signature(window) and len(window) == len(arrivals)
    first = arrivals[0][0]
    steady = [h for t, h in held.items() if t > first + 1.0]  # the receiver's period learnt by then
    # an IMU sample waits at most for the next epoch's fix: its latency and the share of the period
    # the clock cannot promise (20 %), plus one IMU sample
    bound = LATENCY + (1 - StreamClock.PERIODIC_SHARE) / GNSS_RATE + 1 / IMU_RATE + 1e-9
    assert max(steady) <= bound < WINDOW
    assert sum(h == 0 for h in steady) > 0.15 * len(steady)  # those after the fix's arrival go at once


def test_the_receivers_first_fix_lets_the_imu_go_early_at_once(arrivals):
    """The IMU runs while the receiver acquires; from its first fix on, an IMU sample waits for the
    next epoch's fix, not for the window: a receiver's epochs are trusted to come in order from the
    first (an IMU stream proves it for StreamClock.PROBATION first) — the live graph's first
    outputs are not a window late."""
    acquired = arrivals[0][0] + 1.0
    later = [a for a in arrivals if a[1] == IMU or a[0] >= acquired]
    events, held = feed(InputTimeline(window=WINDOW, early=True), later)
    assert len(events) == len(later)  # nothing lost
    first_fix = min(s.stamp for _, kind, s in later if kind == GNSS)
    after = [h for t, h in held.items() if t > first_fix]
    # before its period is learnt (four intervals) the clock promises nothing past the newest
    # epoch: a sample waits for the fix of the next one — its period and latency, one IMU sample
    bound = LATENCY + 1 / GNSS_RATE + 1 / IMU_RATE + 1e-9
    assert after and max(after) <= bound < WINDOW


def test_a_fix_waits_for_its_velocity(arrivals):
    """The parts of an epoch (velocity, heading) arrive as messages of their own: a stream whose
    clock says its part of the fix's epoch is still to come holds the fix."""
    timeline = InputTimeline(window=WINDOW, early=True)
    for now, kind, sample in arrivals:
        if kind == GNSS:
            if now > arrivals[0][0] + 2.0:
                break
            timeline.part("gnss_vel", sample.stamp)
            timeline.gnss(sample)
        else:
            timeline.imu(sample)
    # the next fix arrives before its velocity: it stays until the velocity's clock passes it
    fix = sample
    assert all(k != GNSS for k, _ in timeline.gnss(fix))  # the IMU has passed it: only the velocity holds it
    timeline.part("gnss_vel", fix.stamp)
    assert [i.stamp for k, i in timeline.due() if k == GNSS] == [fix.stamp]


def test_a_silent_receiver_holds_the_imu_for_the_window_only(arrivals):
    cut = arrivals[0][0] + 3.0
    silent = [a for a in arrivals if a[1] == IMU or a[0] < cut]  # the receiver stops at 3 s
    timeline = InputTimeline(window=WINDOW, early=True)
    feed(timeline, silent[:20])
    assert timeline.reorder.release_mode() == "window: streams on probation"
    feed(timeline, silent[20:len(silent) // 2])
    assert timeline.reorder.release_mode() == "early"
    timeline = InputTimeline(window=WINDOW, early=True)
    events, held = feed(timeline, silent)
    assert timeline.reorder.release_mode() == "window: no gnss for 0.1 s"  # what diagnostics say
    assert len(events) == len(silent)  # nothing lost
    later = [h for t, h in held.items() if t > cut + 0.2]
    assert later and max(later) == pytest.approx(WINDOW, abs=1.5 / IMU_RATE)


def test_a_stream_out_of_order_turns_early_release_off(arrivals):
    stream = [a for a in arrivals if a[1] == IMU][:400]
    swapped = [*stream[:300], stream[301], stream[300], *stream[302:]]  # one pair out of order at 1.5 s
    timeline = InputTimeline(window=WINDOW, early=True)
    events, held = feed(timeline, swapped)
    lost = len(stream) - len(events)
    assert lost <= 1 and timeline.counts.dropped == lost  # at most the one late sample, and it is counted
    assert timeline.reorder.release_mode() == "window: imu arrived out of order"
    after = [h for t, h in held.items() if t > stream[310][2].stamp]
    assert after and min(after) == pytest.approx(WINDOW, abs=1.5 / IMU_RATE)  # the window again


def test_a_repeated_sample_after_an_early_release_is_a_duplicate():
    """A stage of one input stream (the speed fuser's rows): released at once, and a row sent twice
    is still caught though the first has gone."""
    order = StampOrder(WINDOW, early=True)
    taken = []
    for k in range(300):
        t = 10.0 + k / IMU_RATE
        taken += order.push(t, IMU, (t, k))
        if k == 250:
            taken += order.push(t, IMU, (t, k))  # the same row twice (released already)
    assert len(taken) + len(order) == 300 and order.counts.duplicates == 1
    assert math.isclose(taken[-1][1][0], 10.0 + 299 / IMU_RATE)  # released at once, not after a window


def test_a_receiver_that_starts_late_loses_nothing(arrivals):
    """Early release waits for every stream the node needs: the first fix, 1.5 s after the IMU
    began, is not too late for its place."""
    first = arrivals[0][0]
    late = [a for a in arrivals if a[1] == IMU or a[0] > first + 1.5]
    timeline = InputTimeline(window=WINDOW, early=True)
    assert timeline.reorder.release_mode() == "window: no imu, gnss yet"
    events, _ = feed(timeline, late)
    assert len(events) == len(late) and timeline.counts.dropped == 0
    window, _ = feed(InputTimeline(window=WINDOW), late)
    assert signature(events) == signature(window)


def test_after_a_time_jump_early_release_comes_back():
    """A bag played in a loop: time goes back 10 s; the filters reset, the clocks start over."""
    order = StampOrder(WINDOW, reset_jump_back=1.0, early=True)
    released = []
    for lap in range(2):
        for k in range(400):  # 2 s of rows
            t = 100.0 + k / IMU_RATE
            released += [e for e in order.push(t, IMU, t) if e[0] == IMU]
        if lap == 0:
            assert order.reorder.release_mode() == "early"
    assert order.counts.resets == 1 and order.reorder.release_mode() == "early"
    assert len(released) + len(order) == 800  # nothing lost: the rows that confirmed the jump go after it



def test_a_downstream_stage_trusts_its_streams_from_the_first_rows():
    """A stage's inputs come from the graph's own nodes, each in release order: nothing to prove
    first, so a stage's rows go at once from the start — a sensor IMU stream waits 0.1 s of its stamps
    (StreamClock.PROBATION) before it is trusted."""
    from sprint_fusion.core.params import FilterParams
    from sprint_fusion.nodes.fusion_base import stage_order

    rows = [10.0 + k / IMU_RATE for k in range(20)]  # 0.05 s: less than the probation and the window
    stage = stage_order(FilterParams(), (IMU,))
    assert [e[1] for t in rows for e in stage.push(t, IMU, t)] == rows
    sensor_like = StampOrder(WINDOW, early=True)
    assert [e for t in rows for e in sensor_like.push(t, IMU, t)] == []


def test_a_stage_fed_in_its_upstreams_order_lets_each_row_go_at_once():
    """time.fix_delay D: the yaw/bias node publishes a fix's fusion/gnss_enu when it uses it (its
    stamp + D), before the acceleration rows from then on. An axis filter told so (in one process,
    where a publish is a call: ReorderBuffer.passed) lets every row go the moment it comes; its
    GNSS clock alone promises only 0.8 of a period past the last fix, and the rows beyond wait for
    the next one. The same events in the same order either way."""
    from sprint_fusion.core.params import FilterParams
    from sprint_fusion.nodes.fusion_base import stage_order

    delay, period = 0.05, 1.0 / GNSS_RATE
    fixes = [10.0 + k * period for k in range(40)]
    rows = [10.0 + k / IMU_RATE for k in range(int(2.0 * IMU_RATE))]
    # the upstream's release order: a fix at its stamp + D, before a row of that place
    published = sorted([(s + delay, 0, GNSS, s) for s in fixes] + [(u, 1, IMU, u) for u in rows])
    params = FilterParams({"time.fix_delay": delay})
    results = {}
    for told in (True, False):
        stage, events, held = stage_order(params, (IMU, GNSS)), [], []
        for _, _, kind, stamp in published:
            if kind == IMU and told:
                stage.reorder.passed((GNSS, "gnss_vel"), stamp)
            out = stage.push(stamp, kind, stamp)
            if kind == IMU:
                held.append(not any(k == IMU and s == stamp for k, s in out))
            events += out
        results[told] = (events + stage.flush(), held)
    (told_events, told_held), (own_events, own_held) = results[True], results[False]
    assert told_events == own_events and len(told_events) == len(fixes) + len(rows)
    settled = int(0.5 * IMU_RATE)  # the receiver's period learnt (four intervals)
    assert not any(told_held[settled:])
    assert sum(own_held[settled:]) > len(rows[settled:]) // 10  # the test can tell
