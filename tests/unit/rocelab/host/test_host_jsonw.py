"""The twin's json_writer against JSON printed by real iproute2 6.1 (compact and `-p`)."""

from __future__ import annotations

import json
from pathlib import Path

from rocelab.host import HostTwin, jsonw
from rocelab.twin import TwinNic

VETH = Path(__file__).parents[3] / "fixtures" / "hosts" / "observed-veth"


def test_compact_and_pretty_match_real_ip_output() -> None:
    compact = (VETH / "ip-d-j-link-show-all.json").read_text()
    data = json.loads(compact)
    assert any("linkinfo" in record for record in data)  # nested object inside an array of objects
    assert jsonw.dumps(data) == compact
    assert jsonw.dumps(data, pretty=True) == (VETH / "ip-d-j-p-link-show-all.txt").read_text()


def test_dcb_pretty_app_matches_the_netdev_post_shape() -> None:
    """Reference §1.4: `"dscp_prio": [ [ 8,0," " ],[ 16,1," " ] ]` from iproute2 >= 6.5 with -p."""
    host = HostTwin("host1", [TwinNic()], iproute2_flavour="6.5", clock=lambda: 0.0)
    host.run("dcb app add dev eth1 dscp-prio 8:0 16:1", sudo=True)
    out = host.run("dcb -j -p app show dev eth1", sudo=False).stdout
    assert out == '{\n    "dscp_prio": [ [ 8,0," " ],[ 16,1," " ] ]\n}\n'
