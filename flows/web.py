"""Wiring for web sources: remembered state in, one fetch of every source, new state and health out."""

from __future__ import annotations

from datetime import datetime, timezone

from models.db import Database
from models.web_store import load_states, record_failure, record_success
from newsmon.config import Config
from newsmon.records import SourceError
from scrapers.base import SourceResult
from scrapers.config import SourceConfig
from scrapers.web import read_web_sources_sync


def fetch_all(config: Config, db: Database, sources: list[SourceConfig]) -> list[SourceResult]:
    """Read every web source once (concurrently, politely) from its remembered state; one result per source.

    Never raises for one bad source: its result carries the failure. Search sources without queries of their own
    search for the watchlist companies' main names.
    """
    if not sources:
        return []
    with db.session() as session:
        states = load_states(session, [s.name for s in sources])
    watch_terms = [company.name for company in config.watchlist.companies.values()]
    try:
        return read_web_sources_sync(sources, config.fetch, states, watch_terms=watch_terms)
    except Exception as exc:  # the reader reports per source; this is only a last guard for the flow
        reason = f"web sources could not be read: unexpected {type(exc).__name__}: {exc}"
        return [SourceResult(source=s.name, failure=SourceError(s.name, s.url or "", reason)) for s in sources]


def record_health(config: Config, db: Database, results: list[SourceResult]) -> list[str]:
    """Store each source's new state and health; return a notice for each source whose failure streak just reached
    `fetch.failures_before_alert` (once per streak), naming the source, its URL and the reason."""
    now = datetime.now(timezone.utc)
    configured = {s.name: s for s in config.sources}
    threshold = config.fetch.failures_before_alert
    notices: list[str] = []
    with db.session() as session:
        for result in results:
            source = configured.get(result.source)
            kind = source.kind if source is not None else "rss"
            if result.failure is None:
                record_success(session, result.source, kind, result.state, now)
                continue
            failure = result.failure
            if record_failure(session, result.source, kind, str(failure), now, threshold):
                url = failure.where or (source.url if source is not None else "") or "(no URL)"
                notices.append(
                    f"Source {result.source!r} has failed {threshold} times in a row: {url}: {failure.reason}"
                )
    return notices
