"""The soak's verdict and its README row: a slope after the warm-up, and one table row per run."""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmarks.monitor_soak import TABLE_HEADING, Samples, add_readme_row, growth_per_hour, readme_row, summarise


def args(**over: float) -> argparse.Namespace:
    base = {"duration": 3600.0, "interval": 1.0, "warmup": 300.0, "max_growth_mib_per_h": 5.0, "cost_model": ""}
    return argparse.Namespace(**{**base, **over})


def test_growth_is_the_slope_after_the_warm_up_not_the_start_to_end_difference() -> None:
    warm = [(t, 100.0 + t / 10) for t in range(0, 300, 60)]  # +30 MiB while importing and warming up
    flat = [(float(t), 130.0 + (0.5 if t % 120 else 0.0)) for t in range(300, 3601, 60)]
    assert abs(growth_per_hour([*warm, *flat], 300.0)) < 1.0
    leaking = [(float(t), 130.0 + t / 360) for t in range(300, 3601, 60)]  # 10 MiB/h
    assert growth_per_hour(leaking, 300.0) == 10.0


def test_a_growing_run_is_not_flat_and_a_monitor_that_died_is_not_flat() -> None:
    samples = Samples(rss=[(float(t), 130.0 + t / 360) for t in range(0, 3601, 60)], cycle_s=[0.2, 0.3], cycles=3500)
    grows = summarise(args(), samples, 8, None, None, 0, "")
    assert (grows["flat"], grows["growth_after_warmup_mib_per_h"]) == (False, 10.0)
    died = summarise(args(), Samples(rss=[(0.0, 130.0), (60.0, 130.0)]), 8, 1, None, 0, "Traceback ...")
    assert not died["flat"]
    assert "monitor exited" in readme_row(died)


def test_rows_are_appended_to_one_table_at_the_end(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# Benchmarks\n\ntext\n")
    add_readme_row("| a |", readme)
    add_readme_row("| b |", readme)
    text = readme.read_text()
    assert text.count(TABLE_HEADING) == 1
    assert text.index("| a |") < text.index("| b |")
    assert text.endswith("| a |\n| b |\n")


def test_a_row_goes_into_the_soak_table_not_into_a_later_sections_table(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# B\n")
    add_readme_row("| a |", readme)
    readme.write_text(readme.read_text() + "\n## Later\n\n| x | y |\n|---|---|\n| 1 | 2 |\n")
    add_readme_row("| b |", readme)
    text = readme.read_text()
    assert "| a |\n| b |\n" in text
    assert text.endswith("| 1 | 2 |\n")
