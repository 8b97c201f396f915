"""The Prefect flows: `ingest` (read every source, store what is new, check for spikes, send after-ingest digests),
`backfill` (a date range, resumable), `digest` and `spikes`. Tasks sit at the grain of a source, never one per article;
each flow run loads the configuration once and hands every task only the plain values it reads."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.states import Failed, State

from alerts.config import Subscription
from app.config import Config, load_config
from flows import resources
from flows.recovery import refuse_after_attempts
from ingest.backfill import SourceBackfill
from ingest.pipeline import DateRange, IngestReport, store_source_result
from newsmon.errors import NewsmonError
from newsmon.records import BackfillDay, SourceResult
from scrapers.config import LOCAL_KINDS, BackfillSettings, FetchSettings, SourceConfig
from scrapers.local import read_local


@task(name="read-local-source", cache_policy=NO_CACHE)
def read_local_source(source: SourceConfig, path: Path, zone: str) -> SourceResult:
    return read_local(source.name, path, ZoneInfo(zone), kind=source.kind)


@task(name="fetch-web-sources", cache_policy=NO_CACHE)
def fetch_web_sources(sources: list[SourceConfig], settings: FetchSettings, watch_terms: list[str],
                      zone: str = "Asia/Seoul", shared_politeness: bool = False) -> list[SourceResult]:
    """Read the web sources; with `shared_politeness` the per-host limits are the Prefect server's, held across
    every worker (flows/politeness.py), not only this process's."""
    from flows.politeness import ServerHostGate
    from ingest.web import fetch_all

    gate = ServerHostGate(settings) if shared_politeness else None
    return fetch_all(resources.current_ingest().db, sources, settings, watch_terms, zone, shared_gate=gate)


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
            fetched = fetch_web_sources(web, config.fetch, config.search_terms(), zone, shared_politeness)
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


def refused(exc: NewsmonError) -> State:
    """A flow run asked for something the configuration does not have (an unknown source or subscription, a bad
    file): it fails with that one line as its state message, not a traceback in the log; a caller in this process
    gets the error itself."""
    return Failed(message=str(exc), data=exc)


@flow(name="digest")
def digest(config_path: str | None = None, subscriptions: list[str] | None = None, when: str | None = None,
           dry_run: bool = False) -> list[dict[str, Any]]:
    """Send each subscription its matches not yet sent (one digest per subscription and channel)."""
    from alerts.run import run_digests, select_subscriptions

    try:
        config = load_config(config_path)
        select_subscriptions(config, subscriptions, when)
    except NewsmonError as exc:
        return refused(exc)  # type: ignore[return-value]
    refuse_after_attempts(config.pool.max_attempts)
    reports = run_digests(resources.database(config), config, subscriptions=subscriptions, when=when, dry_run=dry_run)
    return [r.as_dict() for r in reports]


@flow(name="spikes")
def spikes(config_path: str | None = None, dry_run: bool = False) -> list[dict[str, Any]]:
    """Tell subscriptions with `spikes` set about surges of stories on their companies and topics, once per spike."""
    from alerts.spikes import run_spike_alerts

    config = load_config(config_path)
    reports = run_spike_alerts(resources.database(config), config, dry_run=dry_run)
    return [r.as_dict() for r in reports if r.notice or r.errors]


@flow(name="ingest")
def ingest(config_path: str | None = None, sources: list[str] | None = None, send_digest: bool = True,
           shared_politeness: bool = False) -> dict[str, Any]:
    """Read every enabled source once, store what is new, and send after-ingest digests when there is any.
    `shared_politeness`: hold the per-host limits on the Prefect server (a run on a work pool)."""
    try:
        config = load_config(config_path)
        config.selected_sources(sources)
    except NewsmonError as exc:
        return refused(exc)  # type: ignore[return-value]
    refuse_after_attempts(config.pool.max_attempts)
    reports = ingest_sources(config, sources, None, shared_politeness=shared_politeness)
    summary = _summary(reports)
    # Every ingest checks (not only one that stored something): a check also sees a spike end.
    if send_digest and any(s.spikes for s in config.subscriptions):
        summary["spikes"] = spikes(config_path)
    if send_digest and config.schedule.digest_after_ingest:
        from alerts.run import after_ingest_due

        if after_ingest_due(resources.database(config), config, summary["new"]):
            summary["digests"] = digest(config_path, when="after_ingest")
    return summary


@task(name="backfill-web-sources", cache_policy=NO_CACHE)
def backfill_web_sources(sources: list[SourceConfig], since: date, until: date, zone: str, fetch: FetchSettings,
                         settings: BackfillSettings, watch_terms: list[str], refresh: bool) -> list[SourceBackfill]:
    """Backfill the web sources: archives day by day (resumable), feeds and pages once with what they can reach."""
    from flows.progress import BackfillDisplay
    from ingest.backfill import run_backfill

    display = BackfillDisplay()
    try:
        return run_backfill(resources.current_ingest(), sources, since, until, zone=zone, fetch=fetch,
                            settings=settings, watch_terms=watch_terms, refresh=refresh, progress=display)
    finally:
        display.close()


@flow(name="backfill")
def backfill(since: date, until: date, sources: list[str] | None = None, config_path: str | None = None,
             send_digest: bool = False, refresh: bool = False, jobs: int = 1) -> dict[str, Any]:
    """Load the articles published between `since` and `until` (whole days in the configured zone, inclusive) from
    the chosen sources: sitemaps and dated listings day by day, resumably (`refresh` re-reads finished days); feeds
    and other sources once, saying how far back they reach. Re-running it stores nothing twice. Digests are not sent
    unless asked: backfilled matches are old news. `jobs` > 1 tags local sources' records in that many processes
    (one Kiwi each)."""
    if until < since:
        raise ValueError(f"backfill: until ({until}) is before since ({since})")
    try:
        config = load_config(config_path)
        chosen = config.selected_sources(sources)
    except NewsmonError as exc:
        return refused(exc)  # type: ignore[return-value]
    refuse_after_attempts(config.pool.max_attempts)
    local = [s.name for s in chosen if s.kind in LOCAL_KINDS]
    web = [s for s in chosen if s.kind not in LOCAL_KINDS]
    zone = config.schedule.timezone
    reports = ingest_sources(config, local, DateRange.days(since, until, zone), jobs=jobs) if local else []
    summary = _summary(reports)
    summary["days"] = {}
    if web:
        with resources.ingest_run(config):
            outcomes = backfill_web_sources(web, since, until, zone, config.fetch, config.backfill,
                                            config.search_terms(), refresh)
        logger = get_run_logger()
        for outcome in outcomes:
            for line in outcome.lines():
                (logger.error if "failed:" in line or "FAILED" in line else logger.info)("%s", line)
            if outcome.failure:
                logger.error("%s", outcome.failure)
        summary["new"] += sum(o.stored for o in outcomes)
        summary["sources"].update({o.source: "\n".join(o.lines() + ([str(o.failure)] if o.failure else []))
                                   for o in outcomes})
        summary["failed"] += [o.source for o in outcomes if o.failed]
        summary["days"] = {o.source: {str(d.day): day_counts(d) for d in o.days} for o in outcomes if o.days}
        publish_summary(outcomes)
    if send_digest:
        summary["digests"] = digest(config_path)
    return summary


def day_counts(day: BackfillDay) -> dict[str, Any]:
    return {"found": day.found, "stored": day.stored, "known": day.known, "failed": day.failed,
            "capped": day.capped, "finished": day.finished, "earlier": day.earlier}


def publish_summary(outcomes: list[SourceBackfill]) -> None:
    """The backfill's summary as a table artifact in the Prefect UI: one row per source and day."""
    from prefect.artifacts import create_table_artifact

    rows: list[dict[str, Any]] = []
    for o in outcomes:
        rows += [{"source": o.source, "day": str(d.day), **day_counts(d)} for d in o.days]
        if o.report is not None or o.failure is not None:
            rows.append({"source": o.source, "day": "(read once)", "found": o.report.read if o.report else 0,
                         "stored": o.report.new if o.report else 0, "note": o.note or str(o.failure or "")})
    create_table_artifact(rows, key="backfill-summary", description="Backfill: per source and day")
