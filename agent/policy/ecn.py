"""ECN before PFC: where a congested ingress PG will trigger PFC, so ECN can be set to mark earlier.

ECN marks on egress queue depth, PFC fires on ingress PG occupancy against a dynamic threshold. With
SAI's dynamic threshold exponent n (BUFFER_PROFILE.dynamic_th), alpha = 2^n, and N priority groups
congested at once sharing a pool of B bytes, each PG settles at the classic dynamic-threshold
equilibrium

    T = alpha * B / (1 + N * alpha)

(lossless-engineering.md §1.6). That is where XOFF goes out. For DCQCN to act before PFC the
queue's ECN max threshold must sit below T at the fan-in the fabric is designed for (and min well
below it). Example, B = 20 MB, alpha = 1: N = 1 -> 10 MB, N = 4 -> 4 MB, N = 16 -> ~1.18 MB; SONiC's
default Kmax of 2 MiB is then above T at a fan-in of 16, so PFC would fire first.
"""

from __future__ import annotations

from fractions import Fraction

#: SONiC YANG range of BUFFER_PROFILE.dynamic_th.
DYNAMIC_TH_RANGE = range(-8, 8)


def pfc_trigger_threshold(pool_bytes: int, dynamic_th: int, fan_in: int) -> int:
    """Bytes one PG holds before PFC triggers when `fan_in` PGs congest a `pool_bytes` shared pool.

    Exact rational arithmetic, rounded down (the PG pauses at or before this many bytes).
    """
    if pool_bytes < 0:
        raise ValueError("pool size cannot be negative")
    if fan_in < 1:
        raise ValueError("fan-in is the number of congested PGs: at least 1")
    if dynamic_th not in DYNAMIC_TH_RANGE:
        raise ValueError(f"dynamic_th must be in {DYNAMIC_TH_RANGE.start}..{DYNAMIC_TH_RANGE.stop - 1}")
    alpha = Fraction(2) ** dynamic_th
    return int(alpha * pool_bytes / (1 + fan_in * alpha))


def ecn_marks_before_pfc(max_threshold: int, pool_bytes: int, dynamic_th: int, fan_in: int) -> bool:
    """True when the ECN max threshold is below the PFC trigger at this fan-in (DCQCN reacts first)."""
    return max_threshold < pfc_trigger_threshold(pool_bytes, dynamic_th, fan_in)


def max_fan_in_before_pfc(max_threshold: int, pool_bytes: int, dynamic_th: int, limit: int = 1024) -> int:
    """Largest fan-in (<= limit) at which ECN still marks before PFC; 0 if not even one PG."""
    best = 0
    for n in range(1, limit + 1):
        if not ecn_marks_before_pfc(max_threshold, pool_bytes, dynamic_th, n):
            break
        best = n
    return best
