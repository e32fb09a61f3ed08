"""The catalogue as a whole: ids, documentation, selection, coverage of the case tables, engine bookkeeping."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from checks_builders import FIXTURES, golden, load_cases

from agent.checks.engine import FABRIC, audit, run_checks
from agent.checks.registry import CheckSelection, catalogue

CATALOGUE = catalogue()
AUDIT = {"AUDIT-001", "AUDIT-002", "AUDIT-003"}
TABLES = sorted(p.name for p in FIXTURES.glob("*.yaml") if not p.name.startswith(("links", "policy")))


def test_ids_are_stable_shape_and_documented() -> None:
    assert len(CATALOGUE) >= 50
    for cid, spec in CATALOGUE.items():
        assert re.fullmatch(r"(AUDIT|SW|HOST|LINK|FAB|RT)(-[A-Z0-9]+)?-\d{3}", cid), cid
        assert spec.title, cid
        assert len(spec.explanation) > 80, cid


@pytest.mark.parametrize("check_id", list(CATALOGUE))
def test_golden_fabric_passes(check_id: str) -> None:
    intents, states, topo = golden()
    previous = dict(states)
    findings = run_checks(intents, states, topo, CheckSelection.parse([check_id]), previous=previous)
    assert findings == []


def test_every_check_has_failing_and_passing_cases() -> None:
    cases = [c for t in TABLES for c in load_cases(t)]
    failing = {c["check"] for c in cases if c["expect"]}
    missing = sorted(set(CATALOGUE) - failing)
    assert not missing, f"checks without a failing case: {missing}"
    # passing cases: the golden fabric for every check (test above) plus explicit near-misses
    assert sum(1 for c in cases if not c["expect"]) >= 20


SELECTIONS = [
    (["SW-PFC-001"], [], {"SW-PFC-001", *AUDIT}),
    (["SW-PFC"], ["AUDIT"], {"SW-PFC-001", "SW-PFC-002"}),
    (["watchdog"], ["runtime"], {"SW-WD-001", "SW-WD-002", "SW-WD-003", *AUDIT}),
    (["host,link"], ["HOST-TCP-001"], None),  # checked by property below
    ([], ["switch", "host", "link", "runtime", "audit"], {c for c in CATALOGUE if c.startswith("FAB-")}),
]


@pytest.mark.parametrize(("include", "exclude", "want"), SELECTIONS)
def test_selection(include: list[str], exclude: list[str], want: set[str] | None) -> None:
    sel = CheckSelection.parse(include, exclude)
    got = {cid for cid, spec in CATALOGUE.items() if sel.selects(spec)}
    if want is None:
        assert got == {c for c in CATALOGUE if c.startswith(("HOST-", "LINK-", "AUDIT-"))} - {"HOST-TCP-001"}
    else:
        assert got == want


def test_unknown_selection_terms_are_reported() -> None:
    assert CheckSelection.parse(["SW-PFC-009", "pfc", "nonsense"]).unknown_terms(CATALOGUE.values()) == [
        "SW-PFC-009",
        "nonsense",
    ]


def test_audit_bookkeeping_unreachable_and_fabric() -> None:
    intents, states, topo = golden()
    del states["host1"]
    result = audit(intents, states, topo, errors={"host1": "timeout"})
    assert [f.check_id for f in result.findings] == ["AUDIT-001"]
    assert result.errors == 1
    assert not result.complies
    assert "HOST-PFC-001" in result.skipped["host1"]
    assert "LINK-PFC-001" in result.skipped["host1"]
    assert "HOST-PFC-001" in result.ran["host2"]
    assert "SW-PFC-001" in result.ran["leaf1"]
    assert not any(c.startswith("RT-") for c in result.ran["leaf1"])  # no previous read: no runtime checks
    assert result.ran[FABRIC] == [c for c in CATALOGUE if c.startswith("FAB-")]
    assert result.bucket_of(result.findings[0]) == "host1"


def test_fixture_tables_exist() -> None:
    assert {"switch_qos.yaml", "switch_buffers.yaml", "host.yaml", "link.yaml", "fabric.yaml"} <= set(TABLES)
    assert Path(FIXTURES / "policy.yaml").is_file()


def test_run_checks_accepts_plain_terms() -> None:
    intents, states, topo = golden()
    states["leaf1"] = states["leaf1"].model_copy(update={"config_saved": False})
    by_terms = run_checks(intents, states, topo, ["config"])
    by_selection = run_checks(intents, states, topo, CheckSelection.parse(["config"]))
    assert by_terms == by_selection
    assert [f.check_id for f in by_terms] == ["SW-CFG-001"]
