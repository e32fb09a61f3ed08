"""The built-in lab's policy (inventories/lab/policy.yaml) as tests need it.

The lab file holds two profiles, `training` (lossless, the default) and `nvidia-roce-lossy` (the inference
pod). Tests that extend a plain single-plan policy take the training profile as such a file, so they keep
testing the lab's real values instead of a copy that could drift.
"""

from __future__ import annotations

from pathlib import Path

LAB_POLICY = Path(__file__).resolve().parents[1] / "inventories" / "lab" / "policy.yaml"


def profile_text(name: str = "training", path: Path = LAB_POLICY) -> str:
    """One profile of the lab policy as a stand-alone policy file named `lab` (its keys dedented)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.split("#")[0].rstrip() == f"  {name}:")
    body: list[str] = []
    for line in lines[start + 1 :]:
        if line and not line.startswith("    ") and not line.lstrip().startswith("#"):
            break
        body.append(line[4:] if line.startswith("    ") else "")
    return "name: lab\n" + "\n".join(body).rstrip() + "\n"


def lossy_variant(text: str) -> str:
    """A lossless single-plan policy made lossy with the same classes and DSCPs (so a spine running `text`
    can give its ports to the inference pod this profile): no lossless class, the lossy baseline."""
    lines = [line for line in text.splitlines() if line.strip() != "lossless: true"]
    return "\n".join(line.replace("baseline: nvidia-roce", "baseline: nvidia-roce-lossy", 1) for line in lines)


def with_inference_pod(text: str, name: str = "main", lossy: str | None = None) -> str:
    """A single-plan policy `text` as profile `name` (the default), next to `nvidia-roce-lossy` (the lab's,
    or `lossy`): what the default lab's inference pod (leaf3, host5, host6, leaf3's uplinks) resolves to."""

    def nested(body: str) -> str:
        lines = [line for line in body.splitlines() if not line.startswith(("#", "name:"))]
        return "\n".join(f"    {line}" if line.strip() else "" for line in lines)

    lossy = nested(lossy if lossy is not None else profile_text("nvidia-roce-lossy"))
    return (
        f"name: {name}\ndefault_profile: {name}\nprofiles:\n  {name}:\n{nested(text)}\n  nvidia-roce-lossy:\n{lossy}\n"
    )
