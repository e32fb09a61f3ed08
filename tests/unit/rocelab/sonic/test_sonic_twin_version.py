"""`show version` in sonic-utilities' order and wording (show/main.py version(), tests/show_test.py facts)."""

from __future__ import annotations

from sonic_twin_helpers import leaf, ok

ORDER = [
    "SONiC Software Version",
    "SONiC OS Version",
    "Distribution",
    "Kernel",
    "Build commit",
    "Build date",
    "Built by",
    "Platform",
    "HwSKU",
    "ASIC",
    "ASIC Count",
    "Serial Number",
    "Model Number",
    "Hardware Revision",
    "Uptime",
    "Date",
]


def test_fields_order_blank_lines_and_docker_images() -> None:
    text = ok(leaf(sku="Force10-S6000"), "show version")
    lines = text.splitlines()
    assert lines[0] == ""
    keys = [line.split(":", 1)[0] for line in lines if ": " in line and not line.startswith(" ")]
    assert keys == ORDER
    assert lines[lines.index("Platform: x86_64-dell_s6000_s1220-r0") - 1] == ""
    assert "HwSKU: Force10-S6000" in lines
    assert "ASIC: broadcom" in lines
    assert lines[lines.index("Docker images:") - 1] == ""
    assert lines[lines.index("Docker images:") + 1].split() == ["REPOSITORY", "TAG", "IMAGE", "ID", "SIZE"]
    assert text.endswith("\n\n")  # click.echo of docker's output, which already ends with a newline
    assert lines[1].startswith("SONiC Software Version: SONiC.202511.")


def test_brief_omits_docker_images_and_release_is_selectable() -> None:
    text = ok(leaf(sku="ACS-SN5600", release="202305"), "show version --brief")
    assert "Docker images" not in text
    assert "SONiC Software Version: SONiC.202305." in text
    assert "ASIC: mellanox\n" in text
    assert text.splitlines()[-1].startswith("Date: ")
