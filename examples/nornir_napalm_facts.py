import sys

from nornir import InitNornir
from nornir_napalm.plugins.tasks import napalm_get

inv = sys.argv[1] if len(sys.argv) > 1 else "inventories/lab"  # any inventory the project writes
nr = InitNornir(
    inventory={"plugin": "SimpleInventory", "options": {
        "host_file": f"{inv}/hosts.yaml", "group_file": f"{inv}/groups.yaml", "defaults_file": f"{inv}/defaults.yaml"}},
    logging={"enabled": False},
)
switches = nr.filter(filter_func=lambda host: host.get("device_kind") == "switch")
result = switches.run(task=napalm_get, getters=["get_facts"])
for name, res in sorted(result.items()):
    print(name, res.exception if res.failed else res[0].result["get_facts"]["hostname"])
nr.close_connections()
sys.exit(1 if result.failed else 0)
