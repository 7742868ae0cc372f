"""One city, one source: the city's code and time zone that modules use as constants are
those of `gridsvc.settings.CitySettings`, and a variable naming another city is refused rather
than half applied. No database needed."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta

import pytest
from pydantic import ValidationError

from gridsvc import access, dates
from gridsvc.errors import DateOutOfRange
from gridsvc.settings import CITY_AT_START, CitySettings


def test_the_constants_are_the_city_settings() -> None:
    city = CitySettings()
    assert access.CITY_CODE == city.code == CITY_AT_START.code == "320100"
    assert dates.CITY_TZ.key == city.time_zone == "Asia/Shanghai"
    assert access.scope_column(city.code) is None  # the city's code is no restriction
    # the standard offset: no daylight saving, and not the +08:05:43 of 1900's local time
    assert dates.CITY_OFFSET.utcoffset(None) == timedelta(hours=8)
    assert dates.CITY_TZ.utcoffset(datetime(1900, 1, 1)) != timedelta(hours=8)


def test_the_ranges_first_day_is_judged_at_the_standard_offset() -> None:
    first = datetime(1900, 1, 1, tzinfo=dates.CITY_OFFSET)
    assert dates.check_time(first, "occurred_at") == first
    with pytest.raises(DateOutOfRange):
        dates.check_time(first - timedelta(seconds=1), "occurred_at")


@pytest.mark.parametrize(
    ("variable", "value"),
    [("GRIDSVC_CITY_CODE", "320200"), ("GRIDSVC_CITY_TIME_ZONE", "Asia/Urumqi")],
)
def test_another_city_after_the_start_is_refused(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError, match="this process serves 320100"):
        CitySettings()


def test_a_second_city_is_configuration() -> None:
    """A process started with another city's variables serves that city: its code is the
    whole city, its zone judges days and writes times."""
    script = (
        "from datetime import datetime, timezone; "
        "from gridsvc import access, dates; "
        "print(access.CITY_CODE, dates.CITY_TZ.key, access.scope_column('650100'), "
        "dates.local_iso(datetime(2026, 1, 1, tzinfo=timezone.utc)))"
    )
    env = {**os.environ, "GRIDSVC_CITY_CODE": "650100", "GRIDSVC_CITY_TIME_ZONE": "Asia/Urumqi"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout.split() == ["650100", "Asia/Urumqi", "None", "2026-01-01T06:00:00+06:00"]


def test_a_time_zone_must_exist(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRIDSVC_CITY_TIME_ZONE", "Asia/Nanjing")
    with pytest.raises(ValidationError, match="not an IANA time zone"):
        CitySettings()
    monkeypatch.setenv("GRIDSVC_CITY_TIME_ZONE", "Asia/Shanghai")
    monkeypatch.setenv("GRIDSVC_CITY_LANGUAGE", "en")
    assert CitySettings().language == "en"  # the language is the deployment's choice
