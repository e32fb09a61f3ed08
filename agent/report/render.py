"""One audit result -> the report format asked for, on stdout or into a file.

Shared by `roce-agent audit` and audit playbooks, so one audit read renders several outputs. Format
modules are imported when used: the CLI's start-up only pays for the one it prints.
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import TextIO

from agent.checks.engine import AuditResult
from agent.report.common import ReportMeta


class Format(str, Enum):
    table = "table"
    json = "json"
    junit = "junit"
    prom = "prom"
    html = "html"


NO_WRAP_WIDTH = 4096  # a table for a pipe or a file: lines as long as their content, never folded


def render_text(result: AuditResult, meta: ReportMeta, fmt: Format) -> str:
    """Every format but the terminal table, as text."""
    if fmt is Format.prom:
        from agent.report import prom

        return prom.render(result, meta)
    if fmt is Format.json:
        from agent.report import json_report

        return json_report.render(result, meta)
    if fmt is Format.junit:
        from agent.report import junit

        return junit.render(result, meta)
    if fmt is Format.html:
        from agent.report import html

        return html.render(result, meta)
    return render_table(result, meta, width=NO_WRAP_WIDTH, color=False)


def render_table(result: AuditResult, meta: ReportMeta, *, width: int, color: bool) -> str:
    from io import StringIO

    from rich.console import Console

    from agent.report import table

    buf = StringIO()
    table.render(result, Console(file=buf, width=width, no_color=not color, force_terminal=color), meta)
    return buf.getvalue()


def write_report(result: AuditResult, meta: ReportMeta, fmt: Format, output: Path | None,
                 stream: TextIO | None = None) -> None:  # fmt: skip
    """Print the report (`output` None) or write it to `output` (prom: atomically, for node_exporter)."""
    if output is None:
        out = stream or sys.stdout
        if fmt is Format.table:
            from rich.console import Console

            from agent.report import table

            tty = out.isatty()  # a terminal wraps at its width; a pipe gets whole lines (grep, less -S, CI logs)
            table.render(result, Console(file=out, width=None if tty else NO_WRAP_WIDTH), meta)
        else:
            out.write(render_text(result, meta, fmt))
            out.flush()
        return
    text = render_text(result, meta, fmt)
    if fmt is Format.prom:
        from agent.report import prom

        prom.write_textfile(output, text)
    else:
        output.write_text(text, encoding="utf-8")
