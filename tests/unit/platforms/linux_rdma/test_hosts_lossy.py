"""Host plan for a lossy profile: PFC off on every priority, ECN NP/RP on for the RoCE priority, trust DSCP."""

from __future__ import annotations

from host_fixtures import host_intent, raw_from

from agent.platforms.linux_rdma.adapter import ADAPTER
from agent.platforms.linux_rdma.ops import AppReplace, FileWrite, Pfc
from agent.policy.model import Policy

LOSSY = Policy.model_validate({"baseline": "nvidia-roce-lossy"})


def test_a_lossless_nic_moved_to_lossy_only_turns_pfc_off() -> None:
    """Converged on the lossless lab policy: ECN on 3, DSCP trust, ToS already right; only PFC changes."""
    ops = ADAPTER.plan(host_intent(LOSSY), raw_from("mlx5_default", "converged")).operations
    assert [op.kind for op in ops] == ["pfc"]
    assert isinstance(ops[0], Pfc)
    assert ops[0].enabled == []
    assert "was 3" in ops[0].summary


def test_from_firmware_defaults_lossy_trusts_dscp_and_keeps_ecn_only_on_the_roce_priority() -> None:
    ops = ADAPTER.plan(host_intent(LOSSY), raw_from("mlx5_default")).operations
    app = next(op for op in ops if isinstance(op, AppReplace))
    assert sorted(app.dscp_prio) == [(26, 3), (48, 6)]
    pfc = next(op for op in ops if isinstance(op, Pfc))
    assert pfc.enabled == []
    files = {op.path: op.value for op in ops if isinstance(op, FileWrite)}
    for point in ("np", "rp"):
        # firmware default: DCQCN on every priority; priority 3 stays on (not rewritten), the rest go off
        assert f"/sys/class/net/eth1/ecn/roce_{point}/enable/3" not in files
        assert all(files[f"/sys/class/net/eth1/ecn/roce_{point}/enable/{p}"] == "0" for p in (0, 1, 2, 4, 5, 6, 7))
    assert files["/sys/kernel/config/rdma_cm/mlx5_0/ports/1/default_roce_tos"] == "106"
