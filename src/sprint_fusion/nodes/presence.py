"""Which inputs a node has, and which it is missing: the first thing a lab wants from
/diagnostics when nothing comes out. Counts each input, knows when it last arrived, and says in
one sentence what is missing and what the filters do meanwhile. Pure: no rclpy (tested alone)."""

from __future__ import annotations

from dataclasses import dataclass, field

OK, WARN, ERROR = 0, 1, 2  # diagnostic_msgs/DiagnosticStatus levels


@dataclass
class Presence:
    """Inputs by name (("IMU", "GNSS"): the sensors; a stage node names its own)."""

    names: tuple[str, ...] = ("IMU", "GNSS")
    counts: dict[str, int] = field(default_factory=dict)
    last: dict[str, float] = field(default_factory=dict)  # monotonic time of the last one
    missing: frozenset = frozenset()  # as last reported: a change is logged once
    reported: bool = False

    def seen(self, name: str, now: float) -> None:
        self.counts[name] = self.counts.get(name, 0) + 1
        self.last[name] = now

    def status(self, now: float, timeouts: dict[str, float]) -> tuple[int, str]:
        """(level, message): OK "ok" when every input arrived within its timeout; else WARN
        naming what is missing (never seen, or silent for how long) with the counts of what came."""
        absent = [n for n in self.names if n not in self.last]
        silent = {n: now - self.last[n] for n in self.names if n in self.last and now - self.last[n] > timeouts[n]}
        if not absent and not silent:
            return OK, "ok"
        parts = [f"no {n} yet" for n in absent] + [f"no {n} for {s:.1f} s" for n, s in silent.items()]
        have = [f"{n}: {self.counts[n]}" for n in self.names if n in self.last and n not in silent]
        doing = self.consequence(set(absent) | set(silent))
        return WARN, "; ".join(parts) + (f" ({', '.join(have)} received)" if have else "") + (
            f": {doing}" if doing else "")

    def consequence(self, gone: set[str]) -> str:
        if gone == {"GNSS"}:
            return "IMU-only prediction, no position"
        if gone == {"IMU"}:
            return "GNSS only, nothing between fixes"
        return "waiting" if gone == set(self.names) else ""

    def changed(self, now: float, timeouts: dict[str, float]) -> str | None:
        """The status message when the set of missing inputs changed since the last call (to log
        once, not at every report), else None."""
        missing = frozenset(n for n in self.names
                            if n not in self.last or now - self.last[n] > timeouts[n])
        if missing == self.missing:
            return None
        first = not self.reported
        self.missing, self.reported = missing, True
        if missing:
            return self.status(now, timeouts)[1]
        return "all inputs present" if first else "all inputs present again"
