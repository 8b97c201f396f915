"""Reading configured web sources (feeds, article pages, listings, search feeds, sitemaps) into SourceResults."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

from newsmon.aio import run_sync
from newsmon.records import Article, SourceError, SourceResult, SourceState
from scrapers.addresses import origin
from scrapers.archive import ArchiveLink, ArchiveReader
from scrapers.config import FetchSettings, SourceConfig
from scrapers.errors import ExtractionError, FetchError
from scrapers.feeds import FeedItem, parse_feed
from scrapers.fetch import FetchedResponse, Fetcher, SharedHostGate
from scrapers.listings import listing_links
from scrapers.pages import ExtractedPage, body_and_byline, extract_page


async def read_web_sources(
    sources: list[SourceConfig],
    settings: FetchSettings,
    states: dict[str, SourceState],
    *,
    watch_terms: list[str],
    fetcher: Fetcher | None = None,
    zone: str = "Asia/Seoul",
    shared_gate: SharedHostGate | None = None,
) -> list[SourceResult]:
    """Read every web source once, concurrently, through one shared fetcher; one result per source, in order.

    `states` holds each source's remembered state by name (missing means first poll). A source that cannot be read
    comes back with `failure` set; it never stops the others. `watch_terms` are the search-feed queries for search
    sources that configure none. `zone` is the configured zone, whose today and yesterday a sitemap or dated listing
    source reads on a poll. `shared_gate` holds politeness across processes (other workers) too.
    """
    if fetcher is None:
        async with Fetcher(settings, shared_gate=shared_gate) as own:
            return await read_web_sources(sources, settings, states, watch_terms=watch_terms, fetcher=own, zone=zone)
    tasks = [read_web_source(s, fetcher, states.get(s.name), watch_terms=watch_terms, zone=zone) for s in sources]
    return list(await asyncio.gather(*tasks))


def read_web_sources_sync(
    sources: list[SourceConfig],
    settings: FetchSettings,
    states: dict[str, SourceState],
    *,
    watch_terms: list[str],
    zone: str = "Asia/Seoul",
    shared_gate: SharedHostGate | None = None,
) -> list[SourceResult]:
    """`read_web_sources` for synchronous callers (a Prefect task, the command line); runs its own event loop,
    in a worker thread when the calling thread already runs one."""
    return run_sync(lambda: read_web_sources(sources, settings, states, watch_terms=watch_terms, zone=zone,
                                             shared_gate=shared_gate), thread_name="newsmon-fetch")


async def read_web_source(
    source: SourceConfig, fetcher: Fetcher, state: SourceState | None, *, watch_terms: list[str] = (),
    zone: str = "Asia/Seoul",
) -> SourceResult:
    """Read one web source; every failure ends up in the result, never raised."""
    reader = _SourceReader(source, fetcher, state or SourceState(), list(watch_terms), ZoneInfo(zone))
    try:
        return await reader.read()
    except FetchError as exc:
        failure = SourceError(source.name, exc.url, exc.reason)
    except Exception as exc:  # a bug or an unforeseen input must not take the other sources down
        failure = SourceError(source.name, source.url or "", f"unexpected {type(exc).__name__}: {exc}")
    return SourceResult(source=source.name, kind=source.kind, errors=reader.errors, failure=failure)


class _SourceReader:
    """The reading of one source in one poll: its fetches, its item errors, its seen-item memory."""

    def __init__(self, source: SourceConfig, fetcher: Fetcher, state: SourceState, watch_terms: list[str],
                 zone: ZoneInfo) -> None:
        self.source = source
        self.zone = zone
        self.fetcher = fetcher
        self.state = state
        self.watch_terms = watch_terms
        self.errors: list[SourceError] = []
        self.seen = set(state.seen_items)
        self.newly_seen: list[str] = []
        self.private_origin = origin(source.url) if source.allow_private and source.url else None

    async def read(self) -> SourceResult:
        kind = self.source.kind
        if self.source.archive:
            return await self._read_archive()
        if kind == "rss":
            return await self._read_feed()
        if kind == "search":
            return await self._read_search()
        if kind == "listing":
            return await self._read_listing()
        if kind == "page":
            return await self._read_page()
        raise ValueError(f"source {self.source.name!r}: kind {kind!r} is not a web source kind")

    # -- kinds -----------------------------------------------------------------------------------------------------

    async def _read_feed(self) -> SourceResult:
        assert self.source.url
        response = await self._fetch(self.source.url, purpose="feed", state=self.state)
        if response.not_modified:
            return self._not_modified(response)
        feed = parse_feed(response.content, source=self.source.name, url=response.url,
                          content_type=response.content_type)
        items = feed.items[: self.source.max_items]
        articles = await self._articles_from_items(items, publisher=self.source.publisher or feed.title)
        return self._result(articles, response)

    async def _read_search(self) -> SourceResult:
        assert self.source.url
        queries = self.source.queries or self.watch_terms
        if not queries:
            raise FetchError(self.source.name, self.source.url,
                             "search source has no `queries` and the watchlist gave no terms")
        urls = [self.source.url.replace("{query}", quote(q, safe="")) for q in queries]
        outcomes = await asyncio.gather(*(self._search_one(u) for u in urls), return_exceptions=True)
        items: dict[str, FeedItem] = {}
        failures: list[FetchError] = []
        for outcome in outcomes:
            if isinstance(outcome, FetchError):
                failures.append(outcome)
            elif isinstance(outcome, BaseException):
                raise outcome
            else:
                for item in outcome:
                    items.setdefault(item.key, item)
        if failures and len(failures) == len(urls):
            raise failures[0]
        self.errors += [SourceError(self.source.name, f.url, f.reason) for f in failures]
        chosen = list(items.values())[: self.source.max_items]
        articles = await self._articles_from_items(chosen, publisher=self.source.publisher)
        return self._result(articles, None)

    async def _search_one(self, url: str) -> list[FeedItem]:
        # One URL per query, so there is no single validator to remember: search polls are unconditional.
        response = await self._fetch(url, purpose="feed", state=None)
        return parse_feed(response.content, source=self.source.name, url=response.url,
                          content_type=response.content_type).items

    async def _read_listing(self) -> SourceResult:
        assert self.source.url and self.source.link_pattern
        response = await self._fetch(self.source.url, purpose="html", state=self.state)
        if response.not_modified:
            return self._not_modified(response)
        links = listing_links(response.text(), response.url, self.source.link_pattern)
        fresh = [link for link in links if link not in self.seen][: self.source.max_items]
        pages = await asyncio.gather(*(self._article_from_page(link) for link in fresh))
        articles = [a for a in pages if a is not None]
        return self._result(articles, response)

    async def _read_archive(self) -> SourceResult:
        """A sitemap or dated listing on a poll: yesterday's and today's links (in the configured zone) not read on
        an earlier poll."""
        today = datetime.now(self.zone).date()
        reader = ArchiveReader(self.source, self.fetcher, self.zone, watch_terms=self.watch_terms,
                               days=(today - timedelta(days=1), today))
        links: dict[str, ArchiveLink] = {}
        failures: list[SourceError] = []
        for day in (today - timedelta(days=1), today):
            listing = await reader.day_links(day)
            failures += listing.errors
            for link in listing.links:
                links.setdefault(link.url, link)
        if failures and not links:
            raise FetchError(self.source.name, failures[0].where, failures[0].reason)
        self.errors += failures
        fresh = [link for link in links.values() if link.url not in self.seen][: self.source.max_items]
        articles: list[Article] = []
        for link, (article, error) in zip(fresh, await asyncio.gather(*(reader.article(k) for k in fresh))):
            if article is None:
                self.errors.append(error)  # type: ignore[arg-type]
                continue
            self._mark_seen(link.url)
            articles.append(article)
        return self._result(articles, None)

    async def _read_page(self) -> SourceResult:
        assert self.source.url
        response = await self._fetch(self.source.url, purpose="html", state=self.state)
        if response.not_modified:
            return self._not_modified(response)
        page = await self._extract(response)
        if not page.ok:
            raise ExtractionError(self.source.name, response.url, page.missing())
        self._mark_seen(self.source.url)
        article = self._article(page, link=self.source.url, publisher=self.source.publisher or page.outlet)
        return self._result([article], response)

    # -- items and pages -------------------------------------------------------------------------------------------

    async def _articles_from_items(self, items: list[FeedItem], *, publisher: str | None) -> list[Article]:
        # An item is known by its guid and by its link: a feed that re-issues an item under a new guid (or moves
        # it to a new link) does not make it new. Repeats within one document keep the first occurrence.
        fresh: list[FeedItem] = []
        batch: set[str] = set()
        for item in items:
            keys = _item_keys(item)
            if any(k in self.seen or k in batch for k in keys):
                continue
            batch.update(keys)
            fresh.append(item)
        # Reading the items' HTML into text is CPU work: off the event loop, so other sources' fetches keep going.
        await asyncio.to_thread(_read_texts, fresh)
        made = await asyncio.gather(*(self._article_from_item(item, publisher) for item in fresh))
        return [a for a in made if a is not None]

    async def _article_from_item(self, item: FeedItem, publisher: str | None) -> Article | None:
        body = item.full_text
        if not body and self.source.fetch_pages and item.link:
            page = await self._page(item.link)
            if page is not None:
                self._mark_item_seen(item)
                return self._article(page, item=item, publisher=self.source.publisher or page.outlet or publisher)
            # The page could not be read: the feed's teaser is better than losing the item.
        body = body or item.summary
        if not body:
            if not (self.source.fetch_pages and item.link):
                self.errors.append(SourceError(self.source.name, item.link or item.key, "feed item has no text"))
            return None
        text, found_author, found_outlet = body_and_byline(body)
        self._mark_item_seen(item)
        own = ExtractedPage(url=None, title=text.split("\n", 1)[0][:100], body=text or body, published_at=None,
                            author=found_author, outlet=found_outlet, extractor="feed")
        return self._article(own, item=item, publisher=publisher or found_outlet)

    async def _article_from_page(self, link: str) -> Article | None:
        page = await self._page(link)
        if page is None:
            return None
        self._mark_seen(link)
        return self._article(page, link=link, publisher=self.source.publisher or page.outlet)

    async def _page(self, link: str) -> ExtractedPage | None:
        """The extracted article at `link` (found inside fetched content), or None with the error recorded."""
        try:
            response = await self._fetch(link, purpose="html", state=None)
            page = await self._extract(response)
        except FetchError as exc:
            self.errors.append(SourceError(self.source.name, exc.url, exc.reason))
            return None
        except Exception as exc:
            self.errors.append(SourceError(self.source.name, link, f"unexpected {type(exc).__name__}: {exc}"))
            return None
        if not page.ok:
            self.errors.append(SourceError(self.source.name, response.url, page.missing()))
            return None
        return page

    async def _extract(self, response: FetchedResponse) -> ExtractedPage:
        # Parsing a page is CPU work: off the event loop, so other sources' fetches keep going.
        return await asyncio.to_thread(extract_page, response.content, response.url, profile=self.source.profile,
                                       content_type=response.content_type)

    def _article(self, text: ExtractedPage, *, publisher: str | None, item: FeedItem | None = None,
                 link: str | None = None) -> Article:
        """The one way an article is made from the web: what the feed item says (title, author, time, guid, link)
        first where there is one, then what the text (a page, or the item's own text) says. Without an item, `link`
        (where the page was found) is the article's key."""
        if item is not None:
            link = item.link
        return Article(
            source=self.source.name,
            title=(item.title if item else None) or text.title,
            body=text.body,
            url=text.url or link,
            publisher=publisher,
            author=(item.author if item else None) or text.author,
            published_at=(item.published_at if item else None) or text.published_at,
            external_id=(item.guid if item else None) or link,
            origin=link,
        )

    # -- plumbing --------------------------------------------------------------------------------------------------

    async def _fetch(self, url: str, *, purpose: str, state: SourceState | None) -> FetchedResponse:
        return await self.fetcher.fetch(
            url,
            source=self.source.name,
            purpose=purpose,  # type: ignore[arg-type]
            state=state,
            private_origin=self.private_origin,
            respect_robots=self.source.respect_robots,
        )

    def _mark_item_seen(self, item: FeedItem) -> None:
        for key in _item_keys(item):
            self._mark_seen(key)

    def _mark_seen(self, key: str) -> None:
        if key not in self.seen:
            self.seen.add(key)
            self.newly_seen.append(key)

    def _next_state(self, response: FetchedResponse | None) -> SourceState:
        limit = self.fetcher.settings.remember_seen_items
        seen = (*self.state.seen_items, *self.newly_seen)
        seen = seen[-limit:] if limit else ()
        if response is None:
            return SourceState(self.state.etag, self.state.last_modified, seen)
        return SourceState(response.etag, response.last_modified, seen)

    def _result(self, articles: list[Article], response: FetchedResponse | None) -> SourceResult:
        return SourceResult(source=self.source.name, kind=self.source.kind, articles=articles, errors=self.errors,
                            state=self._next_state(response))

    def _not_modified(self, response: FetchedResponse) -> SourceResult:
        # A 304 may carry fresh validators; keep the old ones where it does not.
        state = SourceState(response.etag or self.state.etag, response.last_modified or self.state.last_modified,
                            self.state.seen_items)
        return SourceResult(source=self.source.name, kind=self.source.kind, not_modified=True, state=state)


def _read_texts(items: list[FeedItem]) -> None:
    for item in items:
        item.full_text  # noqa: B018 - computed (with the summary) once here and cached on the item


def _item_keys(item: FeedItem) -> tuple[str, ...]:
    return (item.key,) if not item.link or item.link == item.key else (item.key, item.link)
