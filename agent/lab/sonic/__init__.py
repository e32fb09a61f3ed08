"""The SONiC switch twin: CONFIG/APPL/STATE/COUNTERS DBs in memory and the CLI an operator or agent uses."""

from agent.lab.sonic.twin import SonicTwin

__all__ = ["SonicTwin"]
