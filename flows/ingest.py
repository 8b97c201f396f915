"""The Prefect flows: `ingest` (read every source, store what is new, send after-ingest digests), `backfill` (a date
range, re-runnable) and `digest`. Tasks sit at the grain of a source, never one per article; each flow run loads the
configuration once and hands every task only the plain values it reads."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from alerts.config import Subscription
from app.config import Config, load_config
from flows import resources
from flows.recovery import refuse_after_attempts
from ingest.pipeline import DateRange, IngestReport, store_source_result
from newsmon.records import SourceResult
from scrapers.config import LOCAL_KINDS, FetchSettings, SourceConfig
from scrapers.local import read_local


@task(name="read-local-source", cache_policy=NO_CACHE)
def read_local_source(source: SourceConfig, path: Path, zone: str) -> SourceResult:
    return read_local(source.name, path, ZoneInfo(zone), kind=source.kind)


@task(name="fetch-web-sources", cache_policy=NO_CACHE)
def fetch_web_sources(sources: list[SourceConfig], settings: FetchSettings, watch_terms: list[str],
                      shared_politeness: bool = False) -> list[SourceResult]:
    """Read the web sources; with `shared_politeness` the per-host limits are the Prefect server's, held across
    every worker (flows/politeness.py), not only this process's."""
    from flows.politeness import ServerHostGate
    from ingest.web import fetch_all

    gate = ServerHostGate(settings) if shared_politeness else None
    return fetch_all(resources.current_ingest().db, sources, settings, watch_terms, shared_gate=gate)


@task(name="store-source", retries=2, retry_delay_seconds=[1, 5], cache_policy=NO_CACHE)
def store_source(result: SourceResult, date_range: DateRange | None) -> IngestReport:
    return store_source_result(resources.current_ingest(), result, date_range=date_range)


def ingest_sources(config: Config, names: list[str] | None, date_range: DateRange | None, *, jobs: int = 1,
                   shared_politeness: bool = False) -> list[IngestReport]:
    """Read the selected sources (web ones concurrently, in one task) and store each source's records; `jobs` > 1
    tags in that many processes."""
    logger = get_run_logger()
    chosen = config.selected_sources(names)
    local = [s for s in chosen if s.kind in LOCAL_KINDS]
    web = [s for s in chosen if s.kind not in LOCAL_KINDS]
    with resources.ingest_run(config, jobs) as context:
        zone = config.schedule.timezone
        results = [read_local_source(s, config.resolve_path(s.path), zone) for s in local if s.path is not None]
        fetched: list[SourceResult] = []
        if web:
            fetched = fetch_web_sources(web, config.fetch, config.search_terms(), shared_politeness)
        reports = []
        for result in results + fetched:
            report = store_source(result, date_range)
            for error in report.errors:
                logger.warning("skipped: %s", error)
            (logger.error if report.failure else logger.info)("%s", report.summary())
            reports.append(report)
        if web:
            from ingest.web import record_health

            notices = record_health(context.db, fetched, config.fetch.failures_before_alert)
            if notices:
                warn_subscribers(list(config.subscriptions), config.base_dir, notices)
    return reports


@task(name="warn-subscribers", cache_policy=NO_CACHE)
def warn_subscribers(subscriptions: list[Subscription], base_dir: Path, notices: list[str]) -> list[str]:
    """Tell every subscriber's channels, once per failure streak, which sources keep failing."""
    from alerts.notices import send_notice

    logger = get_run_logger()
    for line in notices:
        logger.error("%s", line)
    failed = send_notice(subscriptions, f"newsmon: {len(notices)} source(s) keep failing", "\n".join(notices),
                         base_dir=base_dir)
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
    refuse_after_attempts(config.pool.max_attempts)
    reports = run_digests(resources.database(config), config, subscriptions=subscriptions, when=when, dry_run=dry_run)
    return [r.as_dict() for r in reports]


@flow(name="ingest")
def ingest(config_path: str | None = None, sources: list[str] | None = None, send_digest: bool = True,
           shared_politeness: bool = False) -> dict[str, Any]:
    """Read every enabled source once, store what is new, and send after-ingest digests when there is any.
    `shared_politeness`: hold the per-host limits on the Prefect server (a run on a work pool)."""
    config = load_config(config_path)
    refuse_after_attempts(config.pool.max_attempts)
    reports = ingest_sources(config, sources, None, shared_politeness=shared_politeness)
    summary = _summary(reports)
    if send_digest and config.schedule.digest_after_ingest:
        summary["digests"] = digest(config_path, when="after_ingest")
    return summary


@flow(name="backfill")
def backfill(since: date, until: date, sources: list[str] | None = None, config_path: str | None = None,
             send_digest: bool = False, jobs: int = 1) -> dict[str, Any]:
    """Load the articles published between `since` and `until` (whole days, inclusive) from the chosen sources.
    Re-running it stores nothing twice. Digests are not sent unless asked: backfilled matches are old news.
    `jobs` > 1 tags in that many processes (one Kiwi each), for a large backfill."""
    if until < since:
        raise ValueError(f"backfill: until ({until}) is before since ({since})")
    config = load_config(config_path)
    refuse_after_attempts(config.pool.max_attempts)
    reports = ingest_sources(config, sources, DateRange.days(since, until, config.schedule.timezone), jobs=jobs)
    summary = _summary(reports)
    if send_digest:
        summary["digests"] = digest(config_path)
    return summary
