"""The Prefect flows: `ingest` (read every source, store what is new, send after-ingest digests), `backfill` (a date
range, re-runnable) and `digest`. Tasks sit at the grain of a source, never one per article."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows import resources
from newsmon.config import Config, load_config
from newsmon.pipeline import DateRange, IngestReport, store_source_result
from scrapers.base import SourceResult
from scrapers.config import LOCAL_KINDS, SourceConfig
from scrapers.local import read_local


@task(name="read-local-source", cache_policy=NO_CACHE)
def read_local_source(config: Config, source: SourceConfig) -> SourceResult:
    assert source.path is not None
    return read_local(source.name, config.resolve_path(source.path), ZoneInfo(config.schedule.timezone))


@task(name="fetch-web-sources", cache_policy=NO_CACHE)
def fetch_web_sources(config: Config, sources: list[SourceConfig]) -> list[SourceResult]:
    from flows.web import fetch_all

    return fetch_all(config, resources.database(config), sources)


@task(name="store-source", retries=2, retry_delay_seconds=[1, 5], cache_policy=NO_CACHE)
def store_source(config: Config, result: SourceResult, kind: str, date_range: DateRange | None) -> IngestReport:
    return store_source_result(
        resources.database(config), resources.tagger(config), result, kind=kind, date_range=date_range
    )


def selected_sources(config: Config, names: list[str] | None) -> list[SourceConfig]:
    if names:
        return [config.source(name) for name in names]
    return [s for s in config.sources if s.enabled]


def ingest_sources(config: Config, names: list[str] | None, date_range: DateRange | None) -> list[IngestReport]:
    """Read the selected sources (web ones concurrently, in one task) and store each source's records."""
    logger = get_run_logger()
    chosen = selected_sources(config, names)
    local = [s for s in chosen if s.kind in LOCAL_KINDS]
    web = [s for s in chosen if s.kind not in LOCAL_KINDS]
    results: list[tuple[SourceResult, str]] = [(read_local_source(config, s), s.kind) for s in local]
    if web:
        kinds = {s.name: s.kind for s in web}
        results += [(r, kinds[r.source]) for r in fetch_web_sources(config, web)]
    reports = []
    for result, kind in results:
        report = store_source(config, result, kind, date_range)
        for error in report.errors:
            logger.warning("skipped: %s", error)
        (logger.error if report.failure else logger.info)("%s", report.summary())
        reports.append(report)
    if web:
        from flows.web import record_health

        notices = record_health(config, resources.database(config), [r for r, k in results if k not in LOCAL_KINDS])
        if notices:
            warn_subscribers(config, notices)
    return reports


@task(name="warn-subscribers", cache_policy=NO_CACHE)
def warn_subscribers(config: Config, notices: list[str]) -> list[str]:
    """Tell every subscriber's channels, once per failure streak, which sources keep failing."""
    from alerts.run import send_notice

    logger = get_run_logger()
    for line in notices:
        logger.error("%s", line)
    failed = send_notice(config, f"newsmon: {len(notices)} source(s) keep failing", "\n".join(notices))
    for error in failed:
        logger.warning("notice not delivered: %s", error)
    return failed


def _summary(reports: list[IngestReport]) -> dict[str, Any]:
    return {
        "new": sum(r.new for r in reports),
        "sources": {r.source: r.summary() for r in reports},
        "failed": [r.source for r in reports if r.failure],
    }


@flow(name="digest")
def digest(config_path: str | None = None, subscriptions: list[str] | None = None, when: str | None = None,
           dry_run: bool = False) -> list[dict[str, Any]]:
    """Send each subscription its matches not yet sent (one digest per subscription and channel)."""
    from alerts.run import run_digests

    config = load_config(config_path)
    reports = run_digests(resources.database(config), config, subscriptions=subscriptions, when=when, dry_run=dry_run)
    return [r.as_dict() for r in reports]


@flow(name="ingest")
def ingest(config_path: str | None = None, sources: list[str] | None = None, send_digest: bool = True) -> dict[str, Any]:
    """Read every enabled source once, store what is new, and send after-ingest digests when there is any."""
    config = load_config(config_path)
    reports = ingest_sources(config, sources, None)
    summary = _summary(reports)
    if send_digest and config.schedule.digest_after_ingest:
        summary["digests"] = digest(config_path, when="after_ingest")
    return summary


def day_range(since: date, until: date, zone: str) -> DateRange:
    """Whole days in the configured zone: since 00:00 to the end of `until` (inclusive)."""
    tz = ZoneInfo(zone)
    return DateRange(datetime.combine(since, time.min, tz), datetime.combine(until + timedelta(days=1), time.min, tz))


@flow(name="backfill")
def backfill(since: date, until: date, sources: list[str] | None = None, config_path: str | None = None,
             send_digest: bool = False) -> dict[str, Any]:
    """Load the articles published between `since` and `until` (whole days, inclusive) from the chosen sources.
    Re-running it stores nothing twice. Digests are not sent unless asked: backfilled matches are old news."""
    if until < since:
        raise ValueError(f"backfill: until ({until}) is before since ({since})")
    config = load_config(config_path)
    reports = ingest_sources(config, sources, day_range(since, until, config.schedule.timezone))
    summary = _summary(reports)
    if send_digest:
        summary["digests"] = digest(config_path)
    return summary
