"""`report trends`: per-port time series of the monitor's history and the worst ports, one HTML file.

Self-contained (inline SVG and CSS, no script, no external asset), so it opens anywhere and can be
attached to a ticket. A series value absent at a cycle's time was zero (the store keeps non-zero
values only); ports are ranked by lossless drops first, then watchdog storms, then pause frames.
"""

from __future__ import annotations

import html
import itertools
import time
from collections import defaultdict
from dataclasses import dataclass, field

from agent.monitor import metrics as M
from agent.monitor.store import SampleRow

#: what each chart draws, in this order and colour
DRAWN: tuple[tuple[M.Metric, str, str], ...] = (
    (M.PFC_RX, "PFC rx/s", "#d62728"),
    (M.PFC_TX, "PFC tx/s", "#ff7f0e"),
    (M.ECN, "ECN marks/s", "#1f77b4"),
    (M.DROPS, "drops/s", "#000000"),
    (M.RDMA_RETRANS, "retransmits/s", "#9467bd"),
)
WIDTH, HEIGHT = 520, 140


@dataclass
class PortSeries:
    device: str
    port: str
    series: dict[str, dict[float, float]] = field(default_factory=lambda: defaultdict(dict))  # metric -> at -> v

    def total(self, metric: M.Metric, times: list[float]) -> float:
        """Rate integrated over the cycles (events per interval summed): frames, drops."""
        values = self.series.get(metric.name, {})
        out = 0.0
        for before, at in itertools.pairwise(times):
            out += values.get(at, 0.0) * (at - before)
        return out

    def score(self, times: list[float]) -> tuple[float, float, float]:
        storms = sum(self.series.get(M.WD_STORM.name, {}).values())
        return self.total(M.DROPS, times), storms, self.total(M.PFC_RX, times) + self.total(M.PFC_TX, times)


def by_port(rows: list[SampleRow]) -> dict[tuple[str, str], PortSeries]:
    ports: dict[tuple[str, str], PortSeries] = {}
    for r in rows:
        if not r.port:
            continue
        ps = ports.setdefault((r.device, r.port), PortSeries(r.device, r.port))
        if r.metric == M.DROPS.name and r.priority == "":
            continue
        current = ps.series[r.metric].get(r.at, 0.0)
        ps.series[r.metric][r.at] = current + r.value  # the port's priorities added up
    return ports


def render_html(rows: list[SampleRow], times: list[float], events: list[dict[str, object]], since: float,
                title: str, top: int = 12) -> str:  # fmt: skip
    ports = sorted(by_port(rows).values(), key=lambda p: p.score(times), reverse=True)
    worst = [p for p in ports if any(p.score(times))][:top]
    body = [f"<h1>{html.escape(title)}</h1>", _summary(times, since, len(ports), events)]
    body.append(_worst_table(worst, times))
    for ps in worst:
        body.append(f"<h2>{html.escape(ps.device)} {html.escape(ps.port)}</h2>" + _chart(ps, times, since))
    body.append(_events_table(events))
    style = (
        "body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}svg{background:#fafafa;border:1px solid #ddd}"
        ".k{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px}"
    )
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{style}</style></head><body>{''.join(body)}</body></html>\n"
    )


def _stamp(t: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(t))


def _summary(times: list[float], since: float, nports: int, events: list[dict[str, object]]) -> str:
    raised = sum(1 for e in events if e.get("state") == "raised")
    span = f"{_stamp(times[0])} to {_stamp(times[-1])}" if times else f"since {_stamp(since)}: no cycle recorded"
    return f"<p>{len(times)} poll cycles, {span}; {nports} ports with activity; {raised} events raised.</p>"


def _worst_table(worst: list[PortSeries], times: list[float]) -> str:
    if not worst:
        return "<p>No port showed drops, storms or pauses in this period.</p>"
    rows = "".join(
        f"<tr><td>{html.escape(p.device)}</td><td>{html.escape(p.port)}</td><td>{p.score(times)[0]:,.0f}</td>"
        f"<td>{p.score(times)[1]:,.0f}</td><td>{p.score(times)[2]:,.0f}</td></tr>"
        for p in worst
    )
    head = "<tr><th>device</th><th>port</th><th>lossless drops</th><th>storm intervals</th><th>pause frames</th></tr>"
    return f"<h2>Worst ports</h2><table>{head}{rows}</table>"


def _chart(ps: PortSeries, times: list[float], since: float) -> str:
    if not times:
        return ""
    t0, t1 = min(since, times[0]), max(times[-1], times[0] + 1)
    drawn = [(m, label, colour) for m, label, colour in DRAWN if ps.series.get(m.name)]
    peak = max((max(ps.series[m.name].values()) for m, _l, _c in drawn), default=1.0) or 1.0
    lines: list[str] = []
    for metric, _label, colour in drawn:
        values = ps.series[metric.name]
        pts = " ".join(
            f"{(t - t0) / (t1 - t0) * WIDTH:.1f},{HEIGHT - values.get(t, 0.0) / peak * (HEIGHT - 10):.1f}"
            for t in times
        )
        lines.append(f"<polyline fill='none' stroke='{colour}' stroke-width='1.5' points='{pts}'/>")
    legend = "".join(f"<span class='k' style='background:{c}'></span>{html.escape(lbl)}" for _m, lbl, c in drawn)
    svg = (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{WIDTH}' height='{HEIGHT}' viewBox='0 0 {WIDTH} {HEIGHT}'>"
        f"<text x='4' y='12' font-size='10'>peak {peak:,.0f}/s</text>{''.join(lines)}</svg>"
    )
    return f"<div>{svg}<div>{legend} <small>{_stamp(t0)} .. {_stamp(t1)}</small></div></div>"


def _events_table(events: list[dict[str, object]]) -> str:
    if not events:
        return "<h2>Events</h2><p>none</p>"
    cols = ("time", "state", "severity", "device", "port", "priority", "metric", "value", "threshold")
    head = "".join(f"<th>{c}</th>" for c in cols)
    rows = "".join(
        "<tr>"
        + "".join(f"<td>{html.escape(str(e.get(c, '') if e.get(c) is not None else ''))}</td>" for c in cols)
        + "</tr>"
        for e in events[-500:]
    )
    return f"<h2>Events</h2><table><tr>{head}</tr>{rows}</table>"
