"""Delivery in memory between the graph's nodes when they share a process (`sprint-fusion graph`,
the launch files' one_process mode) — what rclcpp's intra-process communication does, which rclpy
has not: a message one node publishes is handed to the callbacks of this process's nodes that
subscribe to its topic as a call, on the executor's thread, without serialising it, writing it to
DDS, waking the executor and deserialising it once per subscriber (measured: most of the graph's
CPU at 400 Hz). The nodes stay separate nodes with their own topics, parameters and timelines.

A topic goes onto DDS as well whenever a subscriber elsewhere listens (ros2 bag record, rviz, a
laptop over the network): the count of matched DDS subscribers, asked per message (~0.6 µs).
A subscription to a topic that a node of this process publishes is local only (so nothing comes
twice); to anything else (the drivers, which publish from their own threads; a bag player; another
process) it is an ordinary DDS subscription. Which one is decided once every node is built
(connect). The cost: `ros2 topic info` does not list the local subscriptions. Callbacks must take
what they need from a message at once — the publishers refill theirs (msgs.ReusedMessages) — as
every callback of this package does.
"""

from __future__ import annotations

from collections import defaultdict

from rclpy.node import Node


class LocalPublisher:
    """A node's publisher on the bus: local callbacks first, then DDS if anyone there listens."""

    def __init__(self, publisher, msg_type, callbacks: list):
        self.publisher, self.msg_type, self.callbacks = publisher, msg_type, callbacks

    def publish(self, msg) -> None:
        for callback in self.callbacks:
            callback(msg)
        if self.publisher.get_subscription_count():
            self.publisher.publish(msg)

    def __getattr__(self, name: str):  # topic_name, get_subscription_count, …: the DDS publisher's
        return getattr(self.publisher, name)


def listened(publisher) -> bool:
    """Whether a message published there reaches anyone: a local callback or a DDS subscriber."""
    return bool(getattr(publisher, "callbacks", None)) or publisher.get_subscription_count() > 0


class LocalSubscription:
    """A subscription waiting for connect(); then local (dds None) or a DDS subscription."""

    def __init__(self, node: Node, msg_type, topic: str, callback, qos, options: dict):
        self.node, self.msg_type, self.topic, self.callback = node, msg_type, topic, callback
        self.qos, self.options = qos, options
        self.dds = None
        self.local = False


class LocalBus:
    """The topics this process's nodes publish, and the local callbacks of each."""

    def __init__(self):
        self.callbacks: dict[str, list] = defaultdict(list)  # resolved topic → local callbacks
        self.types: dict[str, object] = {}  # resolved topic → the message type its local publishers send
        self.owners: dict[str, set] = defaultdict(set)  # resolved topic → the nodes publishing it here
        self.pending: list[LocalSubscription] | None = []

    def publisher(self, publisher, msg_type, owner: str) -> LocalPublisher:
        """A node's publisher on the bus (`owner`: that node's name, for in_order)."""
        topic = publisher.topic_name
        self.types.setdefault(topic, msg_type)
        self.owners[topic].add(owner)
        return LocalPublisher(publisher, msg_type, self.callbacks[topic])

    def in_order(self, subs: list[LocalSubscription]) -> bool:
        """Whether these subscriptions get their messages in the order they were published: each
        local, and all published by one node of this process (a publish here is a call of the
        callbacks, at once)."""
        owners = set()
        for sub in subs:
            if not isinstance(sub, LocalSubscription) or not sub.local:
                return False
            owners |= self.owners[sub.topic]
        return len(owners) == 1

    def subscribe(self, sub: LocalSubscription) -> LocalSubscription:
        if self.pending is not None:
            self.pending.append(sub)
        else:
            self._decide(sub)
        return sub

    def connect(self) -> None:
        """Every node is built: each subscription local where this process publishes its topic."""
        pending, self.pending = self.pending or [], None
        for sub in pending:
            self._decide(sub)

    def _decide(self, sub: LocalSubscription) -> None:
        if self.types.get(sub.topic) is sub.msg_type:
            sub.local = True
            self.callbacks[sub.topic].append(sub.callback)
        else:
            sub.dds = Node.create_subscription(sub.node, sub.msg_type, sub.topic, sub.callback, sub.qos,
                                               **sub.options)

    def remove(self, sub: LocalSubscription) -> None:
        if sub.local and sub.callback in self.callbacks[sub.topic]:
            self.callbacks[sub.topic].remove(sub.callback)
        elif self.pending is not None and sub in self.pending:
            self.pending.remove(sub)


class BusNode(Node):
    """A node that publishes and subscribes through a LocalBus when it is given one (bus=...), as
    an ordinary rclpy node when not (a node in its own process)."""

    def __init__(self, *args, bus: LocalBus | None = None, **kwargs):
        self._bus = bus
        super().__init__(*args, **kwargs)

    def create_publisher(self, msg_type, topic, qos_profile, **kwargs):
        publisher = super().create_publisher(msg_type, topic, qos_profile, **kwargs)
        return publisher if self._bus is None else self._bus.publisher(publisher, msg_type,
                                                                     self.get_fully_qualified_name())

    def in_order(self, subscriptions: list) -> bool:
        """Whether these subscriptions deliver in the order one node of this process published
        (LocalBus.in_order); never without a bus (DDS orders no two topics)."""
        return self._bus is not None and self._bus.in_order(subscriptions)

    def create_subscription(self, msg_type, topic, callback, qos_profile, **kwargs):
        if self._bus is None:
            return super().create_subscription(msg_type, topic, callback, qos_profile, **kwargs)
        resolved = self.resolve_topic_name(topic)
        return self._bus.subscribe(LocalSubscription(self, msg_type, resolved, callback, qos_profile, kwargs))

    def destroy_subscription(self, subscription) -> bool:
        if isinstance(subscription, LocalSubscription):
            self._bus.remove(subscription)
            return True if subscription.dds is None else super().destroy_subscription(subscription.dds)
        return super().destroy_subscription(subscription)
