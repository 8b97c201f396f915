"""Queries for backfill progress: which days of a source are finished, and recording a day once it has been read."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models.tables import BackfillDayRow, utcnow
from newsmon.records import BackfillDay

# Errors kept with a day (the summary reports them all when they happen; the row keeps a sample).
ERRORS_KEPT = 20


def finished_days(session: Session, source: str, days: Iterable[date]) -> dict[date, BackfillDay]:
    """The days among `days` that an earlier backfill of `source` finished, with what it recorded for each."""
    days = list(days)
    if not days:
        return {}
    rows = session.scalars(select(BackfillDayRow).where(
        BackfillDayRow.source == source, BackfillDayRow.finished.is_(True),
        BackfillDayRow.day >= min(days), BackfillDayRow.day <= max(days)))
    wanted = set(days)
    return {row.day: BackfillDay(source=source, day=row.day, found=row.found, stored=row.stored, known=row.known,
                                 failed=row.failed, capped=row.capped, pages=row.pages, finished=True, earlier=True)
            for row in rows if row.day in wanted}


def record_day(session: Session, day: BackfillDay) -> None:
    """Record (or replace) what reading `day.day` of `day.source` did."""
    session.execute(delete(BackfillDayRow).where(BackfillDayRow.source == day.source, BackfillDayRow.day == day.day))
    errors = "\n".join(f"{e.where}: {e.reason}" for e in day.errors[:ERRORS_KEPT]) or None
    session.add(BackfillDayRow(source=day.source, day=day.day, finished=day.finished, found=day.found,
                               stored=day.stored, known=day.known, failed=day.failed, capped=day.capped,
                               pages=day.pages, errors=errors, read_at=utcnow()))
