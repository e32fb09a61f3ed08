"""A self-contained HTML heat map of the entropy audit: per tier, sending switch x receiving switch.

One file, inline CSS, no script and no external resource, so it opens anywhere (a CI artifact, a
ticket). Cell colour is the link's flow count relative to the busiest link of its tier; idle links are
hatched, because an idle uplink next to a hot one is the polarisation signature the audit exists for.
"""

from __future__ import annotations

import html
from collections import defaultdict

from agent.loadbalancing.audit import EntropyAuditResult, TierVerdict
from agent.loadbalancing.entropy import LinkLoad

STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
table.hm{border-collapse:collapse;margin:.5em 0 1.5em}
table.hm td,table.hm th{border:1px solid #ccc;padding:2px 5px;font-size:12px;text-align:center;min-width:2.2em}
table.hm th{background:#f4f4f4;font-weight:600}
td.idle{background:repeating-linear-gradient(45deg,#fff,#fff 3px,#ddd 3px,#ddd 6px);color:#a00}
td.none{background:#fafafa;color:#bbb}
.over{color:#a00;font-weight:700}
.note{color:#555;font-size:13px;max-width:60em}
"""


def _colour(flows: int, peak: int) -> str:
    """White at 0, deep red at the tier's busiest link."""
    share = flows / peak if peak else 0.0
    green_blue = int(255 - 200 * share)
    return f"rgb(255,{green_blue},{green_blue})"


def _cells(loads: list[LinkLoad]) -> dict[tuple[str, str], list[int]]:
    """(sender, receiver) -> flows per parallel link."""
    grid: dict[tuple[str, str], list[int]] = defaultdict(list)
    for ld in loads:
        grid[(ld.src.device, ld.dst.device)].append(ld.flows)
    return grid


def _tier_table(verdict: TierVerdict, loads: list[LinkLoad]) -> str:
    grid = _cells(loads)
    rows = sorted({s for s, _d in grid})
    cols = sorted({d for _s, d in grid})
    peak = max((ld.flows for ld in loads), default=0)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = []
    for r in rows:
        cells = []
        for c in cols:
            flows = grid.get((r, c))
            if flows is None:
                cells.append('<td class="none">-</td>')
            elif sum(flows) == 0:
                cells.append(f'<td class="idle" title="{html.escape(r)} -> {html.escape(c)}: idle">0</td>')
            else:
                text = "+".join(str(f) for f in flows)
                tip = f"{r} -> {c}: {text} flows"
                style = f"background:{_colour(max(flows), peak)}"
                cells.append(f'<td style="{style}" title="{html.escape(tip)}">{html.escape(text)}</td>')
        body.append(f"<tr><th>{html.escape(r)}</th>{''.join(cells)}</tr>")
    s = verdict.stats
    over = ' <span class="over">over threshold</span>' if verdict.over else ""
    caption = (
        f"<h2>{html.escape(s.tier)}</h2><p>{s.links} links, mean {s.mean:.2f} flows, max {s.max} "
        f"({s.max_over_mean:.2f}x the mean; threshold {verdict.threshold:g}x), {s.idle} idle{over}</p>"
    )
    return f'{caption}<table class="hm"><tr><th>from \\ to</th>{head}</tr>{"".join(body)}</table>'


def render_html(result: EntropyAuditResult, title: str = "Fabric entropy") -> str:
    rep = result.report
    sections = [_tier_table(v, [ld for ld in rep.loads if ld.tier == v.stats.tier]) for v in result.verdicts]
    unknown = (
        f"<p class='note'>Switches without a readable hash (modelled as hashing on nothing): "
        f"{html.escape(', '.join(result.unknown_hash))}</p>"
        if result.unknown_hash
        else ""
    )
    summary = (
        f"<p>{rep.flows} flows: ring all-reduce over {result.hosts} hosts, {rep.qps} QPs per connection; "
        f"{rep.unrouted} unrouted. Model: {html.escape(rep.model)}.</p>"
    )
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>{summary}"
        f"<p class='note'>{html.escape(result.note)}</p>{unknown}{''.join(sections)}</body></html>\n"
    )
