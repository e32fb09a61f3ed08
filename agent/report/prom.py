"""Prometheus textfile for node_exporter's textfile collector, written atomically.

node_exporter may read the directory at any moment, so the file is written next to its destination
and renamed into place (rename is atomic on one filesystem); it must end in `.prom`.
Series: a pass gauge per check and device, finding counts per severity, device reachability, and the
audit's last-run timestamp and duration (alert on staleness with node_textfile_mtime_seconds too).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from agent.checks.engine import AuditResult
from agent.report.common import ReportMeta, check_status, counts, grouped

PREFIX = "roce_agent"


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(**labels: str) -> str:
    return "{" + ",".join(f'{k}="{_esc(v)}"' for k, v in labels.items()) + "}"


def render(result: AuditResult, meta: ReportMeta | None = None) -> str:
    lines: list[str] = []

    def family(name: str, help_text: str) -> None:
        lines.append(f"# HELP {PREFIX}_{name} {help_text}")
        lines.append(f"# TYPE {PREFIX}_{name} gauge")

    groups = grouped(result)
    family("check_pass", "1 when the check has no error finding on the device (fabric checks: device=fabric).")
    for bucket, checks in sorted(groups.items()):
        for check_id, findings in checks.items():
            ok = 0 if check_status(findings) == "fail" else 1
            lines.append(f"{PREFIX}_check_pass{_labels(device=bucket, check=check_id)} {ok}")
    family("check_findings", "Findings of the check on the device, by severity (only non-zero series).")
    for bucket, checks in sorted(groups.items()):
        for check_id, findings in checks.items():
            for severity, n in counts(findings).items():
                if n:
                    labels = _labels(device=bucket, check=check_id, severity=severity)
                    lines.append(f"{PREFIX}_check_findings{labels} {n}")
    family("device_reachable", "1 when the device could be read during the audit.")
    for device in result.devices:
        lines.append(f"{PREFIX}_device_reachable{_labels(device=device)} {0 if device in result.skipped else 1}")
    totals = counts(result.findings)
    family("audit_findings", "Findings of the whole audit by severity.")
    for severity, n in totals.items():
        lines.append(f"{PREFIX}_audit_findings{_labels(severity=severity)} {n}")
    family("audit_compliant", "1 when the audit found no error.")
    lines.append(f"{PREFIX}_audit_compliant {1 if result.complies else 0}")
    family("audit_last_run_timestamp_seconds", "Unix time the audit started.")
    lines.append(f"{PREFIX}_audit_last_run_timestamp_seconds {result.started_at:.3f}")
    meta = meta or ReportMeta()
    family("audit_duration_seconds", "Seconds the whole audit took (load, gather, checks, history).")
    wall = meta.wall_s if meta.wall_s is not None else result.duration_s
    lines.append(f"{PREFIX}_audit_duration_seconds {wall:.6f}")
    if meta.gather_s is not None:
        family("audit_gather_seconds", "Seconds spent reading the devices (or the snapshot).")
        lines.append(f"{PREFIX}_audit_gather_seconds {meta.gather_s:.6f}")
    family("audit_checks_seconds", "Seconds the check engine took.")
    lines.append(f"{PREFIX}_audit_checks_seconds {result.duration_s:.6f}")
    return "\n".join(lines) + "\n"


def write_textfile(path: Path, text: str) -> None:
    """Write `text` to `path` atomically: temp file in the same directory, fsync, rename."""
    path = Path(path)
    if path.suffix != ".prom":
        raise ValueError(f"{path}: node_exporter's textfile collector only reads files ending in .prom")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
