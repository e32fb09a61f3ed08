"""Imports every check module so that their checks register (see agent.checks.registry.catalogue)."""

from __future__ import annotations

from agent.checks import (
    entropy,
    fabric,
    fabric_nccl,
    host,
    host_nccl,
    host_roce,
    link,
    load_balancing,
    reachability,
    runtime,
    runtime_lossy,
    segregation,
    switch_buffers,
    switch_port,
    switch_qos,
    switch_watchdog,
)

MODULES = (
    reachability,
    switch_qos,
    switch_port,
    switch_buffers,
    switch_watchdog,
    host,
    host_roce,
    host_nccl,
    link,
    fabric,
    fabric_nccl,
    load_balancing,
    entropy,
    runtime,
    runtime_lossy,
    segregation,
)
