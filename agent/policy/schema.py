"""JSON Schema of a policy file, both shapes: one policy, or named profiles each holding one.

Editors (YAML language server) validate either shape with it; every section a profile may hold
(classes, host.dcqcn, nccl, load_balancing ...) comes from the one Policy model, so the schema cannot
drift from what `policy validate` accepts.
"""

from __future__ import annotations

from typing import Any

from agent.policy.model import Policy
from agent.policy.profiles import PROFILE_NAME_PATTERN


def policy_file_schema() -> dict[str, Any]:
    single = Policy.model_json_schema(mode="validation", ref_template="#/$defs/{model}")
    defs: dict[str, Any] = dict(single.pop("$defs", {}))
    defs["Policy"] = single
    name_pattern = PROFILE_NAME_PATTERN
    profiled = {
        "title": "Profiled policy file",
        "type": "object",
        "additionalProperties": False,
        "required": ["default_profile", "profiles"],
        "properties": {
            "name": {"type": "string", "default": "fabric"},
            "default_profile": {"type": "string", "pattern": name_pattern},
            "profiles": {
                "type": "object",
                "minProperties": 1,
                "propertyNames": {"pattern": name_pattern},
                "additionalProperties": {"$ref": "#/$defs/Policy"},
            },
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "roce-agent policy file",
        "anyOf": [{"$ref": "#/$defs/Policy"}, profiled],
        "$defs": defs,
    }
