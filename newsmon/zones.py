"""Time zones as the configuration names them: one check that a name is a zone this machine knows."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def check_timezone(value: str) -> str:
    """`value` itself when it names an IANA time zone; ValueError saying what to use otherwise."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (use an IANA name such as 'Asia/Seoul')") from None
    return value
