"""The twin's bash surface: batching, redirections, db CLIs, files, faults, timers."""

from __future__ import annotations

import json

import pytest
from sonic_twin_helpers import config, leaf, ok, start_watchdog

from rocelab.sonic.faults import HANG_SECONDS
from rocelab.sonic.shell import split_line


def test_split_line_honours_quotes_connectors_and_pipes() -> None:
    parts = split_line("echo '==BEGIN a;b=='; sonic-db-cli CONFIG_DB hgetall 'PORT|Ethernet0' | grep mtu && true")
    assert [c for c, _ in parts] == [";", ";", "&&"]
    assert parts[0][1][0].words == ["echo", "==BEGIN a;b=="]
    assert [s.words[0] for s in parts[1][1]] == ["sonic-db-cli", "grep"]


def test_batched_read_with_echo_markers_in_one_round_trip() -> None:
    twin = leaf()
    out = ok(twin, "echo ==BEGIN pfc==; show pfc priority Ethernet0; echo ==END pfc==; hostname")
    lines = out.splitlines()
    assert lines[0] == "==BEGIN pfc=="
    assert lines[-2] == "==END pfc=="
    assert lines[-1] == "leaf1"
    assert "Ethernet0    3,4" in lines


def test_and_or_short_circuit_and_exit_code_of_last_command() -> None:
    twin = leaf()
    res = twin.run("false && echo no; echo yes || echo never", sudo=False)
    assert (res.stdout, res.exit_code) == ("yes\n", 0)
    res = twin.run("echo a; nosuchcmd", sudo=False)
    assert (res.stdout, res.stderr, res.exit_code) == ("a\n", "-bash: nosuchcmd: command not found\n", 127)


def test_unquoted_pipe_in_key_is_a_pipe_like_bash() -> None:
    res = leaf().run("sonic-db-cli CONFIG_DB hgetall PORT|Ethernet0", sudo=False)
    assert res.exit_code == 127
    assert "Ethernet0: command not found" in res.stderr


def test_sonic_db_cli_reads_writes_and_globs() -> None:
    twin = leaf()
    assert ok(twin, "sonic-db-cli CONFIG_DB hget 'PORT|Ethernet0' mtu") == "9100\n"
    assert ok(twin, "sonic-db-cli CONFIG_DB hget 'PORT|Ethernet0' nope") == "\n"
    assert ok(twin, "sonic-db-cli CONFIG_DB hset 'PORT|Ethernet0' mtu 9000 description x") == "1\n"
    assert ok(twin, "sonic-db-cli CONFIG_DB keys 'QUEUE|Ethernet0|[34]'") == "QUEUE|Ethernet0|3\nQUEUE|Ethernet0|4\n"
    assert ok(twin, "sonic-db-cli CONFIG_DB exists 'PORT|Ethernet0'") == "1\n"
    assert ok(twin, "sonic-db-cli CONFIG_DB hdel 'PORT|Ethernet0' description") == "1\n"
    assert ok(twin, "sonic-db-cli CONFIG_DB del 'QUEUE|Ethernet0|6'") == "1\n"
    assert ok(twin, "sonic-db-cli CONFIG_DB hgetall 'QUEUE|Ethernet0|6'") == "{}\n"
    assert ok(twin, "sonic-db-cli STATE_DB hget 'PORT_TABLE|Ethernet0' netdev_oper_status") == "up\n"
    assert ok(twin, "sonic-db-cli APPL_DB hget PORT_TABLE:Ethernet8 oper_status") == "down\n"
    assert ok(twin, "sonic-db-cli CONFIG_DB hexists 'PORT|Ethernet0' mtu") == "True\n"
    assert ok(twin, "sonic-db-cli CONFIG_DB keys 'NOPE*'") == "\n"
    bad = twin.run("sonic-db-cli NOPE_DB keys '*'", sudo=False)
    assert bad.exit_code == 1
    wrong = twin.run("sonic-db-cli CONFIG_DB hget 'PORT|Ethernet0'", sudo=False)
    assert (wrong.stdout, wrong.exit_code) == ("", 1)
    assert "wrong number of arguments" in wrong.stderr


def test_redis_cli_numbered_output() -> None:
    twin = leaf()
    assert ok(twin, "redis-cli -n 4 hgetall 'BUFFER_PG|Ethernet0|0'") == '1) "profile"\n2) "ingress_lossy_profile"\n'
    assert ok(twin, "redis-cli -n 4 hget 'BUFFER_PG|Ethernet0|0' nope") == "(nil)\n"
    assert ok(twin, "redis-cli -n 4 keys 'NOPE*'") == "(empty array)\n"
    keys = ok(twin, "redis-cli -n 4 keys 'QUEUE|*'").splitlines()
    assert keys[0] == ' 1) "QUEUE|Ethernet0|3"'  # the SKU render's order (qos_config.j2 lists queues 3-4 first)
    assert keys[-1].startswith("14) ")  # 7 queues on each of the 2 cabled ports
    assert ok(twin, "redis-cli -n 4 del 'QUEUE|Ethernet0|0' 'QUEUE|nope'") == "(integer) 1\n"


def test_cfggen_var_json_prints_one_table() -> None:
    doc = json.loads(ok(leaf(), "sonic-cfggen -d --var-json DEVICE_METADATA"))
    assert doc["localhost"]["hostname"] == "leaf1"
    assert doc["localhost"]["buffer_model"] == "traditional"


def test_config_save_writes_startup_config_that_cat_shows() -> None:
    twin = leaf()
    assert json.loads(ok(twin, "cat /etc/sonic/config_db.json")) == config(twin)
    ok(twin, "config interface mtu Ethernet0 9000", sudo=True)
    assert json.loads(ok(twin, "cat /etc/sonic/config_db.json"))["PORT"]["Ethernet0"]["mtu"] == "9100"
    assert ok(twin, "sudo config save -y").startswith("Running command: /usr/local/bin/sonic-cfggen -d --print-data")
    assert json.loads(ok(twin, "cat /etc/sonic/config_db.json"))["PORT"]["Ethernet0"]["mtu"] == "9000"


def test_redirections_write_and_discard() -> None:
    twin = leaf()
    ok(twin, "sonic-cfggen -d --print-data > /tmp/cfg.json; nosuch 2>/dev/null; echo more >> /tmp/cfg.json")
    data = twin.read_file("/tmp/cfg.json")
    assert data is not None
    assert data.endswith(b"}\nmore\n")
    res = twin.run("nosuch >/dev/null 2>&1", sudo=False)
    assert (res.stdout, res.stderr, res.exit_code) == ("", "", 127)


def test_interface_pfc_priority_cli_messages_and_sorted_list() -> None:
    twin = leaf()
    assert ok(twin, "config interface pfc priority Ethernet0 2 on", sudo=True) == ""
    assert config(twin)["PORT_QOS_MAP"]["Ethernet0"]["pfc_enable"] == "2,3,4"
    assert ok(twin, "config interface pfc priority Ethernet0 3 on", sudo=True) == (
        "Priority 3 has already been enabled on Ethernet0\n"
    )
    assert ok(twin, "config interface pfc priority Ethernet99 3 on", sudo=True) == "Cannot find interface Ethernet99\n"
    assert twin.run("config interface mtu Ethernet0 9300", sudo=True).exit_code == 2


def test_deadman_timer_runs_rollback_after_its_sleep_unless_disarmed() -> None:
    twin = leaf()
    clock = [1000.0]
    twin.wall = lambda: clock[0]
    before = config(twin)
    ok(twin, "config checkpoint tx1", sudo=True)
    twin.write_file("/tmp/tx1.pending", b"{}")
    script = "sleep 30; test -e /tmp/tx1.pending && config rollback tx1 && rm -f /tmp/tx1.pending"
    ok(twin, f"sudo setsid -f sh -c '{script}' >/dev/null 2>&1 </dev/null")
    ok(twin, "config interface mtu Ethernet0 4000", sudo=True)
    clock[0] += 29
    assert config(twin)["PORT"]["Ethernet0"]["mtu"] == "4000"
    clock[0] += 2
    assert config(twin) == before
    assert twin.run("cat /tmp/tx1.pending", sudo=False).exit_code == 1


def test_fault_fail_command_fails_next_match_once() -> None:
    twin = leaf()
    assert "fail the next command" in twin.inject_fault("fail-command", {"pattern": "config save", "message": "boom"})
    res = twin.run("config save -y", sudo=True)
    assert (res.stderr, res.exit_code) == ("boom\n", 1)
    assert twin.run("config save -y", sudo=True).exit_code == 0


def test_fault_drop_after_commands_latency_hang_and_clear() -> None:
    twin = leaf()
    twin.inject_fault("drop-after-commands", {"k": "2"})
    assert not twin.run("true", sudo=False).disconnect
    assert twin.run("echo last", sudo=False).disconnect
    assert not twin.run("true", sudo=False).disconnect
    twin.inject_fault("latency", {"seconds": "0.25"})
    assert twin.run("true", sudo=False).delay_s == pytest.approx(0.25)
    twin.inject_fault("hang", {})
    assert twin.run("show version", sudo=False).delay_s >= HANG_SECONDS
    twin.inject_fault("clear", {})
    assert twin.run("true", sudo=False).delay_s == 0.0


def test_fault_and_traffic_input_errors() -> None:
    twin = leaf()
    with pytest.raises(ValueError, match="unknown fault kind"):
        twin.inject_fault("explode", {})
    with pytest.raises(ValueError, match="k=N"):
        twin.inject_fault("drop-after-writes", {})
    with pytest.raises(ValueError, match="no port"):
        twin.set_traffic("Ethernet99", "steady")
    with pytest.raises(ValueError, match="pattern"):
        twin.set_traffic("Ethernet0", "tsunami")


def test_drop_after_writes_survives_dry_run_and_covers_db_cli_writes() -> None:
    twin = leaf()
    twin.inject_fault("drop-after-writes", {"k": "1"})
    twin.write_file("/tmp/p.json", b'[{"op": "replace", "path": "/PORT/Ethernet0/mtu", "value": "9000"}]')
    assert not twin.run("config apply-patch --dry-run /tmp/p.json", sudo=True).disconnect
    assert not twin.run("sonic-db-cli CONFIG_DB hset 'PORT|Ethernet4' mtu 9000", sudo=True).disconnect
    res = twin.run("sonic-db-cli CONFIG_DB hset 'PORT|Ethernet8' mtu 9000", sudo=True)
    assert res.disconnect
    assert config(twin)["PORT"]["Ethernet8"]["mtu"] == "9100"  # the dropped write never happened
    assert not twin.run("config apply-patch /tmp/p.json", sudo=True).disconnect  # one-shot: disarmed


def test_pfc_asymmetric_show_and_config() -> None:
    twin = leaf(ports=2)
    assert ok(twin, "show pfc asymmetric") == (
        "\nInterface    Asymmetric\n-----------  ------------\nEthernet0    N/A\nEthernet4    N/A\n\n"
    )
    ok(twin, "config interface pfc asymmetric Ethernet4 off", sudo=True)
    assert "Ethernet4    off" in ok(twin, "show pfc asymmetric")


def test_pfcwd_check_storm_exit_code() -> None:
    twin = start_watchdog(leaf())
    assert twin.run("pfcwd show stats --check-storm", sudo=False).exit_code == 0
    twin.set_traffic("Ethernet0", "storm")
    ok(twin, "sleep 1")
    assert twin.run("pfcwd show stats --check-storm", sudo=False).exit_code == 1


def test_keys_glob_follows_redis_syntax() -> None:
    twin = leaf()
    assert ok(twin, "sonic-db-cli CONFIG_DB keys 'QUEUE|Ethernet0|[^0-4]'") == "QUEUE|Ethernet0|5\nQUEUE|Ethernet0|6\n"
    expected = "PORT|Ethernet0\nPORT|Ethernet4\nPORT|Ethernet8\n"
    assert ok(twin, "sonic-db-cli CONFIG_DB keys 'PORT|Ethernet?'") == expected


def test_cfggen_write_to_db_merges_fields_like_mod_config() -> None:
    twin = leaf()
    doc = {"PORT": {"Ethernet0": {"mtu": "9000"}}, "CABLE_LENGTH": {"AZURE": {"Ethernet4": "40m"}}}
    twin.write_file("/tmp/frag.json", json.dumps(doc).encode())
    ok(twin, "sonic-cfggen -j /tmp/frag.json --write-to-db")
    cfg = config(twin)
    assert cfg["PORT"]["Ethernet0"]["mtu"] == "9000"
    assert cfg["PORT"]["Ethernet0"]["speed"] == "400000"  # merged, not replaced
    assert cfg["CABLE_LENGTH"]["AZURE"]["Ethernet0"] == "5m"  # untouched: the SKU's default_cable
    assert "Ethernet4|3-4" in cfg["BUFFER_PG"]  # buffermgrd reacted


def test_config_reload_restores_saved_config_and_restarts_counters() -> None:
    twin = leaf()
    twin.set_traffic("Ethernet0", "steady")
    ok(twin, "sleep 1")
    ok(twin, "config interface shutdown Ethernet4", sudo=True)
    assert config(twin)["PORT"]["Ethernet4"]["admin_status"] == "down"
    assert ok(twin, "config reload -y", sudo=True).startswith("Running command:")
    assert config(twin)["PORT"]["Ethernet4"]["admin_status"] == "up"
    assert "Ethernet0    UC3               0" in ok(twin, "show queue counters Ethernet0")


def test_uploaded_startup_config_is_loaded_by_config_reload() -> None:
    twin = leaf()
    startup = config(twin)
    startup["PORT"]["Ethernet0"]["mtu"] = "4096"
    twin.write_file("/etc/sonic/config_db.json", json.dumps(startup).encode())
    assert json.loads(ok(twin, "cat /etc/sonic/config_db.json")) == startup
    ok(twin, "config reload -y", sudo=True)
    assert config(twin) == startup


def test_ecnconfig_profile_and_queue_writes() -> None:
    twin = leaf(cabled=2)
    assert twin.run("ecnconfig -p AZURE_LOSSLESS -gmin 150000", sudo=False).exit_code == 1  # root only
    ok(twin, "ecnconfig -p AZURE_LOSSLESS -gmin 150000 -gmax 1500000 -gdrop 10", sudo=True)
    wred = config(twin)["WRED_PROFILE"]["AZURE_LOSSLESS"]
    assert (wred["green_min_threshold"], wred["green_max_threshold"], wred["green_drop_probability"]) == (
        "150000",
        "1500000",
        "10",
    )
    bad = twin.run("ecnconfig -p AZURE_LOSSLESS -gmin 3000000", sudo=True)
    assert bad.exit_code == 1  # min > max after merging with the profile
    assert twin.run("ecnconfig -p NOPE -gmin 1", sudo=True).stderr == "Invalid WRED profile NOPE\n"
    ok(twin, "ecnconfig -q 3 off", sudo=True)
    assert "wred_profile" not in config(twin)["QUEUE"]["Ethernet0|3"]
    assert "Ethernet8|3" not in config(twin)["QUEUE"]  # not a DEVICE_NEIGHBOR port: no QoS rendered, untouched
    assert ok(twin, "ecnconfig -q 3") == "ECN status:\nqueue 3: off\n"
    assert leaf(cabled=0).run("ecnconfig -q 3 on", sudo=True).stderr.startswith("No active ports detected")


def test_empty_quoted_argument_reaches_the_command_like_bash() -> None:
    twin = leaf()
    res = twin.run("sonic-db-cli CONFIG_DB hset 'PORT_QOS_MAP|Ethernet0' pfc_enable ''", sudo=False)
    assert (res.stdout, res.stderr, res.exit_code) == ("0\n", "", 0)  # an existing field: redis HSET adds 0
    assert ok(twin, 'sonic-db-cli CONFIG_DB hget "PORT_QOS_MAP|Ethernet0" pfc_enable') == "\n"
    ok(twin, 'sonic-db-cli CONFIG_DB hset PORT_QOS_MAP\\|Ethernet4 pfc_enable ""')
    assert config(twin)["PORT_QOS_MAP"]["Ethernet4"]["pfc_enable"] == ""


def test_quotes_escapes_comments_and_status_follow_bash() -> None:
    twin = leaf()
    assert ok(twin, "echo 'a b'\"c d\"e\\ f") == "a bc de f\n"
    assert ok(twin, 'echo "x\\"y" "\\$HOME" \'\\n\'') == 'x"y $HOME \\n\n'
    assert ok(twin, "false; echo $? \"rc=$?\" '$?'; true; echo $?") == "1 rc=1 $?\n0\n"
    assert ok(twin, "nosuch 2>/dev/null; echo $?") == "127\n"
    assert ok(twin, "echo kept # a comment; echo gone") == "kept\n"
    res = twin.run("echo to-stderr 1>&2", sudo=False)
    assert (res.stdout, res.stderr) == ("", "to-stderr\n")
    res = twin.run('echo "open', sudo=False)
    assert res.exit_code == 2
    assert "unexpected EOF while looking for matching" in res.stderr
