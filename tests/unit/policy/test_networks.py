"""The policy's `networks:` section and the `network:` of links and host interfaces: defaults keep old
files meaning what they meant, unknown names are refused with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.errors import InputError
from agent.inventory.loader import load_topology
from agent.inventory.validate import validate_inventory
from agent.policy.loader import check_policy_file, load_policy

ROOT = Path(__file__).resolve().parents[3]
POLICY = ROOT / "tests" / "fixtures" / "checks" / "policy.yaml"
SMALL = ROOT / "tests" / "fixtures" / "inventory" / "small"


def _policy_with(tmp_path: Path, section: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY.read_text() + section)
    return path


def test_defaults_backend_lossless_others_lossy() -> None:
    nets = load_policy(POLICY).networks
    assert nets.is_lossless("backend")
    assert [n for n in ("frontend", "storage", "oob") if nets.is_lossless(n)] == []
    assert nets.may_share({"backend"})
    assert nets.may_share({"frontend", "storage"})
    assert not nets.may_share({"backend", "frontend"})


def test_partial_plans_keep_the_other_defaults(tmp_path: Path) -> None:
    nets = load_policy(_policy_with(tmp_path, "networks:\n  plans: {storage: lossless}\n")).networks
    assert nets.is_lossless("storage")
    assert nets.is_lossless("backend")
    assert not nets.is_lossless("frontend")


@pytest.mark.parametrize(
    ("section", "line", "field", "needle"),
    [
        ("networks:\n  plans: {frontnd: lossy}\n", 2, "networks.plans.frontnd", "frontend"),
        ("networks:\n  plans: {frontend: lossles}\n", 2, "networks.plans.frontend", "lossless"),
        ("networks:\n  share_switch:\n    - [backend, gpu]\n", 3, "networks.share_switch[0][1]", "backend"),
        ("networks:\n  vrfs: {backend: 'Vrf be'}\n", 2, "networks.vrfs.backend", "not a valid"),
    ],
)
def test_bad_networks_section_names_file_and_line(
    tmp_path: Path, section: str, line: int, field: str, needle: str
) -> None:
    report = check_policy_file(_policy_with(tmp_path, section))
    assert report.policy is None
    (problem,) = report.errors
    base = len(POLICY.read_text().splitlines())  # the section's lines follow the checks' test policy
    assert (problem.file, problem.line, problem.field) == (tmp_path / "policy.yaml", base + line, field)
    assert needle in problem.message


def _inventory(tmp_path: Path, links: str, host_data: str = "") -> Path:
    for name in ("hosts.yaml", "groups.yaml", "defaults.yaml"):
        if (SMALL / name).is_file():
            (tmp_path / name).write_text((SMALL / name).read_text() + (host_data if name == "hosts.yaml" else ""))
    (tmp_path / "links.yaml").write_text(links)
    return tmp_path


def test_links_network_defaults_to_backend_and_is_read(tmp_path: Path) -> None:
    inv = _inventory(
        tmp_path,
        "links:\n  - {a: leaf1:Ethernet0, b: host1:eth1, role: host}\n"
        "  - {a: leaf1:Ethernet4, b: host1:eth2, role: host, network: frontend}\n",
    )
    assert [lk.network for lk in load_topology(inv).links] == ["backend", "frontend"]


def test_unknown_link_network_names_file_and_line(tmp_path: Path) -> None:
    inv = _inventory(
        tmp_path,
        "links:\n  - {a: leaf1:Ethernet0, b: host1:eth1, role: host}\n"
        "  - {a: leaf1:Ethernet4, b: host1:eth2, role: host, network: fronted}\n",
    )
    with pytest.raises(InputError) as err:
        validate_inventory(inv)
    (problem,) = err.value.problems
    assert (problem.file, problem.line, problem.field) == (inv / "links.yaml", 3, "links[1].network")
    assert "'frontend'" in problem.message


def test_host_interface_networks_are_read_and_checked(tmp_path: Path) -> None:
    from agent.inventory.loader import inventory_devices, load_nornir

    text = (
        (SMALL / "hosts.yaml")
        .read_text()
        .replace(
            "    rdma_interfaces: [eth1]\n", "    rdma_interfaces: [eth1]\n    interface_networks: {eth2: frontend}\n"
        )
    )
    inv = _inventory(tmp_path, "links: []\n")
    (inv / "hosts.yaml").write_text(text)
    devices = {d.name: d for d in inventory_devices(load_nornir(inv))}
    assert devices["host1"].interface_networks == {"eth2": "frontend"}
    (inv / "hosts.yaml").write_text(text.replace("eth2: frontend", "eth2: mgmt"))
    with pytest.raises(InputError) as err:
        validate_inventory(inv)
    (problem,) = err.value.problems
    line = text.splitlines().index("    interface_networks: {eth2: frontend}") + 1
    assert (problem.file, problem.line) == (inv / "hosts.yaml", line)
    assert problem.field.endswith("interface_networks.eth2")
    assert "'oob'" in problem.message
