"""Which checks apply in which RoCE mode (policy profiles, `mode: lossless | lossy`), for `checks explain`.

Checks read the profile of each port (its link's, else its device's) through the intent, so most need
no mode switch: a check that walks the lossless priorities has nothing to walk in a lossy profile, and
one that expects "PFC on exactly the lossless priorities" expects PFC off everywhere; the few that only
mean something in lossy mode (drops with the ECN rate beside them, the resend rate) say so. These tables
tell the operator, per check; a check not listed applies in both modes with the same meaning. Every id
here is a real check (tested).
"""

from __future__ import annotations

from typing import Final

#: Checks with nothing to check in a lossy profile (no lossless priority, PG, headroom or watchdog).
LOSSLESS_ONLY: Final[dict[str, str]] = {
    "SW-BUF-001": "no lossless priority group exists in lossy mode",
    "SW-BUF-002": "no headroom is reserved in lossy mode",
    "SW-BUF-004": "no headroom is reserved in lossy mode",
    "SW-BUF-005": "no lossless buffer profile exists in lossy mode",
    "SW-WD-001": "no PFC, so no watchdog, in lossy mode",
    "HOST-BUF-001": "no priority needs its own receive buffer in lossy mode",
    "FAB-PATH-001": "RoCE is not lossless at any hop in lossy mode",
    "FAB-DLK-001": "without PFC there is no buffer dependency to deadlock on",
    "RT-ECN-001": "it compares pause frames with ECN marks; lossy mode sends no pause",
    "RT-DROP-001": "no lossless queue exists in lossy mode (RoCE-queue drops are RT-DROP-002)",
}

#: Checks with nothing to check in a lossless profile: what a lossy profile's health rests on.
LOSSY_ONLY: Final[dict[str, str]] = {
    "RT-DROP-002": "RoCE-queue drops are a warning, with the ECN mark rate beside them",
    "RT-RDMA-002": "the health signal: RDMA resends per 100 RoCE packets against the policy's limit",
}

#: Checks that apply in both modes but mean something specific in a lossy profile.
LOSSY_MEANING: Final[dict[str, str]] = {
    "SW-PFC-001": "pfc_enable must be absent on every port",
    "HOST-PFC-001": "PFC must be off on every priority",
    "SW-ECN-001": "the RoCE class's queue must mark ECN (an error: it is the only congestion signal)",
    "SW-ECN-002": "thresholds of the RoCE class's queue",
    "HOST-ECN-001": "notification and reaction point on the RoCE class's priority",
    "HOST-DCQCN-001": "the whole congestion control: the declared DCQCN parameters",
    "RT-PFC-001": "any PFC frame on any priority is a finding",
    "RT-RDMA-001": "only a requester that gave up (retries exceeded, RNR) is a finding; resends are RT-RDMA-002's",
    "FAB-NCCL-001": "NCCL's DSCP must reach the NIC's ECN reaction point and an ECN-marking switch queue",
}


def mode_note(check_id: str) -> str:
    """One line for `checks explain`: the modes the check applies in, and what it means in lossy."""
    if check_id in LOSSLESS_ONLY:
        return f"applies in: lossless profiles only ({LOSSLESS_ONLY[check_id]})"
    if check_id in LOSSY_ONLY:
        return f"applies in: lossy profiles only ({LOSSY_ONLY[check_id]})"
    if check_id in LOSSY_MEANING:
        return f"applies in: lossless and lossy profiles (in lossy: {LOSSY_MEANING[check_id]})"
    return "applies in: lossless and lossy profiles"
