"""The naive baseline: the same audit done the way ad-hoc scripts do it.

One Netmiko session per device (device type `linux`, host keys verified like ours), then one CLI command
per table, per port and per check, each a separate `send_command`:

* SONiC switch, per cabled port: `sonic-db-cli CONFIG_DB hgetall 'PORT|<port>'` (MTU, admin state),
  `... 'PORT_QOS_MAP|<port>'` (pfc_enable, maps, watchdog priorities), `... keys 'BUFFER_PG|<port>|*'`
  (lossless PGs), `... 'QUEUE|<port>|<prio>'` per lossless priority (WRED/ECN profile); once per
  switch: the DSCP_TO_TC map, `show pfc counters`, `pfcwd show config`, `ecnconfig -l`;
* RDMA host, per RDMA interface: `dcb -j pfc show dev`, `dcb -j app show dev`, `dcb -j ets show dev`,
  `ip -j link show dev`, the roce_np / roce_rp ECN sysfs files per lossless priority; once per host:
  `sysctl -n net.ipv4.tcp_ecn`, `rdma -j link show`.

Devices run in a thread pool of the same size as our Nornir runner. Host keys are verified against the
inventory's known_hosts; by default each connection gets the same per-device view of it that our runner
uses (`agent.transports.hostkeys`), so connection cost is equal and only the command pattern
differs. `--whole-known-hosts` hands Netmiko the whole file, as a plain script would: paramiko then
re-parses all N pins on every connection (quadratic), which is what both tools did before that fix.
The result is the same kind of verdict as `roce-agent audit`: per device pass/fail with the failed
items, exit 1 when a device fails.

    python -m benchmarks.naive_audit -i INVENTORY_DIR [--workers 32] [--whole-known-hosts] [--json]
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from netmiko import ConnectHandler

from agent.policy.loader import load_policy
from agent.policy.model import Policy
from agent.transports.hostkeys import pinned_keys_file


@dataclass(frozen=True)
class Expected:
    """What the scripts compare against, from the policy file."""

    lossless: tuple[int, ...]
    roce_dscp: dict[int, int]  # DSCP of a lossless or CNP class -> priority
    switch_mtu: int
    host_mtu: int
    tcp_ecn: int | None

    @classmethod
    def from_policy(cls, policy: Policy) -> Expected:
        dscps = {d: c.priority for c in policy.classes if c.lossless or c.cnp for d in c.dscp}
        return cls(policy.lossless_priorities, dscps, policy.mtu.switch, policy.mtu.host, policy.host.tcp_ecn)


@dataclass
class DeviceVerdict:
    device: str
    commands: int = 0
    failures: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and not self.failures


def _hgetall(conn: Any, key: str, verdict: DeviceVerdict) -> dict[str, str]:
    out = _send(conn, f"sonic-db-cli CONFIG_DB hgetall '{key}'", verdict).strip()
    try:
        value = ast.literal_eval(out) if out else {}
    except (ValueError, SyntaxError):
        return {}
    return value if isinstance(value, dict) else {}


def _send(conn: Any, command: str, verdict: DeviceVerdict) -> str:
    verdict.commands += 1
    return str(conn.send_command(command, read_timeout=30))


def _priorities(text: str) -> tuple[int, ...]:
    return tuple(sorted(int(p) for p in re.findall(r"\d+", text)))


def audit_switch(conn: Any, ports: list[str], exp: Expected, v: DeviceVerdict) -> None:
    lossless = tuple(sorted(exp.lossless))
    map_names: set[str] = set()
    for port in ports:
        port_row = _hgetall(conn, f"PORT|{port}", v)
        if port_row.get("mtu") != str(exp.switch_mtu):
            v.failures.append(f"{port}: mtu {port_row.get('mtu')} != {exp.switch_mtu}")
        if port_row.get("admin_status") != "up":
            v.failures.append(f"{port}: admin_status {port_row.get('admin_status')}")
        qos = _hgetall(conn, f"PORT_QOS_MAP|{port}", v)
        if _priorities(qos.get("pfc_enable", "")) != lossless:
            v.failures.append(f"{port}: pfc_enable {qos.get('pfc_enable')!r} != {lossless}")
        if _priorities(qos.get("pfcwd_sw_enable", "")) != lossless:
            v.failures.append(f"{port}: pfcwd_sw_enable {qos.get('pfcwd_sw_enable')!r} != {lossless}")
        if not qos.get("dscp_to_tc_map"):
            v.failures.append(f"{port}: no dscp_to_tc_map")
        map_names.add(qos.get("dscp_to_tc_map", ""))
        pgs = _send(conn, f"sonic-db-cli CONFIG_DB keys 'BUFFER_PG|{port}|*'", v)
        covered = {int(p) for key in pgs.split() for p in _pg_range(key.rsplit("|", 1)[-1])}
        if not set(lossless) <= covered:
            v.failures.append(f"{port}: no lossless PG for priorities {sorted(set(lossless) - covered)}")
        for prio in lossless:
            queue = _hgetall(conn, f"QUEUE|{port}|{prio}", v)
            if not queue.get("wred_profile"):
                v.failures.append(f"{port}: queue {prio} has no WRED/ECN profile")
    for name in sorted(map_names - {""}):
        dscp_map = _hgetall(conn, f"DSCP_TO_TC_MAP|{name}", v)
        for dscp, prio in exp.roce_dscp.items():
            if dscp_map.get(str(dscp)) != str(prio):
                v.failures.append(f"{name}: DSCP {dscp} -> TC {dscp_map.get(str(dscp))}, expected {prio}")
    _send(conn, "show pfc counters", v)
    watchdog = _send(conn, "pfcwd show config", v)
    for port in ports:
        if not re.search(rf"^\s*{re.escape(port)}\s+\w+", watchdog, re.M):
            v.failures.append(f"{port}: PFC watchdog not configured")
    if "ecn_all" not in _send(conn, "ecnconfig -l", v):
        v.failures.append("no WRED profile marks ECN (ecn_all)")


def _pg_range(text: str) -> range:
    low, _, high = text.partition("-")
    return range(int(low), int(high or low) + 1) if low.isdigit() and (high or low).isdigit() else range(0)


def audit_host(conn: Any, interfaces: list[str], exp: Expected, v: DeviceVerdict) -> None:
    for dev in interfaces:
        pfc = _json(_send(conn, f"dcb -j pfc show dev {dev}", v))
        enabled = tuple(i for i, on in enumerate(pfc.get("prio_pfc", [])) if on)
        if enabled != tuple(sorted(exp.lossless)):
            v.failures.append(f"{dev}: PFC on {enabled}, expected {exp.lossless}")
        app = _json(_send(conn, f"dcb -j app show dev {dev}", v))
        table = {int(d): int(p) for d, p in app.get("dscp_prio", [])}
        for dscp, prio in exp.roce_dscp.items():
            if table.get(dscp) != prio:
                v.failures.append(f"{dev}: dcb app DSCP {dscp} -> {table.get(dscp)}, expected {prio}")
        _send(conn, f"dcb -j ets show dev {dev}", v)
        link = _json(_send(conn, f"ip -j link show dev {dev}", v), first=True)
        if link.get("mtu") != exp.host_mtu:
            v.failures.append(f"{dev}: mtu {link.get('mtu')} != {exp.host_mtu}")
        for prio in exp.lossless:
            for point in ("roce_np", "roce_rp"):
                value = _send(conn, f"cat /sys/class/net/{dev}/ecn/{point}/enable/{prio}", v).strip()
                if value != "1":
                    v.failures.append(f"{dev}: {point} ECN off for priority {prio}")
    tcp_ecn = _send(conn, "sysctl -n net.ipv4.tcp_ecn", v).strip()
    if exp.tcp_ecn is not None and tcp_ecn != str(exp.tcp_ecn):
        v.failures.append(f"net.ipv4.tcp_ecn {tcp_ecn} != {exp.tcp_ecn}")
    links = _json(_send(conn, "rdma -j link show", v), listing=True)
    if not links or any(lk.get("state") != "ACTIVE" for lk in links):
        v.failures.append("an RDMA port is not ACTIVE")


def _json(text: str, *, first: bool = False, listing: bool = False) -> Any:
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if listing:
        return value if isinstance(value, list) else []
    if first:
        value = value[0] if isinstance(value, list) and value else {}
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class Target:
    name: str
    kind: str  # switch | host
    connect: dict[str, Any]
    ports: list[str]


def load_targets(inventory: Path, *, whole_known_hosts: bool = False) -> list[Target]:
    """hosts.yaml + links.yaml as a script reads them (plain YAML, no Nornir)."""
    hosts = yaml.safe_load((inventory / "hosts.yaml").read_text())
    defaults = yaml.safe_load((inventory / "defaults.yaml").read_text()) or {}
    links = yaml.safe_load((inventory / "links.yaml").read_text())["links"]
    known_hosts = str(inventory / "known_hosts")
    cabled: dict[str, list[str]] = {}
    for link in links:
        for end in (link["a"], link["b"]):
            device, _, port = end.partition(":")
            cabled.setdefault(device, []).append(port)
    targets = []
    for name, rec in sorted(hosts.items()):
        data = rec.get("data", {})
        options = rec.get("connection_options") or defaults.get("connection_options") or {}
        extras = options.get("netmiko", {}).get("extras", {})  # per host in the lab's inventory
        key_file = str((inventory / extras["key_file"]).resolve()) if extras.get("key_file") else None
        connect = {
            "device_type": "linux",
            "host": rec["hostname"],
            "port": rec["port"],
            "username": rec.get("username", defaults.get("username", "admin")),
            "use_keys": bool(key_file),
            "key_file": key_file,
            "allow_agent": False,
            "ssh_strict": True,
            "system_host_keys": False,
            "alt_host_keys": True,
            "alt_key_file": known_hosts
            if whole_known_hosts
            else pinned_keys_file(known_hosts, rec["hostname"], rec["port"]),
        }
        kind = data.get("device_kind", "switch")
        ports = data.get("rdma_interfaces", []) if kind == "host" else cabled.get(name, [])
        targets.append(Target(name, kind, connect, ports))
    return targets


def audit_device(target: Target, exp: Expected) -> DeviceVerdict:
    verdict = DeviceVerdict(target.name)
    try:
        conn = ConnectHandler(**target.connect)
        try:
            if target.kind == "host":
                audit_host(conn, target.ports, exp, verdict)
            else:
                audit_switch(conn, target.ports, exp, verdict)
        finally:
            conn.disconnect()
    except Exception as exc:  # a script reports the device and moves on
        verdict.error = f"{type(exc).__name__}: {exc}"
    return verdict


def run(inventory: Path, workers: int, *, whole_known_hosts: bool = False) -> list[DeviceVerdict]:
    exp = Expected.from_policy(load_policy(inventory / "policy.yaml"))
    targets = load_targets(inventory, whole_known_hosts=whole_known_hosts)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda t: audit_device(t, exp), targets))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-i", "--inventory", type=Path, required=True)
    p.add_argument("--workers", type=int, default=32)
    p.add_argument("--whole-known-hosts", action="store_true", help="give Netmiko the whole known_hosts file")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    verdicts = run(args.inventory, args.workers, whole_known_hosts=args.whole_known_hosts)
    if args.json:
        doc = {
            "devices": [
                {"device": v.device, "passed": v.passed, "commands": v.commands, "failures": v.failures,
                 "error": v.error}
                for v in verdicts
            ]
        }  # fmt: skip
        print(json.dumps(doc, indent=2))
    else:
        for v in verdicts:
            print(f"{v.device}: {'PASS' if v.passed else 'FAIL'} ({v.commands} commands)")
            for line in [*v.failures, *([v.error] if v.error else [])]:
                print(f"  {line}")
    return 0 if all(v.passed for v in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
