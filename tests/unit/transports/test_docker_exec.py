"""docker-exec transport pieces that need no docker: naming, argument lists, validation, resolution."""

from __future__ import annotations

import pytest
from nornir.core.inventory import ConnectionOptions, Defaults, Host

from agent.errors import DeviceError
from agent.transports.docker_exec import (
    CONNECTION_NAME,
    DockerExec,
    DockerExecRunner,
    DockerTarget,
    check_container_name,
    clab_container_name,
    connect_host,
    container_for_host,
    uses_docker,
)


@pytest.mark.parametrize(
    ("prefix", "name"),
    [
        (None, "clab-roce-fabric-leaf1"),
        ("", "leaf1"),
        ("__lab-name", "roce-fabric-leaf1"),
        ("ci", "ci-roce-fabric-leaf1"),
    ],
)
def test_container_names_follow_containerlab_prefix_rules(prefix: str | None, name: str) -> None:
    assert clab_container_name("roce-fabric", "leaf1", prefix) == name


@pytest.mark.parametrize("bad", ["", "-it", "leaf1;rm -rf /", "a b", "$(id)", "leaf1\n"])
def test_container_names_that_docker_would_not_accept_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="container name"):
        check_container_name(bad)


def test_exec_argv_is_an_argument_list_with_user_before_the_container() -> None:
    target = DockerTarget("leaf1", "clab-x-leaf1", user="admin")
    assert target.exec_argv("bash", "-c", "show version; echo $HOME") == [
        "docker", "exec", "-i", "--user", "admin", "clab-x-leaf1", "bash", "-c", "show version; echo $HOME",
    ]  # fmt: skip


@pytest.mark.parametrize(("field", "value"), [("shell", "bash -x"), ("shell", "`sh`"), ("user", "root;x")])
def test_target_refuses_shell_and_user_values_that_are_not_names(field: str, value: str) -> None:
    with pytest.raises(ValueError, match="not a"):
        DockerTarget("leaf1", "clab-x-leaf1", **{field: value})  # type: ignore[arg-type]


def test_missing_docker_executable_is_a_device_error_naming_it() -> None:
    runner = DockerExecRunner(DockerTarget("leaf1", "clab-x-leaf1", docker="/nonexistent/docker"))
    with pytest.raises(DeviceError, match=r"leaf1: .*'/nonexistent/docker' not found"):
        runner.run("true")
    with pytest.raises(DeviceError, match="not found"):
        DockerExec().open(None, None, None, None, None, extras={"container": "c1", "docker": "/nonexistent/docker"})


def test_upload_refuses_paths_that_look_like_options() -> None:
    runner = DockerExecRunner(DockerTarget("leaf1", "clab-x-leaf1", docker="/nonexistent/docker"))
    with pytest.raises(ValueError, match="not a file path"):
        runner.upload("-rf", b"")


def _host(data: dict[str, object], extras: dict[str, object] | None = None) -> Host:
    options = {CONNECTION_NAME: ConnectionOptions(extras=extras)} if extras is not None else {}
    return Host("leaf1", hostname="172.20.30.21", data=data, defaults=Defaults(), connection_options=options)


def test_container_resolution_order() -> None:
    assert container_for_host(_host({"lab": "roce-fabric"})) == "clab-roce-fabric-leaf1"
    assert container_for_host(_host({"lab": "roce-fabric", "clab_prefix": ""})) == "leaf1"
    assert container_for_host(_host({"lab": "l"}, {"container": "from-extras"})) == "from-extras"
    assert container_for_host(_host({"lab": "l", "container": "from-data"}, {"container": "x"})) == "from-data"
    with pytest.raises(DeviceError, match="no container name"):
        container_for_host(_host({}))
    with pytest.raises(ValueError, match="container name"):
        container_for_host(_host({"container": "--privileged"}))


def test_uses_docker_follows_host_data_and_connect_host_names_the_host() -> None:
    assert uses_docker(_host({"transport": "docker"}))
    assert not uses_docker(_host({"transport": "ssh"}))
    assert not uses_docker(_host({}))
    host = _host({"lab": "roce-fabric"}, {"docker": "/nonexistent/docker"})
    with pytest.raises(DeviceError, match=r"^leaf1: docker inspect: .*not found"):
        connect_host(host)
