"""Adapter lookup by platform name. Adapters register lazily so importing the agent stays cheap."""

from __future__ import annotations

import importlib

from agent.platforms.base import PlatformAdapter

# platform name -> "module:attribute" of a PlatformAdapter instance
ADAPTERS: dict[str, str] = {
    "sonic": "agent.platforms.sonic.adapter:ADAPTER",
    "linux-rdma": "agent.platforms.linux_rdma.adapter:ADAPTER",
}


def adapter_for(platform: str) -> PlatformAdapter:
    try:
        target = ADAPTERS[platform]
    except KeyError:
        raise KeyError(f"no adapter for platform {platform!r}; known: {', '.join(sorted(ADAPTERS))}") from None
    module, _, attr = target.partition(":")
    adapter: PlatformAdapter = getattr(importlib.import_module(module), attr)
    return adapter
