"""The twin boots like a community image (no PFC watchdog) and `pfcwd` writes what pfcwd/main.py of its
release writes: sonic-utilities 202411 (no history, no cap) and 202511 (pfc_stat_history, 1000 ms cap)."""

from __future__ import annotations

from typing import Any

import pytest
from sonic_twin_helpers import config, leaf, ok, start_watchdog

from rocelab.sonic import SonicTwin


def pfc_wd(twin: SonicTwin) -> dict[str, Any]:
    table: dict[str, Any] = config(twin).get("PFC_WD", {})
    return table


def test_fresh_image_has_no_watchdog_and_a_storm_goes_unnoticed() -> None:
    """init_cfg.json.j2 default_pfcwd_status disable; load_minigraph's start_default then does nothing."""
    twin = leaf()
    assert config(twin)["DEVICE_METADATA"]["localhost"]["default_pfcwd_status"] == "disable"
    assert ok(twin, "sonic-db-cli CONFIG_DB keys 'PFC_WD*'").strip() == ""
    ok(twin, "pfcwd start_default", sudo=True)
    assert pfc_wd(twin) == {}
    twin.set_traffic("Ethernet0", "storm")
    ok(twin, "sleep 1")
    assert "stormed" not in ok(twin, "pfcwd show stats")


@pytest.mark.parametrize(
    ("release", "history"),
    [("202411", {}), ("202511", {"pfc_stat_history": "disable"})],
)
def test_start_default_when_enabled_writes_the_release_defaults(release: str, history: dict[str, str]) -> None:
    twin = start_watchdog(leaf(ports=4, cabled=2, release=release))
    row = {"action": "drop", "detection_time": "200", "restoration_time": "200", **history}
    assert pfc_wd(twin) == {"Ethernet0": row, "Ethernet4": row, "GLOBAL": {"POLL_INTERVAL": "200"}}


@pytest.mark.parametrize(("release", "poll"), [("202411", "1200"), ("202511", "1000")])
def test_start_default_scales_timers_by_port_count_and_caps_poll_from_202511(release: str, poll: str) -> None:
    twin = start_watchdog(leaf(ports=161, cabled=1, release=release))  # (161 - 1) // 32 + 1 = 6
    wd = pfc_wd(twin)
    assert (wd["Ethernet0"]["detection_time"], wd["Ethernet0"]["restoration_time"]) == ("1200", "1200")
    assert wd["GLOBAL"] == {"POLL_INTERVAL": poll}


@pytest.mark.parametrize(
    ("release", "history"),
    [("202411", {}), ("202511", {"pfc_stat_history": "disable"})],
)
def test_pfcwd_start_writes_port_rows_only(release: str, history: dict[str, str]) -> None:
    twin = leaf(ports=4, cabled=2, release=release)
    out = ok(twin, "pfcwd start --action drop --restoration-time 400 Ethernet0 Ethernet8 300", sudo=True)
    assert out == "SKIPPED: PFC is not enabled on port: Ethernet8\n"  # uncabled: no pfc_enable
    assert pfc_wd(twin) == {
        "Ethernet0": {"detection_time": "300", "restoration_time": "400", "action": "drop", **history}
    }
    out = ok(twin, "pfcwd start Ethernet4 250", sudo=True)
    assert out == "restoration time not defined; default to 2 times detection time: 500 ms\n"
    assert pfc_wd(twin)["Ethernet4"] == {"detection_time": "250", "restoration_time": "500", **history}


def test_pfc_stat_history_is_carried_from_the_first_port_like_the_release() -> None:
    """pfcwd/main.py 202511 fills one dict for all ports with setdefault: the first port's history wins."""
    twin = leaf(ports=4, cabled=2, release="202511")
    ok(twin, "pfcwd start --pfc-stat-history Ethernet0 300", sudo=True)
    ok(twin, "pfcwd start -r 300 Ethernet0 Ethernet4 300", sudo=True)
    assert {p: r["pfc_stat_history"] for p, r in pfc_wd(twin).items()} == {"Ethernet0": "enable", "Ethernet4": "enable"}
    old = leaf(ports=4, cabled=2, release="202411")
    assert old.run("pfcwd start --pfc-stat-history Ethernet0 300", sudo=True).exit_code == 2


def test_interval_is_refused_above_a_port_timer_and_unknown_ports_up_front() -> None:
    twin = leaf(ports=4, cabled=2)
    ok(twin, "pfcwd start -r 300 Ethernet0 200", sudo=True)
    res = twin.run("pfcwd interval 250", sudo=True)
    assert (res.exit_code, res.stderr) == (
        1,
        "unable to use polling interval = 250ms, value is bigger than one of the configured detection time "
        "values, please choose a smaller polling_interval\n",
    )
    ok(twin, "pfcwd interval 150", sudo=True)
    assert pfc_wd(twin)["GLOBAL"] == {"POLL_INTERVAL": "150"}
    res = twin.run("pfcwd start Ethernet0 Ethernet99 200", sudo=True)
    assert (res.exit_code, res.stdout) == (1, "Failed to run command, invalid options:\nEthernet99\n")
    assert pfc_wd(twin)["Ethernet0"]["detection_time"] == "200"
