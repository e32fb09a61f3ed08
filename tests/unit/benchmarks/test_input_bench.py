"""The input benchmark measures what it says: its big inventory is valid, its bomb is one."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.errors import InputError
from agent.inventory.loader import load_nornir
from agent.yamlsafe import load_text
from benchmarks.input_bench import big_inventory, bomb


def test_big_inventory_is_valid_and_complete(tmp_path: Path) -> None:
    nr = load_nornir(big_inventory(tmp_path / "inv", 64))
    assert len(nr.inventory.hosts) == 64 + 4 + 4  # hosts, leaves (one per 16), spines


def test_bomb_stands_for_a_billion_values_and_is_refused(tmp_path: Path) -> None:
    text = bomb(9)
    assert len(text.splitlines()) == 10
    with pytest.raises(InputError, match="more than 1,000,000 values"):
        load_text(text, tmp_path / "b.yaml")
