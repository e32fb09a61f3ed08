"""monitoring/alerts.yml and monitoring/grafana-dashboard.json use only series the exporter serves."""

from __future__ import annotations

import json
import re
from pathlib import Path

from ruamel.yaml import YAML

from agent.monitor.exporter import exposed_names

ROOT = Path(__file__).resolve().parents[3]
NAME = re.compile(r"\broce_agent_[a-z0-9_]+")


def alert_exprs() -> list[str]:
    doc = YAML(typ="safe").load((ROOT / "monitoring" / "alerts.yml").read_text())
    return [str(rule["expr"]) for group in doc["groups"] for rule in group["rules"]]


def dashboard_exprs() -> list[str]:
    doc = json.loads((ROOT / "monitoring" / "grafana-dashboard.json").read_text())
    exprs = [t["expr"] for panel in doc["panels"] for t in panel.get("targets", [])]
    exprs += [v["query"] for v in doc["templating"]["list"] if v.get("type") == "query"]
    return exprs


def test_every_alert_rule_uses_served_metrics_only() -> None:
    exprs = alert_exprs()
    assert len(exprs) >= 8
    used = {m for e in exprs for m in NAME.findall(e)}
    assert used, "no roce_agent metric in the rules"
    assert used <= exposed_names(), f"not served: {sorted(used - exposed_names())}"


def test_every_dashboard_query_uses_served_metrics_only() -> None:
    exprs = dashboard_exprs()
    used = {m for e in exprs for m in NAME.findall(e)}
    assert used <= exposed_names(), f"not served: {sorted(used - exposed_names())}"
    assert all(NAME.search(e) for e in exprs), "a panel queries nothing of ours"


def test_the_dashboard_shows_the_series_the_issue_asks_for() -> None:
    used = {m for e in dashboard_exprs() for m in NAME.findall(e)}
    wanted = {
        "roce_agent_pfc_rx_pause_frames_per_second",
        "roce_agent_queue_drops_per_second",
        "roce_agent_ecn_marked_packets_per_second",
        "roce_agent_pg_headroom_watermark_percent_of_xoff",
        "roce_agent_pfcwd_storm",
        "roce_agent_rdma_retransmits_per_second",
        "roce_agent_device_up",
    }
    assert wanted <= used
