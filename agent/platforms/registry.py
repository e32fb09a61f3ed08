"""Platforms by name, from the `roce_agent.platforms` entry point group (pyproject), loaded on first use.

An entry point names a PlatformAdapter instance (`module:attribute`); a third-party package adds a
platform by declaring one, with no change here. Nothing is read or imported until a platform is asked
for, so importing the agent stays cheap. `OVERRIDES` lets tests put an in-memory adapter in place of a
registered one (`monkeypatch.setitem(registry.OVERRIDES, "sonic", "module:ATTR")`).
"""

from __future__ import annotations

import importlib.util
import threading
from importlib.metadata import EntryPoint, entry_points
from typing import cast

from agent.platforms.base import AnyAdapter, PlatformAdapter

GROUP = "roce_agent.platforms"
OVERRIDES: dict[str, str] = {}  # platform name -> "module:attribute", consulted before the entry points

_lock = threading.Lock()
_entry_points: dict[str, EntryPoint] | None = None
_loaded: dict[str, AnyAdapter] = {}


class UnknownPlatform(KeyError):
    """No adapter is registered under this name (the message lists the registered ones)."""

    def __str__(self) -> str:
        return str(self.args[0])


def _registered() -> dict[str, EntryPoint]:
    global _entry_points
    with _lock:
        if _entry_points is None:
            _entry_points = {ep.name: ep for ep in entry_points(group=GROUP)}
        return _entry_points


def platforms() -> list[str]:
    """Every platform name an adapter is registered for."""
    return sorted(set(_registered()) | set(OVERRIDES))


def _entry_point(platform: str) -> EntryPoint:
    if platform in OVERRIDES:
        return EntryPoint(name=platform, value=OVERRIDES[platform], group=GROUP)
    ep = _registered().get(platform)
    if ep is None:
        known = ", ".join(platforms()) or "none (an install older than its entry points? `pip install -e .`)"
        raise UnknownPlatform(
            f"no adapter for platform {platform!r}; registered in entry point group {GROUP!r}: {known}"
        )
    return ep


def adapter_for(platform: str) -> AnyAdapter:
    """The adapter registered for `platform`; UnknownPlatform (a KeyError) naming the known ones if none."""
    ep = _entry_point(platform)
    if platform not in OVERRIDES and platform in _loaded:
        return _loaded[platform]
    obj: object = ep.load()
    if not isinstance(obj, PlatformAdapter):
        raise TypeError(f"{ep.value} (platform {platform!r}) does not implement the PlatformAdapter contract")
    adapter = cast(AnyAdapter, obj)  # each adapter is only handed back the raw state and plans it made
    if platform not in OVERRIDES:
        _loaded[platform] = adapter
    return adapter


def unavailable(platform: str) -> str | None:
    """Why a platform cannot be handled in this installation, else None (its module is not even imported)."""
    try:
        module = _entry_point(platform).module
    except UnknownPlatform:
        return f"no adapter for platform {platform!r}"
    if importlib.util.find_spec(module) is None:
        return f"platform {platform!r} not available yet ({module} is not installed); skipped"
    return None
