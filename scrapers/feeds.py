"""Parsing RSS 0.9x/1.0/2.0 and Atom documents into feed items (feedparser underneath)."""

from __future__ import annotations

import calendar
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timezone

import feedparser

from scrapers.dates import parse_datetime
from scrapers.encoding import decode_document
from scrapers.errors import FeedParseError
from scrapers.html_text import fragment_text

# A description at least this long that does not end in an ellipsis is taken as the full text.
FULL_TEXT_MIN_CHARS = 400
_XML_DECL_ENCODING = re.compile(r"""^(\s*<\?xml[^>]*?encoding\s*=\s*)["'][^"']*["']""", re.I)
_TRUNCATED = ("…", "...", "…]", "더보기")


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One feed entry. `full_text` is the body as plain text when the feed carries the whole article, else ''."""

    key: str
    guid: str | None
    link: str | None
    title: str
    full_text: str
    summary: str
    author: str | None
    published_at: datetime | None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str | None
    link: str | None
    items: list[FeedItem]


def parse_feed(content: bytes, *, source: str, url: str, content_type: str | None = None) -> ParsedFeed:
    """Parse a fetched feed document; raise FeedParseError when it is neither RSS nor Atom.

    The bytes are decoded here (header, XML declaration, then the bytes themselves decide, as for pages), and the
    parser is handed UTF-8, so a feed whose labels lie about its encoding still reads right.
    """
    text, _ = decode_document(content, content_type)
    text = _XML_DECL_ENCODING.sub(r'\1"utf-8"', text, count=1)
    parsed = feedparser.parse(text.encode("utf-8"), response_headers={"content-type": "application/xml; charset=utf-8"})
    items = [item for entry in parsed.entries if (item := _item(entry)) is not None]
    # A well-formed feed with no items is an empty feed; a broken one with nothing recoverable is a failure.
    if not items and (not parsed.version or parsed.bozo):
        why = parsed.get("bozo_exception")
        detail = f": {why}" if why else ""
        raise FeedParseError(source, url, f"not a readable RSS or Atom feed{detail}")
    feed = parsed.feed
    return ParsedFeed(title=_clean_line(feed.get("title")) or None, link=feed.get("link"), items=items)


def _item(entry: feedparser.FeedParserDict) -> FeedItem | None:
    link = (entry.get("link") or "").strip() or None
    guid = (entry.get("id") or "").strip() or None
    title = _clean_line(entry.get("title"))
    summary = fragment_text(entry.get("summary") or "")
    contents = [c.get("value") or "" for c in entry.get("content") or []]
    full_text = max((fragment_text(c) for c in contents), key=len, default="")
    if not full_text and len(summary) >= FULL_TEXT_MIN_CHARS and not summary.rstrip().endswith(_TRUNCATED):
        full_text = summary
    if not (title or full_text or summary or link):
        return None
    key = guid or link or "sha1:" + hashlib.sha1(f"{title}\n{summary}".encode()).hexdigest()
    return FeedItem(
        key=key,
        guid=guid,
        link=link,
        title=title,
        full_text=full_text,
        summary=summary,
        author=_author(entry),
        published_at=_published(entry),
    )


def _author(entry: feedparser.FeedParserDict) -> str | None:
    detail = entry.get("author_detail") or {}
    name = detail.get("name") or entry.get("author") or ""
    return _clean_line(name) or None


def _published(entry: feedparser.FeedParserDict) -> datetime | None:
    """Our own reading of the raw string first (a time without an offset is Korean time, where feedparser says
    UTC), then feedparser's for the forms only it knows."""
    for raw_key, parsed_key in (("published", "published_parsed"), ("updated", "updated_parsed"),
                                ("created", "created_parsed")):
        raw = entry.get(raw_key)
        value = parse_datetime(raw) if raw else None
        if value is None and entry.get(parsed_key):
            value = datetime.fromtimestamp(calendar.timegm(entry[parsed_key]), tz=timezone.utc)
        if value is not None:
            return value
    return None


def _clean_line(text: str | None) -> str:
    return " ".join(fragment_text(text or "").split())
