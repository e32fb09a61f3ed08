"""The SKU tables the twin ships (rocelab/sonic/skus) against what SONiC renders (shared/real-sonic/skus).

A twin seeded with the SKU's own ports, cabled where the upstream render had neighbours, must reproduce every
rendered buffer and QoS table exactly; the lookup table must equal pg_profile_lookup.ini row for row.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from real_sonic import real_dir

from rocelab.sonic.db import ConfigDb
from rocelab.sonic.defaults import seed_config
from rocelab.sonic.sku import SKU_MODULES, load_sku, resolve
from rocelab.twin import TwinPort

SKUS = list(SKU_MODULES)
NOT_RENDERED = {"_provenance", "CABLE_LENGTH"}  # cables came from the render's minigraph roles


def _render(sku: str, kind: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((real_dir("skus") / f"{sku}.{kind}.json").read_text(encoding="utf-8"))
    return doc


def _seeded(sku_name: str, model: str, active: set[str]) -> dict[str, dict[str, dict[str, str]]]:
    sku = load_sku(sku_name)
    ports = [TwinPort(p.name, p.speed, f"peer:{p.name}" if p.name in active else None) for p in sku.ports]
    db = ConfigDb()
    seed_config(db, "sonic", ports, model, 0, sku)
    return db.to_json()


@pytest.mark.parametrize("sku", SKUS)
def test_lookup_table_equals_pg_profile_lookup_ini(sku: str) -> None:
    rows = {}
    for line in (real_dir("skus") / f"{sku}.pg_profile_lookup.ini").read_text(encoding="utf-8").splitlines():
        cols = line.split()
        if cols and not line.startswith("#"):
            rows[(cols[0], cols[1])] = (cols[2], cols[3], cols[4], cols[5], cols[6] if len(cols) > 6 else None)
    ours = {k: (r.size, r.xon, r.xoff, r.threshold, r.xon_offset) for k, r in load_sku(sku).lookup().items()}
    assert ours == rows
    assert len(rows) >= 2


@pytest.mark.parametrize(("sku", "model"), [(s, m) for s in SKUS for m in load_sku(s).models])
def test_seeded_twin_reproduces_every_rendered_table(sku: str, model: str) -> None:
    buffers = _render(sku, "buffers" if model == "traditional" else "buffers_dynamic")
    qos = _render(sku, "qos")
    qos_ports = {k for k in qos.get("PORT_QOS_MAP", {}) if k != "global"}
    active = qos_ports or set(buffers["CABLE_LENGTH"]["AZURE"])
    seeded = _seeded(sku, model, active)
    assert set(buffers["CABLE_LENGTH"]["AZURE"]) == {p.name for p in load_sku(sku).ports}
    for doc in (buffers, qos):
        for table, rows in doc.items():
            if table in NOT_RENDERED:
                continue
            assert seeded.get(table, {}) == rows, f"{sku} {model} {table}"
    wred = qos["WRED_PROFILE"]
    for name, row in wred.items():  # ecnconfig -l prints the hash in this order
        assert list(seeded["WRED_PROFILE"][name]) == list(row)


@pytest.mark.parametrize("sku", SKUS)
def test_identity_matches_the_render(sku: str) -> None:
    meta = _render(sku, "buffers")["_provenance"]
    assert load_sku(sku).platform == meta["platform"]
    assert resolve(sku) == sku


def test_8_lane_and_real_lanes_and_aliases() -> None:
    assert [(p.name, p.lanes, p.alias) for p in load_sku("Force10-S6000").ports[:1]] == [
        ("Ethernet0", "25,26,27,28", "fortyGigE0/0")
    ]
    sn5600 = load_sku("ACS-SN5600")
    assert {p.lane_count for p in sn5600.ports[:64]} == {8}
    assert sn5600.asic_table == "MELLANOX-SPECTRUM-4"
    assert load_sku("Arista-7060X6-16PE-384C-B-O128S2").port(0).fec == "rs"  # type: ignore[union-attr]


@pytest.mark.parametrize("sku", SKUS)
def test_device_serves_its_own_lookup_file_with_the_real_rows(sku: str) -> None:
    from rocelab.sonic import SonicTwin

    meta = load_sku(sku)
    twin = SonicTwin("s", [TwinPort("Ethernet0", 100_000)], sku=sku)
    served = twin.run(f"cat /usr/share/sonic/device/{meta.platform}/{meta.hwsku}/pg_profile_lookup.ini", sudo=False)
    real = (real_dir("skus") / f"{sku}.pg_profile_lookup.ini").read_text(encoding="utf-8")

    def rows(text: str) -> list[list[str]]:
        return [line.split() for line in text.splitlines() if line.split() and not line.startswith("#")]

    assert rows(served.stdout) == rows(real)
