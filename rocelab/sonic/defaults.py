"""What a fresh SONiC image renders into CONFIG_DB for the twin's SKU and ports.

The device-wide and per-port buffer/QoS rows are the SKU's own (rocelab.sonic.sku, generated from SONiC's
templates and checked against shared/real-sonic/skus). Like a minigraph-driven render (buffers_config.j2,
qos_config.j2), a cabled port is "active" (it has a DEVICE_NEIGHBOR row) and gets the SKU's QoS and buffer
rows; an uncabled port gets what the templates give an inactive port: nothing on Broadcom/vs, zero profiles
on Mellanox (traditional model), which then also adds the zero pool and profiles.

Other rows follow init_cfg.json.j2 (DEVICE_METADATA defaults, FLEX_COUNTER_TABLE groups) and port_config.ini
(PORT rows carry the SKU port's lanes, alias and FEC at the lab's port position). CABLE_LENGTH is the
SKU's default cable (0m on TD2 and docker-sonic-vs, so buffermgrd makes no lossless PG until a length is set).

PFC watchdog: a first boot like a community image. init_cfg.json.j2 writes `default_pfcwd_status disable`
(ENABLE_PFCWD_ON_START is off in rules/config), `config load_minigraph` then runs `pfcwd start_default`,
which does nothing when the status is not `enable`: there is no PFC_WD table at all, not even
`PFC_WD|GLOBAL`, until `pfcwd start` (or `start_default` after the status is set) creates it
(rocelab.sonic.cli_pfcwd).

Every row below is shared between keys and twins and never mutated (see db.HashDb).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from rocelab.sonic.db import ConfigDb, Row, intern_key
from rocelab.sonic.sku import Sku
from rocelab.twin import TwinPort

DEFAULT_MTU = "9100"
FLEX_ENABLED: Row = {"FLEX_COUNTER_STATUS": "enable"}
# init_cfg.json.j2 (sonic-buildimage 086b03bd70f9): the counter groups every image starts with.
FLEX_GROUPS: dict[str, Row] = {
    "ACL": {"FLEX_COUNTER_STATUS": "enable", "POLL_INTERVAL": "10000"},
    **{
        group: FLEX_ENABLED
        for group in (
            "PORT",
            "PORT_PHY_ATTR",
            "RIF",
            "QUEUE",
            "PFCWD",
            "PG_WATERMARK",
            "PG_DROP",
            "QUEUE_WATERMARK",
            "BUFFER_POOL_WATERMARK",
            "PORT_BUFFER_DROP",
        )
    },
}


def port_mac(hostname: str, seed: int) -> str:
    digest = hashlib.sha256(f"{hostname}/{seed}".encode()).digest()
    return "52:54:00:" + ":".join(f"{b:02x}" for b in digest[:3])


def seed_config(db: ConfigDb, hostname: str, ports: Sequence[TwinPort], buffer_model: str, seed: int, sku: Sku) -> None:
    """Fill an empty CONFIG_DB the way the SKU's image renders it for these ports."""
    rows: dict[str, Row] = {}
    rows["DEVICE_METADATA|localhost"] = {
        "buffer_model": buffer_model,
        "default_bgp_status": "up",
        "default_pfcwd_status": "disable",
        "hostname": hostname,
        "hwsku": sku.hwsku,
        "mac": port_mac(hostname, seed),
        "platform": sku.platform,
        "timezone": "UTC",
        "type": "LeafRouter",
    }
    for table, entries in sku.tables[buffer_model].items():
        for key, row in entries.items():
            rows[f"{table}|{key}"] = row
    if buffer_model == "traditional" and any(not p.neighbor for p in ports):
        for table, entries in sku.zero.items():
            for key, row in entries.items():
                rows[f"{table}|{key}"] = row
    for name, row in FLEX_GROUPS.items():
        rows[f"FLEX_COUNTER_TABLE|{name}"] = row
    rows["CABLE_LENGTH|AZURE"] = {p.name: sku.default_cable for p in ports}
    for index, port in enumerate(ports):
        _seed_port(rows, port, index, buffer_model, sku)
    for key, row in rows.items():
        db.rows[intern_key(key)] = row
    db.version += 1


def _seed_port(rows: dict[str, Row], port: TwinPort, index: int, buffer_model: str, sku: Sku) -> None:
    name = port.name
    real = sku.port(index)
    prow = {
        "admin_status": "up",
        "alias": real.alias if real else f"etp{index + 1}",
        "index": str(index),
        "lanes": real.lanes if real else str(index),
        "mtu": DEFAULT_MTU,
        "speed": str(port.speed_mbps),
    }
    if real and real.fec and real.fec != "none":
        prow["fec"] = real.fec
    rows[f"PORT|{name}"] = prow
    if port.neighbor:
        device, _, peer_port = port.neighbor.partition(":")
        rows[f"DEVICE_NEIGHBOR|{name}"] = {"name": device, "port": peer_port}
    for table, entries in sku.port_rows(buffer_model, name, active=port.neighbor is not None).items():
        for suffix, row in entries.items():
            rows[f"{table}|{name}|{suffix}" if suffix else f"{table}|{name}"] = row
