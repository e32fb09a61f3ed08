"""rocelab is its own package: it may import from agent/ only the data formats both sides share (issue 14)."""

from __future__ import annotations

import ast
from pathlib import Path

import rocelab

# Shared formats: the containerlab topology parser, the inventory layout the lab writes, and InputError
# (bad topology input is reported the same way everywhere).
ALLOWED = {"agent.errors", "agent.inventory.clab", "agent.inventory.clab_inventory"}


def _agent_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found |= {n for n in names if n == "agent" or n.startswith("agent.")}
    return found


def test_rocelab_imports_only_shared_formats_from_agent() -> None:
    root = Path(rocelab.__file__).parent
    files = sorted(root.rglob("*.py"))
    assert len(files) > 40
    used = {str(f.relative_to(root)): _agent_imports(f) for f in files}
    offending = {name: sorted(mods - ALLOWED) for name, mods in used.items() if mods - ALLOWED}
    assert offending == {}
    assert set().union(*used.values()) <= ALLOWED


def test_the_walk_sees_imports_inside_functions(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from agent.policy.headroom import x\n    import agent.process\n", encoding="utf-8")
    assert _agent_imports(probe) == {"agent.policy.headroom", "agent.process"}
