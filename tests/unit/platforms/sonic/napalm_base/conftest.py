"""NAPALM's own driver test pattern (napalm.base.test): a patched driver whose device is a test double that
answers each command from a file of the current getter's test case, `mocked_data/<test>/<case>/`, and
`expected_result.json` per case. The fixture directories live in tests/fixtures/sonic_platform/napalm/.

The double plays the SONiC side the driver talks to: batched lines (`echo MARK; cmd; ...`) are split and
answered part by part, `sonic-db-cli <DB> keys|hgetall` are answered from the case's Redis dumps
(`appl_db.json`, `state_db.json`, the shape of sonic-utilities' mock_tables), every other command from the
file named after it (`BaseTestDouble.sanitize_text(command) + ".txt"`).
"""

from __future__ import annotations

import fnmatch
import json
import shlex
from pathlib import Path
from typing import Any

import pytest
from napalm.base.test import conftest as parent_conftest
from napalm.base.test.double import BaseTestDouble

from agent.platforms.base import RunResult
from agent.platforms.sonic.driver import RoceSonicDriver

MOCKED = Path(__file__).parents[4] / "fixtures" / "sonic_platform" / "napalm"
DUMPS = {"APPL_DB": "appl_db.json", "STATE_DB": "state_db.json"}


class FakeSonicShell(BaseTestDouble):  # type: ignore[misc]
    """A CommandRunner over the current test case's files."""

    device = "leaf1"

    def __init__(self) -> None:
        super().__init__()
        self.round_trips = 0
        self.commands: list[str] = []

    def find_file(self, filename: str) -> str:
        path = MOCKED / "mocked_data" / self.current_test / self.current_test_case / filename
        if not path.is_file():
            raise OSError(f"Couldn't find file with mocked data: {path}")
        return str(path)

    def run(self, command: str, *, timeout: float = 60.0) -> RunResult:
        self.round_trips += 1
        self.commands.append(command)
        return RunResult(output="".join(self._answer(part) for part in command.split("; ")), exit_code=0)

    def _answer(self, command: str) -> str:
        words = shlex.split(command)
        if words[0] == "echo":
            return " ".join(words[1:]) + "\n"
        if words[:1] == ["sonic-db-cli"] and words[1] in DUMPS:
            return self._db(words[1], words[2], words[3])
        return str(self.read_txt_file(self.find_file(self.sanitize_text(command) + ".txt")))

    def _db(self, db: str, op: str, arg: str) -> str:
        try:
            dump: dict[str, dict[str, str]] = self.read_json_file(self.find_file(DUMPS[db]))
        except OSError:
            dump = {}
        if op == "keys":
            return "".join(f"{key}\n" for key in sorted(dump) if fnmatch.fnmatchcase(key, arg))
        return repr(dump.get(arg, {})) + "\n"  # sonic-db-cli prints the hash as a Python dict literal


class PatchedRoceSonicDriver(RoceSonicDriver):
    """The real driver with its session replaced by the double (NAPALM's `patched_attrs` convention)."""

    def __init__(self, hostname: str, username: str, password: str, timeout: int = 60, optional_args: Any = None):
        super().__init__(hostname, username, password, timeout, optional_args)
        self.patched_attrs = ["runner"]
        self.runner: Any = FakeSonicShell()

    def open(self) -> None:
        return None  # the double is the session

    def close(self) -> None:
        return None


@pytest.fixture(scope="class")
def set_device_parameters(request: pytest.FixtureRequest) -> None:
    request.cls.driver = RoceSonicDriver
    request.cls.patched_driver = PatchedRoceSonicDriver
    request.cls.vendor = "rocesonic"
    parent_conftest.set_device_parameters(request)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    parent_conftest.pytest_generate_tests(metafunc, str(MOCKED / "conftest.py"))  # -> MOCKED/mocked_data/<test>


def load_json(path: Path) -> Any:
    return json.loads(path.read_text())
