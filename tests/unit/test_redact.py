"""Known secret values are masked wherever they appear, at every sink; failure reasons are never empty."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from nornir.core.inventory import Host
from nornir.core.task import Result

from agent.failure import exception_reason, reason
from agent.redact import MASK, MaskingStream, forget_secrets, install_log_masking, register_secret, scrub

SECRET = "Tr0ub4dor-7c1e"  # no keyword near it in the messages below: only the registry can find it


@pytest.fixture(autouse=True)
def registry() -> Iterator[None]:
    forget_secrets()
    yield
    forget_secrets()


def test_a_registered_value_is_masked_without_any_keyword_around_it() -> None:
    text = f"Error: cannot open /etc/sonic/{SECRET}.json"
    assert scrub(text) == text
    register_secret(SECRET)
    assert scrub(text) == f"Error: cannot open /etc/sonic/{MASK}.json"


def test_a_secret_containing_another_is_masked_whole() -> None:
    register_secret("abcd")
    register_secret("abcdefgh")
    assert scrub("x abcdefgh y abcd") == f"x {MASK} y {MASK}"


def test_too_short_values_are_not_registered_so_ordinary_words_survive() -> None:
    register_secret("ab")
    register_secret("")
    register_secret(None)
    assert scrub("about a tab") == "about a tab"


def test_the_masking_stream_scrubs_every_write() -> None:
    register_secret(SECRET)
    inner = io.StringIO()
    stream = MaskingStream(inner)
    stream.write(f"leaf1: FAILED: {SECRET}\n")
    assert SECRET not in inner.getvalue()
    assert MASK in inner.getvalue()


def test_log_records_are_scrubbed_whatever_handler_writes_them() -> None:
    register_secret(SECRET)
    install_log_masking()
    sink = io.StringIO()
    handler = logging.StreamHandler(sink)
    log = logging.getLogger("test-redact")
    log.addHandler(handler)
    try:
        log.error("device said %s", SECRET)
    finally:
        log.removeHandler(handler)
    assert SECRET not in sink.getvalue()
    assert "device said ***" in sink.getvalue()


def test_a_bare_eof_error_still_names_a_reason() -> None:
    assert exception_reason(EOFError()) == "EOFError with no message"
    res = Result(host=Host("leaf1"), exception=EOFError(), failed=True)
    assert reason(res) == "EOFError with no message"


def test_a_failure_reason_is_masked_and_one_line() -> None:
    register_secret(SECRET)
    res = Result(host=Host("leaf1"), exception=RuntimeError(f"\n  denied for {SECRET}\ntraceback"), failed=True)
    assert reason(res) == f"denied for {MASK}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("password=abc123", f"password={MASK}"),
        ("token: hunter2", f"token: {MASK}"),
        ("username admin password Qx7-lab", f"username admin password {MASK}"),
        ("snmp-server community s3cr3t!", f"snmp-server community {MASK}"),
        # prose about secrets is not a secret: ruamel's "found character that cannot start any token"
        ("while scanning: next token found character", "while scanning: next token found character"),
        ("secret values are masked", "secret values are masked"),
        ("Password Authentication failed", "Password Authentication failed"),
        # the keyword net never reaches across a line break into the next message
        ("wrong password\nno device was contacted", "wrong password\nno device was contacted"),
        ("token:\nnext", "token:\nnext"),
    ],
)
def test_the_keyword_net_masks_secret_looking_values_and_leaves_prose(text: str, expected: str) -> None:
    assert scrub(text) == expected


@pytest.mark.parametrize(
    "text",
    ["PASSWORD=hunter22", "Passwd: hunter22", "api-key=abc123", "Private_Key: abc", "paſsword=hunter22"],
)
def test_the_keyword_prefilter_never_skips_a_match(text: str) -> None:
    """scrub skips the keyword regex when no keyword stem is in the text: it must find every stem the
    case-insensitive regex matches, including the long s IGNORECASE folds to 's'."""
    assert scrub(text).endswith("***")
