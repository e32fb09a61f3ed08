"""Read-only `mlnx_qos -i IF` (mlnx-tools `pretty_print`, reference §3.2). Setting options are refused:
the twin models the upstream path (`dcb`), and mlnx_qos would only be a second writer of the same state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rocelab.host.dcb_objects import TSA_NAMES
from rocelab.host.nic import DCBX_HOST, MLX5, PORT_BUFFER_TOTAL, SEL_DSCP, Nic

if TYPE_CHECKING:
    from rocelab.host.twin import HostTwin

_USAGE = "Usage: mlnx_qos -i <interface> [options]\n"


def run_mlnx_qos(twin: HostTwin, argv: list[str], *, root: bool) -> tuple[str, str, int]:
    if len(argv) < 2 or argv[0] not in ("-i", "--interface"):
        return "", _USAGE + "mlnx_qos: error: option -i is required\n", 2
    if len(argv) > 2:
        return "", "mlnx_qos: this host only supports showing the configuration (mlnx_qos -i IF)\n", 2
    nic = twin.nic(argv[1])
    if nic is None:
        return "", f"Interface {argv[1]} doesn't exist\n", 1
    if nic.driver != MLX5:
        return "", "Operation not supported\n", 1
    return _pretty(nic), "", 0


def _pretty(nic: Nic) -> str:
    lines = [f"DCBX mode: {'OS controlled' if nic.dcbx & DCBX_HOST else 'Firmware controlled'}"]
    lines.append(f"Priority trust state: {'dscp' if nic.trust_dscp else 'pcp'}")
    if nic.trust_dscp:
        lines.append("dscp2prio mapping:")
        for prio in range(8):
            dscps = sorted((a[1] for a in nic.apps if a[0] == SEL_DSCP and a[2] == prio), reverse=True)
            for start in range(0, len(dscps), 8):
                chunk = dscps[start : start + 8]
                lines.append(f"\tprio:{prio} dscp:" + "".join(f"{d:02d}," for d in chunk))
    prio_buffer, sizes = nic.current_buffer()
    lines.append(
        "Receive buffer size (bytes): " + "".join(f"{s}," for s in sizes) + f"max_buffer_size={PORT_BUFFER_TOTAL}"
    )
    lines.append(f"Cable len: {nic.pfc_delay}")
    lines.append("PFC configuration:")
    lines.append("\tpriority    " + "   ".join(str(p) for p in range(8)))
    lines.append("\tenabled     " + "   ".join("1" if nic.pfc_en & (1 << p) else "0" for p in range(8)))
    lines.append("\tbuffer      " + "   ".join(str(b) for b in prio_buffer))
    for tc in range(8):
        prios = [p for p in range(8) if nic.ets.prio_tc[p] == tc]
        if not prios:
            continue
        tsa = TSA_NAMES.get(nic.ets.tc_tsa[tc], "???")
        bw = f", bw: {nic.ets.tc_bw[tc]}%" if tsa == "ets" else ""
        lines.append(f"tc: {tc} ratelimit: unlimited, tsa: {tsa}{bw}")
        lines.extend(f"\t priority:  {p}" for p in prios)
    return "\n".join(lines) + "\n"
