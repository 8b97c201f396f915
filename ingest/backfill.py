"""Backfilling web sources over a date range: archives (sitemaps, dated listings) day by day, resumably; feeds and
other web sources read once, with what they can and cannot reach said per source.

Progress is recorded per source and day (models/backfill_store): a day is recorded once read, and a finished day is
skipped by the next backfill (unless `refresh`), so a backfill killed at any point continues where it stopped and
fetches no finished day again. Links already stored are not fetched again either. Storing goes through the same
pipeline as every ingest (ingest/pipeline), so nothing is stored twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from dedupe.exact import canonical_url
from ingest.context import IngestContext
from ingest.pipeline import DateRange, IngestReport, store_source_result
from models.articles_store import stored_keys
from models.backfill_store import finished_days, record_day
from newsmon.aio import run_sync
from newsmon.records import Article, BackfillDay, SourceError, SourceResult
from scrapers.archive import ArchiveLink, ArchiveReader
from scrapers.config import BackfillSettings, FetchSettings, SourceConfig
from scrapers.fetch import Fetcher
from scrapers.web import read_web_source


class BackfillProgress(Protocol):
    """Told as a backfill goes: a source's number of days, then each day as it is finished (or found finished)."""

    def start(self, source: str, days: int) -> None: ...

    def day_done(self, day: BackfillDay) -> None: ...


class NoProgress:
    def start(self, source: str, days: int) -> None:
        pass

    def day_done(self, day: BackfillDay) -> None:
        pass


@dataclass(slots=True)
class SourceBackfill:
    """What a backfill did for one source: its days (archives), or one read (`report`) with a note saying how far
    back the source reaches (feeds, pages, undated listings)."""

    source: str
    kind: str
    days: list[BackfillDay] = field(default_factory=list)
    report: IngestReport | None = None
    note: str | None = None
    failure: SourceError | None = None

    @property
    def stored(self) -> int:
        """Articles this run stored (days finished by an earlier run count there, not here)."""
        return sum(d.stored for d in self.days if not d.earlier) + (self.report.new if self.report else 0)

    @property
    def failed(self) -> bool:
        """Whether anything of this source could not be read (today, unfinished because it is not over, is not)."""
        return self.failure is not None or any(d.failed for d in self.days)

    def lines(self) -> list[str]:
        out = [d.summary() for d in self.days]
        for day in self.days:
            out += [f"{self.source} {day.day}: failed: {e.where}: {e.reason}" for e in day.errors]
        if self.report is not None:
            out.append(self.report.summary())
        if self.note:
            out.append(f"{self.source}: {self.note}")
        return out


def days_between(since: date, until: date) -> list[date]:
    """Every day from `since` to `until`, both included."""
    return [since + timedelta(days=i) for i in range((until - since).days + 1)]


def run_backfill(
    context: IngestContext,
    sources: Sequence[SourceConfig],
    since: date,
    until: date,
    *,
    zone: str,
    fetch: FetchSettings,
    settings: BackfillSettings = BackfillSettings(),
    watch_terms: Sequence[str] = (),
    refresh: bool = False,
    progress: BackfillProgress | None = None,
) -> list[SourceBackfill]:
    """Backfill the web `sources` over the days `since`..`until` (inclusive, in `zone`); one result per source, in
    order. Runs its own event loop (in a worker thread when the calling thread already runs one)."""
    return run_sync(lambda: backfill_sources(
        context, sources, since, until, zone=zone, fetch=fetch, settings=settings, watch_terms=watch_terms,
        refresh=refresh, progress=progress), thread_name="newsmon-backfill")


async def backfill_sources(
    context: IngestContext,
    sources: Sequence[SourceConfig],
    since: date,
    until: date,
    *,
    zone: str,
    fetch: FetchSettings,
    settings: BackfillSettings = BackfillSettings(),
    watch_terms: Sequence[str] = (),
    refresh: bool = False,
    progress: BackfillProgress | None = None,
    fetcher: Fetcher | None = None,
) -> list[SourceBackfill]:
    """`run_backfill` inside a running event loop. All sources share one fetcher with the backfill's own connection
    limit (`settings.fetch_settings`), so a backfill never takes the connections the scheduled ingest uses."""
    if until < since:
        raise ValueError(f"backfill: until ({until}) is before since ({since})")
    if fetcher is None:
        async with Fetcher(settings.fetch_settings(fetch)) as own:
            return await backfill_sources(context, sources, since, until, zone=zone, fetch=fetch, settings=settings,
                                          watch_terms=watch_terms, refresh=refresh, progress=progress, fetcher=own)
    job = _Backfill(context, fetcher, ZoneInfo(zone), since, until, settings, list(watch_terms), refresh,
                    progress or NoProgress())
    return list(await asyncio.gather(*(job.source(s) for s in sources)))


class _Backfill:
    """One backfill run: its range, its fetcher and database, and what it tells `progress`."""

    def __init__(self, context: IngestContext, fetcher: Fetcher, zone: ZoneInfo, since: date, until: date,
                 settings: BackfillSettings, watch_terms: list[str], refresh: bool, progress: BackfillProgress) -> None:
        self.context = context
        self.fetcher = fetcher
        self.zone = zone
        self.days = days_between(since, until)
        self.range = DateRange.days(since, until, zone.key)
        self.settings = settings
        self.watch_terms = watch_terms
        self.refresh = refresh
        self.progress = progress

    async def source(self, source: SourceConfig) -> SourceBackfill:
        outcome = SourceBackfill(source.name, source.kind)
        try:
            if source.archive:
                outcome.days = await self._archive(source)
            else:
                await self._read_once(source, outcome)
        except Exception as exc:  # one source's bug or unforeseen input must not take the others down
            outcome.failure = SourceError(source.name, source.url or "", f"unexpected {type(exc).__name__}: {exc}")
        return outcome

    # -- archives, day by day --------------------------------------------------------------------------------------

    async def _archive(self, source: SourceConfig) -> list[BackfillDay]:
        self.progress.start(source.name, len(self.days))
        done: dict[date, BackfillDay] = {}
        if not self.refresh:
            done = await asyncio.to_thread(self._finished, source.name)
        reader = ArchiveReader(source, self.fetcher, self.zone, watch_terms=self.watch_terms,
                               days=(self.days[0], self.days[-1]))
        # `days_at_once` days fetch their articles at a time. As many days again are in hand: their listings are
        # read ahead and a fetched day stores (tags) while the next ones fetch, so the connections never wait for a
        # day to start or to be stored, and memory stays bounded.
        fetching = asyncio.Semaphore(self.settings.days_at_once)
        in_hand = asyncio.Semaphore(2 * self.settings.days_at_once)
        results: dict[date, BackfillDay] = {}

        async def one(day: date) -> None:
            if day in done:
                results[day] = done[day]
            else:
                async with in_hand:
                    outcome, links = await self._day_links(source, reader, day)
                    async with fetching:
                        articles = await self._fetch_articles(reader, outcome, links)
                    results[day] = await self._store_day(source, outcome, articles)
            self.progress.day_done(results[day])

        await asyncio.gather(*(one(day) for day in self.days))
        return [results[day] for day in self.days]

    def _finished(self, source: str) -> dict[date, BackfillDay]:
        with self.context.db.session() as session:
            return finished_days(session, source, self.days)

    async def _day_links(self, source: SourceConfig, reader: ArchiveReader, day: date
                         ) -> tuple[BackfillDay, list[ArchiveLink]]:
        """The day's links not stored yet, within the source's cap (errors and counts recorded on the day)."""
        listing = await reader.day_links(day)
        outcome = BackfillDay(source.name, day, found=len(listing.links), pages=listing.pages,
                              undated=listing.undated, errors=list(listing.errors))
        known = await asyncio.to_thread(self._known, listing.links)
        wanted = [link for link in listing.links if link.url not in known]
        outcome.known = len(listing.links) - len(wanted)
        outcome.capped = max(0, len(wanted) - source.max_articles_per_day)
        return outcome, wanted[: source.max_articles_per_day]

    async def _fetch_articles(self, reader: ArchiveReader, outcome: BackfillDay, wanted: list[ArchiveLink]
                              ) -> list[Article]:
        read = await asyncio.gather(*(reader.article(link) for link in wanted))
        articles: list[Article] = [a for a, _ in read if a is not None]
        outcome.errors += [e for _, e in read if e is not None]
        return articles

    async def _store_day(self, source: SourceConfig, outcome: BackfillDay, articles: list[Article]) -> BackfillDay:
        """Store a fetched day's articles through the pipeline, then record the day."""
        result = SourceResult(source=source.name, kind=source.kind, articles=articles)
        report = await asyncio.to_thread(store_source_result, self.context, result, date_range=self.range)
        outcome.stored = report.new
        outcome.known += report.already_stored + report.repeated_in_batch
        outcome.out_of_range = report.out_of_range
        outcome.failed = len(outcome.errors)
        # A day with a page that could not be read is read again by the next backfill (only what is not stored yet
        # is fetched again), and so is a day not over yet in the zone (today: more will be published); a capped day
        # is finished: the cap is the configured bound, not a failure.
        outcome.finished = not outcome.errors and outcome.day < datetime.now(self.zone).date()
        await asyncio.to_thread(self._record, outcome)
        return outcome

    def _known(self, links: list[ArchiveLink]) -> set[str]:
        """The links whose article is stored already (by canonical URL): not fetched again."""
        by_key = {canonical_url(link.url): link.url for link in links}
        with self.context.db.session() as session:
            stored, _ = stored_keys(session, list(by_key), [])
        return {by_key[key] for key in stored}

    def _record(self, day: BackfillDay) -> None:
        # Under the lock the pipeline's writes take: on SQLite a write transaction that starts while another one
        # commits fails at once ("database is locked"), whatever the busy timeout.
        with self.context.index.lock, self.context.db.session() as session:
            record_day(session, day)

    # -- feeds and other web sources, read once --------------------------------------------------------------------

    async def _read_once(self, source: SourceConfig, outcome: SourceBackfill) -> None:
        result = await read_web_source(source, self.fetcher, None, watch_terms=self.watch_terms)
        report = await asyncio.to_thread(store_source_result, self.context, result, date_range=self.range)
        outcome.report = report
        outcome.failure = result.failure
        if result.failure is None:
            outcome.note = reach_note(source, result.articles, self.range, self.zone)


def reach_note(source: SourceConfig, articles: Sequence[Article], date_range: DateRange, zone: ZoneInfo) -> str:
    """What a source that is not an archive can give a backfill: a feed reaches back only as far as its oldest item,
    a page or listing only to what it shows now."""
    times = [a.published_at for a in articles if a.published_at is not None]
    if source.kind == "rss":
        if not times:
            return ("the feed holds no dated items now; a feed cannot reach back, so nothing of the range can be read "
                    "from it")
        oldest = min(times).astimezone(zone)
        reach = (f"the feed reaches back to {oldest:%Y-%m-%d %H:%M} ({len(articles)} items); nothing older can be "
                 "read from it")
        if oldest > date_range.since:
            first, last = date_range.since.date(), oldest.date() - timedelta(days=1)
            missing = f"{first}" if first == last else f"{first}..{last}"
            if first <= last:
                reach += (f", so {missing} cannot be backfilled from this feed (configure the site's sitemap or "
                          "dated section list as a source for that)")
        return reach
    return (f"a {source.kind} source without dated URLs shows only what it lists now ({len(articles)} articles); "
            "give its url {date} (and {page}) or use the site's sitemap to reach back")

