"""Queries for web sources' memory between polls: conditional-GET validators, items already read, and health."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.articles_store import ensure_source
from models.tables import SourceRow
from newsmon.records import SourceState


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """How a source has fared lately, as stored."""

    name: str
    consecutive_failures: int
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    failure_alerted_at: datetime | None


def load_states(session: Session, names: Iterable[str]) -> dict[str, SourceState]:
    """The remembered state of each named source that has one; a source never read is absent."""
    names = list(names)
    if not names:
        return {}
    rows = session.scalars(select(SourceRow).where(SourceRow.name.in_(names)))
    return {
        row.name: SourceState(etag=row.etag, last_modified=row.last_modified, seen_items=tuple(row.seen_items or ()))
        for row in rows
    }


def record_success(session: Session, name: str, kind: str, state: SourceState | None, when: datetime) -> None:
    """A poll that read the source (a 304 included): keep its new state, end any failure streak."""
    row = ensure_source(session, name, kind)
    if state is not None:
        row.etag = state.etag
        row.last_modified = state.last_modified
        row.seen_items = list(state.seen_items)
    row.last_success_at = when
    row.consecutive_failures = 0
    row.failure_alerted_at = None


def record_failure(session: Session, name: str, kind: str, error: str, when: datetime, alert_after: int) -> bool:
    """A poll that could not read the source; the stored state is kept for the next try.

    Returns True exactly once per failure streak: on the poll where the streak reaches `alert_after` failures in a
    row (or any later one, if that poll's notice was never marked), and marks the streak as told.
    """
    row = ensure_source(session, name, kind)
    row.last_error = error
    row.last_error_at = when
    row.consecutive_failures = (row.consecutive_failures or 0) + 1
    if row.consecutive_failures >= alert_after and row.failure_alerted_at is None:
        row.failure_alerted_at = when
        return True
    return False


def source_health(session: Session, name: str) -> SourceHealth | None:
    row = session.scalar(select(SourceRow).where(SourceRow.name == name))
    if row is None:
        return None
    return SourceHealth(
        name=row.name,
        consecutive_failures=row.consecutive_failures or 0,
        last_success_at=row.last_success_at,
        last_error=row.last_error,
        last_error_at=row.last_error_at,
        failure_alerted_at=row.failure_alerted_at,
    )
