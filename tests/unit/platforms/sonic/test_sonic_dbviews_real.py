"""The redis read computes what the CLIs print: checked on sonic-utilities' own mock DB and CLI output.

The CLI texts in shared/real-sonic/cli were printed by the real pfcstat / queuestat / wredstat /
watermarkstat / pfcwd over the mock tables beside them, so parsing the text and computing from the
tables must agree value for value (no twin involved on either side).
"""

from __future__ import annotations

from agent.platforms.sonic import dbviews
from agent.platforms.sonic import parsers as p
from tests.unit.platforms.sonic.real_sonic_db import cli_text, mock_db


def test_pfc_counters_equal_what_pfcstat_printed() -> None:
    printed = p.parse_pfc_counters("sw", "show pfc counters", cli_text("show_pfc_counters.txt"))
    computed = dbviews.pfc_counters(mock_db("counters_db"))
    assert printed["rx"]
    for direction in ("rx", "tx"):
        assert {k: v for k, v in computed[direction].items() if k in printed[direction]} == printed[direction]
        assert set(printed[direction]) <= set(computed[direction])


def test_queue_counters_equal_what_queuestat_json_printed() -> None:
    printed = p.parse_queue_counters_json("sw", "show queue counters --json", cli_text("show_queue_counters_json.txt"))
    computed = dbviews.queue_counters(mock_db("counters_db"))
    assert printed
    assert computed == printed


def test_wred_ecn_marks_equal_what_wredstat_printed() -> None:
    printed = p.parse_wred_counters("sw", "show queue wredcounters", cli_text("show_queue_wredcounters.txt"))
    computed = dbviews.wred_counters(mock_db("counters_db"))
    assert printed
    assert computed == printed


def test_pg_headroom_watermarks_equal_what_watermarkstat_printed() -> None:
    text = cli_text("show_pg_watermark_headroom.txt")
    printed = p.parse_pg_watermark("sw", "show priority-group watermark headroom", text)
    computed = dbviews.pg_headroom_watermark(mock_db("counters_db"))
    assert printed
    assert {port: computed.get(port) for port in printed} == printed


def test_watchdog_stats_equal_what_pfcwd_printed_for_the_watched_queues() -> None:
    printed = p.parse_pfcwd_stats("sw", "pfcwd show stats", cli_text("pfcwd_show_stats.txt"))
    computed = dbviews.pfcwd_stats(mock_db("counters_db"))
    assert printed
    for port, queues in printed.items():
        assert {q: computed[port][q] for q in queues} == queues
