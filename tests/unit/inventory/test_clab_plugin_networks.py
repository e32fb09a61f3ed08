"""The front-end lab through ClabInventory: a switch's `roce-network` label reaches plain Nornir scripts.

The lab writer is the reference (links.yaml `network:` per link, `interface_networks` on hosts); the
plugin must give a plain `InitNornir` script the same, and its `topology_from_inventory` the same links
as the agent's loader reads from the lab's files (the segregation checks read `Link.network`).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from nornir import InitNornir

from agent.inventory.clab_plugin import topology_from_inventory
from agent.inventory.loader import load_topology
from tests.lab_inventory import write_lab_inventory

ROOT = Path(__file__).resolve().parents[3]
FRONTEND = ROOT / "containerlab" / "roce-fabric-frontend.clab.yml"
FRONT_LINKS = {(f"fleaf1:Ethernet{4 * i}", f"host{i + 1}:eth2") for i in range(4)}

SCRIPT = """
import json, sys
from nornir import InitNornir
from agent.inventory.clab_plugin import topology_from_inventory

nr = InitNornir(inventory={"plugin": "ClabInventory", "options": {"topology": sys.argv[1]}},
                logging={"enabled": False})
print(json.dumps({
    "interface_networks": {name: host.get("interface_networks") for name, host in nr.inventory.hosts.items()},
    "links": [[str(lk.a), str(lk.b), lk.network] for lk in topology_from_inventory(nr.inventory).links],
}))
"""


def test_a_plain_initnornir_script_sees_the_front_end_network(tmp_path: Path) -> None:
    script = tmp_path / "front_end.py"
    script.write_text(SCRIPT)
    done = subprocess.run([sys.executable, str(script), str(FRONTEND)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, check=False)  # fmt: skip
    assert (done.returncode, done.stderr) == (0, "")
    out = json.loads(done.stdout)
    assert {h: n for h, n in out["interface_networks"].items() if n} == {
        f"host{i}": {"eth2": "frontend"} for i in range(1, 5)
    }
    networks = {(a, b): net for a, b, net in out["links"]}
    assert {k for k, net in networks.items() if net == "frontend"} == FRONT_LINKS
    assert set(networks.values()) == {"backend", "frontend"}


def test_plugin_links_and_host_networks_are_the_lab_writers(tmp_path: Path) -> None:
    lab = write_lab_inventory(tmp_path / "lab", topology=FRONTEND)
    nr = InitNornir(inventory={"plugin": "ClabInventory", "options": {"topology": str(FRONTEND)}},
                    logging={"enabled": False})  # fmt: skip
    written = InitNornir(
        inventory={"plugin": "SimpleInventory",
                   "options": {f"{k}_file": str(lab / f"{k}s.yaml") for k in ("host", "group")}},
        logging={"enabled": False},
    )  # fmt: skip
    assert topology_from_inventory(nr.inventory).links == load_topology(lab).links
    for name, host in written.inventory.hosts.items():
        assert nr.inventory.hosts[name].get("interface_networks") == host.get("interface_networks"), name
