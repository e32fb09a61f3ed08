"""Waiting out a link flap (mlx5 toggles the port when the PFC mask changes).

Over SSH the wait is a step of the change line itself (`LinkWait`, agent.platforms.linux_rdma.chain):
`sh -c` on the host reads the netdev's `operstate` and the RDMA port's `state` from sysfs, sleeps one
poll interval while either is down, and exits as soon as both are back (or fails after the timeout),
so the writes after a PFC change run only once the link is up, without a round trip per poll. Locally,
a `LinkWaiter` (pyroute2 link events) reports the netdev coming back without polling; the RDMA port,
which pyroute2 cannot see, is still checked with `rdma`, polled (`wait_for_link`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from agent.platforms.linux_rdma import commands as C
from agent.platforms.linux_rdma import parse as P
from agent.platforms.linux_rdma.batch import HostShell, Section

if TYPE_CHECKING:
    from agent.platforms.linux_rdma.apply import ApplySettings


class LinkWaiter(Protocol):
    def wait_netdev_up(self, ifname: str, timeout: float) -> bool:
        """True once `ifname` is operationally up (immediately if it already is), False on timeout."""
        ...


@runtime_checkable
class LinkEvents(Protocol):
    """A shell that hears link events itself (LocalRunner: pyroute2), so a flap is not polled for."""

    link_waiter: LinkWaiter


@dataclass
class LinkResult:
    netdev_up: bool
    rdma_active: bool | None  # None: no RDMA port to wait for
    seconds: float
    how: str  # "pyroute2 link events" | "polling"

    @property
    def up(self) -> bool:
        return self.netdev_up and self.rdma_active is not False

    def describe(self) -> str:
        netdev = "netdev UP" if self.netdev_up else "netdev still DOWN"
        rdma = ""
        if self.rdma_active is not None:
            rdma = ", RDMA port ACTIVE" if self.rdma_active else ", RDMA port not ACTIVE"
        return f"{netdev}{rdma} after {self.seconds:.1f}s ({self.how})"


MAX_CHECKS = 240  # a longer timeout polls less often, so the line stays short
DOWN = "down"  # what the host prints per interval it waited


@dataclass(frozen=True)
class LinkWait:
    """A change-line step: wait on the host until `ifname` is up and its RDMA port ("mlx5_0/1") ACTIVE."""

    ifname: str
    rdma: str | None
    timeout_s: float
    interval_s: float

    def checks(self) -> tuple[int, float]:
        """(intervals, seconds each): the poll interval, stretched so at most MAX_CHECKS fit the timeout."""
        interval = max(self.interval_s, self.timeout_s / MAX_CHECKS, 0.05)
        return max(1, math.ceil(self.timeout_s / interval)), interval

    def cmd(self) -> C.Cmd:
        """`T && exit 0 || echo down && sleep S` per interval, then `T` (its status is the step's)."""
        test = f"grep -q ^up /sys/class/net/{C.check_ifname(self.ifname)}/operstate"
        port = _rdma_port(self.rdma)
        if port:
            test += f" && grep -q ACTIVE /sys/class/infiniband/{port[0]}/ports/{port[1]}/state"
        count, interval = self.checks()
        once = f"{test} && exit 0 || echo {DOWN} && sleep {interval:.2f}"
        return C.Cmd(("sh", "-c", "; ".join([once] * count + [test])))

    def result(self, output: str, rc: int, netdev_up: bool, rdma_active: bool | None) -> LinkResult:
        """What the host's wait printed (one `down` per interval) and the re-read after it, as a LinkResult."""
        waited = sum(1 for line in output.splitlines() if line.strip() == DOWN) * self.checks()[1]
        if rc == 0:
            netdev_up, rdma_active = True, (True if rdma_active is not None else None)
        return LinkResult(netdev_up, rdma_active, waited, "polled on the host")


def wait_for_link(
    shell: HostShell, ifname: str, rdma: str | None, settings: ApplySettings, waiter: LinkWaiter | None
) -> LinkResult:
    clock = settings.clock
    start = clock()
    deadline = start + settings.link_timeout_s
    how = "polling"
    if waiter is not None:
        how = "pyroute2 link events"
        if not waiter.wait_netdev_up(ifname, settings.link_timeout_s):
            return LinkResult(False, None, clock() - start, how)
    batch: list[tuple[str, C.Cmd]] = [("link", C.ip_link_show(ifname))]
    port = _rdma_port(rdma)
    if port:
        batch.append(("rdma", C.rdma_link_show(*port)))
    while True:
        sections = shell.batch(batch)
        netdev_up, rdma_active = _states(shell.device, sections, ifname, port is not None)
        if (netdev_up and rdma_active is not False) or clock() >= deadline:
            return LinkResult(netdev_up, rdma_active, clock() - start, how)
        settings.sleep(settings.poll_interval_s)


def _rdma_port(rdma: str | None) -> tuple[str, int] | None:
    if not rdma:
        return None
    m = re.match(r"^(.+)/(\d+)$", rdma)
    if not m:
        return None
    return C.check_rdma_dev(m.group(1)), int(m.group(2))


def _states(device: str, sections: dict[str, Section], ifname: str, want_rdma: bool) -> tuple[bool, bool | None]:
    link = sections["link"]
    netdev_up = False
    if link.ok:
        links = P.parse_ip_links(P.load_json(device, "ip -j link show", link.output), device, "ip")
        netdev_up = ifname in links and links[ifname].operstate == "UP"
    if not want_rdma:
        return netdev_up, None
    sec = sections["rdma"]
    if not sec.ok:
        return netdev_up, False
    ports = P.parse_rdma_links(P.load_json(device, "rdma -j link show", sec.output), device, "rdma")
    return netdev_up, any(p.state == "ACTIVE" for p in ports)
