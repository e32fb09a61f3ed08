"""The product does not depend on the simulator: `pip install roce-agent` without `[lab]` pulls no SSH
server library, and product modules import the lab only lazily, where a command asks for the lab."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib", reason="tomllib needs Python 3.11+")

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[\s;\[<>=!~]", r, maxsplit=1)[0].lower() for r in requirements}


def test_asyncssh_is_only_in_the_lab_extra() -> None:
    assert "asyncssh" not in _names(PYPROJECT["project"]["dependencies"])
    assert "asyncssh" in _names(PYPROJECT["project"]["optional-dependencies"]["lab"])


def _top_level_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in tree.body:  # module level only: imports inside functions run when that code is used
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", ["agent", "napalm_rocesonic"])
def test_product_modules_never_import_the_lab_or_asyncssh_at_import_time(package: str) -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for p in sorted((ROOT / package).rglob("*.py"))
        if _top_level_imports(p) & {"rocelab", "asyncssh"}
    ]
    assert offenders == []
