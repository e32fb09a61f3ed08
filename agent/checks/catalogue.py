"""Imports every check module so that their checks register (see agent.checks.registry.catalogue)."""

from __future__ import annotations

from agent.checks import fabric, host, link, reachability, runtime, switch_buffers, switch_qos

MODULES = (reachability, switch_qos, switch_buffers, host, link, fabric, runtime)
