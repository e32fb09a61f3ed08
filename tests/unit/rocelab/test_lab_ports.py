"""Which ports `lab up` uses: the chosen range or a clear refusal, else the default or the next free block."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rocelab.cli import lab_app
from rocelab.ports import BASE_PORT_ENV, PortsBusy, busy_ports, choose_base_port
from rocelab.spec import DEFAULT_BASE_PORT


@pytest.fixture
def listening() -> Iterator[list[int]]:
    """Listen on every free port of the default range of 8 (ports already busy stay busy): the range is taken."""
    socks: list[socket.socket] = []
    for port in range(DEFAULT_BASE_PORT, DEFAULT_BASE_PORT + 8):
        sock = socket.socket()
        try:
            sock.bind(("127.0.0.1", port))
            sock.listen()
            socks.append(sock)
        except OSError:
            sock.close()
    try:
        yield [s.getsockname()[1] for s in socks]
    finally:
        for sock in socks:
            sock.close()


def test_default_range_taken_moves_to_the_next_free_block(
    listening: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(BASE_PORT_ENV, raising=False)
    choice = choose_base_port(8, None)
    assert choice.how == "moved"
    assert choice.base >= DEFAULT_BASE_PORT + 8
    assert busy_ports(choice.base, 8) == []
    assert set(listening) <= set(choice.busy)


def test_a_chosen_busy_range_is_refused_naming_the_port_and_how_to_choose(
    listening: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(BASE_PORT_ENV, raising=False)
    with pytest.raises(PortsBusy) as err:
        choose_base_port(8, DEFAULT_BASE_PORT)
    text = str(err.value)
    assert f"ports {DEFAULT_BASE_PORT}..{DEFAULT_BASE_PORT + 7} (--base-port)" in text
    assert "already in use" in text
    assert "--base-port N" in text
    assert f"{BASE_PORT_ENV}=N" in text
    monkeypatch.setenv(BASE_PORT_ENV, str(DEFAULT_BASE_PORT))
    with pytest.raises(PortsBusy, match=rf"\(\${BASE_PORT_ENV}\)"):
        choose_base_port(8, None)


def test_env_is_honoured_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    # Below Linux's ephemeral range (32768+), where no outgoing connection of a parallel test takes a port
    # between the probe and the check; only listeners could, and a block that is free now stays free.
    base = next((b for b in range(21000, 32000, 8) if not busy_ports(b, 8)), None)
    if base is None:
        pytest.skip("no 8 free consecutive ports in 21000..32000; nothing to check")
    monkeypatch.setenv(BASE_PORT_ENV, str(base))
    assert (choose_base_port(8, None).base, choose_base_port(8, None).how) == (base, "env")
    assert choose_base_port(8, base + 100).how == "option"  # the option beats the environment
    monkeypatch.setenv(BASE_PORT_ENV, "twenty-two")
    with pytest.raises(PortsBusy, match="is not a port number"):
        choose_base_port(8, None)


def test_lab_up_on_a_busy_chosen_range_exits_2_before_starting_anything(
    listening: list[int], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ROCE_AGENT_LAB_DIR", str(tmp_path))
    monkeypatch.delenv(BASE_PORT_ENV, raising=False)
    res = CliRunner().invoke(lab_app, ["up", "--base-port", str(DEFAULT_BASE_PORT)])
    assert res.exit_code == 2
    assert "already in use" in res.output
    assert f"{BASE_PORT_ENV}=N" in res.output
    assert not any(tmp_path.iterdir())  # no state dir content: nothing was started
