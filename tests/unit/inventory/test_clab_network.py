"""The `roce-network` label of a containerlab switch: the network of its links, written to links.yaml and
to the hosts' interface_networks; an unknown name is refused with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.errors import InputError
from agent.inventory.clab import load_clab
from agent.inventory.clab_inventory import host_data, links_doc

ROOT = Path(__file__).resolve().parents[3]
FRONTEND = ROOT / "containerlab" / "roce-fabric-frontend.clab.yml"
DEFAULT = ROOT / "containerlab" / "roce-fabric.clab.yml"


def test_front_end_leaf_links_carry_its_network() -> None:
    topo = load_clab(FRONTEND)
    nets = {(str(lk.a), str(lk.b)): lk.network for lk in topo.agent_links()}
    assert {k: v for k, v in nets.items() if v != "backend"} == {
        (f"fleaf1:Ethernet{4 * i}", f"host{i + 1}:eth2"): "frontend" for i in range(4)
    }
    written = links_doc(topo)["links"]
    assert [e.get("network") for e in written].count("frontend") == 4
    assert host_data(topo.nodes["host1"], topo)["interface_networks"] == {"eth2": "frontend"}


def test_one_network_lab_writes_what_it_always_wrote() -> None:
    topo = load_clab(DEFAULT)
    assert all("network" not in e for e in links_doc(topo)["links"])
    assert "interface_networks" not in host_data(topo.nodes["host1"], topo)


def test_unknown_network_label_names_file_and_line(tmp_path: Path) -> None:
    text = FRONTEND.read_text().replace("roce-network: frontend", "roce-network: front")
    path = tmp_path / "bad.clab.yml"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        load_clab(path)
    (problem,) = err.value.problems
    line = next(i for i, ln in enumerate(text.splitlines(), 1) if ln.strip() == "fleaf1:")
    assert (problem.file, problem.line, problem.field) == (path, line, "topology.nodes.fleaf1.labels.roce-network")
    assert "frontend" in problem.message
