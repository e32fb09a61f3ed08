"""Per-device known_hosts views: paramiko finds exactly the keys the whole file gives it, and no others."""

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
