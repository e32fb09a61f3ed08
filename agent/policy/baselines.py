"""Named starting points for a policy: `baseline: nvidia-roce`, `nvidia-roce-lossy`, `inference-low-latency`
or `sonic-azure`.

Merge rule (what `baseline: X` means):

* The file's keys are merged onto the baseline's keys, recursively for **mappings** (`pfc.watchdog`,
  `mtu`, `cable_length`, `host.ecn` ...): a key the file sets wins, a key it omits keeps the baseline value.
* **Lists replace** the baseline's list as a whole (`classes`, `overrides`, `dscp` ...). Classes are
  a design, not a patch: merging lists item by item would make "which DSCP is where" impossible to read
  from the file. To change one class, copy the baseline's classes (`roce-agent policy show`) and edit.
* Scalars (including `null`) replace.

The result is then validated like any policy, so a Policy object is always fully resolved.

Sources: nvidia-roce follows NVIDIA's RoCE defaults (Onyx `show roce` / Cumulus `nv set qos roce`:
RoCE prio 3 with ECN 150 KB-1500 KB, DWRR 50/50, CNP prio 6 strict; NIC firmware CNP DSCP 48). sonic-azure
-lossy is NVUE's `nv set qos roce mode lossy` default table (Cumulus Linux 5.x user guide, "RDMA over
Converged Ethernet - RoCE", Default RoCE Mode Configuration): the same trust L3, priority 3 -> TC3 (RoCE),
6 -> TC6 (CNP) strict, ETS 50/50 and ECN 150 KB-1500 KB on TC3 as lossless mode, but PFC is not enabled on
priority 3 (and so no lossless buffer, no watchdog). inference-low-latency is the project's own: lossy
with ECN marking from 50 KB to 500 KB at up to 20 %, so queues stay a third as deep (a latency-first
inference fabric trades some throughput under incast for it); tune it to your fabric. sonic-azure
is SONiC's community `qos_config.j2` AZURE profile: lossless 3,4; DSCP 3->3, 4->4, 5->2, 8->0, 46->5,
48->6, everything else ->1; DWRR weights 14 (scheduler.0) / 15 (scheduler.1, lossless queues); WRED
AZURE_LOSSLESS 1 MiB-2 MiB at 5 %; `pfcwd start_default` 200/200/200 ms drop.
"""

from __future__ import annotations

import copy
from typing import Any

_WATCHDOG_200 = {
    "enabled": True,
    "action": "drop",
    "detection_time": 200,
    "restoration_time": 200,
    "poll_interval": 200,
}

NVIDIA_ROCE: dict[str, Any] = {
    "name": "nvidia-roce",
    "trust": "dscp",
    "classes": [
        {
            "name": "roce",
            "dscp": [26],
            "priority": 3,
            "lossless": True,
            "roce": True,
            "scheduling": {"type": "dwrr", "weight": 50},
            # Pmax is not part of NVIDIA's published defaults; 10 % is a common DCQCN starting point.
            "ecn": {"min_threshold": "150KB", "max_threshold": "1500KB", "probability": 10},
        },
        {"name": "cnp", "dscp": [48], "priority": 6, "cnp": True, "scheduling": {"type": "strict"}},
        {"name": "default", "priority": 0, "default": True, "scheduling": {"type": "dwrr", "weight": 50}},
    ],
    "pfc": {"max_lossless_priorities": 2, "watchdog": dict(_WATCHDOG_200)},
    "mtu": {"switch": 9100, "host": 9000},
    "cable_length": {"host": "5m", "fabric": "40m", "default": "40m"},
    "buffer_model": "auto",
    "host": {"roce_mode": "v2", "tcp_ecn": 1},
}

_LOSSY_ROCE = {
    "name": "roce",
    "dscp": [26],
    "priority": 3,
    "lossless": False,
    "roce": True,
    "scheduling": {"type": "dwrr", "weight": 50},
    "ecn": {"min_threshold": "150KB", "max_threshold": "1500KB", "probability": 10},
}

NVIDIA_ROCE_LOSSY: dict[str, Any] = {
    **copy.deepcopy(NVIDIA_ROCE),
    "name": "nvidia-roce-lossy",
    "mode": "lossy",
    "classes": [_LOSSY_ROCE, *copy.deepcopy(NVIDIA_ROCE["classes"][1:])],
    # No lossless priority, nothing for a watchdog to watch: off, so the switch runs no PFC-WD on these ports.
    "pfc": {"max_lossless_priorities": 2, "watchdog": {**_WATCHDOG_200, "enabled": False}},
}

INFERENCE_LOW_LATENCY: dict[str, Any] = {
    **copy.deepcopy(NVIDIA_ROCE_LOSSY),
    "name": "inference-low-latency",
    "classes": [
        {**_LOSSY_ROCE, "ecn": {"min_threshold": "50KB", "max_threshold": "500KB", "probability": 20}},
        *copy.deepcopy(NVIDIA_ROCE["classes"][1:]),
    ],
}

_AZURE_ECN = {"min_threshold": "1MiB", "max_threshold": "2MiB", "probability": 5}
_AZURE_LOSSY = {"type": "dwrr", "weight": 14}  # scheduler.0
_AZURE_LOSSLESS = {"type": "dwrr", "weight": 15}  # scheduler.1

SONIC_AZURE: dict[str, Any] = {
    "name": "sonic-azure",
    "trust": "dscp",
    "classes": [
        {
            "name": "lossless3",
            "dscp": [3],
            "priority": 3,
            "lossless": True,
            "scheduling": _AZURE_LOSSLESS,
            "ecn": _AZURE_ECN,
        },
        {
            "name": "lossless4",
            "dscp": [4],
            "priority": 4,
            "lossless": True,
            "scheduling": _AZURE_LOSSLESS,
            "ecn": _AZURE_ECN,
        },
        {"name": "bulk", "priority": 1, "default": True, "scheduling": _AZURE_LOSSY},
        {"name": "scavenger", "dscp": [8], "priority": 0, "scheduling": _AZURE_LOSSY},
        {"name": "dscp5", "dscp": [5], "priority": 2, "scheduling": _AZURE_LOSSY},
        {"name": "dscp46", "dscp": [46], "priority": 5, "scheduling": _AZURE_LOSSY},
        # SONiC maps DSCP 48 to TC6 and ConnectX firmware sends CNPs with DSCP 48 / prio 6 by default.
        {"name": "cnp", "dscp": [48], "priority": 6, "cnp": True, "scheduling": _AZURE_LOSSY},
    ],
    "pfc": {"max_lossless_priorities": 2, "watchdog": dict(_WATCHDOG_200)},
    "mtu": {"switch": 9100, "host": 9000},
    "cable_length": {"host": "5m", "fabric": "40m", "default": "40m"},
    "buffer_model": "auto",
    "host": {"roce_mode": "v2", "tcp_ecn": 1},
}

BASELINES: dict[str, dict[str, Any]] = {
    "nvidia-roce": NVIDIA_ROCE,
    "nvidia-roce-lossy": NVIDIA_ROCE_LOSSY,
    "inference-low-latency": INFERENCE_LOW_LATENCY,
    "sonic-azure": SONIC_AZURE,
}
BASELINE_NAMES = tuple(BASELINES)


def deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """`top` onto `base`: mappings merge recursively, everything else (lists, scalars) replaces."""
    merged = copy.deepcopy(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def apply_baseline(data: Any) -> Any:
    """Policy input with its named baseline underneath; unchanged if it names none (or an unknown one,
    which the `baseline` field then rejects with the list of names)."""
    if not isinstance(data, dict):
        return data
    name = data.get("baseline")
    base = BASELINES.get(name) if isinstance(name, str) else None
    return deep_merge(base, data) if base is not None else data
