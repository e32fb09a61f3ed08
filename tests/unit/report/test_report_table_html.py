from __future__ import annotations

import io
import re

from rich.console import Console

from agent.checks.engine import AuditResult
from agent.report import html, table
from agent.report.common import ReportMeta


def _table_text(result: AuditResult, meta: ReportMeta | None = None) -> str:
    buf = io.StringIO()
    table.render(result, Console(file=buf, width=200, no_color=True), meta)
    return buf.getvalue()


def test_summary_first_then_devices(faults: AuditResult) -> None:
    text = _table_text(faults)
    first = text.splitlines()[0]
    assert first.startswith("NOT COMPLIANT: 5 errors, 1 warnings, 0 info on 3 of 8 devices")
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
    assert text.startswith("COMPLIANT: 0 errors")
    assert "expected" not in text  # no findings table at all


def test_html_is_self_contained_and_escaped(faults: AuditResult) -> None:
    page = html.render(faults, ReportMeta(inventory="<inv>", policy="p&q"))
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "&lt;inv&gt;" in page
    assert "p&amp;q" in page
    assert "DSCP 26 -&gt; TC 1" in page
    assert page.count("<h2") == len(faults.devices) + 1
