"""Where a running lab keeps its state, and the project defaults (topology, inventory, state dir).

The state dir (default `.lab/` at the project root, `$ROCE_AGENT_LAB_DIR` to override) holds the
lab's per-run secrets (client key, password), its control socket, state file and log. It is created
0700, its secrets 0600, it is gitignored and `roce-agent lab down` removes it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

STATE_DIR_ENV = "ROCE_AGENT_LAB_DIR"
PASSWORD_ENV = "ROCE_AGENT_LAB_PASSWORD"
DEFAULT_TOPOLOGY = Path("containerlab/roce-fabric.clab.yml")
DEFAULT_INVENTORY = Path("inventories/lab")


def project_root(start: Path | None = None) -> Path:
    """The nearest ancestor of `start` (default: cwd) holding the default topology; else `start`."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / DEFAULT_TOPOLOGY).is_file():
            return candidate
    return here


def default_state_dir() -> Path:
    env = os.environ.get(STATE_DIR_ENV)
    return Path(env).expanduser().resolve() if env else project_root() / ".lab"


@dataclass(frozen=True)
class LabPaths:
    root: Path

    @property
    def lock(self) -> Path:
        return self.root / "lab.pid"

    @property
    def state(self) -> Path:
        return self.root / "state.json"

    @property
    def control(self) -> Path:
        return self.root / "control.sock"

    @property
    def client_key(self) -> Path:
        return self.root / "id_ed25519"

    @property
    def client_pub(self) -> Path:
        return self.root / "id_ed25519.pub"

    @property
    def password(self) -> Path:
        return self.root / "password"

    @property
    def log(self) -> Path:
        return self.root / "lab.log"

    @property
    def twins(self) -> Path:
        return self.root / "twins"

    def ensure(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o700)


def write_secret(path: Path, data: bytes) -> None:
    """Create `path` 0600 from the start (never world-readable, not even for a moment)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(path, 0o600)
