"""Byte-exact output formats against the golden files in tests/fixtures/sonic (see its README)."""

from __future__ import annotations

import json

from sonic_twin_helpers import golden, leaf, ok, start_watchdog

from rocelab.sonic.counters import port_oid, queue_oid


def test_show_pfc_counters_matches_pfcstat_golden() -> None:
    twin = leaf(ports=3)
    for index, base in enumerate((200, 400, 800)):
        oid = port_oid(index)
        for p in range(8):
            rx = base + 1000 if p == 0 else base + p
            tx = rx + 10
            ok(twin, f"sonic-db-cli COUNTERS_DB hset COUNTERS:{oid} SAI_PORT_STAT_PFC_{p}_RX_PKTS {rx}")
            ok(twin, f"sonic-db-cli COUNTERS_DB hset COUNTERS:{oid} SAI_PORT_STAT_PFC_{p}_TX_PKTS {tx}")
    assert ok(twin, "show pfc counters") == golden("show_pfc_counters.txt")


def test_show_pfc_priority_matches_golden_and_lists_global_as_na() -> None:
    twin = leaf(ports=2)
    with_global = ok(twin, "show pfc priority")
    assert with_global == golden("show_pfc_priority.txt").replace("3,4\n\n", "3,4\nglobal       N/A\n\n")
    ok(twin, "sonic-db-cli CONFIG_DB del 'PORT_QOS_MAP|global'")
    assert ok(twin, "show pfc priority") == golden("show_pfc_priority.txt")


def test_pfcwd_show_config_after_cli_configuration_matches_golden() -> None:
    twin = leaf(ports=2, cabled=1)  # pfcwd start skips ports without pfc_enable (uncabled ones have none)
    ok(twin, "config pfcwd start --action drop --restoration-time 600 Ethernet0 600", sudo=True)
    ok(twin, "config pfcwd interval 600", sudo=True)
    assert ok(twin, "pfcwd show config") == golden("pfcwd_show_config.txt")


def test_pfcwd_show_stats_matches_golden_and_hides_idle_queues() -> None:
    twin = start_watchdog(leaf(ports=2, cabled=2))
    values = {
        "Ethernet0:3": ("stormed", "1", "0", "100", "300", "100", "300", "0", "200", "0", "200"),
        "Ethernet4:3": ("operational", "2", "2", "100", "100", "100", "100", "0", "0", "0", "0"),
    }
    fields = [
        "PFC_WD_STATUS",
        "PFC_WD_QUEUE_STATS_DEADLOCK_DETECTED",
        "PFC_WD_QUEUE_STATS_DEADLOCK_RESTORED",
        "PFC_WD_QUEUE_STATS_TX_PACKETS",
        "PFC_WD_QUEUE_STATS_TX_DROPPED_PACKETS",
        "PFC_WD_QUEUE_STATS_RX_PACKETS",
        "PFC_WD_QUEUE_STATS_RX_DROPPED_PACKETS",
        "PFC_WD_QUEUE_STATS_TX_PACKETS_LAST",
        "PFC_WD_QUEUE_STATS_TX_DROPPED_PACKETS_LAST",
        "PFC_WD_QUEUE_STATS_RX_PACKETS_LAST",
        "PFC_WD_QUEUE_STATS_RX_DROPPED_PACKETS_LAST",
    ]
    for index, (name, vals) in enumerate(values.items()):
        assert name.startswith(f"Ethernet{4 * index}:")
        pairs = " ".join(f"{f} {v}" for f, v in zip(fields, vals, strict=True))
        ok(twin, f"sonic-db-cli COUNTERS_DB hset COUNTERS:{queue_oid(index, 3)} {pairs}")
    assert ok(twin, "pfcwd show stats") == golden("pfcwd_show_stats.txt")
    assert "Ethernet0:4  operational" in ok(twin, "pfcwd show stats -e")


def test_queue_counters_on_twin_lists_20_queues_per_port_and_json_form() -> None:
    twin = leaf(ports=2)
    text = ok(twin, "show queue counters")
    assert text.count("For namespace :\n") == 2
    assert [line.split()[1] for line in text.splitlines() if line.startswith("Ethernet4")] == [
        *(f"UC{q}" for q in range(10)),
        *(f"MC{q}" for q in range(10, 20)),
    ]
    doc = json.loads(ok(twin, "show queue counters -j Ethernet0"))
    assert list(doc) == ["Ethernet0"]
    assert doc["Ethernet0"]["UC3"] == {"dropbytes": "0", "droppacket": "0", "totalbytes": "0", "totalpacket": "0"}


def test_ecnconfig_list_prints_the_skus_wred_profile_in_hash_order() -> None:
    twin = leaf(sku="Force10-S6000")
    text = ok(twin, "ecnconfig -l")
    assert text == ok(twin, "show ecn")
    lines = text.splitlines()
    assert lines[0] == "Profile: AZURE_LOSSLESS"
    row = twin.config.hgetall("WRED_PROFILE|AZURE_LOSSLESS")
    assert [line.split() for line in lines[2:-2]] == [[k, v] for k, v in row.items()]
    assert text.endswith("\n\n")


def test_interfaces_status_on_twin_reports_oper_state_from_cabling() -> None:
    lines = ok(leaf(ports=3, cabled=1), "show interfaces status").splitlines()
    assert lines[0].split() == golden("show_interfaces_status.txt").splitlines()[0].split()
    expected = ["Ethernet0", "0,1,2,3,4,5,6,7", "400G", "9100", "N/A", "etp1", "routed", "up", "up", "N/A", "N/A"]
    assert lines[2].split() == expected
    assert lines[3].split()[7] == "down"


def test_pg_headroom_watermark_matches_golden() -> None:
    twin = leaf(ports=3)
    field = "SAI_INGRESS_PRIORITY_GROUP_STAT_XOFF_ROOM_WATERMARK_BYTES"
    for index, base in enumerate((100, 400, 800)):
        for pg in range(8):
            oid = ok(twin, f"sonic-db-cli COUNTERS_DB hget COUNTERS_PG_NAME_MAP Ethernet{4 * index}:{pg}").strip()
            ok(twin, f"sonic-db-cli COUNTERS_DB hset USER_WATERMARKS:{oid} {field} {base + pg}")
    assert ok(twin, "show priority-group watermark headroom") == golden("show_pg_watermark_headroom.txt")
    assert "Ethernet0     100" not in ok(twin, "show priority-group persistent-watermark headroom")


def test_print_data_is_sorted_four_space_json_of_config_db() -> None:
    text = ok(leaf(), "sonic-cfggen -d --print-data")
    doc = json.loads(text)
    assert text == json.dumps(doc, indent=4, sort_keys=True) + "\n"
    assert doc["PORT"]["Ethernet0"]["mtu"] == "9100"
    assert doc["DEVICE_METADATA"]["localhost"]["hwsku"] == "ACS-SN5600"
    running = json.loads(ok(leaf(), "show runningconfiguration all"))
    assert list(running)[-1] == "bgpraw"
    assert {k: v for k, v in running.items() if k != "bgpraw"} == doc


def test_mmuconfig_list_layout() -> None:
    twin = leaf(model="dynamic")
    text = ok(twin, "mmuconfig -l")
    assert text.startswith("Lossless traffic pattern:\n------------------  -\ndefault_dynamic_th  0\n")
    pools = [line.removeprefix("Pool: ") for line in text.splitlines() if line.startswith("Pool: ")]
    assert pools == list(twin.config.table("BUFFER_POOL"))
    assert "Profile: q_lossy_profile\n" in text
    assert ok(leaf(model="dynamic"), "show buffer configuration") == text
