"""NAPALM community-driver discovery module for SONiC (platform name ``rocesonic``).

Only the driver class is exported, as NAPALM's discovery expects: it returns the first
``NetworkDriver`` subclass it finds in this namespace, so nothing else may be imported here.
"""

from agent.platforms.sonic.driver import RoceSonicDriver

__all__ = ["RoceSonicDriver"]
