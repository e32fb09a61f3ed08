"""The README's Nornir + NAPALM snippet is examples/nornir_napalm_facts.py, character for character (the
integration test runs that file against the lab), so the README never shows code nobody ran."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_readme_shows_exactly_the_tested_example() -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    example = (ROOT / "examples" / "nornir_napalm_facts.py").read_text()
    assert example in blocks, "README.md's Nornir/NAPALM snippet differs from examples/nornir_napalm_facts.py"
    assert "examples/nornir_napalm_facts.py" in readme
