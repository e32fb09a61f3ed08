"""Bad and big inputs: how fast the agent refuses a YAML bomb or an oversize file, and validates a big inventory.

    python -m benchmarks.input_bench [--hosts 8192] [--json]

Measured in-process (the agent's own reading and validation, no interpreter start-up) and once through the
real CLI as a subprocess (what an operator waits for, start-up included):

* billion laughs (10**10 values in 10 lines) as a policy, as hosts.yaml and as a playbook;
* a 50 MB policy (a valid policy and comments) against the 4 MiB input limit;
* validation of a valid inventory with `--hosts` RDMA hosts (+ one leaf per 16 hosts and 4 spines), all of
  hosts.yaml, groups.yaml, defaults.yaml and links.yaml, then Nornir's load of it, then links.yaml as the
  topology every command reads.

Targets: each refusal well under 1 s in-process (`agent.yamlsafe` counts aliases without expanding them).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agent.errors import InputError
from agent.inventory.loader import load_nornir, load_topology
from agent.inventory.validate import validate_inventory
from agent.policy.loader import load_policy
from agent.rollout.loader import load_playbook

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "inventories" / "lab" / "policy.yaml"
BASE = ROOT / "tests" / "fixtures" / "malformed" / "base"


def bomb(levels: int = 9) -> str:
    text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, levels + 1):
        text += f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n"
    return text


def timed_refusal(call: Callable[[], object]) -> dict[str, Any]:
    start = time.perf_counter()
    try:
        call()
        refused, message = False, ""
    except InputError as exc:
        refused, message = True, str(exc.problems[0])
    return {"wall_s": round(time.perf_counter() - start, 4), "refused": refused, "message": message[-160:]}


def timed_cli(args: list[str]) -> dict[str, Any]:
    start = time.perf_counter()
    entry = [sys.executable, "-c", "from agent.cli import main; main()"]
    proc = subprocess.run([*entry, *args], capture_output=True, text=True, check=False)
    return {"wall_s": round(time.perf_counter() - start, 3), "exit_code": proc.returncode}


def big_inventory(directory: Path, hosts: int) -> Path:
    leaves, spines = max(1, hosts // 16), 4
    rows = [f"spine{s}:\n  hostname: 10.1.0.{s}\n  groups: [sonic]\n  data: {{role: spine}}\n" for s in range(spines)]
    rows += [f"leaf{i}:\n  hostname: 10.2.{i // 250}.{i % 250}\n  groups: [sonic]\n  data: {{role: leaf}}\n"
             for i in range(leaves)]  # fmt: skip
    rows += [f"gpu{i}:\n  hostname: 10.3.{i // 250}.{i % 250}\n  groups: [rdma-hosts]\n  data: {{role: rdma-host, "
             f"rack: r{i // 16}}}\n" for i in range(hosts)]  # fmt: skip
    links = [f"  - {{a: 'leaf{i // 16}:Ethernet{(i % 16) * 4}', b: 'gpu{i}:eth1', role: host}}\n" for i in range(hosts)]
    links += [f"  - {{a: 'leaf{i}:Ethernet{64 + s * 4}', b: 'spine{s}:Ethernet{i * 4}', role: fabric}}\n"
              for i in range(leaves) for s in range(spines)]  # fmt: skip
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "hosts.yaml").write_text("".join(rows))
    shutil.copy(BASE / "groups.yaml", directory / "groups.yaml")
    (directory / "links.yaml").write_text("links:\n" + "".join(links))
    return directory


def run(hosts: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="roce-input-bench-") as tmp:
        work = Path(tmp)
        (work / "bomb-policy.yaml").write_text(POLICY.read_text() + bomb())
        out["policy_bomb"] = timed_refusal(lambda: load_policy(work / "bomb-policy.yaml"))
        (work / "bomb-playbook.yaml").write_text("kind: rollout\nname: x\nstages: [{name: a, select: all}]\n" + bomb())
        out["playbook_bomb"] = timed_refusal(lambda: load_playbook(work / "bomb-playbook.yaml"))
        inv = work / "bomb-inventory"
        shutil.copytree(BASE, inv)
        (inv / "hosts.yaml").write_text((inv / "hosts.yaml").read_text().replace("@PORT", "22#") + bomb())
        out["hosts_bomb"] = timed_refusal(lambda: load_nornir(inv))
        big = work / "big-policy.yaml"
        with big.open("w") as fh:
            fh.write(POLICY.read_text())
            fh.writelines("# " + "x" * 1000 + "\n" for _ in range(50 * 1024))
        out["policy_50mb"] = timed_refusal(lambda: load_policy(big))
        out["cli_plan_hosts_bomb"] = timed_cli(["plan", "-i", str(inv)])
        out["cli_policy_validate_50mb"] = timed_cli(["policy", "validate", str(big)])
        valid = big_inventory(work / "big-inventory", hosts)
        start = time.perf_counter()
        inventory = validate_inventory(valid)
        out["validate_inventory_s"] = round(time.perf_counter() - start, 3)
        start = time.perf_counter()
        load_nornir(valid)
        out["load_nornir_s"] = round(time.perf_counter() - start, 3)
        start = time.perf_counter()
        load_topology(valid)
        out["load_topology_s"] = round(time.perf_counter() - start, 3)
        out["inventory_devices"] = len(inventory.hosts)
        out["inventory_links"] = len(inventory.links)
        out["hosts_yaml_bytes"] = (valid / "hosts.yaml").stat().st_size
    refusals = ("policy_bomb", "playbook_bomb", "hosts_bomb", "policy_50mb")
    out["refusals_max_wall_s"] = max(out[k]["wall_s"] for k in refusals)
    out["all_refused"] = all(out[k]["refused"] for k in refusals)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--hosts", type=int, default=8192)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    result = run(args.hosts)
    print(json.dumps(result, indent=None if args.json else 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
