"""`report trends`: history rows -> one self-contained HTML file with the worst ports first."""

from __future__ import annotations

import re
import time
from pathlib import Path

from typer.testing import CliRunner

from agent.cli import app
from agent.monitor import metrics as M
from agent.monitor.store import MonitorStore
from agent.monitor.thresholds import Alarms
from agent.policy.monitoring import Thresholds


def fill(db: Path, now: float) -> None:
    """Ten cycles: leaf1 Ethernet4 pauses throughout, leaf2 Ethernet0 drops lossless packets in cycle 5."""
    store = MonitorStore(db, retention_s=3600)
    alarms = Alarms(Thresholds())
    for i in range(10):
        at = now - 100 + i * 10
        points = [
            M.Point(M.PFC_RX, ("leaf1", "Ethernet4", "3"), 5000.0),
            M.Point(M.PFC_RX, ("leaf2", "Ethernet8", "3"), 0.0),
        ]
        if i == 5:
            points.append(M.Point(M.DROPS, ("leaf2", "Ethernet0", "3", "true"), 40.0))
        store.record(at, points, alarms.update(points, at), 8, 8)


def test_trends_html_is_self_contained_and_ranks_drops_first(tmp_path: Path) -> None:
    inventory = tmp_path / "inv"
    inventory.mkdir()
    fill(inventory / ".state" / "history.sqlite", time.time())
    out = tmp_path / "trends.html"
    res = CliRunner().invoke(app, ["report", "trends", "-i", str(inventory), "--since", "1h", "--html", str(out)])
    assert res.exit_code == 0, res.output
    page = out.read_text()
    assert "<svg" in page
    assert "<polyline" in page
    assert not re.search(r"(src|href)=['\"]?https?:", page)  # nothing fetched from elsewhere
    assert "<script" not in page
    worst = page[page.index("Worst ports") :]
    assert worst.index("Ethernet0") < worst.index("Ethernet4")  # lossless drops outrank pauses
    assert "leaf2 Ethernet8" not in page  # zero values are not stored: a quiet port gets no chart
    assert "pause_frames_per_s" in page
    assert "drops_per_s" in page


def test_retention_deletes_old_rows(tmp_path: Path) -> None:
    from agent.monitor import store

    db = tmp_path / "h.sqlite"
    keeper = MonitorStore(db, retention_s=50)
    keeper.record(0.0, [M.Point(M.PFC_RX, ("a", "p", "3"), 1.0)], [], 1, 1)
    keeper.record(1000.0, [M.Point(M.PFC_RX, ("a", "p", "3"), 2.0)], [], 1, 1)
    assert [r.value for r in store.samples(db, 0)] == [2.0]
    assert store.cycles(db, 0) == [1000.0]


def test_bad_since_is_exit_2(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["report", "trends", "-i", str(tmp_path), "--since", "yesterday", "--html", "x"])
    assert res.exit_code == 2
    assert "90m, 24h or 7d" in res.output
