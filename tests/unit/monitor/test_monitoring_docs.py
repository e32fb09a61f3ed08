"""docs/monitoring.md's service recipes (systemd unit, Containerfile, podman run) use only options
`roce-agent monitor` has, and the unit keeps the settings the text relies on. Docs rot silently: a
renamed option would only show when an operator's service fails to start."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import typer

from agent.cli.monitor_cmd import monitor_app

DOC = Path(__file__).resolve().parents[3] / "docs" / "monitoring.md"


def monitor_options() -> set[str]:
    command = typer.main.get_command(monitor_app)
    return {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}


def block(lang: str) -> str:
    found = re.search(rf"```{lang}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert found is not None, f"no ```{lang} block in {DOC}"
    return found.group(1)


def options_in(words: list[str]) -> set[str]:
    return {w.split("=")[0] for w in words if w.startswith("-")}


def test_the_systemd_unit_runs_monitor_with_real_options_and_stops_on_sigterm() -> None:
    unit = block("ini").replace("\\\n", " ")
    exec_start = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    words = shlex.split(exec_start.removeprefix("ExecStart="))
    assert words[1] == "monitor"
    assert options_in(words) <= monitor_options()
    assert "KillSignal=SIGTERM" in unit  # monitor_cmd stops cleanly on SIGTERM
    assert re.search(r"^Restart=", unit, re.M)
    # systemd takes `#` only at the start of a line; after a value it would be part of the value
    assert not [line for line in unit.splitlines() if "=" in line and "#" in line and not line.startswith("#")]


def test_the_container_recipe_and_its_run_line_use_real_options() -> None:
    recipe = block("dockerfile")
    entry = next(line for line in recipe.splitlines() if line.startswith("ENTRYPOINT"))
    words = re.findall(r'"([^"]+)"', entry)
    assert words[:2] == ["roce-agent", "monitor"]
    run = next(b for b in re.findall(r"```sh\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S) if "podman run" in b)
    run_words = shlex.split(run.replace("\\\n", " ").split("podman run", 1)[1].splitlines()[0])
    image = run_words.index("roce-agent")
    assert options_in(words) | options_in(run_words[image + 1 :]) <= monitor_options()
