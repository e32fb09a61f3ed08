"""NAPALM's bundled drivers (junos, nxos, eos, ios, iosxr) executed when first used, not by `import napalm`.

napalm/__init__.py imports every bundled driver up front (its comment: to avoid a threading deadlock in
`get_network_driver`). That cost ~150 ms of CPU in every command that reads a switch (junos alone pulls in
junos-eznc, pyparsing, and parses a YAML file in pure Python), and the agent only ever drives its own
driver, rocesonic. It is not Nornir's plugin registration that forces it: any import of `napalm.base`
(which rocesonic subclasses) runs napalm/__init__.py first.

`defer_bundled_drivers`, called before napalm is imported, registers a placeholder module under each
driver's name; napalm's own `import napalm.junos` finds it and moves on. The first lookup of a name the
placeholder lacks, or `dir()` of it (what `get_network_driver` does), executes the real module into the
placeholder, under a lock, so a NAPALM or Nornir job in the same process still gets its junos driver.
Only the CLI calls it (agent.cli.main); importing the agent as a library changes nothing.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
import threading
import types
from typing import Any

BUNDLED = (
    "napalm.eos",
    "napalm.ios",
    "napalm.iosxr",
    "napalm.junos",
    "napalm.nxos",
    "napalm.nxos_ssh",
    "napalm.pyIOSXR",
    "napalm.nxapi_plumbing",
)
_lock = threading.RLock()


class _Deferred(types.ModuleType):
    """A bundled driver module not executed yet (its __spec__, __path__, __file__ are already set)."""

    def __getattr__(self, name: str) -> Any:  # only names the module does not have yet
        _execute(self)
        return getattr(self, name)

    def __dir__(self) -> list[str]:
        _execute(self)
        return sorted(self.__dict__)


def _execute(module: types.ModuleType) -> None:
    with _lock:
        still_deferred = type(module) is _Deferred
        if not still_deferred:  # another thread got here first
            return
        module.__class__ = types.ModuleType
        spec = module.__spec__
        if spec is None or spec.loader is None:
            raise ImportError(f"{module.__name__}: deferred without a loader")
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(module.__name__, None)  # a failed import leaves no half module behind
            raise
        parent, _, child = module.__name__.rpartition(".")
        if parent in sys.modules:
            setattr(sys.modules[parent], child, module)


def defer_bundled_drivers() -> list[str]:
    """Placeholders for NAPALM's bundled drivers; does nothing once napalm is imported (returns the
    names deferred: none when napalm is not installed or already loaded)."""
    if "napalm" in sys.modules:
        return []
    top = importlib.util.find_spec("napalm")  # finds the package without executing it
    if top is None or top.submodule_search_locations is None:
        return []
    deferred = []
    for name in BUNDLED:
        spec = importlib.machinery.PathFinder.find_spec(name, list(top.submodule_search_locations))
        if name in sys.modules or spec is None or spec.loader is None:
            continue
        module = importlib.util.module_from_spec(spec)
        module.__class__ = _Deferred
        sys.modules[name] = module
        deferred.append(name)
    return deferred
