"""Root cause first: findings that follow from another finding are reported under it, not beside it.

One out-of-band `pfc_enable` change on a leaf port yields SW-PFC-001 and, because buffermgrd derives
the lossless PGs from pfc_enable and PFC works per link and per path, also SW-BUF-001/002 on that port,
LINK-PFC-001 on its cable and FAB-PATH-001 on the hop: five items, one fix. The table below declares
which check's failure explains which other checks' findings; a finding is attached to a cause when it
is one of the cause's effects and sits at the same place: the same device and port, or the port at the
other end of the cable (so a host's HOST-PFC-001 explains the LINK-PFC-001 reported on the leaf end).
Chains resolve to the first cause (SW-BUF-003 -> SW-BUF-002 reports the cable length, not the PG).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from agent.checks.finding import Finding

# cause check id -> the check ids whose findings it explains at the same place (acyclic; see tests)
CAUSES: dict[str, tuple[str, ...]] = {
    "SW-PFC-001": ("SW-BUF-001", "SW-BUF-002", "LINK-PFC-001", "FAB-PATH-001"),
    "HOST-PFC-001": ("LINK-PFC-001", "FAB-PATH-001"),
    "SW-BUF-003": ("SW-BUF-001", "SW-BUF-002"),
    "SW-QOS-001": ("SW-QOS-002", "LINK-TRUST-001", "FAB-PATH-001"),
    "SW-QOS-002": ("FAB-PATH-001",),
    "HOST-QOS-001": ("LINK-TRUST-001", "FAB-PATH-001"),
    "HOST-QOS-002": ("FAB-PATH-001",),
    "SW-MTU-001": ("LINK-MTU-001",),
    "HOST-MTU-001": ("LINK-MTU-001",),
    "SW-PORT-001": ("LINK-SPEED-001",),
}

Place = tuple[str, str]  # (device, port)


def root_causes(findings: Iterable[Finding], peers: Mapping[Place, Place]) -> dict[str, str]:
    """Finding key -> the key of the root finding it follows from (only findings with a cause appear).

    `peers` maps a port to the port at the other end of its cable, both ways (from the topology)."""
    findings = list(findings)
    at: dict[tuple[str, Place], Finding] = {}
    for f in findings:
        if f.port is not None:
            at.setdefault((f.check_id, (f.device, f.port)), f)
    parent: dict[str, str] = {}
    for f in findings:
        cause = _direct_cause(f, at, peers)
        if cause is not None and cause.key != f.key:
            parent[f.key] = cause.key
    return {key: _root(key, parent) for key in parent}


def _direct_cause(
    effect: Finding, at: Mapping[tuple[str, Place], Finding], peers: Mapping[Place, Place]
) -> Finding | None:
    if effect.port is None:
        return None
    here = (effect.device, effect.port)
    places = [here, *([peers[here]] if here in peers else [])]
    for cause_id, effects in CAUSES.items():
        if effect.check_id not in effects:
            continue
        for place in places:
            cause = at.get((cause_id, place))
            if cause is not None:
                return cause
    return None


def _root(key: str, parent: Mapping[str, str]) -> str:
    seen = {key}
    while key in parent and parent[key] not in seen:
        key = parent[key]
        seen.add(key)
    return key


def caused_by_text(cause: Finding) -> str:
    """How a follow-on finding names its cause: "caused by SW-PFC-001 on leaf1:Ethernet0"."""
    where = f"{cause.device}:{cause.port}" if cause.port else cause.device
    return f"caused by {cause.check_id} on {where}"


def effects_of(causes: Mapping[str, str]) -> dict[str, list[str]]:
    """Root key -> the keys it explains, in a stable order."""
    out: dict[str, list[str]] = {}
    for effect, root in sorted(causes.items()):
        out.setdefault(root, []).append(effect)
    return out
