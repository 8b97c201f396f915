"""Sitemaps read from bytes: entries with their dates, sub-sitemaps of an index, and the period a sitemap's URL names.

The parsing is ultimate-sitemap-parser's (`usp.tree.sitemap_from_str`): it reads sitemap indexes, ordinary sitemaps
(`lastmod`), Google News sitemaps (`news:publication_date`) and plain-text URL lists, and is handed a string, so every
fetch stays with newsmon's own fetcher (robots.txt, address checks, per-host delay, size caps). This module only
un-gzips (with the same size cap) and turns usp's objects into newsmon's records.
"""

from __future__ import annotations

import logging
import re
import xml.parsers.expat
import zlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from usp.objects.sitemap import AbstractIndexSitemap, InvalidSitemap, PagesTextSitemap
from usp.tree import sitemap_from_str

from scrapers.encoding import decode_document

# usp logs every un-fetched child of an index ("Invalid sitemap: ... Un-fetched child sitemap", by design here: newsmon
# fetches the children) and names its placeholder URL in its errors; every problem is reported by newsmon instead,
# with the source and the real URL.
logging.getLogger("usp").setLevel(logging.CRITICAL)

_GZIP_MAGIC = b"\x1f\x8b"


class SitemapError(ValueError):
    """The document is not a readable sitemap; the message says why."""


@dataclass(frozen=True, slots=True)
class SitemapEntry:
    """One page a sitemap lists. `published_at` is the news publication date, else `lastmod`; aware, or None."""

    url: str
    published_at: datetime | None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Sitemap:
    """A parsed sitemap: the pages it lists, or (an index) the sitemaps it points to."""

    url: str
    entries: tuple[SitemapEntry, ...] = ()
    children: tuple[str, ...] = ()
    # Set when the document is cut short or its XML breaks part-way: what came before was read, the rest is lost.
    problem: str | None = None


def parse_sitemap(content: bytes, url: str, *, zone: ZoneInfo, max_bytes: int,
                  content_type: str = "") -> Sitemap:
    """Parse the sitemap document `content` fetched from `url`.

    A gzip body (an .xml.gz) is decompressed up to `max_bytes`. Dates without an offset are taken in `zone`. Raises
    SitemapError when the document is not a sitemap (an HTML page, broken XML, text without a URL).
    """
    if content[:2] == _GZIP_MAGIC:
        content = gunzip_capped(content, max_bytes)
    text = decode_document(content, content_type)[0]
    if not text.strip():
        raise SitemapError("the document is empty")
    parsed = sitemap_from_str(text)
    if isinstance(parsed, InvalidSitemap):
        reason = parsed.reason.replace("http://usp-local-dummy.local/", url)
        raise SitemapError(f"not a sitemap: {reason}")
    # usp keeps what it read of a document whose XML breaks part-way (a server that timed out mid-file), and only
    # logs the break; a backfill must know, or a cut-short day would count as read in full.
    problem = xml_break(text) if text.lstrip().startswith("<") else None
    if isinstance(parsed, AbstractIndexSitemap):
        return Sitemap(url, children=tuple(child.url for child in parsed.sub_sitemaps), problem=problem)
    entries = tuple(_entry(page, zone) for page in parsed.all_pages())
    if isinstance(parsed, PagesTextSitemap) and not entries:
        raise SitemapError("not a sitemap: neither XML nor a list of URLs")
    if problem and not entries:
        raise SitemapError(problem)
    return Sitemap(url, entries=entries, problem=problem)


def xml_break(text: str) -> str | None:
    """Where `text` stops being well-formed XML, or None. DOCTYPE and entity declarations are refused, as usp does."""
    parser = xml.parsers.expat.ParserCreate()

    def refuse(*_args: object) -> None:
        raise xml.parsers.expat.ExpatError("DOCTYPE or ENTITY declarations are not read in a sitemap")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    try:
        parser.Parse(text, True)
    except xml.parsers.expat.ExpatError as exc:
        return f"broken XML ({exc}); only the entries before it were read"
    return None


def gunzip_capped(content: bytes, max_bytes: int) -> bytes:
    """The decompressed gzip `content`; SitemapError when it is broken or would exceed `max_bytes` (a gzip bomb)."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(content, max_bytes + 1)
    except zlib.error as exc:
        raise SitemapError(f"broken gzip data ({exc})") from None
    if len(out) > max_bytes:
        raise SitemapError(f"decompressed size exceeds fetch.max_bytes ({max_bytes})")
    return out


def _entry(page: object, zone: ZoneInfo) -> SitemapEntry:
    story = getattr(page, "news_story", None)
    when = (story.publish_date if story is not None else None) or getattr(page, "last_modified", None)
    if when is not None and when.tzinfo is None:
        when = when.replace(tzinfo=zone)
    return SitemapEntry(url=page.url, published_at=when,  # type: ignore[attr-defined]
                        title=(story.title if story is not None else None) or None)


# Dates sitemap files are named by: 2026-01-05, 20260105, 2026/01/05, 2026_01_05; months: 2026-01, 202601, 2026/01.
_DAY_IN_URL = re.compile(r"(?<!\d)(20\d{2})[-_/.]?(0[1-9]|1[0-2])[-_/.]?(0[1-9]|[12]\d|3[01])(?!\d)")
_MONTH_IN_URL = re.compile(r"(?<!\d)(20\d{2})[-_/.]?(0[1-9]|1[0-2])(?!\d)")


def url_period(url: str) -> tuple[date, date] | None:
    """The days (first, last) a sitemap's URL says it covers (`.../sitemap-2026-01-05.xml`, `.../2026/01.xml`), or
    None when its name carries no date. Only the path and query are read, never the host."""
    tail = url.split("://", 1)[-1].split("/", 1)[-1]
    day = _DAY_IN_URL.search(tail)
    if day:
        try:
            found = date(int(day[1]), int(day[2]), int(day[3]))
            return found, found
        except ValueError:
            pass
    month = _MONTH_IN_URL.search(tail)
    if month:
        first = date(int(month[1]), int(month[2]), 1)
        following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
        return first, following - timedelta(days=1)
    return None
