"""The JSON report's text is what `json.dumps(document, indent=2)` wrote, from the faster encoder."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from agent.checks.context import finding
from agent.checks.engine import AuditResult
from agent.report import json_report
from agent.report.common import ReportMeta
from agent.report.jsontext import dumps_indented

# What a device can put into a finding: non-ASCII, astral characters, control characters, DEL, quotes.
ODD = 'Ünïcode ☃ 😀 \x7f \x00\x1f \b\f\r\t\n "quoted" back\\slash /slash \u2028'


def reference(doc: Any) -> str:
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"


def test_report_text_is_unchanged_for_the_faults_fixture(faults: AuditResult) -> None:
    keys = [f.key for f in faults.findings]
    meta = ReportMeta(inventory="inv", policy="checks-test", new=keys[:2], resolved=["X|y||"], previous_audit=7,
                      wall_s=1.23456, gather_s=0.5, causes={keys[1]: keys[0]})  # fmt: skip
    assert json_report.render(faults, meta) == reference(json_report.document(faults, meta))


def test_report_text_is_unchanged_for_odd_device_text(faults: AuditResult) -> None:
    odd = finding("SW-QOS-002", "leaf1", port=f"Ethernet0 {ODD}", priority=3, expected=ODD, actual=ODD)
    result = dataclasses.replace(faults, findings=[*faults.findings, odd], duration_s=0.0001)
    text = json_report.render(result)
    assert text == reference(json_report.document(result))
    assert text.isascii()


@pytest.mark.parametrize(
    "doc",
    [
        {"s": ODD, "nested": {"empty": {}, "list": [], "one": [{}]}, "t": (1, 2)},
        {"floats": [0.0, -0.0, 0.0001, 0.1, 1.5, 12345.6789, 1e15 + 0.5, 1e16, 1e22, 1.5e300]},
        {"consts": [float("inf"), float("-inf"), float("nan"), True, False, None, 2**70, -3]},
        {"lone surrogate": "\udcff"},  # undecodable byte kept by surrogateescape: json.dumps writes it
        [],
        "top-level string",
    ],
)
def test_dumps_indented_matches_json_dumps(doc: Any) -> None:
    assert dumps_indented(doc) == json.dumps(doc, indent=2)


def test_report_does_not_run_the_pure_python_encoder(faults: AuditResult, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reason for the module: the stdlib's indenting encoder cost seconds of CPU on large audits."""

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("json's pure-Python encoder ran")

    monkeypatch.setattr(json.encoder, "_make_iterencode", refuse)
    assert json.loads(json_report.render(faults))["summary"]["error"] == 5
