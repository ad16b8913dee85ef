"""Method comparison of two timing sources over the same trials (Bland & Altman 1986): per split
distance, all splits pooled, and for MSS and MAC — the mean difference (bias, A − B) and the 95 %
limits of agreement, bias ± 1.96·SD of the differences. How a device is validated against a
reference before a coach trusts it (the paper did this for its GNSS against timing gates)."""

from __future__ import annotations

import io
import math
from dataclasses import asdict, dataclass

import numpy as np

from ..scoring import crossing_times
from ..summary import integrate
from .model import SprintProfile

DEFAULT_DISTANCES = (5.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0)


@dataclass
class Measured:
    """One trial as one source measured it."""

    label: str
    splits: dict[float, float]  # distance m → time s from the start
    mss: float | None = None  # m/s
    mac: float | None = None  # m/s²


@dataclass
class Agreement:
    quantity: str  # "time at 10 m", "split times (all)", "MSS", "MAC"
    unit: str
    n: int
    bias: float  # mean of A − B
    sd: float  # SD of A − B (NaN with one pair)
    lower: float  # bias − 1.96·SD
    upper: float

    def as_dict(self) -> dict:
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in asdict(self).items()}


def bland_altman(a, b, quantity: str, unit: str) -> Agreement:
    diff = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    n = len(diff)
    bias = float(diff.mean()) if n else math.nan
    sd = float(diff.std(ddof=1)) if n > 1 else math.nan
    return Agreement(quantity, unit, n, bias, sd, bias - 1.96 * sd, bias + 1.96 * sd)


def trace_splits(t, v, profile: SprintProfile, distances=DEFAULT_DISTANCES) -> dict[float, float]:
    """Split times of a velocity trace: its speed integrated from the start the model found (TC)."""
    t, v = np.asarray(t, dtype=float), np.asarray(v, dtype=float)
    after = t > profile.time_correction
    rel = np.concatenate(([0.0], t[after] - profile.time_correction))
    speed = np.concatenate(([0.0], v[after]))
    d = integrate(rel, speed)
    marks = np.array([x for x in distances if x <= d[-1]])
    return dict(zip(marks.tolist(), crossing_times(rel, d, marks).tolist(), strict=True))


def compare(a: list[Measured], b: list[Measured]) -> list[Agreement]:
    """Trials paired in order; splits at the distances both sources have for a trial."""
    if len(a) != len(b):
        raise ValueError(f"the sources hold {len(a)} and {len(b)} trials: pair them one to one (choose an athlete "
                         "or trial)")
    out = []
    pooled_a, pooled_b = [], []
    for d in sorted({d for x, y in zip(a, b, strict=True) for d in x.splits if d in y.splits}):
        pairs = [(x.splits[d], y.splits[d]) for x, y in zip(a, b, strict=True) if d in x.splits and d in y.splits]
        xs, ys = zip(*pairs, strict=True)
        out.append(bland_altman(xs, ys, f"time at {d:g} m", "s"))
        pooled_a += xs
        pooled_b += ys
    if pooled_a:
        out.append(bland_altman(pooled_a, pooled_b, "split times (all)", "s"))
    for name, unit in (("mss", "m/s"), ("mac", "m/s²")):
        pairs = [(getattr(x, name), getattr(y, name)) for x, y in zip(a, b, strict=True)
                 if getattr(x, name) is not None and getattr(y, name) is not None]
        if pairs:
            out.append(bland_altman(*zip(*pairs, strict=True), name.upper(), unit))
    return out


def agreement_plot(a: list[Measured], b: list[Measured], names: tuple[str, str]) -> str:
    """SVG Bland–Altman plot of the split times: difference against mean, bias and limits."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 10, "svg.fonttype": "none"})
    fig, ax = plt.subplots(figsize=(4.6, 3.4))
    distances = sorted({d for x, y in zip(a, b, strict=True) for d in x.splits if d in y.splits})
    diffs = []
    for d in distances:
        pairs = np.array([(x.splits[d], y.splits[d]) for x, y in zip(a, b, strict=True)
                          if d in x.splits and d in y.splits])
        diff = 1000 * (pairs[:, 0] - pairs[:, 1])
        diffs += diff.tolist()
        ax.plot(pairs.mean(axis=1), diff, "o", ms=4, label=f"{d:g} m")
    if diffs:
        pooled = bland_altman(np.array(diffs), np.zeros(len(diffs)), "", "")
        ax.axhline(pooled.bias, color="black", lw=1.2, label=f"bias {pooled.bias:+.0f} ms")
        if math.isfinite(pooled.sd):
            for limit in (pooled.lower, pooled.upper):
                ax.axhline(limit, color="black", lw=0.8, ls="--")
    ax.set(xlabel="mean split time of the two [s]", ylabel=f"{names[0]} − {names[1]} [ms]")
    ax.legend(fontsize=8, ncol=2)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    plt.close(fig)
    return buf.getvalue()
