"""The results as people read them: targets met or missed, and one markdown table."""

from __future__ import annotations

from typing import Any

MIB_PER_GIB = 1024


def _largest(doc: dict[str, Any]) -> dict[str, Any] | None:
    runs = doc.get("runs") or []
    return max(runs, key=lambda r: r["devices"]) if runs else None


def _check(name: str, target: str, measured: Any, ok: bool | None, at: int | None = None) -> dict[str, Any]:
    return {"target": name, "goal": target, "measured": measured, "met": ok, "at_devices": at}


def targets(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The brief's targets, judged at the largest size measured (they are stated for N = 512)."""
    out: list[dict[str, Any]] = []
    run = _largest(doc)
    if run is not None:
        n, lab, ph = run["devices"], run["lab"], run["phases"]
        audit = ph.get("audit")
        if audit and audit["exit_code"] not in (0, 1):
            out.append(_check("audit", "runs (exit 0 or 1)", f"exit {audit['exit_code']}", False, n))
        elif audit:
            out.append(_check("audit wall time", "< 15 s at 512 devices", audit["wall_s"], audit["wall_s"] < 15, n))
            trips = audit["round_trips"]
            worst = max(trips["switch"]["max"], trips["host"]["max"])
            out.append(_check("audit round trips per device", "1 per switch and per host", worst, worst <= 1, n))
            dev = (audit.get("device_s") or {}).get("switch", {}).get("max")
            if dev is not None:
                out.append(_check("audit device-side time per switch", "<= 1 s (x86 model)", dev, dev <= 1, n))
            ratio = audit["wall_over_lower_bound"]
            out.append(_check("audit vs lower bound", "within 1.3x", ratio, ratio is not None and ratio <= 1.3, n))
            serial = audit.get("wall_over_serial_bound")
            if serial is not None:
                name = "audit vs machine bound (the lab's CPU on the same cores; not the issue's target)"
                out.append(_check(name, "within 1.3x", serial, serial <= 1.3, n))
        apply_ = ph.get("apply")
        if apply_ and apply_["exit_code"] == 0:
            most = apply_["round_trips"]["switch"]["max"]
            out.append(_check("apply round trips per switch", "<= 4", most, most <= 4, n))
        speedup = run.get("speedup_naive_over_audit")
        if speedup is not None:
            out.append(_check("speedup over the naive baseline", ">= 5x at 512 devices", speedup, speedup >= 5, n))
        whole = run.get("speedup_naive_whole_known_hosts_over_audit")
        if whole is not None:
            name = "speedup over the naive baseline, whole known_hosts (as plain scripts)"
            out.append(_check(name, ">= 5x at 512 devices", whole, whole >= 5, n))
        out.append(_check("lab start", "< 30 s for 512 twins", lab["start_s"], lab["start_s"] < 30, n))
        peak = lab["peak_rss_mib"]
        out.append(_check("lab memory", "< 2 GiB for 512 twins", peak, peak < 2 * MIB_PER_GIB, n))
    engine = doc.get("engine")
    if engine and "checks_wall_s" in engine:
        wall = engine["checks_wall_s"]
        out.append(_check("check engine, 1,024 switches x 64 ports + 8,192 hosts", "< 5 s", wall, wall < 5))
    entropy = doc.get("entropy")
    if entropy and "entropy_wall_s" in entropy:
        wall = entropy["entropy_wall_s"]
        out.append(_check("fabric entropy audit, 1,024 switches + 8,192 hosts", "< 10 s", wall, wall < 10))
    inputs = doc.get("inputs")
    if inputs and "refusals_max_wall_s" in inputs:
        wall = inputs["refusals_max_wall_s"]
        ok = wall < 1 and bool(inputs.get("all_refused"))
        out.append(_check("YAML alias bomb / 50 MB input refused (in-process)", "< 1 s", wall, ok))
    monitor = doc.get("monitor")
    if monitor and "cpu_per_cycle_s" in monitor:
        cpu = monitor["cpu_per_cycle_s"]
        name = f"monitor: controller CPU per poll cycle, {monitor['devices']} devices (worst cycle)"
        out.append(_check(name, "<= 2 s", cpu, cpu <= monitor["target_cpu_per_cycle_s"]))
    startup = doc.get("startup")
    if startup:
        help_s = startup["commands"]["--help"]["median_s"]
        out.append(_check("`roce-agent --help` start-up (median of 5)", "<= 0.3 s", help_s, help_s <= 0.3))
    return out


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}{unit}"
    return f"{value}{unit}"


def _trips(phase: dict[str, Any] | None) -> str:
    if not phase:
        return "-"
    t = phase["round_trips"]
    return f"{t['switch']['max']} / {t['host']['max']}"


def _device(phase: dict[str, Any] | None) -> str:
    if not phase or "device_s" not in phase:
        return "-"
    d = phase["device_s"]
    return f"{d['switch']['max']:.2f} / {d['host']['max']:.3f}"


def markdown_table(doc: dict[str, Any]) -> str:
    meta = doc["meta"]
    lines = [
        f"Measured {meta['started_utc']} on {meta['cores']} cores ({meta['cpu_model']}), load "
        f"{meta['load_avg_start'][0]} at start, device cost model {meta.get('cost_model') or 'flat'} "
        f"(latency {meta['latency_ms']:g} ms when flat), "
        f"workers: ours {meta['workers']}, naive {meta.get('naive_workers', meta['workers'])}.",
        "",
        "| devices | lab start s | lab peak RSS MiB | audit s | audit CPU s | audit peak MiB "
        "| audit workers | audit round trips max sw / host | audit device s max sw / host | lower bound s "
        "| audit / bound | audit / machine bound | apply s "
        "| apply round trips max sw / host "
        "| naive s | naive round trips max sw / host | naive / audit | naive whole known_hosts s | that / audit |",
        "|" + "---|" * 19,
    ]
    for run in doc["runs"]:
        ph = run["phases"]
        audit, apply_, naive = ph.get("audit"), ph.get("apply"), ph.get("naive")
        whole = ph.get("naive_whole_known_hosts")
        row = [
            run["devices"], run["lab"]["start_s"], run["lab"]["peak_rss_mib"],
            audit and audit["wall_s"], audit and audit["cpu_s"], audit and audit["peak_rss_mib"],
            audit and audit.get("workers"), _trips(audit), _device(audit),
            audit and audit["lower_bound_s"], audit and audit["wall_over_lower_bound"],
            audit and audit.get("wall_over_serial_bound"),
            apply_ and apply_["wall_s"], _trips(apply_), naive and naive["wall_s"], _trips(naive),
            run.get("speedup_naive_over_audit"), whole and whole["wall_s"],
            run.get("speedup_naive_whole_known_hosts_over_audit"),
        ]  # fmt: skip
        lines.append("| " + " | ".join(_fmt(v) for v in row) + " |")
    engine = doc.get("engine")
    if engine and "checks_wall_s" in engine:
        lines += [
            "",
            f"Check engine alone: {engine['switches']} switches x {engine['ports_per_switch']} ports + "
            f"{engine['hosts']} hosts ({engine['links']} links): {engine['checks_wall_s']} s "
            f"({engine['findings']} findings, {engine['seeded_faults_found']}/{engine['seeded_faults']} seeded "
            f"faults found, peak {engine['peak_rss_mib']} MiB).",
        ]
    entropy = doc.get("entropy")
    if entropy and "entropy_wall_s" in entropy:
        lines += [
            "",
            f"Fabric entropy audit alone: {entropy['switches']} switches + {entropy['hosts']} hosts, "
            f"{entropy['flows']} flows ({entropy['qps_per_connection']} QPs per connection, model "
            f"{entropy['model']}): {entropy['entropy_wall_s']} s, peak {entropy['peak_rss_mib']} MiB.",
        ]
    lines += ["", "| target | goal | measured | met |", "|---|---|---|---|"]
    for t in doc.get("targets", []):
        met = {True: "yes", False: "NO", None: "-"}[t["met"]]
        lines.append(f"| {t['target']} | {t['goal']} | {_fmt(t['measured'])} | {met} |")
    return "\n".join(lines)


REQUIRED_META = ("started_utc", "python", "packages", "cores", "cpu_model", "load_avg_start", "load_avg_end",
                 "sizes", "latency_ms", "workers", "seeds", "git")  # fmt: skip
REQUIRED_PHASE = ("command", "exit_code", "wall_s", "cpu_s", "peak_rss_mib", "round_trips", "lower_bound_s",
                  "wall_over_lower_bound", "load_1min_before")  # fmt: skip
REQUIRED_LAB = ("start_s", "rss_idle_mib", "peak_rss_mib")


def missing_fields(doc: dict[str, Any]) -> list[str]:
    """Dotted paths of required fields a result document lacks ([] = complete)."""
    out = [f"meta.{k}" for k in REQUIRED_META if k not in doc.get("meta", {})]
    for i, run in enumerate(doc.get("runs", [])):
        out += [f"runs[{i}].lab.{k}" for k in REQUIRED_LAB if k not in run.get("lab", {})]
        for name, phase in run.get("phases", {}).items():
            out += [f"runs[{i}].phases.{name}.{k}" for k in REQUIRED_PHASE if k not in phase]
    return out
