"""Is the device that answered the one the change was planned for?

Pins (agent.transports.hostkeys) say which key may answer; this says which device did: the name the
device reports in the gather (SONiC `DEVICE_METADATA|localhost hostname`, a host's `uname -n`) must be
the inventory's name for it, or the `identity` host data when the inventory names it otherwise. It is
checked on every read that leads to a plan or a write, so an inventory entry pointed at another
device's address is refused per device, before anything is written, and the other device is untouched.
"""

from __future__ import annotations

from agent.errors import DeviceError

# Names an image reports before anyone set one: they identify nothing, so they are not held against a
# device whose inventory does not name its identity (containerlab sonic-vs reports "sonic").
FACTORY_NAMES = frozenset({"", "sonic", "localhost", "localhost.localdomain"})
IDENTITY_KEY = "identity"  # host data: the hostname the device must report (default: the inventory name)


def _short(name: str) -> str:
    return name.strip().lower().split(".", 1)[0]


def verify_identity(device: str, reported: str | None, expected: str | None = None) -> None:
    """Raise DeviceError unless the answering device's hostname is the planned one (FQDN or short)."""
    strict = expected is not None
    want = expected if expected is not None else device
    if reported is None or reported.strip().lower() in FACTORY_NAMES:
        if not strict:
            return
        detail = f"the device reports no usable hostname ({reported!r}); the inventory expects {want!r}"
    elif _short(reported) == _short(want) or reported.strip().lower() == want.strip().lower():
        return
    else:
        detail = (
            f"the device answering at this address reports hostname {reported.strip()!r}, not {want!r}: "
            f"the inventory entry for {device} points at another device (check its hostname/port)"
        )
    raise DeviceError(device, "verify identity", f"{detail}; nothing was written")
