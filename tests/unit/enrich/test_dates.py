from datetime import UTC, datetime, timedelta

import pytest

from services.enrich.steps.dates import resolve_published

DELIVERED = datetime(2025, 7, 3, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected", "precision"),
    [
        ("2025/06/29 21:31 KST", datetime(2025, 6, 29, 12, 31, tzinfo=UTC), "exact"),
        ("June 29, 2025 9:31 p.m. JST", datetime(2025, 6, 29, 12, 31, tzinfo=UTC), "exact"),
        ("Tue, 30 Jan 2018 21:22:05 +0100", datetime(2018, 1, 30, 20, 22, 5, tzinfo=UTC), "exact"),
        ("2019-11-14T16:17:53Z", datetime(2019, 11, 14, 16, 17, 53, tzinfo=UTC), "exact"),
        ("2019-05-10T16:02:28+02:00", datetime(2019, 5, 10, 14, 2, 28, tzinfo=UTC), "exact"),
        # No zone given: read as UTC, and the precision says the zone was not stated.
        ("Friday, 31 May, 2019 - 12:46", datetime(2019, 5, 31, 12, 46, tzinfo=UTC), "minute"),
        ("2019-11-14T16:17:53", datetime(2019, 11, 14, 16, 17, 53, tzinfo=UTC), "minute"),
        (" date 2024-05-22 ", datetime(2024, 5, 22, tzinfo=UTC), "day"),
        ("31 May 2019", datetime(2019, 5, 31, tzinfo=UTC), "day"),
        ("27 minutes ago", DELIVERED - timedelta(minutes=27), "relative"),
        ("1 hour ago", DELIVERED - timedelta(hours=1), "relative"),
        ("3 June", datetime(2025, 6, 3, tzinfo=UTC), "inferred_year"),
    ],
)
def test_resolves_formats_seen_in_the_wild(text: str, expected: datetime, precision: str) -> None:
    assert resolve_published(text, DELIVERED) == (expected, precision)


def test_inferred_year_is_never_in_the_future() -> None:
    # Delivered in early January: "30 December" is last year's.
    published, precision = resolve_published("30 December", datetime(2025, 1, 2, tzinfo=UTC))
    assert (published, precision) == (datetime(2024, 12, 30, tzinfo=UTC), "inferred_year")


@pytest.mark.parametrize("text", [None, "", "   ", "no date here at all", "Login to comment"])
def test_no_date_no_guess(text: str | None) -> None:
    assert resolve_published(text, DELIVERED) == (None, None)


def test_naive_delivery_time_is_taken_as_utc() -> None:
    published, _ = resolve_published("2 hours ago", datetime(2025, 7, 3, 10, 0))
    assert published == datetime(2025, 7, 3, 8, 0, tzinfo=UTC)
    assert published.tzinfo is not None
