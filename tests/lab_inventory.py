"""The default lab's inventory as `roce-agent lab up` writes it, for tests that need one without a lab.

hosts.yaml is generated per checkout (ports, absolute key and pin paths) and gitignored, so tests write
their own copy instead of reading inventories/lab/ (which holds only the portable files and the policy).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from agent.inventory.clab import load_clab
from rocelab.inventory_writer import write_inventory
from rocelab.spec import DEFAULT_BASE_PORT, build_spec

ROOT = Path(__file__).resolve().parents[1]
TOPOLOGY = ROOT / "containerlab" / "roce-fabric.clab.yml"
POLICY = ROOT / "inventories" / "lab" / "policy.yaml"


def write_lab_inventory(dest: Path, base_port: int = DEFAULT_BASE_PORT, topology: Path = TOPOLOGY) -> Path:
    """The lab inventory in `dest` (with the lab policy and one fake pin per twin); returns `dest`."""
    topo = load_clab(topology)
    spec = build_spec(topo, base_port)
    keys = {
        node.name: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
        for node in spec.nodes
    }
    write_inventory(spec, topo, dest, client_key=dest.parent / ".lab" / "id_ed25519", host_keys=keys)
    shutil.copyfile(POLICY, dest / "policy.yaml")
    return dest
