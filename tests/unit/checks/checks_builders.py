"""Builders for check tests: a compliant ("golden") fabric from a policy and a links file.

The golden states are what a correctly configured SONiC switch and mlx5 host report for the test policy
(values from sonic.md §1.4/§1.7 and host-nic.md §7). Test cases then change one field with a JSON
Patch and assert the finding it must produce.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonpatch
import yaml

from agent.intent import DeviceIntent, InventoryDevice, build_intents
from agent.loadbalancing.tiers import levels
from agent.policy.loader import load_policy
from agent.policy.model import Policy
from agent.state import (
    BufferProfileState,
    DeviceKind,
    DeviceState,
    EcnState,
    GidState,
    LoadBalancingState,
    NcclConfState,
    NicState,
    PortCounters,
    PortState,
    PriorityGroupState,
    QueueState,
    SchedulerState,
    TrustMode,
    WatchdogState,
)
from agent.topology.model import Endpoint, Link, Topology

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "checks"
POOL = 33_554_432  # ingress_lossless_pool (32 MiB)
HEADROOM = {5: (81_920, 100_352), 40: (102_400, 120_832), 300: (248_832, 267_264)}  # 400G sonic-vs xoff/size


def policy() -> Policy:
    return load_policy(FIXTURES / "policy.yaml")


def topology(name: str = "links_lab.yaml") -> Topology:
    doc = yaml.safe_load((FIXTURES / name).read_text())
    links = [
        Link(
            Endpoint.parse(d["a"]),
            Endpoint.parse(d["b"]),
            role=d.get("role", "fabric"),
            network=d.get("network", "backend"),
        )
        for d in doc["links"]
    ]
    kinds = {e.device: ("host" if e.device.startswith("host") else "switch") for lk in links for e in lk.ends()}
    return Topology(links=links, kinds=kinds)


def intents(pol: Policy, topo: Topology) -> dict[str, DeviceIntent]:
    host_facing = {e.device for lk in topo.links if lk.role == "host" for e in lk.ends()}
    devices = []
    for name, kind in sorted(topo.kinds.items()):
        is_host = kind == "host"
        role = "rdma-host" if is_host else ("leaf" if name in host_facing else "spine")
        devices.append(
            InventoryDevice(
                name,
                DeviceKind.host if is_host else DeviceKind.switch,
                "linux-rdma" if is_host else "sonic",
                role=role,
                default_speed_mbps=400_000,
            )
        )
    return build_intents(devices, pol, topo)


def switch_port(name: str, pol: Policy, cable: int, mtu: int, lossless: tuple[int, ...]) -> PortState:
    xoff, size = HEADROOM[cable]
    profile = f"pg_lossless_400000_{cable}m_profile"
    queues = {q: QueueState(index=q) for q in range(8)}
    for cls in pol.classes:
        sched = cls.scheduling
        queues[cls.priority].scheduler = SchedulerState(
            name=f"scheduler.{cls.name}", type=sched.type.value, weight=sched.weight
        )
        if cls.ecn is not None:
            queues[cls.priority].ecn = EcnState(
                profile="ROCE_LOSSLESS",
                enabled=True,
                min_threshold=cls.ecn.min_threshold,
                max_threshold=cls.ecn.max_threshold,
                probability=cls.ecn.probability,
                mode="ecn_all",
            )
        if cls.lossless:
            queues[cls.priority].watchdog_status = "operational"
    pgs = [
        PriorityGroupState(
            key="0",
            priorities=[0],
            configured_profile="ingress_lossy_profile",
            programmed=BufferProfileState(name="ingress_lossy_profile", pool="ingress_lossless_pool", size=0),
        )
    ] + [
        PriorityGroupState(
            key=str(p),
            priorities=[p],
            configured_profile=profile,
            programmed=BufferProfileState(
                name=profile, pool="ingress_lossless_pool", size=size, xon=18_432, xoff=xoff, dynamic_th=-3
            ),
        )
        for p in lossless
    ]
    return PortState(
        name=name,
        admin_up=True,
        oper_up=True,
        speed_mbps=400_000,
        mtu=mtu,
        cable_m=cable,
        trust=TrustMode.dscp,
        dscp_to_priority=pol.dscp_to_priority(),
        priority_to_pg={p: (p if p in lossless else 0) for p in range(8)},
        priority_to_queue={p: p for p in range(8)},
        pfc_priority_to_queue={p: p for p in range(8)},
        lossless_priorities=list(lossless),
        pfc_asym=False,
        priority_groups=pgs,
        queues=queues,
        watchdog=WatchdogState(
            present=True, action="drop", detection_time=200, restoration_time=200, priorities=list(lossless)
        ),
        counters=PortCounters(),
    )


def host_port(name: str, pol: Policy, cable: int, mtu: int, lossless: tuple[int, ...]) -> PortState:
    cnp = pol.cnp_class
    assert cnp is not None
    app = {d: c.priority for c in pol.classes if c.lossless or c.cnp for d in c.dscp}
    queues = {tc: QueueState(index=tc, scheduler=SchedulerState(type="ets", weight=0)) for tc in range(8)}
    for cls in pol.classes:
        kind = "strict" if cls.scheduling.type.value == "strict" else "ets"
        queues[cls.priority].scheduler = SchedulerState(type=kind, weight=cls.scheduling.weight)
    nic = NicState(
        driver="mlx5_core",
        dcb_supported=True,
        dcbx_owner="host",
        pfc_delay=cable,
        pfc_cap=8,
        buffer_size={0: 130_944, 1: 130_944},
        prio_buffer={p: (1 if p in lossless else 0) for p in range(8)},
        ecn_np=dict.fromkeys(pol.ecn_notification_priorities, True),  # lossless, or lossy's RoCE priority
        ecn_rp=dict.fromkeys(pol.ecn_reaction_priorities, True),
        cnp_dscp=cnp.dscp[0],
        cnp_priority=cnp.priority,
        dcqcn={f"{pt}/{k}": v for pt, vals in pol.host.dcqcn.files().items() for k, v in vals.items()},
        roce_tos=pol.roce_tos(),
        roce_mode="RoCE v2",
        rdma_device="mlx5_0",
        rdma_state="ACTIVE",
        rdma_physical_state="LINK_UP",
        global_pause_rx=False,
        global_pause_tx=False,
        tcp_ecn=1,
    )
    return PortState(
        name=name,
        admin_up=True,
        oper_up=True,
        speed_mbps=400_000,
        mtu=mtu,
        trust=TrustMode.dscp,
        dscp_to_priority=app,
        priority_to_queue={p: p for p in range(8)},
        lossless_priorities=list(lossless),
        queues=queues,
        counters=PortCounters(),
        nic=nic,
    )


#: A fresh mlx5 port's populated GID table (show_gids layout): fe80:: and one IPv4, each RoCE v1 then v2.
GOLDEN_GIDS = [
    ("fe80:0000:0000:0000:bace:f6ff:fe00:0001", "IB/RoCE v1"),
    ("fe80:0000:0000:0000:bace:f6ff:fe00:0001", "RoCE v2"),
    ("0000:0000:0000:0000:0000:ffff:0ac8:000b", "IB/RoCE v1"),
    ("0000:0000:0000:0000:0000:ffff:0ac8:000b", "RoCE v2"),
]


def golden_nccl(pol: Policy) -> NcclConfState | None:
    """/etc/nccl.conf after `apply` with the test policy: its ToS, GID index 3 (the RoCE v2 IPv4 one)."""
    if pol.nccl is None:
        return None
    settings = {"NCCL_IB_TC": str(pol.nccl_tc()), "NCCL_IB_GID_INDEX": "3"}
    if pol.nccl.qps_per_connection is not None:
        settings["NCCL_IB_QPS_PER_CONNECTION"] = str(pol.nccl.qps_per_connection)
    settings.update(pol.nccl.settings)
    return NcclConfState(present=True, settings=settings)


def golden_state(intent: DeviceIntent) -> DeviceState:
    pol = intent.policy
    build = switch_port if intent.kind is DeviceKind.switch else host_port
    ports = {n: build(n, pol, pi.cable_m, pi.mtu, pi.lossless_priorities) for n, pi in intent.ports.items()}
    for n, pi in intent.ports.items():
        nic = ports[n].nic
        if pi.network != "backend" and nic is not None:  # a front-end NIC: RoCE disabled, no RDMA device
            ports[n] = ports[n].model_copy(
                update={"nic": nic.model_copy(update={"rdma_device": None, "rdma_state": None})}
            )
        elif nic is not None:
            gids = [GidState(index=i, type=t, gid=g, ndev=n) for i, (g, t) in enumerate(GOLDEN_GIDS)]
            ports[n] = ports[n].model_copy(update={"nic": nic.model_copy(update={"gids": gids})})
    if intent.kind is DeviceKind.host:
        return DeviceState(
            name=intent.name,
            kind=intent.kind,
            platform="linux-rdma",
            ports=ports,
            os_version="6.1.0-28-amd64",
            nccl=golden_nccl(pol),
        )
    return DeviceState(
        name=intent.name,
        kind=intent.kind,
        platform="sonic",
        ports=ports,
        buffer_model="traditional",
        buffer_pool_sizes={"ingress_lossless_pool": POOL},
        watchdog_poll_interval=pol.pfc.watchdog.poll_interval,
        default_pfcwd_status="enable",
        config_saved=True,
    )


#: A RoCE-ready hash per tier level, with the seeds SONiC's switch.json.j2 gives the device type
#: (LeafRouter 10 with offset 10, SpineRouter 25, LowerRegionalHub 60: three distinct seeds).
GOLDEN_HASH = ["SRC_IP", "DST_IP", "L4_SRC_PORT", "L4_DST_PORT", "IP_PROTOCOL"]
GOLDEN_TIERS = {0: ("LeafRouter", 10, 10), 1: ("SpineRouter", 25, 0), 2: ("LowerRegionalHub", 60, 0)}


def golden_load_balancing(level: int) -> LoadBalancingState:
    device_type, seed, offset = GOLDEN_TIERS[level]
    return LoadBalancingState(
        ecmp_hash=list(GOLDEN_HASH),
        lag_hash=list(GOLDEN_HASH),
        ecmp_hash_algorithm="CRC",
        lag_hash_algorithm="CRC",
        ecmp_hash_seed=seed,
        lag_hash_seed=seed,
        ecmp_hash_offset=offset,
        device_type=device_type,
        supported_fields=[*list(GOLDEN_HASH), "IN_PORT", "DST_MAC", "SRC_MAC"],
        supported_ecmp_algorithms=["CRC", "XOR", "RANDOM"],
    )


LOSSY = {"baseline": "nvidia-roce-lossy", "buffer_model": "traditional"}


def golden(
    links: str = "links_lab.yaml", lossy: bool = False
) -> tuple[dict[str, DeviceIntent], dict[str, DeviceState], Topology]:
    """The compliant fabric of the test policy, or (lossy) of NVUE's lossy baseline."""
    topo = topology(links)
    ints = intents(Policy.model_validate(LOSSY) if lossy else policy(), topo)
    states = {n: golden_state(i) for n, i in ints.items()}
    if lossy:
        for state in states.values():
            state.default_pfcwd_status = "disable" if state.platform == "sonic" else state.default_pfcwd_status
    for name, level in levels(topo).items():
        states[name].load_balancing = golden_load_balancing(level)
    return ints, states, topo


def patched(state: DeviceState, ops: list[dict[str, Any]]) -> DeviceState:
    """Apply RFC 6902 operations to the state's JSON form; paths look like /ports/Ethernet0/mtu."""
    doc = state.model_dump(mode="json")
    return DeviceState.model_validate(jsonpatch.apply_patch(doc, ops))


def load_cases(name: str) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = yaml.safe_load((FIXTURES / name).read_text())["cases"]
    return cases


def case_id(case: dict[str, Any]) -> str:
    return f"{case['check']}:{case['name']}"
