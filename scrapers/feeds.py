"""Parsing RSS 0.9x/1.0/2.0 and Atom documents into feed items (feedparser underneath)."""

from __future__ import annotations

import calendar
import hashlib
import io
import re
from dataclasses import dataclass
from functools import cached_property
from datetime import datetime, timezone

import feedparser

from scrapers.dates import parse_datetime
from scrapers.encoding import decode_document
from scrapers.errors import FeedParseError
from scrapers.html_text import fragment_text
from scrapers.sniff import describe_body, feed_kind

# A description at least this long that does not end in an ellipsis is taken as the full text.
FULL_TEXT_MIN_CHARS = 400
_XML_DECL_ENCODING = re.compile(r"""^(\s*<\?xml[^>]*?encoding\s*=\s*)["'][^"']*["']""", re.I)
_TRUNCATED = ("…", "...", "…]", "더보기")


@dataclass(frozen=True)
class FeedItem:
    """One feed entry. Its text is read from the entry's HTML only when asked for, so the items a source has
    already seen cost nothing beyond the XML parse."""

    key: str
    guid: str | None
    link: str | None
    title: str
    author: str | None
    published_at: datetime | None
    content_html: tuple[str, ...] = ()
    summary_html: str = ""

    @cached_property
    def summary(self) -> str:
        return fragment_text(self.summary_html)

    @cached_property
    def full_text(self) -> str:
        """The body as plain text when the feed carries the whole article, else ''."""
        text = max((fragment_text(c) for c in self.content_html), key=len, default="")
        summary = self.summary
        if not text and len(summary) >= FULL_TEXT_MIN_CHARS and not summary.rstrip().endswith(_TRUNCATED):
            text = summary
        return text


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
    # A stream, never bytes or a string: feedparser.parse() opens a string or bytes that looks like a file name or URL
    # and parses that instead, so a body holding only a path would read a file of this machine.
    # Entry HTML is only ever read for its text, never shown, so feedparser's sanitizer and URI rewriting
    # (a third of the parse time) are skipped.
    parsed = feedparser.parse(
        io.BytesIO(text.encode("utf-8")), response_headers={"content-type": "application/xml; charset=utf-8"},
        sanitize_html=False, resolve_relative_uris=False,
    )
    items = [item for entry in parsed.entries if (item := _item(entry)) is not None]
    # A well-formed feed with no items is an empty feed; a broken one with nothing recoverable is a failure.
    if not items and (not parsed.get("version") or parsed.get("bozo")):
        raise FeedParseError(source, url, why_not_a_feed(text, len(content), parsed.get("bozo_exception")))
    feed = parsed.feed
    return ParsedFeed(title=_clean_line(feed.get("title")) or None, link=feed.get("link"), items=items)


_CLOSING = {"an RSS feed": "</rss>", "an Atom feed": "</feed>", "an RSS 1.0 (RDF) feed": "</rdf:RDF>"}


def why_not_a_feed(text: str, size: int, parse_error: Exception | None) -> str:
    """What a document that yielded no feed was, for the source's error: an empty body, an HTML page, JSON, XML of
    another kind, a feed cut short, a feed that is not well-formed."""
    kind = feed_kind(text)
    if kind is None:
        return f"not an RSS or Atom feed: {describe_body(text, size)}"
    detail = ""
    if parse_error is not None:
        message = parse_error.getMessage() if hasattr(parse_error, "getMessage") else str(parse_error)
        detail = f"; the XML parser says: {message}"
    closing = _CLOSING[kind]
    if not text.rstrip().lower().endswith(closing.lower()):
        return f"{kind} cut short (truncated): the document ends before its closing {closing}{detail}"
    return f"{kind} that is not well-formed XML{detail}"


def _item(entry: feedparser.FeedParserDict) -> FeedItem | None:
    link = (entry.get("link") or "").strip() or None
    guid = (entry.get("id") or "").strip() or None
    title = _clean_line(entry.get("title"))
    summary_html = entry.get("summary") or ""
    contents = tuple(c.get("value") or "" for c in entry.get("content") or [])
    if not (title or link or summary_html.strip() or any(c.strip() for c in contents)):
        return None
    key = guid or link or "sha1:" + hashlib.sha1(f"{title}\n{summary_html}".encode()).hexdigest()
    return FeedItem(
        key=key,
        guid=guid,
        link=link,
        title=title,
        author=_author(entry),
        published_at=_published(entry),
        content_html=contents,
        summary_html=summary_html,
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
