"""GCU checkpoint files: `/etc/sonic/checkpoints/<name>.cp.json` (reference sonic.md §2.1).

With a state_dir they are real files (a restarted lab finds them again); without one they live in memory.
The content is what GCU writes: `json.dumps(config)` of the whole CONFIG_DB, compact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

EXT = ".cp.json"


@dataclass
class CheckpointStore:
    state_dir: Path | None = None
    _memory: dict[str, str] = field(default_factory=dict)

    def _dir(self) -> Path | None:
        return None if self.state_dir is None else self.state_dir / "checkpoints"

    def save(self, name: str, text: str) -> None:
        folder = self._dir()
        if folder is None:
            self._memory.pop(name, None)
            self._memory[name] = text
            return
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}{EXT}").write_text(text, encoding="utf-8")

    def read(self, name: str) -> str | None:
        folder = self._dir()
        if folder is None:
            return self._memory.get(name)
        path = folder / f"{name}{EXT}"
        return path.read_text(encoding="utf-8") if path.is_file() else None

    def names(self) -> list[str]:
        """Newest first (GCU lists directory order; newest-first is one such order and the useful one)."""
        folder = self._dir()
        if folder is None:
            return list(reversed(self._memory))
        if not folder.is_dir():
            return []
        files = sorted(folder.glob(f"*{EXT}"), key=lambda p: (p.stat().st_mtime_ns, p.name), reverse=True)
        return [p.name.removesuffix(EXT) for p in files]

    def delete(self, name: str) -> bool:
        folder = self._dir()
        if folder is None:
            return self._memory.pop(name, None) is not None
        path = folder / f"{name}{EXT}"
        if not path.is_file():
            return False
        path.unlink()
        return True
