"""Reading a source's archive one day at a time: the links a sitemap or a dated listing gives for a day, and the
article page behind each link.

All fetching goes through the run's `Fetcher` (robots.txt, address checks, per-host delay and limits, size caps).
A page or sitemap that cannot be read is recorded against the day (source, URL, reason); the day's other links are
still read.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from newsmon.records import Article, SourceError
from scrapers.addresses import origin
from scrapers.config import SourceConfig
from scrapers.errors import FetchError, HTTPStatusError
from scrapers.feeds import parse_feed
from scrapers.fetch import FetchedResponse, Fetcher, Purpose
from scrapers.listings import listing_links
from scrapers.pages import extract_page
from scrapers.sitemaps import Sitemap, SitemapError, parse_sitemap, url_period

# How deep sitemap indexes may nest (index -> year index -> month sitemap is 2).
MAX_INDEX_DEPTH = 4


@dataclass(frozen=True, slots=True)
class ArchiveLink:
    """An article the archive lists for a day; a sitemap may give its date and title."""

    url: str
    published_at: datetime | None = None
    title: str | None = None


@dataclass(slots=True)
class DayListing:
    """What a source's archive lists for one day. `errors` are listing pages or sitemaps that could not be read
    (the day is then not finished); `pages` counts the listing pages and sitemaps fetched for it."""

    day: date
    links: list[ArchiveLink] = field(default_factory=list)
    errors: list[SourceError] = field(default_factory=list)
    pages: int = 0
    # Sitemap entries without any date, in a sitemap not named for this day: they cannot be placed on a day.
    undated: int = 0


@dataclass(slots=True)
class _FiledSitemap:
    """A sitemap as a run keeps it once read: its children, and its entries filed by day (only the run's days, so a
    site's whole archive is never held in memory); `undated` entries could not be placed on any day."""

    children: tuple[str, ...]
    by_day: dict[date, list[ArchiveLink]]
    undated: int
    problem: str | None


def day_urls(source: SourceConfig, day: date, watch_terms: list[str]) -> list[str]:
    """The URL templates of a dated listing or search source for `day`: `{date}`, `{since}` and `{until}` filled in
    (one day: since = until = day), `{query}` once per query; `{page}` is left for the pager."""
    assert source.url
    written = day.strftime(source.date_format)
    url = source.url.replace("{date}", written).replace("{since}", written).replace("{until}", written)
    if "{query}" not in url:
        return [url]
    queries = source.queries or watch_terms
    return [url.replace("{query}", quote(q, safe="")) for q in queries]


class ArchiveReader:
    """One source's archive during one backfill (or one poll): its fetches and the sitemaps parsed so far."""

    def __init__(self, source: SourceConfig, fetcher: Fetcher, zone: ZoneInfo, *, watch_terms: list[str] = (),
                 days: tuple[date, date] | None = None) -> None:
        """`days` (first, last) are the days this run will ask for: a sitemap keeps only their entries."""
        if not source.archive:
            raise ValueError(f"source {source.name!r} ({source.kind}) is not a sitemap or a dated listing")
        self.source = source
        self.fetcher = fetcher
        self.zone = zone
        self.watch_terms = list(watch_terms)
        self.private_origin = origin(source.url) if source.allow_private and source.url else None
        self.days = days
        # Every sitemap read in this run, once (a month's sitemap serves each of its days; an index's undated
        # children serve every day), with only the run's days' entries kept.
        self._sitemaps: dict[str, _FiledSitemap | SourceError] = {}
        self._sitemap_locks: dict[str, asyncio.Lock] = {}

    async def day_links(self, day: date) -> DayListing:
        """The links the archive gives for `day` (a day in the configured zone), in the archive's order, once each."""
        listing = DayListing(day)
        if self.source.kind == "sitemap":
            await self._sitemap_links(day, listing)
        else:
            for template in day_urls(self.source, day, self.watch_terms):
                await self._listing_links(template, listing)
        unique: dict[str, ArchiveLink] = {}
        for link in listing.links:
            unique.setdefault(link.url, link)
        listing.links = list(unique.values())
        return listing

    async def article(self, link: ArchiveLink) -> tuple[Article | None, SourceError | None]:
        """The article at `link`, keeping the published time the page states (meta tags, JSON-LD, the byline),
        else the sitemap's date; or the error that kept it from being read."""
        name = self.source.name
        try:
            response = await self._fetch(link.url, "html")
            page = await asyncio.to_thread(extract_page, response.content, response.url, profile=self.source.profile,
                                           content_type=response.content_type)
        except FetchError as exc:
            return None, SourceError(name, exc.url, exc.reason)
        except Exception as exc:  # one odd page must not end the day
            return None, SourceError(name, link.url, f"unexpected {type(exc).__name__}: {exc}")
        if not page.ok:
            return None, SourceError(name, response.url, page.missing())
        published = page.published_at or link.published_at
        if published is None:
            return None, SourceError(name, response.url, "the page states no published time, so it cannot be placed "
                                     "on a day")
        article = Article(source=name, title=page.title or link.title or "", body=page.body, url=page.url or link.url,
                          publisher=self.source.publisher or page.outlet, author=page.author,
                          published_at=published, external_id=link.url, origin=link.url)
        return (replace(article, title=link.title) if not article.title and link.title else article), None

    # -- sitemaps --------------------------------------------------------------------------------------------------

    async def _sitemap_links(self, day: date, listing: DayListing) -> None:
        assert self.source.url
        queue: deque[tuple[str, int]] = deque([(self.source.url, 0)])
        visited: set[str] = set()
        while queue:
            url, depth = queue.popleft()
            if url in visited:
                continue
            visited.add(url)
            found = await self._sitemap(url, listing)
            if isinstance(found, SourceError):
                listing.errors.append(found)
                continue
            if found.problem:
                listing.errors.append(SourceError(self.source.name, url, found.problem))
            for child in found.children:
                period = url_period(child)
                if period is not None and not period[0] <= day <= period[1]:
                    continue  # an index split by day or month: only the sitemaps that can hold this day
                if depth + 1 <= MAX_INDEX_DEPTH:
                    queue.append((child, depth + 1))
            listing.links += found.by_day.get(day, [])
            listing.undated += found.undated

    async def _sitemap(self, url: str, listing: DayListing) -> _FiledSitemap | SourceError:
        """The sitemap at `url`, fetched once per run (failures too: a broken sitemap is reported for every day it
        would have served, without asking the site again)."""
        lock = self._sitemap_locks.setdefault(url, asyncio.Lock())
        async with lock:
            if url in self._sitemaps:
                return self._sitemaps[url]
            listing.pages += 1
            try:
                response = await self._fetch(url, "sitemap")
                parsed = await asyncio.to_thread(
                    parse_sitemap, response.content, response.url, zone=self.zone,
                    max_bytes=self.fetcher.settings.max_bytes, content_type=response.content_type)
                found: _FiledSitemap | SourceError = self._file(url, parsed)
            except FetchError as exc:
                found = SourceError(self.source.name, exc.url, exc.reason)
            except SitemapError as exc:
                found = SourceError(self.source.name, url, str(exc))
            self._sitemaps[url] = found
            self._sitemap_locks.pop(url, None)
            return found

    def _file(self, url: str, sitemap: Sitemap) -> _FiledSitemap:
        """File a sitemap's entries by their day in the zone, keeping only the run's days. An entry without a date
        belongs to the day the sitemap is named for, if it is named for one; otherwise it cannot be placed."""
        period = url_period(url)
        named_day = period[0] if period is not None and period[0] == period[1] else None
        by_day: dict[date, list[ArchiveLink]] = {}
        undated = 0
        for entry in sitemap.entries:
            if entry.published_at is not None:
                day = entry.published_at.astimezone(self.zone).date()
            elif named_day is not None:
                day = named_day
            else:
                undated += 1
                continue
            if self.days is None or self.days[0] <= day <= self.days[1]:
                by_day.setdefault(day, []).append(ArchiveLink(entry.url, entry.published_at, entry.title))
        return _FiledSitemap(sitemap.children, by_day, undated, sitemap.problem)

    # -- dated listings and searches -------------------------------------------------------------------------------

    async def _listing_links(self, template: str, listing: DayListing) -> None:
        """Read `template`'s pages 1, 2, ... until a page adds no new link (or `max_pages`); one page without
        `{page}`. A 404 after the first page is the end of the list, not an error."""
        paged = "{page}" in template
        seen: set[str] = set()
        for number in range(1, (self.source.max_pages if paged else 1) + 1):
            url = template.replace("{page}", str(number))
            listing.pages += 1
            try:
                links = await self._page_links(url)
            except HTTPStatusError as exc:
                if exc.status == 404 and number > 1:
                    return
                listing.errors.append(SourceError(self.source.name, exc.url, exc.reason))
                return
            except FetchError as exc:
                listing.errors.append(SourceError(self.source.name, exc.url, exc.reason))
                return
            fresh = [link for link in links if link.url not in seen]
            if not fresh:
                return
            seen.update(link.url for link in fresh)
            listing.links.extend(fresh)

    async def _page_links(self, url: str) -> list[ArchiveLink]:
        if self.source.kind == "search":
            response = await self._fetch(url, "feed")
            feed = parse_feed(response.content, source=self.source.name, url=response.url,
                              content_type=response.content_type)
            return [ArchiveLink(item.link, item.published_at, item.title or None) for item in feed.items if item.link]
        assert self.source.link_pattern
        response = await self._fetch(url, "html")
        return [ArchiveLink(u) for u in listing_links(response.text(), response.url, self.source.link_pattern)]

    async def _fetch(self, url: str, purpose: Purpose) -> FetchedResponse:
        return await self.fetcher.fetch(url, source=self.source.name, purpose=purpose,
                                        private_origin=self.private_origin, respect_robots=self.source.respect_robots)
