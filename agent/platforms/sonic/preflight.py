"""Pre-flight: compare what the switch can do with what the policy asks, before anything is written.

Run on the gathered state at plan time (so `plan`, `apply` and `rollout --check` all see the same verdict):

* buffer model: the policy's (when not `auto`) must be DEVICE_METADATA.buffer_model; the agent never
  switches models (that is a config reload);
* traditional model: every lossless port's (speed, cable) must be a row of the device's
  pg_profile_lookup.ini, else buffermgrd creates no lossless PG and the change fails verification after
  it was written ("no lossless PG in APPL_DB") — the mixed-fabric failure this exists to prevent;
* lanes: a lossless port without PORT.lanes cannot be sized by the dynamic model and is refused by YANG;
* GCU's field-operation validators for the release x HwSKU (releases.py): creating the PFC_WD table or its
  GLOBAL row is refused everywhere GCU validates, so those writes go through SONiC's own `pfcwd start` /
  `pfcwd interval` CLI after the patch; a HwSKU GCU does not know gets every PFC_WD change refused (and a
  rollback of one too), new WRED profiles are refused on 202305-202505: both refuse the plan;
* PORT speed/FEC against STATE_DB's supported lists (GCU's port_config_update_validator, port_caps.py);
* ports GCU will flap (its sorter's admin-down rule, patch_sorter.py RequiredValueIdentifier): listed, so
  the rollout applies such a change one device at a time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from agent.errors import PreflightRefused
from agent.intent import DeviceIntent
from agent.platforms.sonic import port_caps, switch_hash
from agent.platforms.sonic.fastread import DbRead
from agent.platforms.sonic.gather import Section, SonicRaw
from agent.platforms.sonic.patch import Operation, apply_ops, path_parts, plan_ops
from agent.platforms.sonic.releases import DeviceFacts, device_facts
from agent.platforms.sonic.render import render
from agent.policy.model import BufferModel

PORT_ROW_TABLES = frozenset({"BUFFER_PORT_EGRESS_PROFILE_LIST", "BUFFER_PORT_INGRESS_PROFILE_LIST", "PORT_QOS_MAP"})
PORT_PREFIX_TABLES = frozenset({"BUFFER_PG", "BUFFER_QUEUE", "QUEUE"})
GREEN_FIELDS = frozenset({"green_min_threshold", "green_max_threshold", "green_drop_probability"})


__all__ = ["Preflight", "PreflightRefused", "check_raw", "run"]


@dataclass
class Preflight:
    """The verdict for one switch, and how the change will be made."""

    device: str
    facts: DeviceFacts
    blockers: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    cli_after: list[str] = field(default_factory=list)  # SONiC CLI run after the GCU patch
    flaps: list[str] = field(default_factory=list)  # ports GCU takes admin down and up again

    def raise_if_refused(self) -> None:
        if self.blockers:
            raise PreflightRefused(self.device, self.blockers)


def version_of(sections: Mapping[str, Section]) -> str | None:
    """`SONiC Software Version: SONiC.20230531.22` from the gathered `show version` section."""
    section = sections.get("version")
    for line in (section.output if section is not None else "").splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "SONiC Software Version":
            return value.strip()
    yml = sections.get("version_yml")  # the redis read: show version prints SONiC.<build_version>
    for line in (yml.output if yml is not None else "").splitlines():
        key, _, value = line.partition(":")
        if key == "build_version":
            return "SONiC." + value.strip().strip("'\"")
    return None


def lookup_rows(text: str) -> set[tuple[str, str]]:
    """(speed, cable) rows of a pg_profile_lookup.ini (`speed cable size xon xoff threshold [xon_offset]`)."""
    rows: set[tuple[str, str]] = set()
    for line in text.splitlines():
        cols = line.split()
        if len(cols) >= 6 and cols[0].isdigit() and cols[1][:-1].isdigit() and cols[1].endswith("m"):
            rows.add((cols[0], cols[1]))
    return rows


def run(
    intent: DeviceIntent,
    config_db: dict[str, Any],
    sections: Mapping[str, Any],
    ops: list[Operation],
    db: DbRead | None = None,
) -> Preflight:
    facts = device_facts(config_db, version_of(sections))
    pf = Preflight(intent.name, facts)
    _buffer_model(pf, intent)
    _lookup_coverage(pf, intent, config_db, sections)
    _lanes(pf, intent, config_db)
    pf.cli_after = _pfcwd(pf, config_db, ops)
    _wred(pf, intent, config_db, ops)
    _switch_hash(pf, config_db, hash_capability(intent.name, sections, db), ops)
    state = db.db("STATE_DB") if db is not None else {}  # PORT_TABLE rows when the read has them
    pf.blockers.extend(f"GCU would refuse it: {why}" for why in port_caps.refusals(ops, state, facts.caps.release))
    pf.flaps = flapping_ports(gcu_operations(ops, config_db), config_db)
    if pf.flaps:
        pf.warnings.append(
            f"disruptive: GCU takes {len(pf.flaps)} port(s) admin down and up while it changes their QUEUE/"
            f"QoS-map/buffer rows: {', '.join(pf.flaps)}"
        )
    return pf


def check_raw(intent: DeviceIntent, raw: SonicRaw) -> Preflight:
    """The pre-flight of one gathered switch on its own (what `plan` runs), for use cases that want the
    verdict without a plan: render, diff, then `run`."""
    facts = device_facts(raw.config_db, version_of(raw.sections))
    return run(intent, raw.config_db, raw.sections, plan_ops(raw.config_db, render(intent, facts)))


def _buffer_model(pf: Preflight, intent: DeviceIntent) -> None:
    wanted = intent.policy.buffer_model
    have = pf.facts.buffer_model
    if wanted is not BufferModel.auto and have is not None and have != wanted.value:
        pf.blockers.append(
            f"the policy asks for the {wanted.value} buffer model but DEVICE_METADATA.buffer_model is {have} "
            "(changing the model needs a config reload, which the agent does not do)"
        )


def _lossless_ports(intent: DeviceIntent) -> list[str]:
    return [p.name for p in intent.ports.values() if p.lossless_priorities]


DEFERRED_LOOKUP = "pg_lookup_deferred"  # a section naming the lookup file apply's prepare line will read
LOOKUP_UNREAD = "could not read the device's pg_profile_lookup.ini: (speed, cable) coverage not checked"


def _lookup_coverage(pf: Preflight, intent: DeviceIntent, cfg: dict[str, Any], sections: Mapping[str, Section]) -> None:
    if pf.facts.buffer_model == "dynamic" or not _lossless_ports(intent):
        return
    section = sections.get("pg_lookup")
    if section is None and DEFERRED_LOOKUP in sections:
        return  # apply reads it in its prepare line and checks it there (lookup_check), before any write
    pf.blockers.extend(lookup_check(intent, cfg, section.output if section is not None else "", pf.warnings))


def lookup_check(intent: DeviceIntent, cfg: dict[str, Any], text: str, warnings: list[str]) -> list[str]:
    """Lossless ports whose (speed, cable) has no row in the lookup file `text` (a blocker each); an
    unreadable file is a warning in `warnings` (verification is then the net)."""
    rows = lookup_rows(text)
    if not _lossless_ports(intent):
        return []
    if not rows:
        warnings.append(LOOKUP_UNREAD)
        return []
    blockers: list[str] = []
    ports = cfg.get("PORT") or {}
    for name in _lossless_ports(intent):
        port = intent.ports[name]
        speed = str((ports.get(name) or {}).get("speed") or port.speed_mbps or "")
        if (speed, f"{port.cable_m}m") not in rows:
            blockers.append(
                f"{name}: speed {speed} with a {port.cable_m}m cable has no row in the device's "
                "pg_profile_lookup.ini (traditional model): buffermgrd would create no lossless PG"
            )
    return blockers


def _lanes(pf: Preflight, intent: DeviceIntent, cfg: dict[str, Any]) -> None:
    ports = cfg.get("PORT") or {}
    missing = [n for n in _lossless_ports(intent) if n in ports and not str(ports[n].get("lanes", "")).strip()]
    if missing:
        pf.warnings.append(f"PORT.lanes missing on {', '.join(missing)}: headroom cannot account for 8-lane ports")


def _touches(ops: list[Operation], table: str) -> list[Operation]:
    return [op for op in ops if path_parts(op["path"])[0] == table]


def pfcwd_via_cli(live: Mapping[str, Any]) -> bool:
    """GCU refuses creating PFC_WD or PFC_WD|GLOBAL (make_patch gives `add` with row-name fields)."""
    table = live.get("PFC_WD") or {}
    return not table or "GLOBAL" not in table


def gcu_operations(ops: list[Operation], live: Mapping[str, Any]) -> list[Operation]:
    """The part of the plan GCU applies: PFC_WD leaves out when it goes through the pfcwd CLI."""
    return [op for op in ops if path_parts(op["path"])[0] != "PFC_WD"] if pfcwd_via_cli(live) else list(ops)


def cli_steps(ops: list[Operation], live: Mapping[str, Any]) -> list[str]:
    """The SONiC CLI the transaction runs after the GCU patch (same rule the pre-flight showed)."""
    return pfcwd_commands(live, ops) if _touches(ops, "PFC_WD") and pfcwd_via_cli(live) else []


def pfcwd_commands(live: Mapping[str, Any], ops: list[Operation]) -> list[str]:
    """`pfcwd start` per group of equal timers, `pfcwd stop` for dropped rows, `pfcwd interval` last."""
    before = live.get("PFC_WD") or {}
    after = apply_ops(live, _touches(ops, "PFC_WD")).get("PFC_WD") or {}
    groups: dict[tuple[str, str, str], list[str]] = {}
    for port, row in after.items():
        if port != "GLOBAL" and row != before.get(port):
            timers = (row.get("action", "drop"), row.get("restoration_time", ""), row.get("detection_time", ""))
            groups.setdefault(timers, []).append(port)
    cmds = [
        f"pfcwd start --action {a} --restoration-time {r} {' '.join(sorted(p))} {d}"
        for (a, r, d), p in sorted(groups.items())
    ]
    stopped = sorted(p for p in before if p != "GLOBAL" and p not in after)
    if stopped:
        cmds.append(f"pfcwd stop {' '.join(stopped)}")
    poll = (after.get("GLOBAL") or {}).get("POLL_INTERVAL")
    if poll is not None and poll != (before.get("GLOBAL") or {}).get("POLL_INTERVAL"):
        cmds.append(f"pfcwd interval {poll}")
    return cmds


def _pfcwd(pf: Preflight, live: dict[str, Any], ops: list[Operation]) -> list[str]:
    if not _touches(ops, "PFC_WD"):
        return []
    caps = pf.facts.caps
    if not caps.pfcwd_timers.allowed:
        pf.blockers.append(
            f"GCU of SONiC {caps.release.name} refuses every PFC_WD change on HwSKU {pf.facts.hwsku!r} "
            f"({caps.pfcwd_timers.why}; {caps.pfcwd_timers.source}), and could not roll one back"
        )
        return []
    if not pfcwd_via_cli(live):
        return []
    cmds = pfcwd_commands(live, ops)
    pf.warnings.append(
        "PFC_WD has no rows yet (default_pfcwd_status disable): GCU refuses creating it, so the watchdog is "
        "started with SONiC's CLI after the patch: " + "; ".join(cmds)
    )
    return cmds


def _wred(pf: Preflight, intent: DeviceIntent, live: dict[str, Any], ops: list[Operation]) -> None:
    caps = pf.facts.caps
    if caps.wred_profile_create.allowed:
        return
    ecn = {(c.ecn.min_threshold, c.ecn.max_threshold, c.ecn.probability) for c in intent.policy.classes if c.ecn}
    if len(ecn) > 1:
        pf.blockers.append(
            f"GCU of SONiC {caps.release.name} cannot create WRED profiles ({caps.wred_profile_create.source}), "
            f"so one device profile is tuned, but the policy asks for {len(ecn)} different ECN settings"
        )
        return
    existing = live.get("WRED_PROFILE") or {}
    for op in _touches(ops, "WRED_PROFILE"):
        parts = path_parts(op["path"])
        green_only = len(parts) == 3 and op["op"] == "replace" and parts[2] in GREEN_FIELDS and parts[1] in existing
        if not green_only or (caps.release.name < "202505" and parts[1].lower() != "azure_lossless"):
            pf.blockers.append(
                f"GCU of SONiC {caps.release.name} refuses {op['op']} {op['path']}: {caps.wred_profile_create.why} "
                f"({caps.wred_profile_create.source})"
            )
            return


def hash_capability(device: str, sections: Mapping[str, Section], db: DbRead | None) -> switch_hash.HashCapability:
    from agent.platforms.sonic.normalize_lb import lb_reads  # normalize_lb imports the gather this module does

    return switch_hash.HashCapability.parse(lb_reads(device, sections, db).capability)


def _switch_hash(pf: Preflight, live: dict[str, Any], cap: switch_hash.HashCapability, ops: list[Operation]) -> None:
    """The SWITCH_HASH values the patch writes, against STATE_DB SWITCH_CAPABILITY|switch (switchorch
    would refuse them after GCU wrote them, leaving CONFIG_DB and the ASIC apart)."""
    touched = {path_parts(op["path"])[2] for op in _touches(ops, switch_hash.TABLE) if len(path_parts(op["path"])) > 2}
    if not touched and _touches(ops, switch_hash.TABLE):
        touched = {"ecmp_hash", "lag_hash", "ecmp_hash_algorithm", "lag_hash_algorithm"}
    if not touched:
        return
    after = (apply_ops(live, _touches(ops, switch_hash.TABLE)).get(switch_hash.TABLE) or {}).get(switch_hash.KEY) or {}
    written = {f: v for f, v in after.items() if f in touched}
    pf.blockers.extend(switch_hash.refusals(written, cap))
    pf.warnings.extend(switch_hash.unverifiable(written, cap))


def _port_of(table: str, key: str) -> str | None:
    if table in PORT_ROW_TABLES:
        return None if key == "global" else key
    return key.partition("|")[0] if table in PORT_PREFIX_TABLES else None


def flapping_ports(ops: list[Operation], live: Mapping[str, Any]) -> list[str]:
    """Ports GCU's sorter takes admin down (only admin-up ports; an absent admin_status defaults to down)."""
    ports: set[str] = set()
    for op in ops:
        parts = path_parts(op["path"])
        if parts[0] not in PORT_ROW_TABLES | PORT_PREFIX_TABLES:
            continue
        value = op.get("value")
        keys = [parts[1]] if len(parts) > 1 else list(value) if isinstance(value, dict) else []
        ports.update(p for k in keys if (p := _port_of(parts[0], str(k))))
    rows = live.get("PORT") or {}
    up = [p for p in ports if (rows.get(p) or {}).get("admin_status", "down") == "up"]
    return sorted(up, key=lambda n: (n.rstrip("0123456789"), int(n[len(n.rstrip("0123456789")) :] or 0)))
