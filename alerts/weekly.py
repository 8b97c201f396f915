"""The weekly digest's chart data: stories per day over the week before the digest's day, for each of the
subscription's companies and topics, counted as the web view's trends count them, and the link to that trend."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from models.search import Day, stories_per_day

WEEK_DAYS = 7
CHART_FILE = "newsmon-week.png"


@dataclass(frozen=True, slots=True)
class WeekSeries:
    kind: str
    label: str
    name: str
    counts: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True, slots=True)
class WeekChart:
    """Stories per day for each series over `days` (ISO dates in the subscriber's zone), and the trend's page in the
    web view when its address is configured."""

    days: tuple[str, ...]
    series: tuple[WeekSeries, ...]
    link: str | None = None

    @classmethod
    def from_dict(cls, data: dict) -> "WeekChart":
        return cls(tuple(data["days"]), tuple(WeekSeries(s["kind"], s["label"], s["name"], tuple(s["counts"]))
                                              for s in data["series"]), data.get("link"))


def week_before(now: datetime, zone: str) -> list[Day]:
    """The seven whole days before `now`'s day in `zone` (a Monday morning's digest: last Monday to Sunday), each as
    a half-open range of UTC instants (a day across a DST change is 23 or 25 hours)."""
    tz = ZoneInfo(zone)
    today = now.astimezone(tz).date()
    days = [today - timedelta(days=WEEK_DAYS - i) for i in range(WEEK_DAYS)]

    def start(d: date) -> datetime:
        return datetime.combine(d, time(0), tz).astimezone(ZoneInfo("UTC"))

    return [Day(d, start(d), start(d + timedelta(days=1))) for d in days]


def trend_link(base_url: str, labels: Sequence[str], first: str, last: str) -> str:
    return f"{base_url}/trends?" + urlencode([*(("label", x) for x in labels), ("since", first), ("until", last)])


def week_chart(session: Session, wanted: Sequence[tuple[str, str, str]], *, now: datetime, zone: str,
               base_url: str | None) -> WeekChart:
    """The chart of the week before `now` for each (kind, label, display name) in `wanted` (zeros included)."""
    days = week_before(now, zone)
    found = {(s.kind, s.label): s.counts for s in stories_per_day(session, days, labels=[w[1] for w in wanted])}
    series = tuple(WeekSeries(kind, label, name, tuple(found.get((kind, label), (0,) * len(days))))
                   for kind, label, name in wanted)
    first, last = days[0].day.isoformat(), days[-1].day.isoformat()
    link = trend_link(base_url, [w[1] for w in wanted], first, last) if base_url else None
    return WeekChart(tuple(d.day.isoformat() for d in days), series, link)
