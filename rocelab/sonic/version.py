"""`show version [--brief]` in the order and wording of sonic-utilities show/main.py `version()`.

Lines (read there): a blank line, `SONiC Software Version: SONiC.<build_version>`, `SONiC OS Version`,
`Distribution: Debian <v>`, `Kernel`, `Build commit`, `Build date`, `Built by`, a blank line, `Platform`,
`HwSKU`, `ASIC`, `ASIC Count`, `Serial Number`, `Model Number`, `Hardware Revision`, `Uptime: <uptime(1)
output, stripped>`, `Date: <%a %d %b %Y %X>`, then unless `--brief` a blank line, `Docker images:` and
`docker images --format "table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.Size}}"` (docker's tabwriter: cells
padded by 3 spaces, at least 10 wide), whose trailing newline click.echo doubles.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

IMAGES = (  # (repository, size) of a community image's containers
    ("docker-orchagent", "328MB"),
    ("docker-fpm-frr", "367MB"),
    ("docker-syncd", "405MB"),
    ("docker-database", "301MB"),
    ("docker-platform-monitor", "419MB"),
    ("docker-lldp", "306MB"),
    ("docker-teamd", "312MB"),
    ("docker-snmp", "339MB"),
)


@dataclass(frozen=True)
class Release:
    """What /etc/sonic/sonic_version.yml says about the image."""

    build_version: str  # e.g. 202411.0-roce-twin: the release is the part before the first dot
    sonic_os_version: str
    debian_version: str
    kernel_version: str
    build_date: str
    built_by: str = "roce-agent lab twin"

    @property
    def release(self) -> str:
        return self.build_version.split(".", 1)[0]

    @property
    def commit(self) -> str:
        return self.build_version.partition("-")[2] or self.build_version


DEFAULT_RELEASE = "202511"
# release -> (SONiC OS version, Debian, kernel). The twin needs the release (GCU/YANG behaviour differs per
# release); the other three are representative of the branch's base image, not a particular build.
RELEASES = {
    "202211": ("11", "11.6", "5.10.0-18-2-amd64"),
    "202305": ("11", "11.7", "5.10.0-23-2-amd64"),
    "202311": ("12", "12.4", "6.1.0-11-2-amd64"),
    "202405": ("12", "12.6", "6.1.0-22-2-amd64"),
    "202411": ("12", "12.8", "6.1.0-29-2-amd64"),
    "202505": ("12", "12.10", "6.1.0-29-2-amd64"),
    "202511": ("13", "13.1", "6.12.41+deb13-amd64"),
}


def release_of(release: str) -> Release:
    """The image of one SONiC release branch (`202405`), as its sonic_version.yml would describe it."""
    if release not in RELEASES:
        raise ValueError(f"unknown SONiC release {release!r}; one of {', '.join(RELEASES)}")
    os_version, debian, kernel = RELEASES[release]
    return Release(f"{release}.0-roce-twin", os_version, debian, kernel, "Mon Nov 17 06:12:00 UTC 2025")


def _uptime(now: datetime, up: timedelta) -> str:
    minutes = int(up.total_seconds()) // 60
    span = f"{minutes} min" if minutes < 60 else f"{minutes // 60}:{minutes % 60:02d}"
    return f"{now:%H:%M:%S} up {span},  1 user,  load average: 0.08, 0.12, 0.10"


def _docker_table(release: Release) -> str:
    rows = [("REPOSITORY", "TAG", "IMAGE ID", "SIZE")]
    for repo, size in IMAGES:
        image_id = hashlib.sha256(f"{repo}:{release.build_version}".encode()).hexdigest()[:12]
        rows += [(repo, release.build_version, image_id, size), (repo, "latest", image_id, size)]
    widths = [max(10, max(len(r[i]) for r in rows) + 3) for i in range(3)]
    return "".join("".join(c.ljust(w) for c, w in zip(r[:3], widths, strict=True)) + r[3] + "\n" for r in rows)


def show_version(
    release: Release, platform: str, hwsku: str, asic: str, *, booted: datetime, now: datetime, brief: bool
) -> str:
    lines = [
        "",
        f"SONiC Software Version: SONiC.{release.build_version}",
        f"SONiC OS Version: {release.sonic_os_version}",
        f"Distribution: Debian {release.debian_version}",
        f"Kernel: {release.kernel_version}",
        f"Build commit: {release.commit}",
        f"Build date: {release.build_date}",
        f"Built by: {release.built_by}",
        "",
        f"Platform: {platform}",
        f"HwSKU: {hwsku}",
        f"ASIC: {asic}",
        "ASIC Count: 1",
        "Serial Number: N/A",
        "Model Number: N/A",
        "Hardware Revision: N/A",
        f"Uptime: {_uptime(now, now - booted)}",
        f"Date: {now:%a %d %b %Y %X}",
    ]
    out = "\n".join(lines) + "\n"
    if not brief:
        out += "\nDocker images:\n" + _docker_table(release) + "\n"
    return out
