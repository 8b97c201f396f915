"""Calendar days in the configured time zone, as the UTC ranges the queries compare stored times with."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from models.search import Day

# A trend covers at most this many days (a year and a day, for a leap year's same-day comparison).
MAX_DAYS = 367


def day_windows(first: date, last: date, zone: str) -> list[Day]:
    """Each day from `first` to `last` (inclusive) as [local midnight, next local midnight) in UTC.

    Local midnight comes from the zone database, so a day of a daylight-saving change is 23 or 25 hours long, and an
    article published at 00:00 Asia/Seoul (as every Naver corpus article is) is filed under its own day, not the
    one before as a UTC day would."""
    tz = ZoneInfo(zone)

    def start(d: date) -> datetime:
        return datetime.combine(d, time(0), tzinfo=tz).astimezone(timezone.utc)

    out = []
    d = first
    while d <= last:
        nxt = d + timedelta(days=1)
        out.append(Day(d, start(d), start(nxt)))
        d = nxt
    return out


def local_day(when: datetime, zone: str) -> date:
    """The calendar day of an aware instant in `zone`."""
    return when.astimezone(ZoneInfo(zone)).date()
