import pytest

from agent.policy.units import format_bytes, parse_bytes, parse_duration_ms, parse_length_m, parse_speed_mbps


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("150KB", 150_000),
        ("1500KB", 1_500_000),
        ("1KiB", 1024),
        ("1MiB", 1_048_576),
        ("2MB", 2_000_000),
        ("100B", 100),
        ("4096", 4096),
        (0, 0),
        ("1.5KB", 1500),
    ],
)
def test_parse_bytes(text: str | int, expected: int) -> None:
    assert parse_bytes(text) == expected


@pytest.mark.parametrize("text", ["150 KQ", "-1", "1.5B", "KB", True])
def test_parse_bytes_rejects(text: str) -> None:
    with pytest.raises(ValueError, match=r"size|bytes"):
        parse_bytes(text)


def test_lengths_durations_speeds() -> None:
    assert parse_length_m("40m") == 40
    assert parse_duration_ms("2s") == 2000
    assert parse_duration_ms("200ms") == 200
    assert parse_speed_mbps("400G") == 400_000
    assert parse_speed_mbps("100000") == 100_000
    with pytest.raises(ValueError, match="at least 1m"):
        parse_length_m("0m")
    with pytest.raises(ValueError, match="metres"):
        parse_length_m("40")


@pytest.mark.parametrize(
    ("value", "text"),
    [(150_000, "150KB"), (1_500_000, "1500KB"), (2_097_152, "2MiB"), (2_000_000, "2MB"), (4096, "4KiB"), (7, "7B")],
)
def test_format_bytes_round_trips(value: int, text: str) -> None:
    assert format_bytes(value) == text
    assert parse_bytes(text) == value
