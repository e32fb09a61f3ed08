"""Per-device known_hosts views: paramiko finds exactly the keys the whole file gives it, and no others."""

from __future__ import annotations

import multiprocessing
import multiprocessing.queues
import subprocess
import sys
from pathlib import Path

import paramiko
import pytest

from agent.transports.hostkeys import lookup_name, pinned_keys_file

KEY_A = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA7bQZ6Yl2fM9V8cN6wzCBwG6aE3d6gYtYfM8ZpQkq1a"
KEY_B = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBxw9Fk3mVt3Hq2cXoJ4h0d2R1P9gGf6j9rQK6l1h0Yb"
KEY_C = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHvZ0lV1w4yqJ6rN5c2Qm7kT3f8aJ9dP0sXbR4uE2nLc"


def _known_hosts(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "known_hosts"
    path.write_text("# pinned by the lab\n" + "\n".join(lines) + "\n")
    return path


def test_only_lines_that_can_match_are_kept(tmp_path: Path) -> None:
    hashed = paramiko.HostKeys.hash_host("[127.0.0.1]:2202")
    path = _known_hosts(
        tmp_path,
        [f"[127.0.0.1]:2201 {KEY_A}", f"[127.0.0.1]:2202 {KEY_B}", f"{hashed} {KEY_C}",
         f"*.example.net {KEY_C}", f"@revoked [127.0.0.1]:2203 {KEY_C}"],
    )  # fmt: skip
    view = Path(pinned_keys_file(str(path), "127.0.0.1", 2201)).read_text().splitlines()
    assert view == [f"[127.0.0.1]:2201 {KEY_A}", f"{hashed} {KEY_C}", f"*.example.net {KEY_C}",
                    f"@revoked [127.0.0.1]:2203 {KEY_C}"]  # fmt: skip


@pytest.mark.parametrize("port", [2201, 2202, 2203])
def test_paramiko_finds_the_same_keys_as_with_the_whole_file(tmp_path: Path, port: int) -> None:
    hashed = paramiko.HostKeys.hash_host("[127.0.0.1]:2202")
    path = _known_hosts(tmp_path, [f"[127.0.0.1]:2201 {KEY_A}", f"[127.0.0.1]:2201,leaf1 {KEY_B}", f"{hashed} {KEY_C}"])
    name = lookup_name("127.0.0.1", port)
    whole = paramiko.HostKeys(str(path)).lookup(name)
    view = paramiko.HostKeys(pinned_keys_file(str(path), "127.0.0.1", port)).lookup(name)
    assert (None if whole is None else dict(whole)) == (None if view is None else dict(view))


def test_port_22_is_looked_up_by_bare_name(tmp_path: Path) -> None:
    path = _known_hosts(tmp_path, [f"leaf1 {KEY_A}", f"[leaf1]:2222 {KEY_B}"])
    assert lookup_name("leaf1", 22) == "leaf1"
    assert Path(pinned_keys_file(str(path), "leaf1", 22)).read_text() == f"leaf1 {KEY_A}\n"


def test_a_changed_file_is_read_again(tmp_path: Path) -> None:
    path = _known_hosts(tmp_path, [f"[127.0.0.1]:2201 {KEY_A}"])
    assert KEY_A in Path(pinned_keys_file(str(path), "127.0.0.1", 2201)).read_text()
    _known_hosts(tmp_path, [f"[127.0.0.1]:2201 {KEY_B}", f"[127.0.0.1]:2209 {KEY_C}"])
    text = Path(pinned_keys_file(str(path), "127.0.0.1", 2201)).read_text()
    assert KEY_B in text
    assert KEY_A not in text


def test_views_are_private(tmp_path: Path) -> None:
    path = _known_hosts(tmp_path, [f"[127.0.0.1]:2201 {KEY_A}"])
    view = Path(pinned_keys_file(str(path), "127.0.0.1", 2201))
    assert view.stat().st_mode & 0o077 == 0
    assert view.parent.stat().st_mode & 0o077 == 0


def test_unreadable_file_is_passed_through(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope")
    assert pinned_keys_file(missing, "127.0.0.1", 2201) == missing


def _view_dir_in_worker(path: str, port: int, out: multiprocessing.queues.Queue[str]) -> None:
    out.put(str(Path(pinned_keys_file(path, "127.0.0.1", port)).parent))


def test_a_forked_worker_removes_its_own_views_and_keeps_the_parents(tmp_path: Path) -> None:
    """A gather worker (agent.runners.processes) exits through os._exit, which skips atexit: its views
    leaked one directory per worker and audit until they were tied to multiprocessing's finalizers."""
    path = _known_hosts(tmp_path, [f"[127.0.0.1]:2201 {KEY_A}", f"[127.0.0.1]:2202 {KEY_B}"])
    parent_dir = Path(pinned_keys_file(str(path), "127.0.0.1", 2201)).parent
    ctx = multiprocessing.get_context("fork")
    out: multiprocessing.queues.Queue[str] = ctx.Queue()
    worker = ctx.Process(target=_view_dir_in_worker, args=(str(path), 2202, out))
    worker.start()
    worker_dir = Path(out.get(timeout=30))
    worker.join(30)
    assert worker.exitcode == 0
    assert worker_dir != parent_dir
    assert not worker_dir.exists()
    assert parent_dir.is_dir()


def test_the_views_go_when_the_process_exits(tmp_path: Path) -> None:
    path = _known_hosts(tmp_path, [f"[127.0.0.1]:2201 {KEY_A}"])
    code = (
        "import sys, pathlib; from agent.transports.hostkeys import pinned_keys_file; "
        "print(pathlib.Path(pinned_keys_file(sys.argv[1], '127.0.0.1', 2201)).parent)"
    )
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    view_dir = Path(done.stdout.strip())
    assert view_dir.name.startswith("roce-agent-known-hosts-")
    assert not view_dir.exists()
