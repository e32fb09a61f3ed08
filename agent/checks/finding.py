"""Finding: what a check reports. Stable ids let audits be diffed over time and filtered in CI."""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, ConfigDict


class Severity(str, Enum):
    error = "error"
    warning = "warning"
    info = "info"


class Finding(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    check_id: str  # e.g. "SW-PFC-001"
    title: str
    severity: Severity
    device: str
    port: str | None = None  # port or interface
    priority: int | None = None  # priority or queue
    expected: str | None = None
    actual: str | None = None
    remediation: str | None = None

    @property
    def key(self) -> str:
        """Identity across audits: the same problem in the same place has the same key."""
        return f"{self.check_id}|{self.device}|{self.port or ''}|{'' if self.priority is None else self.priority}"
