"""What one benchmark size runs against its lab, and how each command's output is summarised.

Every phase is a real command run as a subprocess against the inventory the lab wrote:

* `audit_defaults` - `roce-agent audit` on the fresh lab (SONiC and host defaults: thousands of findings;
                     only with `--audit-defaults`);
* `apply`          - `roce-agent apply --yes` from those defaults to the policy;
* `audit`          - `roce-agent audit` on the converged fabric (the scheduled-audit case; headline);
* `naive`          - `python -m benchmarks.naive_audit` on the converged fabric, same worker count and
                     the same per-device known_hosts view as ours (the fair comparison; headline);
* `naive_whole_known_hosts` - the same with the whole known_hosts file, as a plain script would do it.

Round trips are the commands each twin served during the phase (device-side count, see
`benchmarks.counting_twin`), so every tool is counted the same way.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

from benchmarks.measure import Measured, device_bound_s, run_measured, serial_bound_s
from benchmarks.scale_lab import CLI_SCRIPT, ROOT, RunningLab, cli, per_device_delta


@dataclass(frozen=True)
class AuditCli:
    """Whether `roce-agent audit` exists in this build, and whether it takes --workers."""

    available: bool
    workers_option: bool

    @classmethod
    def probe(cls) -> AuditCli:
        proc = subprocess.run([*cli(), "audit", "--help"], capture_output=True, text=True, check=False)
        return cls(proc.returncode == 0, "--workers" in proc.stdout)


@dataclass(frozen=True)
class Phase:
    name: str
    argv: list[str]
    kind: str  # audit | apply | naive


def phases(
    lab: RunningLab,
    workers: int | None,
    audit: AuditCli,
    *,
    naive: bool = True,
    whole_known_hosts: bool = True,
    audit_defaults: bool = False,
    apply: bool = True,
    naive_workers: int = 32,
) -> list[Phase]:
    """`workers` None: our commands choose their worker count (agent.app.workers); the naive baseline
    always runs `naive_workers`. Without `apply` the audit reads the fresh lab (for sizes whose apply
    would take longer than the run has)."""
    inv = str(lab.inventory)
    out: list[Phase] = []
    chosen = ["--workers", str(workers)] if workers is not None and audit.workers_option else []
    audit_argv = [*cli(), "audit", "-i", inv, "--format", "json", *chosen]
    if audit.available and audit_defaults:
        out.append(Phase("audit_defaults", audit_argv, "audit"))
    if apply:
        out.append(Phase("apply", [*cli(), "apply", "-i", inv, "--yes", "--json", *chosen], "apply"))
    if audit.available:
        out.append(Phase("audit", audit_argv, "audit"))
    if naive:
        naive_argv = [sys.executable, "-m", "benchmarks.naive_audit", "-i", inv, "--workers", str(naive_workers),
                      "--json"]  # fmt: skip
        out.append(Phase("naive", naive_argv, "naive"))
        if whole_known_hosts:
            out.append(Phase("naive_whole_known_hosts", [*naive_argv, "--whole-known-hosts"], "naive"))
    return out


def round_trip_summary(delta: dict[str, tuple[int, int]], kinds: dict[str, str]) -> dict[str, Any]:
    """Per-device command counts -> max per switch / host, mean, total (and SFTP file transfers)."""

    def stats(kind: str) -> dict[str, float | int]:
        values = [c for d, (c, _) in delta.items() if kinds.get(d) == kind]
        if not values:
            return {"devices": 0, "max": 0, "min": 0, "mean": 0.0}
        return {"devices": len(values), "max": max(values), "min": min(values), "mean": sum(values) / len(values)}

    return {
        "switch": stats("switch"),
        "host": stats("host"),
        "max": max((c for c, _ in delta.values()), default=0),
        "total": sum(c for c, _ in delta.values()),
        "file_transfers": sum(f for _, f in delta.values()),
    }


def verdict(kind: str, measured: Measured) -> dict[str, Any]:
    """What the command concluded, from its --json output (or why that could not be read)."""
    try:
        doc = json.loads(measured.stdout)
    except ValueError:
        return {"parsed": False, "stderr_tail": measured.stderr[-500:]}
    if kind == "naive":
        devices = doc.get("devices", [])
        return {"devices": len(devices), "passed": sum(1 for d in devices if d["passed"]),
                "errors": sum(1 for d in devices if d["error"])}  # fmt: skip
    if kind == "apply":
        statuses: dict[str, int] = {}
        for dev in doc.get("devices", []):
            statuses[dev["status"]] = statuses.get(dev["status"], 0) + 1
        return {"statuses": statuses}
    return _audit_verdict(doc)


def _audit_verdict(doc: Any) -> dict[str, Any]:
    """Tolerant of the audit report's exact layout: counts findings and devices where it finds them."""
    out: dict[str, Any] = {}
    if isinstance(doc, dict):
        for key in ("complies", "summary", "duration_seconds"):
            if key in doc:
                out[key] = doc[key]
        findings = doc.get("findings")
        if isinstance(findings, list):
            out["findings"] = len(findings)
        skipped = doc.get("skipped")
        if isinstance(skipped, list):
            out["unreachable"] = len(skipped)
    return out


CHOSEN = re.compile(r"^(\d+) devices, (\d+) at a time \(", re.MULTILINE)
PROCESSES = re.compile(r"^\d+ devices, \d+ at a time \(in (\d+) process", re.MULTILINE)


def processes_used(stderr: str) -> int:
    """How many processes our gather ran in, as its worker line says ("... (in 2 processes: ..."); 1 when
    the line does not say (one process, or a command that never splits)."""
    found = PROCESSES.search(stderr)
    return int(found.group(1)) if found else 1


def workers_used(phase: Phase, stderr: str, default: int) -> tuple[int, str]:
    """The worker count a phase ran with, and who chose it: `--workers` on its command line, else what
    our CLI said it chose (agent.app.workers prints "N devices, W at a time (...)"), else `default`."""
    if "--workers" in phase.argv:
        return int(phase.argv[phase.argv.index("--workers") + 1]), "given"
    found = CHOSEN.search(stderr)
    return (int(found.group(2)), "chosen by the agent") if found else (default, "default")


def run_phase(lab: RunningLab, phase: Phase, kinds: dict[str, str], *, workers: int, cores: int) -> dict[str, Any]:
    before, busy0 = lab.counts(), lab.device_seconds()
    lab_cpu0 = lab.cpu_s()
    load = os.getloadavg()[0]
    measured = run_measured(phase.argv, env=lab.env, cwd=ROOT)
    lab_cpu = lab.cpu_s() - lab_cpu0
    delta = per_device_delta(before, lab.counts())
    busy = {d: s - busy0.get(d, 0.0) for d, s in lab.device_seconds().items()}
    trips = round_trip_summary(delta, kinds)
    used, chooser = workers_used(phase, measured.stderr, workers)
    bound = device_bound_s(workers=used, device_s=list(busy.values()), controller_cpu_s=measured.cpu_s, cores=cores)
    processes = processes_used(measured.stderr)
    serial = serial_bound_s(bound, controller_cpu_s=measured.cpu_s, lab_cpu_s=lab_cpu, cores=cores, processes=processes)
    return {
        "command": " ".join(_display(a) for a in phase.argv),
        **measured.summary(),
        "workers": used,
        "workers_chosen_by": chooser,
        "processes": processes,
        "lab_cpu_s": round(lab_cpu, 3),
        "load_1min_before": round(load, 2),
        "round_trips": trips,
        "device_s": device_summary(busy, kinds),
        "lower_bound_s": round(bound, 3),
        "wall_over_lower_bound": round(measured.wall_s / bound, 2) if bound > 0 else None,
        "serial_bound_s": round(serial, 3),
        "wall_over_serial_bound": round(measured.wall_s / serial, 2) if serial > 0 else None,
        "verdict": verdict(phase.kind, measured),
    }


def device_summary(busy: dict[str, float], kinds: dict[str, str]) -> dict[str, Any]:
    """Device-side seconds of the phase per switch and per host (max, mean) and in total."""

    def stats(kind: str) -> dict[str, float | int]:
        values = [s for d, s in busy.items() if kinds.get(d) == kind]
        if not values:
            return {"devices": 0, "max": 0.0, "mean": 0.0}
        return {"devices": len(values), "max": round(max(values), 3), "mean": round(sum(values) / len(values), 3)}

    return {"switch": stats("switch"), "host": stats("host"), "total": round(sum(busy.values()), 3)}


def _display(arg: str) -> str:
    """Argument as shown in results: temp paths shortened, the interpreter by name."""
    if arg == sys.executable:
        return "python"
    if arg == str(CLI_SCRIPT):
        return "roce-agent"
    return "$INVENTORY" if arg.endswith("/inventory") else arg
