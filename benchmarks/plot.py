"""PNG plot of wall time against fabric size: our audit and apply, the naive baseline and the lower bound."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

SERIES = (
    ("audit", "wall_s", "roce-agent audit", "o-"),
    ("apply", "wall_s", "roce-agent apply", "s-"),
    ("naive", "wall_s", "naive Netmiko audit (per-device known_hosts, as ours)", "^-"),
    ("naive_whole_known_hosts", "wall_s", "naive Netmiko audit (whole known_hosts)", "v:"),
    ("audit", "lower_bound_s", "lower bound (audit)", "k--"),
)


def series(doc: dict[str, Any], phase: str, field: str) -> tuple[list[int], list[float]]:
    xs, ys = [], []
    for run in sorted(doc["runs"], key=lambda r: r["devices"]):
        value = run["phases"].get(phase, {}).get(field)
        if value is not None:
            xs.append(run["devices"])
            ys.append(float(value))
    return xs, ys


def plot(doc: dict[str, Any], path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for phase, field, label, style in SERIES:
        xs, ys = series(doc, phase, field)
        if xs:
            ax.plot(xs, ys, style, label=label)
    meta = doc["meta"]
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("devices (switches + RDMA hosts)")
    ax.set_ylabel("wall time (s)")
    model = meta.get("cost_model") or f"flat:{meta['latency_ms']:g}ms"
    ax.set_title(f"cost model {model}, {meta['workers']} workers, {meta['cores']} cores")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
