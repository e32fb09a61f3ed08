"""Render of a lossy profile (NVUE `roce mode lossy`): ECN/DCQCN only, no PFC, no lossless PG, no watchdog.

`pfc_enable` is left out, not "": 202211-202411 YANG (pattern `[0-7](,[0-7])*`) refuses the empty string, and
an owned field left out is removed from the device by the patch. buffermgrd creates a lossless PG only for
priorities in `pfc_enable`, so none is created (and an existing one is removed when the field goes).
"""

from __future__ import annotations

from agent.platforms.sonic.render import render
from agent.policy.model import Policy

from .conftest import leaf1_intent

PORTS = ["Ethernet0", "Ethernet4", "Ethernet8", "Ethernet12"]


def lossy_cfg() -> dict[str, dict[str, dict[str, str]]]:
    return render(leaf1_intent(Policy.model_validate({"baseline": "nvidia-roce-lossy"})))


def test_no_pfc_field_no_watchdog_on_any_port() -> None:
    cfg = lossy_cfg()
    for port in PORTS:
        qos = cfg["PORT_QOS_MAP"][port]
        assert "pfc_enable" not in qos
        assert "pfcwd_sw_enable" not in qos
        assert cfg["PFC_WD"][port] == {}  # the agent's watchdog timers removed
    assert cfg["DEVICE_METADATA"]["localhost"]["default_pfcwd_status"] == "disable"


def test_no_tc_lands_in_a_lossless_priority_group() -> None:
    assert lossy_cfg()["TC_TO_PRIORITY_GROUP_MAP"]["ROCE"] == {str(t): "0" for t in range(8)}


def test_roce_queue_marks_ecn_and_cnp_is_strict() -> None:
    cfg = lossy_cfg()
    for port in PORTS:
        assert cfg["QUEUE"][f"{port}|3"] == {"scheduler": "ROCE_roce", "wred_profile": "ROCE_ECN_3"}
        assert cfg["QUEUE"][f"{port}|6"] == {"scheduler": "ROCE_cnp"}
    wred = cfg["WRED_PROFILE"]["ROCE_ECN_3"]
    assert wred["ecn"] == "ecn_all"
    assert (wred["green_min_threshold"], wred["green_max_threshold"]) == ("150000", "1500000")
    assert cfg["SCHEDULER"]["ROCE_cnp"] == {"type": "STRICT"}
    assert cfg["DSCP_TO_TC_MAP"]["ROCE"]["26"] == "3"


def test_lossless_and_lossy_differ_only_in_pfc_pg_and_watchdog() -> None:
    lossless = render(leaf1_intent(Policy.model_validate({"baseline": "nvidia-roce"})))
    lossy = lossy_cfg()
    differing = {t for t in set(lossless) | set(lossy) if lossless.get(t) != lossy.get(t)}
    assert differing == {"PORT_QOS_MAP", "TC_TO_PRIORITY_GROUP_MAP", "PFC_WD", "DEVICE_METADATA"}
