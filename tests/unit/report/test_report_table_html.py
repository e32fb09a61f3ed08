from __future__ import annotations

import io
import re

from rich.console import Console

from agent.checks.engine import AuditResult
from agent.checks.registry import catalogue
from agent.report import html, table
from agent.report.common import ReportMeta


def _table_text(result: AuditResult, meta: ReportMeta | None = None) -> str:
    buf = io.StringIO()
    table.render(result, Console(file=buf, width=200, no_color=True), meta)
    return buf.getvalue()


def test_summary_first_then_devices(faults: AuditResult) -> None:
    text = _table_text(faults)
    first = text.splitlines()[0]
    summary = "NOT COMPLIANT: 6 findings (5 errors, 1 warnings, 0 info) on 8 devices (3 failing)"
    assert first.startswith(f"{summary}, {len(catalogue())} checks")
    assert "unreachable: host4" in first
    order = [text.index(name) for name in ("\nnot read", "\nleaf1", "\nleaf2", "\nspine2", "\nfabric-wide")]
    assert order == sorted(order)
    assert "host4  │ TCP connection to 127.0.0.1:2204 refused" in text
    assert "fix SW-QOS-002 Ethernet8/3: set DSCP_TO_TC_MAP entry 26 -> 3" in text
    assert "compliant: host1, host2, host3, spine1" in text


def test_history_line(faults: AuditResult) -> None:
    meta = ReportMeta(previous_audit=7, new=["a", "b"], resolved=["c"])
    assert "since audit #7: 2 new, 1 resolved" in _table_text(faults, meta)


def test_clean_table(clean: AuditResult) -> None:
    text = _table_text(clean)
    without_runtime = len([s for s in catalogue().values() if s.scope != "runtime"])  # no second read
    assert text.startswith(f"COMPLIANT: 0 findings on 8 devices, {without_runtime} checks, checked in ")
    assert "expected" not in text  # no findings table at all


def test_html_is_self_contained_and_escaped(faults: AuditResult) -> None:
    page = html.render(faults, ReportMeta(inventory="<inv>", policy="p&q"))
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "&lt;inv&gt;" in page
    assert "p&amp;q" in page
    assert "DSCP 26 -&gt; TC 1" in page
    assert page.count("<h2") == 1 + len(faults.devices) + 1  # overview, each device, the fabric


def test_html_overview_comes_first_and_warnings_are_not_passes(faults: AuditResult) -> None:
    page = html.render(faults)
    overview = page[page.index('<h2 id="overview">') : page.index("</table>")]
    assert page.index('<h2 id="overview">') < page.index('<h2 id="host1">')
    header = re.findall(r"<th>([^<]+)</th>", overview)
    assert header[0] == "device"
    assert {"PFC", "BUF", "QOS", "CFG"} <= set(header)
    rows = {m[0]: m[1] for m in re.findall(r'<tr><td><a href="#([^"]+)">[^<]+</a></td>(.*?)</tr>', overview)}
    cfg = header.index("CFG") - 1
    spine2_cells = re.findall(r'<td class="(\w+)">([^<]+)</td>', rows["spine2"])
    assert spine2_cells[cfg] == ("warn", "1 warn")  # an unsaved config warns; it is not a pass
    assert "4 pass" not in rows["host4"]
    assert "(not read)" in overview
    spine2 = page[page.index('<h2 id="spine2">') :].split("\n", 1)[0]
    n = len(faults.ran["spine2"])
    assert f"({n - 1}/{n} checks pass, 1 warn)" in spine2
