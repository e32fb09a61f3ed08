"""The twin's `ethtool` 6.1: `-S` (driver counters), `-i`, `-a`/`-A` (global pause), `--version`, and the
plain link summary. `--json -S IF` fails like ethtool 6.1 does (reference §3.6).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rocelab.host import counters
from rocelab.host.nic import BNXT, MLX5, Nic

if TYPE_CHECKING:
    from rocelab.host.twin import HostTwin

_BAD_ARGS = "ethtool: bad command line argument(s)\nFor more information run ethtool -h\n"


def run_ethtool(twin: HostTwin, argv: list[str], *, root: bool) -> tuple[str, str, int]:
    if not argv:
        return "", _BAD_ARGS, 1
    if argv[0] == "--version":
        return "ethtool version 6.1\n", "", 0
    if argv[0] in ("--json", "-j"):
        return "", _BAD_ARGS, 1
    option, rest = (argv[0], argv[1:]) if argv[0].startswith("-") else ("", argv)
    if not rest:
        return "", _BAD_ARGS, 1
    nic = twin.nic(rest[0])
    if nic is None:
        return "", _no_device(option, rest[0]), 1 if option in ("", "-a", "-A") else 71
    if option in ("-S", "--statistics"):
        names = counters.ethtool_names(nic)
        lines = "".join(f"     {n}: {counters.ethtool_value(nic, n)}\n" for n in names)
        return "NIC statistics:\n" + lines, "", 0
    if option in ("-i", "--driver"):
        return _driver_info(twin, nic), "", 0
    if option in ("-a", "--show-pause"):
        return _pause(nic), "", 0
    if option in ("-A", "--pause"):
        return _set_pause(nic, rest[1:], root=root)
    if option == "":
        return _summary(twin, nic), "", 0
    return "", _BAD_ARGS, 1


def _no_device(option: str, dev: str) -> str:
    if option in ("-S", "--statistics"):
        return "Cannot get stats strings information: No such device\n"
    if option in ("-i", "--driver"):
        return "Cannot get driver information: No such device\n"
    return "netlink error: no device matches name (offset 24)\nnetlink error: No such device\n"


def _driver_info(twin: HostTwin, nic: Nic) -> str:
    if nic.driver == MLX5:
        driver, version, firmware, bus = "mlx5_core", twin.kernel_release, "28.39.1002 (MT_0000000838)", nic.pci
    elif nic.driver == BNXT:
        driver, version, firmware, bus = "bnxt_en", twin.kernel_release, "230.0.157.0/pkg 230.1.116.0", nic.pci
    else:
        driver, version, firmware, bus = "veth", "1.0", "", ""
    physical = nic.driver != "veth"
    yes_no = {True: "yes", False: "no"}
    return (
        f"driver: {driver}\nversion: {version}\nfirmware-version: {firmware}\nexpansion-rom-version: \n"
        f"bus-info: {bus}\nsupports-statistics: yes\nsupports-test: {yes_no[physical]}\n"
        f"supports-eeprom-access: no\nsupports-register-dump: {yes_no[nic.driver == BNXT]}\n"
        f"supports-priv-flags: {yes_no[physical]}\n"
    )


def _pause(nic: Nic) -> str:
    on = {True: "on", False: "off"}
    return (
        f"Pause parameters for {nic.netdev}:\nAutonegotiate:\toff\n"
        f"RX:\t\t{on[nic.pause_rx]}\nTX:\t\t{on[nic.pause_tx]}\n\n"
    )


def _set_pause(nic: Nic, args: list[str], *, root: bool) -> tuple[str, str, int]:
    if len(args) % 2 or not args:
        return "", _BAD_ARGS, 1
    wanted: dict[str, bool] = {}
    for key, value in zip(args[::2], args[1::2], strict=True):
        if key not in ("rx", "tx", "autoneg") or value not in ("on", "off"):
            return "", _BAD_ARGS, 1
        wanted[key] = value == "on"
    if not root:
        return "", "netlink error: Operation not permitted\n", 1
    if wanted.get("autoneg") or nic.driver == "veth":
        return "", "netlink error: Operation not supported\n", 1
    nic.pause_rx = wanted.get("rx", nic.pause_rx)
    nic.pause_tx = wanted.get("tx", nic.pause_tx)
    return "", "", 0


def _summary(twin: HostTwin, nic: Nic) -> str:
    up = twin.carrier(nic)
    speed = f"{nic.speed_mbps}Mb/s" if up else "Unknown!"
    return (
        f"Settings for {nic.netdev}:\n\tSpeed: {speed}\n\tDuplex: {'Full' if up else 'Unknown! (255)'}\n"
        f"\tAuto-negotiation: off\n\tPort: {'Direct Attach Copper' if nic.driver != 'veth' else 'Twisted Pair'}\n"
        f"\tLink detected: {'yes' if up else 'no'}\n"
    )
