"""Times as people read them: the organisation's zone, Thai dates with the Buddhist year, on pages and exports."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from plugin.config import load_config
from plugin.localtime import format_date, format_time, zone_label


def test_a_utc_moment_is_read_in_bangkok_in_thai_and_english() -> None:
    late = datetime(2026, 12, 31, 18, 30, tzinfo=UTC)  # already 1 January in Bangkok
    assert format_time(late) == "1 ม.ค. 2570 01:30 น."
    assert format_time(late, language="en") == "1 Jan 2027, 01:30"
    assert format_date("2026-12-31T18:30:00.000Z", language="en") == "1 Jan 2027"
    # A zone-less datetime is UTC (SQLite hands stored moments back so).
    assert format_time(datetime(2026, 6, 1, 3, 0), zone="Europe/London", language="en") == "1 Jun 2026, 04:00"


def test_the_zone_is_a_setting_and_a_wrong_one_is_refused_naming_it(tmp_path: Path) -> None:
    assert load_config(env={}, instance_path=tmp_path / "i").timezone == "Asia/Bangkok"
    assert load_config(env={"SAMATTHA_TIMEZONE": "Asia/Tokyo"}, instance_path=tmp_path / "i").timezone == "Asia/Tokyo"
    with pytest.raises(ValueError, match="SAMATTHA_TIMEZONE: an IANA time zone"):
        load_config(env={"SAMATTHA_TIMEZONE": "Mars/Olympus"}, instance_path=tmp_path / "i")
    assert zone_label("en", "Asia/Bangkok") == "times in Asia/Bangkok (UTC+07:00)"
