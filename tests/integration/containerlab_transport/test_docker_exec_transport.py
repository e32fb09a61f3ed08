"""The docker-exec transport against a fake `docker` whose containers are the lab's twins.

What is real: the subprocess, the argument list, stdin, exit statuses, docker's error texts, and the
command semantics (the lab's shell layer and twins, the same ones SSH serves). What is fake: dockerd.
"""

from __future__ import annotations

import json

import pytest

from agent.errors import DeviceError
from agent.transports.docker_exec import UPLOAD_SCRIPT, DockerExecRunner, DockerTarget
from rocelab.twin import Twin

from .docker_twin_server import DockerTwinServer

LEAF1 = "clab-roce-fabric-leaf1"


def leaf1() -> DockerExecRunner:
    return DockerExecRunner.connect(DockerTarget("leaf1", LEAF1))


def test_command_reaches_the_container_shell_as_one_argument(docker: DockerTwinServer) -> None:
    command = "sonic-db-cli CONFIG_DB hget 'PORT|Ethernet0' speed"
    res = leaf1().run(command)
    assert (res.output, res.exit_code) == ("400000\n", 0)
    assert docker.calls[-1] == ["exec", "-i", LEAF1, "bash", "-c", command]


def test_exit_status_and_stderr_come_back(docker: DockerTwinServer) -> None:
    runner = leaf1()
    missing = runner.run("no-such-tool --x")
    assert missing.exit_code == 127
    assert "no-such-tool: command not found" in missing.output  # stderr merged, as the SSH runner does
    failed = runner.run("sonic-db-cli CONFIG_DB hget 'PORT|Ethernet0' speed && false")
    assert failed.exit_code == 1
    assert runner.round_trips == 2


def test_show_output_is_the_twins(docker: DockerTwinServer, containers: dict[str, Twin]) -> None:
    res = leaf1().run("show interfaces status")
    direct = containers[LEAF1].run("show interfaces status", sudo=False).stdout
    assert res.exit_code == 0
    assert res.output == direct
    assert "Ethernet0" in res.output


def test_upload_sends_data_on_stdin_and_the_path_as_an_argument(
    docker: DockerTwinServer, containers: dict[str, Twin]
) -> None:
    runner = leaf1()
    data = json.dumps([{"op": "add", "path": "/X", "value": "it's $HOME; `x`"}]).encode()
    runner.upload("/tmp/patch with space.json", data)
    assert docker.calls[-1] == ["exec", "-i", LEAF1, "sh", "-c", UPLOAD_SCRIPT, "sh", "/tmp/patch with space.json"]
    assert containers[LEAF1].read_file("/tmp/patch with space.json") == data
    assert runner.uploads == 1


def test_missing_container_fails_at_connect_with_the_reason(docker: DockerTwinServer) -> None:
    with pytest.raises(DeviceError, match="No such object: clab-roce-fabric-leaf9"):
        DockerExecRunner.connect(DockerTarget("leaf9", "clab-roce-fabric-leaf9"))


def test_container_removed_mid_session_is_a_device_error_not_output(docker: DockerTwinServer) -> None:
    runner = leaf1()
    del docker.containers[LEAF1]
    with pytest.raises(DeviceError, match="No such container: clab-roce-fabric-leaf1"):
        runner.run("show version")


def test_shell_missing_in_the_image_is_explained(docker: DockerTwinServer) -> None:
    runner = DockerExecRunner.connect(DockerTarget("leaf1", LEAF1, shell="zsh"))
    with pytest.raises(DeviceError, match=r"cannot start 'zsh'.*extras\.shell"):
        runner.run("show version")
