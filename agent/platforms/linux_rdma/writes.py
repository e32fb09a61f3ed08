"""The steps of a host change line (agent.platforms.linux_rdma.chain) built from its operations, and
what a run of them says: which write failed and why, and how each mlx5 link flap went.

Step keys say where a step came from: `write:N:I` is command I of operation N, `wait:N` the link wait
after operation N (a PFC mask change on a link that was up: mlx5 toggles it), so a failure is named by
the operation that caused it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from agent.platforms.linux_rdma import parse as P
from agent.platforms.linux_rdma.batch import Section
from agent.platforms.linux_rdma.chain import ChainRun, MtuSet, Step
from agent.platforms.linux_rdma.linkwait import LinkResult, LinkWait
from agent.platforms.linux_rdma.native import HostNative
from agent.platforms.linux_rdma.ops import HostOperation, Mtu, Pfc

if TYPE_CHECKING:
    from agent.platforms.linux_rdma.apply import ApplySettings


@dataclass(frozen=True)
class Flap:
    """A link wait that ran: the PFC change that caused it, how it went, the event line for the outcome."""

    op: Pfc
    result: LinkResult
    event: str


def change_steps(
    ops: list[HostOperation], host: HostNative, settings: ApplySettings
) -> tuple[list[tuple[str, Step]], dict[str, LinkWait]]:
    """Every operation's commands in plan order, a link wait after each PFC change that flaps a link
    that is up now (a link already down has nothing to come back from)."""
    steps: list[tuple[str, Step]] = []
    waits: dict[str, LinkWait] = {}
    for n, op in enumerate(ops):
        if isinstance(op, Mtu):
            steps.append((f"write:{n}:0", MtuSet(op.interface, op.mtu)))
        else:
            steps += [(f"write:{n}:{i}", cmd) for i, cmd in enumerate(op.commands())]
        if isinstance(op, Pfc) and op.flaps_link and _link_up(host, op.interface):
            waits[f"wait:{n}"] = LinkWait(op.interface, op.rdma, settings.link_timeout_s, settings.poll_interval_s)
            steps.append((f"wait:{n}", waits[f"wait:{n}"]))
    return steps, waits


def flaps(
    run: ChainRun, ops: list[HostOperation], waits: dict[str, LinkWait], before: HostNative, after: HostNative
) -> list[Flap]:
    """The waits the line reached, judged by their own status and the re-read that followed them."""
    out: list[Flap] = []
    for key, wait in waits.items():
        sec = run.steps.get(key)
        op = ops[int(key.split(":")[1])]
        if sec is None or not isinstance(op, Pfc):
            continue
        result = run.links.get(key) or wait.result(sec.output, sec.rc, *_states(after, wait.ifname))
        was, now = _carrier(before, wait.ifname), _carrier(after, wait.ifname)
        changes = f"carrier changes +{now - was}" if was is not None and now is not None else "flap expected"
        out.append(Flap(op, result, f"link flap on {wait.ifname} (PFC mask change, {changes}): {result.describe()}"))
    return out


def write_error(ops: list[HostOperation], failed: list[tuple[str, Section]], host: HostNative) -> str:
    """What each failed write said, classified (`dcb` errors, a missing tool, a read-only file ...)."""
    parts = []
    for key, sec in failed:
        what, n, *rest = key.split(":")
        if what != "write":
            continue
        op = ops[int(n)]
        nic = host.nics.get(op.interface)
        commands = [MtuSet(op.interface, op.mtu).cmd()] if isinstance(op, Mtu) else op.commands()
        cmd = commands[int(rest[0]) if rest else 0]
        problem = P.classify(sec.output, sec.rc, command=" ".join(cmd.argv), interface=op.interface,
                             driver=nic.driver if nic else None)  # fmt: skip
        parts.append(f"{op.interface}: {op.summary}: {problem.message}")
    return "; ".join(parts)


def _link_up(host: HostNative, ifname: str) -> bool:
    nic = host.nics.get(ifname)
    return bool(nic and nic.link and nic.link.operstate == "UP")


def _states(host: HostNative, ifname: str) -> tuple[bool, bool | None]:
    nic = host.nics.get(ifname)
    if nic is None or nic.rdma is None:
        return _link_up(host, ifname), None
    return _link_up(host, ifname), nic.rdma.state == "ACTIVE"


def _carrier(host: HostNative, ifname: str) -> int | None:
    nic = host.nics.get(ifname)
    return nic.carrier_changes if nic else None
