"""Per-device effective policy: the fabric policy with the overrides that match a device applied."""

from __future__ import annotations

from collections.abc import Sequence

from agent.policy.model import Override, Policy


def override_matches(ov: Override, name: str, groups: Sequence[str], role: str | None) -> bool:
    for key, wanted in ov.match.items():
        if key == "host" and wanted != name:
            return False
        if key == "group" and wanted not in groups:
            return False
        if key == "role" and wanted != role:
            return False
    return True


def effective_policy(policy: Policy, name: str, groups: Sequence[str], role: str | None) -> Policy:
    """Apply matching overrides in file order (later wins). Returns the policy itself when none match."""
    result = policy
    for ov in policy.overrides:
        if not override_matches(ov, name, groups, role):
            continue
        update: dict[str, object] = {}
        if ov.cable_length is not None:
            update["cable_length"] = {**result.cable_length, **ov.cable_length}
        if ov.mtu is not None:
            # Only the roles the override names: `mtu: {host: 4200}` must not reset the switch MTU to a default.
            update["mtu"] = result.mtu.model_copy(update={k: getattr(ov.mtu, k) for k in ov.mtu.model_fields_set})
        if ov.buffer_model is not None:
            update["buffer_model"] = ov.buffer_model
        if ov.headroom is not None:
            update["headroom"] = result.headroom.merged(ov.headroom)
        if ov.load_balancing is not None:
            lb = result.load_balancing
            update["load_balancing"] = ov.load_balancing if lb is None else lb.merged(ov.load_balancing)
        result = result.model_copy(update=update)
    return result
