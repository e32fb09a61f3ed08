"""The generated containerlab Clos: sizes, cabling rules, and that the product's parser reads it."""

from collections import Counter
from pathlib import Path

import pytest

from agent.inventory.clab import load_clab
from benchmarks.scale_topology import clos_links, clos_shape, node_names, write_topology


@pytest.mark.parametrize(("n", "spines", "leaves", "hosts"), [(16, 1, 1, 14), (128, 2, 12, 114), (512, 7, 50, 455)])
def test_shape_of_the_benchmark_sizes(n: int, spines: int, leaves: int, hosts: int) -> None:
    shape = clos_shape(n)
    assert (shape.spines, shape.leaves, shape.hosts) == (spines, leaves, hosts)
    assert shape.spines + shape.leaves + shape.hosts == n


@pytest.mark.parametrize("n", [16, 100, 128, 512, 1000])
def test_about_one_switch_per_eight_hosts(n: int) -> None:
    shape = clos_shape(n)
    assert 6 <= shape.hosts / shape.switches <= 9


def test_too_small_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 3"):
        clos_shape(2)


@pytest.mark.parametrize("n", [16, 128, 512])
def test_cabling_is_a_clos(n: int) -> None:
    shape = clos_shape(n)
    spines, leaves, hosts = node_names(shape)
    links = clos_links(shape)
    ends = [end for link in links for end in link]
    assert len(ends) == len(set(ends)), "an interface is cabled twice"
    host_links = Counter(b.split(":")[0] for a, b in links if b.split(":")[0] in set(hosts))
    assert set(host_links) == set(hosts)
    assert set(host_links.values()) == {1}
    uplinks = {(a.split(":")[0], b.split(":")[0]) for a, b in links if b.split(":")[0] in set(spines)}
    assert uplinks == {(leaf, spine) for leaf in leaves for spine in spines}
    per_leaf = Counter(a.split(":")[0] for a, b in links if b.split(":")[0] in set(hosts))
    assert max(per_leaf.values()) - min(per_leaf.values()) <= 1


def test_file_is_read_by_the_clab_parser(tmp_path: Path) -> None:
    path = write_topology(128, tmp_path)
    topo = load_clab(path)
    shape = clos_shape(128)
    assert len(topo.nodes) == 128
    links = topo.agent_links()
    assert len(links) == shape.links
    roles = Counter(node.role for node in topo.nodes.values())
    assert roles == {"spine": shape.spines, "leaf": shape.leaves, "rdma-host": shape.hosts}
    assert Counter(link.role for link in links) == {"host": shape.hosts, "fabric": shape.leaves * shape.spines}
    assert path.read_text() == write_topology(128, tmp_path / "again").read_text()  # deterministic
