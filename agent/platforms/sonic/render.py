"""Render a switch's resolved intent into the CONFIG_DB subset the agent owns.

The output is plain CONFIG_DB JSON (``{table: {key: {field: str}}}``) with plain-name references
(SONiC >= 202111) and one port per key, which is what GCU's YANG validation accepts. Lossless PG
headroom is *not* rendered: in the traditional buffer model buffermgrd derives it from PORT.speed,
CABLE_LENGTH and pfc_enable, and overwrites anything else on the next event (reference sonic.md 1.5).

Shaped like a real render (sonic-buildimage qos_config.j2 output, ../shared/real-sonic/skus/*.qos.json)
and valid on every release the agent supports: queues 0-6 per port (queue 7 only when a policy class
uses priority 7), `pfc_enable` / `pfcwd_sw_enable` left out instead of "" on a port without lossless
priorities (202211-202411 YANG: pattern `[0-7](,[0-7])*` refuses ""), and the WRED_ECN_QUEUE flex counter
group (the ECN-marked counters RT-ECN-001 reads) only where the release's YANG has it (>= 202305).
"""

from __future__ import annotations

from agent.intent import DeviceIntent, PortIntent
from agent.platforms.sonic.releases import DeviceFacts
from agent.platforms.sonic.switch_hash import TABLE as SWITCH_HASH
from agent.platforms.sonic.switch_hash import render_switch_hash
from agent.platforms.sonic.tables import (
    CABLE_LENGTH_KEY,
    FLEX_COUNTER_GROUPS,
    MAP_NAME,
    PFC_WD_GLOBAL,
    QOS_GLOBAL,
    ConfigDb,
)
from agent.policy.model import Policy, SchedulingType, TrafficClass, Trust

QUEUES_PER_PORT = 7  # queues 0-6, as real renders; queue 7 only for a class on priority 7
WRED_ECN_GROUP = "WRED_ECN_QUEUE"


def render(intent: DeviceIntent, facts: DeviceFacts | None = None) -> ConfigDb:
    """Desired owned CONFIG_DB cells for one switch. Pure: same intent and device facts, same dict."""
    policy = intent.policy
    ports = list(intent.ports.values())
    cfg: ConfigDb = {}
    cfg.update(_maps(policy, ports))
    cfg["WRED_PROFILE"] = _wred_profiles(policy, facts)
    cfg["SCHEDULER"] = _schedulers(policy)
    cfg["PORT_QOS_MAP"] = _port_qos_map(intent)
    cfg["QUEUE"] = _queues(policy, ports, facts)
    cfg["PFC_WD"] = _pfc_wd(intent)
    cfg["CABLE_LENGTH"] = {CABLE_LENGTH_KEY: {p.name: f"{p.cable_m}m" for p in ports}}
    cfg["PORT"] = {p.name: {"mtu": str(p.mtu)} for p in ports}
    groups = [g for g in FLEX_COUNTER_GROUPS if g != WRED_ECN_GROUP or _has_wred_ecn_group(facts)]
    cfg["FLEX_COUNTER_TABLE"] = {g: {"FLEX_COUNTER_STATUS": "enable"} for g in groups}
    wd = "enable" if policy.pfc.watchdog.enabled else "disable"
    cfg["DEVICE_METADATA"] = {"localhost": {"default_pfcwd_status": wd}}
    cfg[SWITCH_HASH] = render_switch_hash(policy.load_balancing)  # only what the policy names (issue 17)
    return {table: entries for table, entries in cfg.items() if entries}


def _has_wred_ecn_group(facts: DeviceFacts | None) -> bool:
    return facts is None or facts.caps.flex_wred_ecn_queue.allowed


DEVICE_WRED = "AZURE_LOSSLESS"  # the lossless WRED profile every community QoS render has
GREEN = ("green_min_threshold", "green_max_threshold", "green_drop_probability")


def tunes_device_wred(facts: DeviceFacts | None) -> bool:
    """202305-202505 GCU refuses creating WRED profiles but lets it replace the green thresholds of
    AZURE_LOSSLESS (202505: of any profile): then the agent tunes that profile instead of adding its own.
    Without policers every packet is green, so the green thresholds are the ones that mark."""
    return facts is not None and not facts.caps.wred_profile_create.allowed


def wred_name(cls: TrafficClass, facts: DeviceFacts | None = None) -> str:
    return DEVICE_WRED if tunes_device_wred(facts) else f"ROCE_ECN_{cls.priority}"


def scheduler_name(cls: TrafficClass) -> str:
    return f"ROCE_{cls.name}"[:32]


def _maps(policy: Policy, ports: list[PortIntent]) -> ConfigDb:
    """The maps are one per switch: a lossless priority of any port (a per-link lossless profile on a
    lossy switch included) maps to its own PG; on a port without PFC that PG simply has no lossless
    profile, as in every community render."""
    lossless = set(policy.lossless_priorities).union(*(p.lossless_priorities for p in ports))
    identity = {str(i): str(i) for i in range(8)}
    maps: ConfigDb = {
        "TC_TO_PRIORITY_GROUP_MAP": {MAP_NAME: {str(tc): str(tc if tc in lossless else 0) for tc in range(8)}},
        "TC_TO_QUEUE_MAP": {MAP_NAME: dict(identity)},
        "MAP_PFC_PRIORITY_TO_QUEUE": {MAP_NAME: dict(identity)},
    }
    if policy.trust is Trust.dscp:
        maps["DSCP_TO_TC_MAP"] = {MAP_NAME: {str(d): str(p) for d, p in policy.dscp_to_priority().items()}}
    else:
        maps["DOT1P_TO_TC_MAP"] = {MAP_NAME: {str(pcp): str(p) for pcp, p in _pcp_to_priority(policy).items()}}
    return maps


def _pcp_to_priority(policy: Policy) -> dict[int, int]:
    """All 8 PCP values; unlisted ones keep their own value (802.1p identity is the usual default)."""
    table = {pcp: pcp for pcp in range(8)}
    for cls in policy.classes:
        for pcp in cls.pcp:
            table[pcp] = cls.priority
    return table


def _wred_profiles(policy: Policy, facts: DeviceFacts | None) -> dict[str, dict[str, str]]:
    """One WRED profile per ECN class, marking (never dropping-only) at the policy's byte thresholds.

    All three colours get the same thresholds: without policers every packet is green, but a stray
    colour must not fall back to tail drop on a lossless queue. Where GCU only lets the device's own
    profile be tuned (tunes_device_wred), only its green fields are rendered.
    """
    out: dict[str, dict[str, str]] = {}
    for cls in policy.classes:
        if cls.ecn is None:
            continue
        if tunes_device_wred(facts):
            values = (cls.ecn.min_threshold, cls.ecn.max_threshold, cls.ecn.probability)
            out.setdefault(DEVICE_WRED, {f: str(v) for f, v in zip(GREEN, values, strict=True)})
            continue
        entry = {"ecn": "ecn_all"}
        for colour in ("green", "yellow", "red"):
            entry[f"wred_{colour}_enable"] = "true"
            entry[f"{colour}_min_threshold"] = str(cls.ecn.min_threshold)
            entry[f"{colour}_max_threshold"] = str(cls.ecn.max_threshold)
            entry[f"{colour}_drop_probability"] = str(cls.ecn.probability)
        out[wred_name(cls)] = entry
    return out


def _schedulers(policy: Policy) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for cls in policy.classes:
        if cls.scheduling.type is SchedulingType.strict:
            out[scheduler_name(cls)] = {"type": "STRICT"}
        else:
            out[scheduler_name(cls)] = {"type": "DWRR", "weight": str(cls.scheduling.weight or 1)}
    return out


def _class_for_priority(policy: Policy, priority: int) -> TrafficClass:
    return next((c for c in policy.classes if c.priority == priority), policy.default_class)


def _prio_list(priorities: tuple[int, ...]) -> str:
    return ",".join(str(p) for p in sorted(priorities))


def _port_qos_map(intent: DeviceIntent) -> dict[str, dict[str, str]]:
    policy = intent.policy
    trust_field = "dscp_to_tc_map" if policy.trust is Trust.dscp else "dot1p_to_tc_map"
    out: dict[str, dict[str, str]] = {}
    if policy.trust is Trust.dscp:
        out[QOS_GLOBAL] = {"dscp_to_tc_map": MAP_NAME}
    for p in intent.ports.values():
        prios = _prio_list(p.lossless_priorities)
        entry = {
            trust_field: MAP_NAME,
            "tc_to_pg_map": MAP_NAME,
            "tc_to_queue_map": MAP_NAME,
            "pfc_to_queue_map": MAP_NAME,
        }
        if prios:  # an owned field left out is removed from the device: no "" (refused by older YANG)
            entry["pfc_enable"] = prios
            if intent.policy_of(p).pfc.watchdog.enabled:  # the port's profile: a per-link one may differ
                entry["pfcwd_sw_enable"] = prios
        out[p.name] = entry
    return out


def _queues(policy: Policy, ports: list[PortIntent], facts: DeviceFacts | None) -> dict[str, dict[str, str]]:
    """Every queue of every rendered port: its class's scheduler, and a WRED profile iff ECN is on."""
    out: dict[str, dict[str, str]] = {}
    queues = QUEUES_PER_PORT + (1 if any(c.priority == QUEUES_PER_PORT for c in policy.classes) else 0)
    for p in ports:
        for q in range(queues):
            cls = _class_for_priority(policy, q)
            entry = {"scheduler": scheduler_name(cls)}
            if cls.ecn is not None:
                entry["wred_profile"] = wred_name(cls, facts)
            out[f"{p.name}|{q}"] = entry
    return out


def _pfc_wd(intent: DeviceIntent) -> dict[str, dict[str, str]]:
    """PFC watchdog timers per lossless port, from the port's profile; an empty entry means "remove the
    agent's timers". The poll interval is per switch (a per-link profile must share it)."""
    out: dict[str, dict[str, str]] = {PFC_WD_GLOBAL: {"POLL_INTERVAL": str(intent.policy.pfc.watchdog.poll_interval)}}
    for p in intent.ports.values():
        wd = intent.policy_of(p).pfc.watchdog
        if wd.enabled and p.lossless_priorities:
            out[p.name] = {
                "action": wd.action.value,
                "detection_time": str(wd.detection_time),
                "restoration_time": str(wd.restoration_time),
            }
        else:
            out[p.name] = {}
    return out
