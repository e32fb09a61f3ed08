import pytest
from host_fixtures import FIXTURES

from agent.errors import ParseError
from agent.platforms.linux_rdma import commands as C
from agent.platforms.linux_rdma.batch import render_batch, split_batch


def test_batch_line_wraps_each_command_in_markers_with_its_exit_status() -> None:
    line = render_batch([("ver:dcb", C.version("dcb")), ("eth1:dcb:pfc", C.dcb_show("pfc", "eth1"))], use_sudo=True)
    assert line == (
        "echo '@@roce-agent:begin:ver:dcb'; dcb -V 2>&1; echo \"@@roce-agent:end:ver:dcb:$?\"; "
        "echo '@@roce-agent:begin:eth1:dcb:pfc'; dcb -j -s pfc show dev eth1 2>&1; "
        'echo "@@roce-agent:end:eth1:dcb:pfc:$?"'
    )


def test_split_recovers_outputs_and_exit_codes_even_without_a_trailing_newline() -> None:
    text = (FIXTURES / "batch_output.txt").read_text()
    sections = split_batch("host1", text, ["ver:dcb", "eth1:dcb:pfc", "eth1:dcb:app"])
    assert sections["ver:dcb"].output == "dcb utility, iproute2-6.1.0\n"
    assert sections["ver:dcb"].rc == 0
    assert sections["eth1:dcb:pfc"].rc == 1
    assert "Operation not supported" in sections["eth1:dcb:pfc"].output
    assert sections["eth1:dcb:app"].output == '{"dscp_prio":[[26,3],[48,6]]}\n'


def test_output_cut_short_is_an_error_naming_the_missing_sections() -> None:
    text = (FIXTURES / "batch_output.txt").read_text()
    cut = text[: text.index("@@roce-agent:end:eth1:dcb:pfc")]
    with pytest.raises(ParseError, match=r"no result for eth1:dcb:pfc, eth1:dcb:app"):
        split_batch("host1", cut, ["ver:dcb", "eth1:dcb:pfc", "eth1:dcb:app"])


def test_keys_ending_in_digits_do_not_swallow_the_exit_status() -> None:
    line = render_batch([("write:1", C.version("dcb"))], use_sudo=False)
    assert line.endswith('echo "@@roce-agent:end:write:1:$?"')
    text = "@@roce-agent:begin:write:1\n106\n@@roce-agent:end:write:1:0\n"
    assert split_batch("host1", text, ["write:1"])["write:1"].rc == 0
