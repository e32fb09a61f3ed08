"""Every malformed input of the project's corpus, through every command that reads it, contacts nothing.

The corpus: tests/fixtures/malformed/{inventory,policy,playbook}/<case>/ (each case replaces files of
tests/fixtures/malformed/base/), plus the older single-file corpora tests/fixtures/policy/invalid/ and
tests/fixtures/rollout/invalid/. A case's offending file declares in its header what the error must say:

    # expect-field: leaf1.port                      (field path; empty for file-level problems)
    # expect-line: 7                                (the line carrying the `# <- error` marker; empty: none)
    # expect-message: port must be a whole number   (fragment of the message)
    # expect-skip: inventory-show                   (commands that legitimately accept the input)

Each command runs as a real CLI invocation (typer's CliRunner over the `roce-agent` app) and must exit 2,
print `file:line: field: message`, raise nothing (no traceback) and open **no TCP connection**: every
device of the base inventory points at a listening socket of this test that counts what it accepts. A
control case (the unmodified base inventory) proves the sockets are the ones a command would reach.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.errors import EXIT_CANNOT_RUN

FIXTURES = Path(__file__).parents[2] / "fixtures"
CORPUS = FIXTURES / "malformed"
BASE = CORPUS / "base"
DEVICES = 5  # @PORT0@ .. @PORT4@ in the base inventory
HEADER = re.compile(r"^# expect-(field|line|message|skip):[ ]?(.*)$")
MARK = "# <- error"
UNSET_VARIABLE = "ROCE_CORPUS_UNSET_PASSWORD"


class Listener:
    """Sockets the inventory's devices point at; counts every connection accepted (then closes it)."""

    def __init__(self, count: int) -> None:
        self.sockets = [socket.create_server(("127.0.0.1", 0)) for _ in range(count)]
        self.ports = [s.getsockname()[1] for s in self.sockets]
        self.accepted = 0
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._serve, args=(s,), daemon=True) for s in self.sockets]
        for t in self._threads:
            t.start()

    def _serve(self, server: socket.socket) -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with self._lock:
                self.accepted += 1
            conn.close()

    def close(self) -> None:
        """Stop the accept threads too: a bare close() does not wake a thread blocked in accept(), and a
        thread left behind makes every later fork in this test process unsafe (agent.runners.processes)."""
        for s in self.sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)  # wakes accept() on Linux
            s.close()
        for t in self._threads:
            t.join(timeout=5)


@dataclass(frozen=True)
class Case:
    name: str
    kind: str  # inventory | policy | playbook
    files: dict[str, bytes]  # file name in the inventory directory -> content (placeholders not yet replaced)
    offending: str  # file name the error is in
    field: str
    line: int | None
    message: str
    skip: frozenset[str] = frozenset()


def _header(text: str) -> dict[str, str]:
    found = {}
    for row in text.splitlines():
        m = HEADER.match(row)
        if m:
            found[m.group(1)] = m.group(2).strip()
    return found


def _corpus_case(directory: Path, kind: str) -> Case:
    files = {p.name: p.read_bytes() for p in sorted(directory.iterdir())}
    declared = [(n, _header(c.decode("latin-1"))) for n, c in files.items()]
    (offending, head), *others = [(n, h) for n, h in declared if h]
    assert not others, f"{directory}: one file declares the expected error"
    line = int(head["line"]) if head.get("line") else None
    skip = frozenset(s.strip() for s in head.get("skip", "").split(",") if s.strip())
    return Case(directory.name, kind, files, offending, head["field"], line, head["message"], skip)


def _policy_case(path: Path) -> Case:
    head = _header(path.read_text())
    data = path.read_bytes()
    return Case(f"policy-invalid-{path.stem}", "policy", {"policy.yaml": data}, "policy.yaml", head["field"],
                int(head["line"]), head["message"])  # fmt: skip


def _playbook_case(path: Path) -> Case:
    number, field, message = path.with_suffix(".expected").read_text().splitlines()[0].split(" ", 2)
    if number.isdigit() and field == "not":  # "6 not valid YAML": a file-level problem has no field
        field, message = "", f"not {message}"
    return Case(f"playbook-invalid-{path.stem}", "playbook", {"rollout.yaml": path.read_bytes()}, "rollout.yaml",
                field, int(number), message)  # fmt: skip


def all_cases() -> list[Case]:
    cases = [
        _corpus_case(d, kind) for kind in ("inventory", "policy", "playbook") for d in sorted((CORPUS / kind).iterdir())
    ]
    cases += [_policy_case(p) for p in sorted((FIXTURES / "policy" / "invalid").glob("*.yaml"))]
    cases += [_playbook_case(p) for p in sorted((FIXTURES / "rollout" / "invalid").glob("*.yaml"))]
    return cases


CASES = all_cases()

INVENTORY_COMMANDS = {
    "plan": ["plan", "-i", "{inv}"],
    "apply": ["apply", "-i", "{inv}", "--yes"],
    "rollback": ["rollback", "-i", "{inv}", "--yes"],
    "audit": ["audit", "-i", "{inv}"],
    "rollout-check": ["rollout", "{inv}/rollout.yaml", "--check"],
    "rollout": ["rollout", "{inv}/rollout.yaml", "--yes"],
    "rollout-audit": ["rollout", "{inv}/audit.yaml"],
    "inventory-show": ["inventory", "show", "-i", "{inv}"],
    "monitor": ["monitor", "-i", "{inv}", "--once", "--no-listen", "--no-history", "--interval", "1s"],
}
POLICY_COMMANDS = {k: v for k, v in INVENTORY_COMMANDS.items() if k != "inventory-show"} | {
    "policy-validate": ["policy", "validate", "{inv}/policy.yaml"],
    "policy-show": ["policy", "show", "{inv}/policy.yaml"],
    "host-audit": ["host", "audit", "-p", "{inv}/policy.yaml"],
    "host-plan": ["host", "plan", "-p", "{inv}/policy.yaml"],
    "host-apply": ["host", "apply", "-p", "{inv}/policy.yaml", "--dry-run"],
}
PLAYBOOK_COMMANDS = {
    "rollout.yaml": {"rollout-check": INVENTORY_COMMANDS["rollout-check"], "rollout": INVENTORY_COMMANDS["rollout"]},
    "audit.yaml": {"rollout-audit": INVENTORY_COMMANDS["rollout-audit"]},
}


def commands_for(case: Case) -> dict[str, list[str]]:
    if case.kind == "inventory":
        chosen = INVENTORY_COMMANDS
    elif case.kind == "policy":
        chosen = POLICY_COMMANDS
    else:
        chosen = PLAYBOOK_COMMANDS[case.offending]
    return {k: v for k, v in chosen.items() if k not in case.skip}


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    sockets = Listener(DEVICES)
    yield sockets
    sockets.close()


def _substitute(data: bytes, ports: list[int]) -> bytes:
    for i, port in enumerate(ports):
        data = data.replace(f"@PORT{i}@".encode(), str(port).encode())
    return data


def materialize(case: Case, root: Path, ports: list[int]) -> Path:
    inv = (root / case.name).resolve()
    shutil.copytree(BASE, inv)
    for name, data in case.files.items():
        (inv / name).write_bytes(data)
    for path in inv.iterdir():
        path.write_bytes(_substitute(path.read_bytes(), ports))
    return inv


def _expected_location(case: Case, inv: Path) -> str:
    where = f"{inv / case.offending}" + (f":{case.line}" if case.line is not None else "")
    return f"{where}: {case.field}: " if case.field else f"{where}: "


def test_corpus_covers_the_issue(listener: Listener) -> None:
    kinds = {c.kind for c in CASES}
    assert kinds == {"inventory", "policy", "playbook"}
    assert len([c for c in CASES if c.kind == "inventory"]) >= 40


@pytest.mark.parametrize("case", [c for c in CASES if c.line is not None], ids=lambda c: c.name)
def test_expected_line_is_the_marked_line(case: Case) -> None:
    """The declared line is the one carrying `# <- error` (where the corpus marks it), so a wrong line in
    the agent's message cannot be written into the expectation by accident."""
    text = case.files[case.offending].decode("latin-1").splitlines()
    marked = [i + 1 for i, row in enumerate(text) if MARK in row]
    if marked:
        assert marked == [case.line]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_malformed_input_exits_2_located_without_contacting_anything(
    case: Case, listener: Listener, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(UNSET_VARIABLE, raising=False)
    inv = materialize(case, tmp_path, listener.ports)
    location = _expected_location(case, inv)
    message = _substitute(case.message.encode(), listener.ports).decode()
    before = listener.accepted
    failures = []
    for command, template in commands_for(case).items():
        args = [a.replace("{inv}", str(inv)) for a in template]
        result = CliRunner().invoke(app, args)
        output = result.output
        problems = []
        if result.exit_code != EXIT_CANNOT_RUN:
            problems.append(f"exit {result.exit_code}")
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            problems.append(f"raised {result.exception!r}")
        if "Traceback" in output:
            problems.append("printed a traceback")
        if "***" in output:  # the corpus holds no secret: a mask here hides part of the message
            problems.append("masked part of the message")
        if location not in output or message not in output:
            problems.append(f"no {location!r} ... {message!r}")
        if problems:
            failures.append(f"{command}: {'; '.join(problems)}\n    {output.strip()[:600]}")
    assert listener.accepted == before, f"{listener.accepted - before} TCP connection(s) opened"
    assert not failures, "\n".join(failures)


def test_the_base_inventory_is_valid_and_reaches_the_listening_sockets(listener: Listener, tmp_path: Path) -> None:
    """Control: without a defect the same commands do connect, to exactly these sockets (so a count of
    0 above means 'refused before connecting', not 'pointed elsewhere')."""
    inv = materialize(Case("base", "inventory", {}, "", "", None, ""), tmp_path, listener.ports)
    shown = CliRunner().invoke(app, ["inventory", "show", "-i", str(inv), "--json"])
    assert shown.exit_code == 0, shown.output
    before = listener.accepted
    result = CliRunner().invoke(app, ["plan", "-i", str(inv), "--limit", "leaf1"])
    assert result.exit_code == 1, result.output  # the socket is no SSH server: leaf1 fails, reported
    assert listener.accepted > before


@pytest.mark.parametrize("name", ["hosts-alias-bomb", "port-abc", "missing-secret"])
def test_sample_through_the_installed_command(name: str, listener: Listener, tmp_path: Path) -> None:
    """A sample as a real process: `roce-agent plan` exits 2 with the located message on stderr and
    nothing else there (no traceback, no dependency warning), and nothing connects."""
    case = next(c for c in CASES if c.name == name)
    inv = materialize(case, tmp_path, listener.ports)
    env = {k: v for k, v in os.environ.items() if k != UNSET_VARIABLE}
    before = listener.accepted
    proc = subprocess.run(
        [sys.executable, "-c", "from agent.cli import main; main()", "plan", "-i", str(inv)],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == EXIT_CANNOT_RUN, proc.stderr
    assert _expected_location(case, inv) in proc.stderr
    assert "Traceback" not in proc.stderr
    assert "Warning" not in proc.stderr
    assert listener.accepted == before
