"""How long GCU takes, and what its own console says it did.

Measured on real SONiC (sonic-utilities generic_config_updater run unmodified over the real
sonic-yang-models, issue 19): the patch sorter needs about 50 s, 182 s and 778 s for 4, 8 and 16 flapped
ports (~3 s x ports^2: every admin-down port multiplies the moves its DFS tries), and the apply sorts
again, then sleeps about 1 s per change (74-operation leaf patch -> 33 changes in ~150 s). A fixed
120 s dry-run timeout therefore fails every real switch with more than ~6 ports to flap; the budget
below follows the measured curve with a 2x margin.

The console lines parsed here are GCU's logger output (`... patch was converted into N changes`,
`  * [op]` per change), which both real GCU and the twin print.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

SORT_S_PER_PORT2 = 3.1  # 50/16, 182/64, 778/256 s
SORT_S_BASE = 5.0
APPLY_S_PER_CHANGE = 1.2
MARGIN = 2.0
MIN_DRY_RUN_S = 120.0
MIN_APPLY_S = 600.0


def sort_seconds(flapped_ports: int) -> float:
    return SORT_S_BASE + SORT_S_PER_PORT2 * flapped_ports**2


def dry_run_timeout(flapped_ports: int) -> float:
    return max(MIN_DRY_RUN_S, MARGIN * sort_seconds(flapped_ports))


def apply_timeout(flapped_ports: int, operations: int) -> float:
    """Sorting again plus ~1 s per change; a flapped port adds its down and up changes."""
    changes = operations + 2 * flapped_ports
    return max(MIN_APPLY_S, MARGIN * (sort_seconds(flapped_ports) + APPLY_S_PER_CHANGE * changes))


def timer_budget(flapped_ports: int, operations: int) -> int:
    """Seconds added to the rollback timer, which is armed before `config apply-patch`: the timer must
    not fire while GCU is still sorting or applying (a rollback racing the apply)."""
    changes = operations + 2 * flapped_ports
    return int(MARGIN * (sort_seconds(flapped_ports) + APPLY_S_PER_CHANGE * changes))


def estimate(flapped_ports: int, operations: int) -> str:
    """One line for the plan: what the change will cost on the switch."""
    return estimate_steps([(flapped_ports, operations)])


def estimate_steps(sizes: list[tuple[int, int]]) -> str:
    """`estimate` over the patches a change is applied in, [(flapped ports, operations)] in order: the
    dry run sorts the first patch, each apply sorts its own and sleeps about 1 s per change."""
    first = sort_seconds(sizes[0][0]) if sizes else 0.0
    seconds = first + sum(sort_seconds(f) + APPLY_S_PER_CHANGE * (n + 2 * f) for f, n in sizes)
    what = f"{len(sizes)} patches" if len(sizes) > 1 else "dry run and apply each sort the patch"
    return f"GCU: about {seconds:.0f} s on the switch ({what}; ~1 s per change)"


@dataclass
class GcuReport:
    """What GCU printed: how many changes it sorted the patch into, and the ports it took down."""

    changes: int | None = None
    flapped: list[str] = field(default_factory=list)


CONVERTED = re.compile(r"patch was converted into (\d+) changes?")
CHANGE = re.compile(r"(?:^|:)\s+\* (\[.*\])\s*$")  # "Patch Applier:   * [{...}]"


def parse_console(text: str) -> GcuReport:
    report = GcuReport()
    for line in text.splitlines():
        match = CONVERTED.search(line)
        if match:
            report.changes = int(match.group(1))
            continue
        change = CHANGE.search(line)
        if change is None:
            continue
        try:
            ops = json.loads(change.group(1))
        except json.JSONDecodeError:
            continue
        for op in ops if isinstance(ops, list) else []:
            path = str(op.get("path", "")) if isinstance(op, dict) else ""
            parts = path.split("/")
            if len(parts) == 4 and parts[1] == "PORT" and parts[3] == "admin_status" and op.get("value") == "down":
                port = parts[2].replace("~1", "/").replace("~0", "~")
                if port not in report.flapped:
                    report.flapped.append(port)
    return report
