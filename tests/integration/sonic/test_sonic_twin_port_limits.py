"""Per-port facts the checks read, gathered from the twin in the normal two round trips.

max_headroom_size is in STATE_DB only under the dynamic buffer model (buffermgrd publishes it from SAI);
the traditional default image has no BUFFER_MAX_PARAM_TABLE, so it must come back as None.
"""

from __future__ import annotations

from agent.intent import DeviceIntent
from agent.platforms.sonic.adapter import SonicAdapter
from agent.platforms.sonic.transaction import TxSettings
from rocelab.sonic.twin import SonicTwin
from rocelab.twin import TwinPort

from .sonic_twin_runner import CABLED, TwinRunner

ADAPTER = SonicAdapter(TxSettings(verify_attempts=2, verify_interval_s=0, sleep=lambda _s: None))


def test_traditional_model_has_no_headroom_limit(runner: TwinRunner, intent: DeviceIntent) -> None:
    state = ADAPTER.normalize("leaf1", ADAPTER.gather(runner, intent))
    assert runner.round_trips == 1  # the redis read (fastread.py)
    assert state.buffer_model == "traditional"
    assert {p.max_headroom_size for p in state.ports.values()} == {None}


def test_dynamic_model_headroom_limit_and_vlans_are_read(intent: DeviceIntent) -> None:
    ports = [TwinPort(n, 400_000, nb, role) for n, (nb, role) in CABLED.items()]
    twin = SonicTwin("leaf1", ports, buffer_model="dynamic")
    for cmd in (
        "sonic-db-cli STATE_DB hset 'BUFFER_MAX_PARAM_TABLE|Ethernet8' max_headroom_size 122880",
        "sonic-db-cli CONFIG_DB hset 'VLAN|Vlan100' vlanid 100",
        "sonic-db-cli CONFIG_DB hset 'VLAN_MEMBER|Vlan100|Ethernet8' tagging_mode tagged",
    ):
        assert twin.run(cmd, sudo=True).exit_code == 0, cmd
    runner = TwinRunner(twin)
    state = ADAPTER.normalize("leaf1", ADAPTER.gather(runner, intent))
    assert runner.round_trips == 1  # the redis read (fastread.py)
    assert state.ports["Ethernet0"].max_headroom_size == 1048576
    assert state.ports["Ethernet8"].max_headroom_size == 122880  # the limit test_buffer_dynamic.py injects
    assert (state.ports["Ethernet8"].vlans, state.ports["Ethernet0"].vlans) == ([100], [])
