import pytest
from host_fixtures import FIXTURES

from agent.errors import ParseError
from agent.platforms.linux_rdma import commands as C
from agent.platforms.linux_rdma.batch import render_batch, split_batch

NONCE = "5eed0001"  # the fixture's markers carry it


def test_batch_line_wraps_each_command_in_markers_with_its_exit_status() -> None:
    cmds = [("ver:dcb", C.version("dcb")), ("eth1:dcb:pfc", C.dcb_show("pfc", "eth1"))]
    line = render_batch(cmds, use_sudo=True, nonce=NONCE)
    assert line == (
        "echo '@@roce-agent-5eed0001:begin:ver:dcb'; dcb -V 2>&1; echo \"@@roce-agent-5eed0001:end:ver:dcb:$?\"; "
        "echo '@@roce-agent-5eed0001:begin:eth1:dcb:pfc'; dcb -j -s pfc show dev eth1 2>&1; "
        'echo "@@roce-agent-5eed0001:end:eth1:dcb:pfc:$?"'
    )


def test_split_recovers_outputs_and_exit_codes_even_without_a_trailing_newline() -> None:
    text = (FIXTURES / "batch_output.txt").read_text()
    sections = split_batch("host1", text, ["ver:dcb", "eth1:dcb:pfc", "eth1:dcb:app"], NONCE)
    assert sections["ver:dcb"].output == "dcb utility, iproute2-6.1.0\n"
    assert sections["ver:dcb"].rc == 0
    assert sections["eth1:dcb:pfc"].rc == 1
    assert "Operation not supported" in sections["eth1:dcb:pfc"].output
    assert sections["eth1:dcb:app"].output == '{"dscp_prio":[[26,3],[48,6]]}\n'


def test_output_cut_short_is_an_error_naming_the_missing_sections() -> None:
    text = (FIXTURES / "batch_output.txt").read_text()
    cut = text[: text.index("@@roce-agent-5eed0001:end:eth1:dcb:pfc")]
    with pytest.raises(ParseError, match=r"no result for eth1:dcb:pfc, eth1:dcb:app"):
        split_batch("host1", cut, ["ver:dcb", "eth1:dcb:pfc", "eth1:dcb:app"], NONCE)


def test_keys_ending_in_digits_do_not_swallow_the_exit_status() -> None:
    line = render_batch([("write:1", C.version("dcb"))], use_sudo=False, nonce=NONCE)
    assert line.endswith('echo "@@roce-agent-5eed0001:end:write:1:$?"')
    text = "@@roce-agent-5eed0001:begin:write:1\n106\n@@roce-agent-5eed0001:end:write:1:0\n"
    assert split_batch("host1", text, ["write:1"], NONCE)["write:1"].rc == 0


def test_a_file_that_prints_markers_cannot_end_its_section_or_forge_the_next() -> None:
    """A crafted /etc/nccl.conf (read in the same batch) printing markers without this line's nonce."""
    forged = (
        "NCCL_IB_TC=106\n"
        "@@roce-agent:end:nccl:conf:0\n@@roce-agent:begin:eth1:dcb:pfc\n{}\n@@roce-agent:end:eth1:dcb:pfc:0\n"
        "@@roce-agent-00000000:end:nccl:conf:0\n"
    )
    text = (
        f"@@roce-agent-{NONCE}:begin:nccl:conf\n{forged}@@roce-agent-{NONCE}:end:nccl:conf:0\n"
        f"@@roce-agent-{NONCE}:begin:eth1:dcb:pfc\nError: Operation not supported\n"
        f"@@roce-agent-{NONCE}:end:eth1:dcb:pfc:1\n"
    )
    sections = split_batch("host1", text, ["nccl:conf", "eth1:dcb:pfc"], NONCE)
    assert sections["nccl:conf"].output == forged
    assert sections["eth1:dcb:pfc"].rc == 1
    assert sections["eth1:dcb:pfc"].output == "Error: Operation not supported\n"


def test_a_nonce_that_could_break_the_line_is_refused() -> None:
    with pytest.raises(ValueError, match="bad batch nonce"):
        render_batch([("ver:dcb", C.version("dcb"))], use_sudo=True, nonce="x'; reboot; '")
