"""Nornir runner plugins of the agent (registered in pyproject's nornir.plugins.runners entry points)."""
