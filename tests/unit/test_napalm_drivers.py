"""NAPALM's bundled drivers are not executed by `import napalm` in the CLI, and still load when used."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "report"

_USE = """
import sys
from agent.napalm_drivers import defer_bundled_drivers
assert "napalm.junos" in defer_bundled_drivers()
from napalm import get_network_driver
import napalm
assert type(sys.modules["napalm.junos"]).__name__ == "_Deferred"
assert "jnpr.junos" not in sys.modules and "requests" not in sys.modules
assert get_network_driver("rocesonic").__name__ == "RoceSonicDriver"
assert get_network_driver("junos").__name__ == "JunOSDriver"  # dir() of the placeholder runs it
assert "jnpr.junos" in sys.modules and napalm.junos.JunOSDriver
from napalm.ios import IOSDriver  # a name lookup runs it too
assert get_network_driver("nxos_ssh").__name__ == "NXOSSSHDriver"
assert defer_bundled_drivers() == []  # napalm is imported: too late, nothing done
print("ok")
"""

# The CLI, offline (inventory + snapshot): loads the inventory (Nornir registers nornir_napalm's plugin,
# which imports napalm), runs every check, prints the report; then says whether junos was executed.
_CLI = """
import sys
from agent.cli import main
sys.argv = ["roce-agent", "audit", "-i", sys.argv[1], "--from-snapshot", sys.argv[2], "--no-history", "-q",
            "--format", "json", "-o", sys.argv[3]]
try:
    main()
except SystemExit:
    pass
print("napalm" in sys.modules, "jnpr.junos" in sys.modules)
"""


def _run(script: str, *args: str) -> str:
    out = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_deferred_drivers_load_when_used() -> None:
    assert _run(_USE) == "ok"


def test_the_cli_never_executes_an_unused_napalm_driver(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    assert _run(_CLI, str(FIXTURES / "inventory"), str(FIXTURES / "snapshot-faults"), str(report)) == "True False"
    assert report.stat().st_size > 0
