"""The twin's CLI, byte for byte, against sonic-utilities' expected outputs for the same databases.

Every command of ../shared/real-sonic/cli/PROVENANCE.json, plus the other spellings SONiC offers for it (the
`show` wrapper and the script it runs, `show ecn`/`show mmu`), runs on a twin loaded with the real mock
tables; stdout must equal the upstream expected text exactly (upstream asserts `output == expected`).
"""

from __future__ import annotations

import json

import pytest
from real_sonic import mock_twin, real_dir

ALIASES = {  # PROVENANCE command -> the other command lines that print the same bytes on real SONiC
    "show pfc counters": ["pfcstat -s all"],
    "show pfc priority": ["pfc show priority"],
    "show pfc priority Ethernet0": ["pfc show priority Ethernet0"],
    "show pfc asymmetric": ["pfc show asymmetric"],
    "show pfc asymmetric Ethernet0": ["pfc show asymmetric Ethernet0"],
    "pfcwd show config": ["show pfcwd config"],
    "pfcwd show stats": ["show pfcwd stats"],
    "show queue counters": ["queuestat"],
    "show queue counters Ethernet8": ["queuestat -p Ethernet8"],
    "show queue counters --json": ["queuestat -j", "show queue counters -j"],
    "show queue wredcounters": ["wredstat"],
    "show queue wredcounters Ethernet8": ["wredstat -p Ethernet8"],
    "show priority-group watermark headroom": ["watermarkstat -t pg_headroom"],
    "show priority-group watermark shared": ["watermarkstat -t pg_shared"],
    "show priority-group persistent-watermark headroom": ["watermarkstat -p -t pg_headroom"],
    "ecnconfig -l": ["show ecn"],
    "mmuconfig -l": ["show mmu"],
    "show buffer information": ["buffershow -l"],
}


def _cases() -> list[tuple[str, str]]:
    try:
        provenance = json.loads((real_dir("cli") / "PROVENANCE.json").read_text(encoding="utf-8"))
    except pytest.skip.Exception:
        return []
    cases = []
    for entry in provenance["files"]:
        command = entry["command"].split("  (")[0].strip()
        name = entry["file"].removeprefix("cli/")
        cases += [(line, name) for line in [command, *ALIASES.get(command, [])]]
    return cases


def _normalised_json(text: str) -> str:
    """What upstream's test_queue_counters_json compares: per-port `time` removed, json_dump form."""
    doc = json.loads(text)
    for port in doc.values():
        assert "T" in port.pop("time"), "each port carries its isoformat time, as queuestat -j prints it"
    return json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False)


@pytest.mark.parametrize(("command", "expected_file"), _cases())
def test_twin_prints_what_real_sonic_prints(command: str, expected_file: str) -> None:
    expected = (real_dir("cli") / expected_file).read_text(encoding="utf-8")
    result = mock_twin().run(command, sudo=False)
    assert result.exit_code == 0, result.stderr
    output = _normalised_json(result.stdout) if expected_file.endswith("_json.txt") else result.stdout
    assert output == expected


def test_every_provenance_command_is_covered() -> None:
    assert len(_cases()) == 38


def test_queue_counters_after_sonic_clear_are_differences_with_separators() -> None:
    twin = mock_twin()
    assert twin.run("sonic-clear queuecounters", sudo=False).stdout.startswith(
        "Clear and update saved counters for Ethernet0\n"
    )
    oid = twin.counters.hget("COUNTERS_QUEUE_NAME_MAP", "Ethernet0:0")
    assert oid is not None
    before = int(twin.counters.hget(f"COUNTERS:{oid}", "SAI_QUEUE_STAT_PACKETS") or "0")
    twin.counters.hset(f"COUNTERS:{oid}", {"SAI_QUEUE_STAT_PACKETS": str(before + 1234)})
    text = twin.run("show queue counters Ethernet0", sudo=False).stdout
    assert text.startswith("Last cached time was 2026-")
    assert "For namespace" not in text
    row = next(line for line in text.splitlines() if " UC0 " in line)
    assert row.split()[2:4] == ["1,234", "0"]
    doc = json.loads(twin.run("show queue counters Ethernet0 --json", sudo=False).stdout)
    assert doc["Ethernet0"]["UC0"]["totalpacket"] == "1,234"
    assert doc["Ethernet0"]["cached_time"].startswith("2026-")


def test_pg_watermark_clear_zeroes_the_user_table_only() -> None:
    twin = mock_twin()
    assert twin.run("sonic-clear priority-group watermark headroom", sudo=False).exit_code == 0
    user = twin.run("show priority-group watermark headroom", sudo=False).stdout
    persistent = twin.run("show priority-group persistent-watermark headroom", sudo=False).stdout
    assert persistent == (real_dir("cli") / "show_pg_persistent_watermark_headroom.txt").read_text(encoding="utf-8")
    rows = [line.split()[1:] for line in user.splitlines()[3:]]
    assert rows
    assert all(cell in ("0", "N/A") for row in rows for cell in row)
