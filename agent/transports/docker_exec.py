"""A CommandRunner over `docker exec`, for containerlab nodes that have no SSH server.

containerlab's `sonic-vs` kind starts no sshd (reference automation-ecosystem.md §5.2): the documented
way in is `docker exec -it <container> bash` as root. This runner does the same without a terminal:

* `run(cmd)` is `docker exec -i <container> bash -c <cmd>` built as an argument list, so the command
  reaches the container's shell as one argument and is interpreted there exactly as an SSH `exec`
  request would be; nothing is interpreted by a shell on this side;
* stdout and stderr share one pipe (as NetmikoRunner merges them), the exit status is docker's, which
  is the command's own; docker's daemon errors ("No such container", "is not running") and a missing
  shell become DeviceError naming the device, so they are never mistaken for command output;
* `upload(path, data)` is `docker exec -i <container> sh -c 'cat > "$1"' sh <path>` with the data on
  stdin: the path is a positional argument, never spliced into the script.

Container names follow containerlab (`clab-<lab>-<node>`, see `clab_container_name`); an inventory can
override them with host data `container`. The Nornir connection plugin `docker_exec` (entry point in
pyproject.toml) holds one runner per host.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from typing import Any

from nornir.core.configuration import Config
from nornir.core.inventory import Host

from agent.errors import DeviceError, SessionLost
from agent.platforms.base import RunResult

CONNECTION_NAME = "docker_exec"
DEFAULT_DOCKER = "docker"
DEFAULT_SHELL = "bash"
DEFAULT_CLAB_PREFIX = "clab"
LAB_NAME_ONLY_PREFIX = "__lab-name"
_CONTAINER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")  # docker's own rule for container names
_SHELL_NAME = re.compile(r"/?[A-Za-z0-9_./-]+")
_DAEMON_ERROR = "Error response from daemon:"
_EXEC_FAILED = "OCI runtime exec failed"
UPLOAD_SCRIPT = 'cat > "$1"'


def clab_container_name(lab: str, node: str, prefix: str | None = None) -> str:
    """containerlab's container name: prefix unset -> `clab-<lab>-<node>`, `__lab-name` -> `<lab>-<node>`,
    "" -> `<node>`, anything else -> `<prefix>-<lab>-<node>`."""
    if prefix is None:
        prefix = DEFAULT_CLAB_PREFIX
    if prefix == "":
        return node
    if prefix == LAB_NAME_ONLY_PREFIX:
        return f"{lab}-{node}"
    return f"{prefix}-{lab}-{node}"


def check_container_name(name: str) -> str:
    """Refuse names docker would not accept (and anything that could be read as an option)."""
    if not _CONTAINER_NAME.fullmatch(name):
        raise ValueError(f"{name!r} is not a docker container name (letters, digits, `_`, `.`, `-`; no leading `-`)")
    return name


@dataclass(frozen=True)
class DockerTarget:
    """Which container to exec into and how. `docker` may be a path (tests put a fake first on PATH)."""

    device: str
    container: str
    docker: str = DEFAULT_DOCKER
    shell: str = DEFAULT_SHELL
    user: str | None = None  # `docker exec --user`; None = the image's user (root on sonic-vs)
    timeout: float = 30.0

    def __post_init__(self) -> None:
        check_container_name(self.container)
        if not _SHELL_NAME.fullmatch(self.shell):
            raise ValueError(f"{self.shell!r} is not a shell name or path (e.g. bash, sh, /bin/ash)")
        if self.user is not None and not _CONTAINER_NAME.fullmatch(self.user):
            raise ValueError(f"{self.user!r} is not a user name")

    def exec_argv(self, *argv: str) -> list[str]:
        user = ["--user", self.user] if self.user else []
        return [self.docker, "exec", "-i", *user, self.container, *argv]


class DockerExecRunner:
    """CommandRunner on one container; `round_trips` counts `run` calls, `uploads` counts file writes."""

    def __init__(self, target: DockerTarget) -> None:
        self.target = target
        self.device = target.device
        self.round_trips = 0
        self.uploads = 0

    @classmethod
    def connect(cls, target: DockerTarget) -> DockerExecRunner:
        """Fail at open, with a reason, when the container is missing or stopped (as SSH fails at login)."""
        runner = cls(target)
        runner.check_running()
        return runner

    def reconnect(self) -> DockerExecRunner:
        """docker exec has no session to lose; re-checking the container is what reconnecting means here."""
        self.check_running()
        return self

    def check_running(self) -> None:
        argv = [self.target.docker, "inspect", "--format", "{{.State.Running}}", self.target.container]
        code, output = self._call(argv, None, self.target.timeout, "docker inspect")
        if code != 0:
            detail = output.strip().splitlines()[-1] if output.strip() else f"exit {code}"
            raise DeviceError(self.device, "docker inspect", f"container {self.target.container!r}: {detail}")
        if output.strip() != "true":
            raise DeviceError(
                self.device, "docker inspect", f"container {self.target.container!r} is not running (deploy the lab)"
            )

    def run(self, command: str, *, timeout: float = 60.0) -> RunResult:
        self.round_trips += 1
        argv = self.target.exec_argv(self.target.shell, "-c", command)
        code, output = self._call(argv, None, timeout, _short(command))
        self._raise_for_docker_error(code, output, _short(command))
        return RunResult(output=output, exit_code=code)

    def upload(self, path: str, data: bytes) -> None:
        if not path or path.startswith("-"):
            raise ValueError(f"{path!r} is not a file path")
        argv = self.target.exec_argv("sh", "-c", UPLOAD_SCRIPT, "sh", path)
        code, output = self._call(argv, data, self.target.timeout, f"upload {path}")
        self._raise_for_docker_error(code, output, f"upload {path}")
        if code != 0:
            raise DeviceError(self.device, f"upload {path}", f"exit {code}: {output.strip()[-200:]}")
        self.uploads += 1

    def close(self) -> None:
        """Nothing to close: every call is its own `docker exec`."""

    def _call(self, argv: list[str], stdin: bytes | None, timeout: float, action: str) -> tuple[int, str]:
        try:
            proc = subprocess.run(
                argv,
                input=stdin if stdin is not None else b"",
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
            )
        except FileNotFoundError:
            raise DeviceError(
                self.device, action, f"docker executable {self.target.docker!r} not found (install the Docker CLI)"
            ) from None
        except subprocess.TimeoutExpired:
            raise SessionLost(self.device, action, f"no answer within {timeout:.0f}s") from None
        return proc.returncode, proc.stdout.decode("utf-8", errors="replace")

    def _raise_for_docker_error(self, code: int, output: str, action: str) -> None:
        """docker's own failures (not the command's) end the call with a reason a person can act on."""
        if code == 0:
            return
        text = output.strip()
        if text.startswith(_DAEMON_ERROR):
            raise DeviceError(self.device, action, f"docker: {text.splitlines()[0]}")
        if code in (126, 127) and _EXEC_FAILED in text:
            raise DeviceError(
                self.device,
                action,
                f"cannot start {self.target.shell!r} in {self.target.container!r}; set the shell "
                f"(connection_options.{CONNECTION_NAME}.extras.shell) to one the image has",
            )


def _short(command: str) -> str:
    return command if len(command) <= 60 else command[:57] + "..."


# -- Nornir ------------------------------------------------------------------------------------------
def target_from_extras(device: str, container: str, extras: dict[str, Any]) -> DockerTarget:
    return DockerTarget(
        device=device,
        container=container,
        docker=str(extras.get("docker") or DEFAULT_DOCKER),
        shell=str(extras.get("shell") or DEFAULT_SHELL),
        user=str(extras["user"]) if extras.get("user") else None,
        timeout=float(extras.get("timeout", 30.0)),
    )


def container_for_host(host: Host) -> str:
    """Host data `container` > connection extras `container` > containerlab's name from data `lab`."""
    extras = host.get_connection_parameters(CONNECTION_NAME).extras or {}
    explicit = host.get("container") or extras.get("container")
    if explicit:
        return check_container_name(str(explicit))
    lab = host.get("lab")
    if not lab:
        raise DeviceError(
            host.name, "docker exec", "no container name: set host data `container`, or data `lab` (containerlab)"
        )
    return check_container_name(clab_container_name(str(lab), host.name, host.get("clab_prefix")))


class DockerExec:
    """Nornir connection plugin: `host.get_connection("docker_exec", config)` is a DockerExecRunner.

    Nornir passes connection parameters, not the host: the container is `extras.container`, else the
    connection's `hostname`. `open_for_host` resolves it from the host record first.
    """

    connection: DockerExecRunner

    def open(
        self,
        hostname: str | None,
        username: str | None,
        password: str | None,
        port: int | None,
        platform: str | None,
        extras: dict[str, Any] | None = None,
        configuration: Config | None = None,
    ) -> None:
        opts = dict(extras or {})
        container = str(opts.get("container") or hostname or "")
        device = str(opts.get("device_name") or container)
        try:
            target = target_from_extras(device, container, opts)
        except ValueError as exc:
            raise DeviceError(device, "docker exec", str(exc)) from None
        self.connection = DockerExecRunner.connect(target)

    def close(self) -> None:
        self.connection.close()


def open_for_host(host: Host, configuration: Config) -> DockerExecRunner:
    """The host's docker_exec runner, opened with the container resolved from its inventory record."""
    if CONNECTION_NAME not in host.connections:
        extras = dict(host.get_connection_parameters(CONNECTION_NAME).extras or {})
        extras.update({"container": container_for_host(host), "device_name": host.name})
        host.open_connection(CONNECTION_NAME, configuration, extras=extras)
    runner: DockerExecRunner = host.get_connection(CONNECTION_NAME, configuration)
    return runner


def napalm_docker_runner(driver: Any) -> DockerExecRunner:
    """RUNNER_FACTORIES["docker"] of the rocesonic NAPALM driver: optional_args `container` (else the
    driver's hostname), plus `docker`, `shell`, `user` like the connection extras."""
    opts: dict[str, Any] = dict(driver.optional_args)
    container = str(opts.get("container") or driver.hostname)
    device = str(opts.get("device_name") or driver.hostname)
    try:
        target = target_from_extras(device, container, {**opts, "timeout": opts.get("timeout", driver.timeout)})
    except ValueError as exc:
        raise DeviceError(device, "docker exec", str(exc)) from None
    return DockerExecRunner.connect(target)


def uses_docker(host: Host) -> bool:
    """Host data `transport: docker` (what ClabInventory and `inventory from-clab` write for sonic-vs/linux)."""
    return bool(host.get("transport") == "docker")


def connect_host(host: Host) -> DockerExecRunner:
    """A runner for one inventory host, outside Nornir's connection cache (for runner factories)."""
    extras = dict(host.get_connection_parameters(CONNECTION_NAME).extras or {})
    try:
        target = target_from_extras(host.name, container_for_host(host), extras)
    except ValueError as exc:
        raise DeviceError(host.name, "docker exec", str(exc)) from None
    return DockerExecRunner.connect(target)
