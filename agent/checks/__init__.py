"""Numbered check catalogue: pure functions of (intent, DeviceState, topology) returning findings."""
