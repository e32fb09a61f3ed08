"""NCCL on the hosts (/etc/nccl.conf against the policy's `nccl:` section) and the RoCE source-port
entropy the host gives ECMP (issue 17's host side).

They run only for hosts whose profile has an `nccl:` section: without one the file is not the agent's.
Values are judged the way NCCL reads them (agent.policy.nccl): the first line of a key wins, integers
go through strtoll base 0, an unset key is NCCL's default (TC 0, one QP per connection).
"""

from __future__ import annotations

from collections.abc import Iterator

from agent.checks.context import DeviceCtx, finding
from agent.checks.finding import Finding, Severity
from agent.checks.registry import check
from agent.policy.nccl import GIDS_READ, KEY_GID, KEY_QPS, KEY_TC, Nccl, best_gid, nccl_int, usable
from agent.state import GidState, NcclConfState

CONF = "/etc/nccl.conf"
SPORT_KERNEL = (5, 8)  # "RDMA/mlx5: Define RoCEv2 udp source port when set path" (merged for Linux 5.8)


def _conf(ctx: DeviceCtx) -> tuple[Nccl, NcclConfState] | None:
    nccl = ctx.intent.policy.nccl
    if nccl is None or ctx.state.nccl is None:
        return None
    return nccl, ctx.state.nccl


def _set_line(key: str, value: object) -> str:
    return f"set `{key}={value}` in {CONF} (roce-agent apply writes it)"


@check(
    "HOST-NCCL-001",
    "NCCL_IB_TC carries the policy's RoCE ToS",
    scope="host",
    tags=("nccl", "dscp"),
    explanation="""NCCL sets the GRH traffic class of its queue pairs from NCCL_IB_TC (default 0); on RoCE
    v2 that byte is the IP ToS, DSCP << 2 | ECN, and mlx5 programs ecn_dscp = tc >> 2. The DSCP must be
    the RoCE class's (DSCP 26 -> ToS 106 with ECT(0)), or every NCCL flow rides another priority than
    the one the fabric keeps lossless (or ECN-marked). A value with the right DSCP but other ECN bits is
    a warning: mlx5 marks ECT itself when the reaction point is on.""",
)
def nccl_tc(ctx: DeviceCtx) -> Iterator[Finding]:
    found = _conf(ctx)
    want = ctx.intent.policy.nccl_tc()
    if found is None or want is None:
        return
    _nccl, conf = found
    raw = conf.settings.get(KEY_TC)
    have = nccl_int(raw)
    tc = 0 if have is None or have < 0 else have  # NCCL: -1/unset -> NCCL_IB_TC_DEFAULT 0
    if tc == want:
        return
    severity = Severity.warning if tc >> 2 == want >> 2 else Severity.error
    shown = "unset (NCCL uses 0: DSCP 0)" if raw is None else f"{raw} (DSCP {tc >> 2}, ECN bits {tc & 3})"
    yield finding(
        "HOST-NCCL-001",
        ctx.name,
        expected=f"{KEY_TC}={want} (DSCP {want >> 2}, ECN bits {want & 3})",
        actual=f"{KEY_TC} {shown}",
        remediation=_set_line(KEY_TC, want),
        severity=severity,
    )


def _gid_problem(gid: GidState | None, index: int, family: str, ifname: str) -> str | None:
    if gid is None:
        return f"index {index} is an empty entry of the GID table"
    if gid.type != "RoCE v2":
        return f"index {index} is {gid.type} ({gid.gid}): RoCE v1 has no IP/UDP header, ECMP cannot hash it"
    if gid.link_local:
        return f"index {index} is the link-local {gid.gid}: not routable beyond the leaf"
    if gid.family != family:
        return f"index {index} is an {gid.family} GID ({gid.gid}) but the policy says {family}"
    if not usable(gid, family, ifname):
        return f"index {index} belongs to {gid.ndev}, not {ifname}"
    return None


@check(
    "HOST-NCCL-002",
    "NCCL_IB_GID_INDEX points at a RoCE v2 GID of the RDMA port",
    scope="host",
    tags=("nccl", "rdma"),
    explanation="""The GID index picks RoCE v1 or v2 and the address NCCL's packets carry. It must be a
    populated RoCE v2 entry of every back-end RDMA port's table (/sys/class/infiniband/DEV/ports/1/
    gid_attrs/types/N = "RoCE v2"), of the policy's address family, not link-local, on the port's
    netdev (or a VLAN on it); the finding names the right index. Unset means NCCL's own choice: since
    2.21 the lowest RoCE v2 GID of NCCL_IB_ADDR_FAMILY, before that index 0 (RoCE v1, link-local). Only
    entries 0..63 are read: a higher index is reported as unverified (warning). A `gid_index` the policy
    pins must also be the file's value.""",
)
def nccl_gid_index(ctx: DeviceCtx) -> Iterator[Finding]:
    found = _conf(ctx)
    if found is None:
        return
    nccl, conf = found
    raw = conf.settings.get(KEY_GID)
    index = nccl_int(raw)
    for port, nic in ctx.roce_nics(bound=True):
        if nic.gids is None:
            continue
        right = best_gid(nic.gids, nccl.address_family, port.name)
        right_text = f"index {right.index} ({right.gid})" if right else f"none: no RoCE v2 {nccl.address_family} GID"
        problem: str | None
        pinned = nccl.gid_index if nccl.gid_index != "auto" else None
        if pinned is not None and index != pinned:
            problem, severity = f"the policy pins index {pinned}", Severity.error
        elif index is None or index < 0:
            problem, severity = "unset: NCCL < 2.21 uses index 0 (RoCE v1 link-local)", Severity.warning
        elif index >= GIDS_READ:
            problem, severity = f"index {index} is beyond the {GIDS_READ} entries read: unverified", Severity.warning
        else:
            gid = next((g for g in nic.gids if g.index == index), None)
            problem, severity = _gid_problem(gid, index, nccl.address_family, port.name), Severity.error
        if problem is None:
            continue
        fix = pinned if pinned is not None else right.index if right is not None else None
        yield finding(
            "HOST-NCCL-002",
            ctx.name,
            port=port.name,
            expected=f"RoCE v2 {nccl.address_family} GID of {nic.rdma_device}: {right_text}",
            actual=f"{KEY_GID} {raw if raw is not None else '<unset>'}: {problem}",
            remediation=_set_line(KEY_GID, fix) if fix is not None else "give the netdev an address of the family",
            severity=severity,
        )


@check(
    "HOST-NCCL-003",
    "NCCL_IB_QPS_PER_CONNECTION at least the policy's minimum (ECMP entropy)",
    scope="host",
    tags=("nccl", "hash"),
    explanation="""Each queue pair has its own RoCE UDP source port, the only field that tells ECMP the
    flows of one connection apart (destination port is always 4791). With NCCL's default of one QP per
    connection a ring all-reduce offers the fabric one flow per neighbour, and a hash can at best spread
    connections, never the bytes of one. The policy's nccl.min_qps_per_connection (else the
    qps_per_connection it writes) is the floor; a value the policy writes must also be exact.""",
)
def nccl_qps(ctx: DeviceCtx) -> Iterator[Finding]:
    found = _conf(ctx)
    if found is None:
        return
    nccl, conf = found
    raw = conf.settings.get(KEY_QPS)
    have = nccl_int(raw)
    qps = 1 if have is None or have < 1 else have  # NCCL's default
    low, exact = nccl.minimum_qps, nccl.qps_per_connection
    if (low is None or qps >= low) and (exact is None or qps == exact):
        return
    want = exact if exact is not None else low
    yield finding(
        "HOST-NCCL-003",
        ctx.name,
        expected=f"{KEY_QPS}={exact}" if exact is not None else f"{KEY_QPS} >= {low}",
        actual=f"{KEY_QPS} {raw if raw is not None else '<unset> (NCCL uses 1)'}",
        remediation=_set_line(KEY_QPS, want),
    )


@check(
    "HOST-NCCL-004",
    "The NCCL settings the policy pins, and no line NCCL ignores",
    scope="host",
    tags=("nccl", "config"),
    explanation="""nccl.settings pins other NCCL_* keys: each must have its value. NCCL reads only the
    first line of a key (setenv without overwrite) and takes the key verbatim up to the `=`, so a later
    duplicate or a `NCCL_X = 1` line (a variable named "NCCL_X ") is silently ignored: reported as a
    warning, the operator believes a setting NCCL never sees.""",
)
def nccl_settings(ctx: DeviceCtx) -> Iterator[Finding]:
    found = _conf(ctx)
    if found is None:
        return
    nccl, conf = found
    for key, want in sorted(nccl.settings.items()):
        if conf.settings.get(key) != want:
            yield finding(
                "HOST-NCCL-004",
                ctx.name,
                expected=f"{key}={want}",
                actual=f"{key} {conf.settings.get(key, '<unset>')}",
                remediation=_set_line(key, want),
            )
    ignored = [f"{k}={v}" for k, values in sorted(conf.shadowed.items()) for v in values] + conf.malformed
    if ignored:
        yield finding(
            "HOST-NCCL-004",
            ctx.name,
            expected="every NCCL line read by NCCL",
            actual=f"ignored by NCCL: {'; '.join(ignored)}",
            remediation=f"remove the duplicate / malformed lines from {CONF} (apply drops those of managed keys)",
            severity=Severity.warning,
        )


def _kernel(release: str | None) -> tuple[int, int] | None:
    parts = (release or "").split("-")[0].split(".")
    if len(parts) < 2 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    return int(parts[0]), int(parts[1])


@check(
    "HOST-LB-001",
    "The NIC derives each queue pair's RoCE source port from the QP pair (entropy for ECMP)",
    scope="host",
    tags=("hash", "rdma"),
    severity=Severity.warning,
    explanation="""RoCE v2's UDP source port is the entropy ECMP and LAG hash on. Since Linux 5.8 mlx5
    sets it per connected QP from the GRH flow label (rdma_get_udp_sport): NCCL leaves the flow label 0,
    so the kernel computes it from the two QP numbers (rdma_calc_flow_label: lqpn * rqpn folded to 20
    bits) and folds that to 14 bits, a port in 49152..65535: distinct QP pairs, distinct ports. What a
    host exposes is only the inputs: the driver and `uname -r` (checked here); neither the flow label nor
    a QP's port is readable from userspace (`rdma resource show qp` lists the QP numbers of live QPs).
    Older kernels leave the port to the firmware; other drivers are not modelled (info). MLNX_OFED
    backports driver changes, so on an OFED host an older kernel release is a hint, not proof. Runs for
    hosts whose profile has an `nccl:` section.""",
)
def roce_sport_entropy(ctx: DeviceCtx) -> Iterator[Finding]:
    if ctx.intent.policy.nccl is None:
        return
    kernel = _kernel(ctx.state.os_version)
    for port, nic in ctx.roce_nics(bound=True):
        if nic.driver != "mlx5_core":
            yield finding(
                "HOST-LB-001",
                ctx.name,
                port=port.name,
                expected="a driver whose RoCE source-port choice is modelled (mlx5_core)",
                actual=f"driver {nic.driver or 'unknown'}: source-port entropy not verified",
                remediation="check the vendor's RoCE UDP source-port behaviour; FAB-LB-005 models random ports",
                severity=Severity.info,
            )
        elif kernel is not None and kernel < SPORT_KERNEL:
            yield finding(
                "HOST-LB-001",
                ctx.name,
                port=port.name,
                expected=f"Linux >= {SPORT_KERNEL[0]}.{SPORT_KERNEL[1]}: source port per QP pair (rdma_get_udp_sport)",
                actual=f"kernel {ctx.state.os_version}: the firmware picks the source port",
                remediation="run a kernel >= 5.8 (or an MLNX_OFED with the change) so ECMP sees per-QP entropy",
            )
