"""Bounded YAML reading: size, encoding and alias expansion are refused before anything is built.

Speed is not asserted here (timing targets live in benchmarks/); what is asserted is that the bomb is
refused by the node count, before construction: a constructor that never runs cannot expand it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agent import yamlsafe
from agent.errors import InputError
from agent.policy.loader import check_policy_file
from agent.rollout.loader import load_playbook
from agent.yamlfile import read_yaml

VALID_POLICY = Path(__file__).parents[2] / "inventories" / "lab" / "policy.yaml"


def _bomb(levels: int) -> str:
    text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, levels + 1):
        text += f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n"
    return text


def _problem(path: Path) -> str:
    with pytest.raises(InputError) as err:
        read_yaml(path)
    (problem,) = err.value.problems
    assert problem.file == path
    return str(problem)


def test_billion_laughs_is_refused_before_construction(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(_bomb(9))  # 10**9 values in 11 lines
    built: list[object] = []
    original = yamlsafe.BoundedRoundTripConstructor.construct_document
    monkeypatch.setattr(
        yamlsafe.BoundedRoundTripConstructor,
        "construct_document",
        lambda self, node: built.append(node) or original(self, node),
    )
    message = _problem(path)
    assert f"{path}:6: aliases expand this document to more than 1,000,000 values" in message  # a5: past 10**6
    assert built == []


def test_aliases_below_the_bound_still_load(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(_bomb(4) + "common: &c {speed: 400G}\nleaf1: {<<: *c, port: 22}\n")  # 10**4 values
    doc = read_yaml(path)
    assert len(doc["a4"]) == 10
    assert doc["leaf1"]["speed"] == "400G"


def test_merge_key_bomb_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "merge.yaml"
    text = "m0: &m0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9, j: 10}\n"
    for i in range(1, 9):
        text += f"m{i}: &m{i} {{<<: [{', '.join([f'*m{i - 1}'] * 10)}]}}\n"
    path.write_text(text)
    assert "aliases expand this document" in _problem(path)


def test_recursive_alias_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text("a: 1\nloop: &l [x, *l]\n")
    assert f"{path}:2: an alias refers to the node that contains it" in _problem(path)


def test_file_above_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    body = VALID_POLICY.read_text()
    with path.open("w") as fh:  # 50 MB: a valid policy and comments
        fh.write(body)
        line = "# " + "x" * 1000 + "\n"
        for _ in range(50 * 1024):
            fh.write(line)
    message = _problem(path)
    assert "file is larger than 4 MiB, the limit for input files" in message
    report = check_policy_file(path)
    assert report.policy is None
    assert "4 MiB" in str(report.errors[0])


def test_a_file_at_the_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("a: 1\n" + "#" * (yamlsafe.MAX_BYTES - 6) + "\n")
    assert path.stat().st_size == yamlsafe.MAX_BYTES
    assert read_yaml(path) == {"a": 1}


def test_non_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_bytes(b"name: lab\nbaseline: nvidia-roce\ndescription: caf\xe9\n")
    assert f"{path}:3: not UTF-8 text (byte 0xe9); save the file as UTF-8" in _problem(path)


def test_non_utf8_playbook_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "rollout.yaml"
    path.write_bytes(b"kind: rollout\nname: x\xff\n")
    with pytest.raises(InputError) as err:
        load_playbook(path)
    assert err.value.problems[0].line == 2


def test_control_character_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("a: 1\nb: x\x00y\n")
    assert f"{path}:2: not valid YAML: character" in _problem(path)


def test_deep_nesting_is_an_input_error_not_a_recursion_traceback(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("a: " + "[" * 5000 + "]" * 5000 + "\n")
    assert "nested too deeply" in _problem(path)


def test_safe_loader_check_refuses_what_plain_nornir_cannot_read(tmp_path: Path) -> None:
    """Round-trip accepts `{a: leaf1:Ethernet0}` in flow style; Nornir's safe loader does not."""
    path = tmp_path / "hosts.yaml"
    text = "leaf1: {hostname: 10.0.0.1, data: {x: leaf1:Ethernet0}}\n"
    assert yamlsafe.load_text(text, path)["leaf1"]["data"]["x"] == "leaf1:Ethernet0"
    with pytest.raises(InputError) as err:
        yamlsafe.check_safe_loader(text, path)
    assert err.value.problems[0].line == 1


# Scalars whose type depends on the YAML version or the resolver's first-character table.
SCALARS = "a: yes\nb: 010\nc: 0o17\nd: 1:30\ne: 1_000\nf: .inf\ng: ~\nh: 2024-01-02\ni: 0x1F\nj: '010'\nk: True\n"


@pytest.mark.parametrize(
    "text", [SCALARS, "%YAML 1.1\n---\n" + SCALARS, "- [1, 2.5, null, '', -0.5e+3, +1]\n- {<<: {a: 1}, b: 2}\n"]
)
def test_fast_loader_reads_what_the_plain_safe_loader_reads(text: str) -> None:
    from ruamel.yaml import YAML

    assert yamlsafe.load_text(text, Path("f.yaml"), lines=False) == YAML(typ="safe").load(text)


def test_fast_loader_looks_the_yaml_version_up_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Per scalar it cost a third of the safe loader's time on a big hosts.yaml."""
    from ruamel.yaml.resolver import VersionedResolver

    calls: list[int] = []
    version = VersionedResolver.processing_version

    def counted(self: VersionedResolver) -> object:
        calls.append(1)
        found: object = version.fget(self)  # type: ignore[attr-defined]
        return found

    monkeypatch.setattr(VersionedResolver, "processing_version", property(counted))
    doc = yamlsafe.load_text(
        "\n".join(f"h{i}: {{port: {i}, data: {{on: off}}}}" for i in range(50)), Path("h.yaml"), lines=False
    )
    assert doc["h7"] == {"port": 7, "data": {"on": "off"}}
    assert len(calls) == 1
