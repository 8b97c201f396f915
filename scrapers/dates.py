"""Publication dates as feeds and Korean news pages write them, read into timezone-aware datetimes."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

# A time without an offset on a Korean site is Korean time, not UTC.
KST = ZoneInfo("Asia/Seoul")

_ISO_LIKE = re.compile(
    r"(\d{4})\s*[-./년]\s*(\d{1,2})\s*[-./월]\s*(\d{1,2})(?:\s*일)?\.?"
    r"(?:(?:\s+|\s*T\s*)(오전|오후|AM|PM|am|pm)?\s*(\d{1,2})\s*[:시]\s*(\d{1,2})\s*분?(?:\s*:\s*(\d{1,2})(?:\.\d+)?)?"
    r"\s*(오전|오후|AM|PM|am|pm)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2}|UTC|GMT|KST)?",
)


def parse_datetime(text: str | None, default_tz: timezone | ZoneInfo = KST) -> datetime | None:
    """Read RFC 822/2822, ISO 8601/W3C and the usual Korean forms ("2024.01.05 14:03", "2024년 1월 5일 오후 2:03").

    Times without an offset are taken in `default_tz`; the result is always timezone-aware, or None.
    """
    if not text:
        return None
    text = text.strip()
    if not text:
        return None
    if not text[:4].isdigit():
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            parsed = None
        if parsed is not None:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=default_tz)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=default_tz)
    except ValueError:
        pass
    match = _ISO_LIKE.search(text)
    if not match:
        return None
    year, month, day, ampm1, hour, minute, second, ampm2, zone = match.groups()
    try:
        value = datetime(int(year), int(month), int(day))
        if hour is not None:
            h = int(hour)
            ampm = (ampm1 or ampm2 or "").lower()
            if ampm in ("오후", "pm") and h < 12:
                h += 12
            elif ampm in ("오전", "am") and h == 12:
                h = 0
            value = value.replace(hour=h, minute=int(minute), second=int(second or 0))
    except ValueError:
        return None
    return value.replace(tzinfo=_zone(zone, default_tz))


def _zone(zone: str | None, default_tz: timezone | ZoneInfo) -> timezone | ZoneInfo:
    if not zone:
        return default_tz
    if zone in ("Z", "UTC", "GMT"):
        return timezone.utc
    if zone == "KST":
        return KST
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
