"""Web sources in and out of storage: remembered state in, one fetch of every source, new state and health out (and
the decision to tell subscribers, once per failure streak)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

from models.db import Database
from models.web_store import load_states, record_failure, record_success
from newsmon.records import SourceError, SourceResult
from scrapers.config import FetchSettings, SourceConfig
from scrapers.fetch import SharedHostGate
from scrapers.web import read_web_sources_sync


def fetch_all(
    db: Database, sources: list[SourceConfig], settings: FetchSettings, watch_terms: Sequence[str],
    zone: str = "Asia/Seoul",
    shared_gate: SharedHostGate | None = None,
) -> list[SourceResult]:
    """Read every web source once (concurrently, politely) from its remembered state; one result per source.

    Never raises for one bad source: its result carries the failure. Search sources without queries of their own
    search for `watch_terms` (the watchlist companies' main names).
    """
    if not sources:
        return []
    with db.session() as session:
        states = load_states(session, [s.name for s in sources])
    try:
        return read_web_sources_sync(sources, settings, states, watch_terms=list(watch_terms), zone=zone,
                                     shared_gate=shared_gate)
    except Exception as exc:  # the reader reports per source; this is only a last guard for the flow
        reason = f"web sources could not be read: unexpected {type(exc).__name__}: {exc}"
        return [SourceResult(source=s.name, kind=s.kind, failure=SourceError(s.name, s.url or "", reason))
                for s in sources]


def record_health(db: Database, results: list[SourceResult], failures_before_alert: int) -> list[str]:
    """Store each source's new state and health; return a notice for each source whose failure streak just reached
    `failures_before_alert` (once per streak), naming the source, its URL and the reason."""
    now = datetime.now(timezone.utc)
    notices: list[str] = []
    with db.session() as session:
        for result in results:
            if result.failure is None:
                record_success(session, result.source, result.kind, result.state, now)
                continue
            failure = result.failure
            if record_failure(session, result.source, result.kind, str(failure), now, failures_before_alert):
                notices.append(
                    f"Source {result.source!r} has failed {failures_before_alert} times in a row: "
                    f"{failure.where or '(no URL)'}: {failure.reason}"
                )
    return notices
