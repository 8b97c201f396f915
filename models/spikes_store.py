"""Spike alerts in SQL: when each story about a label was filed, the spikes already told, and recording a new one
with its notice in the outbox."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Integer, Select, String, cast, exists, func, literal, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from models import tables as t
from models.db import Database
from models.outbox import DigestDraft, record_digest

log = logging.getLogger("newsmon.alerts")


@dataclass(frozen=True, slots=True)
class StoryFiling:
    """A primary article about a label: its story, when it was filed, and how strongly it was tagged."""

    story: str
    article_id: int
    filed_at: datetime
    score: float


@dataclass(frozen=True, slots=True)
class SpikeState:
    id: int
    detected_at: datetime
    ended_at: datetime | None


def _label_rows(kind: str, label: str, *, since: datetime, until: datetime, min_score: float,
                include_outlets: Sequence[str], exclude_outlets: Sequence[str], columns: Sequence) -> Select:
    art = t.ArticleRow
    filed = _filed()
    outlet = func.coalesce(art.publisher, t.SourceRow.name)
    # One tag per article and label (uq_tags_article_kind_label): no grouping needed.
    query = (
        select(*columns)
        .join(t.TagRow, t.TagRow.article_id == art.id)
        .join(t.SourceRow, t.SourceRow.id == art.source_id)
        .where(t.TagRow.kind == kind, t.TagRow.label == label, t.TagRow.score >= min_score,
               art.duplicate_of_id.is_(None), filed >= since, filed < until)
    )
    if include_outlets:
        query = query.where(outlet.in_(list(include_outlets)))
    if exclude_outlets:
        query = query.where(outlet.not_in(list(exclude_outlets)))
    return query


def _filed():  # type: ignore[no-untyped-def]
    return func.coalesce(t.ArticleRow.published_at, t.ArticleRow.fetched_at)


def _story():  # type: ignore[no-untyped-def]
    art = t.ArticleRow
    return func.coalesce(art.story_key, literal("article:", String) + cast(art.id, String))


def label_filings(
    session: Session,
    kind: str,
    label: str,
    *,
    since: datetime,
    until: datetime,
    min_score: float = 0.0,
    include_outlets: Sequence[str] = (),
    exclude_outlets: Sequence[str] = (),
) -> list[StoryFiling]:
    """Primary articles (near-duplicates fold into the article they copy) tagged `kind`/`label` with at least
    `min_score`, filed (published, else stored) in [since, until), oldest first."""
    query = _label_rows(kind, label, since=since, until=until, min_score=min_score, include_outlets=include_outlets,
                        exclude_outlets=exclude_outlets,
                        columns=[_story(), t.ArticleRow.id, _filed(), t.TagRow.score])
    return [StoryFiling(*row) for row in session.execute(query.order_by(_filed(), t.ArticleRow.id))]


def stories_per_window(
    session: Session,
    kind: str,
    label: str,
    *,
    since: datetime,
    until: datetime,
    window: timedelta,
    min_score: float = 0.0,
    include_outlets: Sequence[str] = (),
    exclude_outlets: Sequence[str] = (),
) -> int:
    """The sum over the windows of `window` length from `since` up to `until` of the distinct stories filed in
    each (label_filings' articles), counted by the database: a baseline reads no rows into Python."""
    seconds = window.total_seconds()
    filed = _filed()
    if session.get_bind().dialect.name == "sqlite":
        # Stored as UTC text; whole seconds since the epoch, divided as integers (julianday's floating days put a
        # time on a window's edge into the window before).
        def epoch(x):  # type: ignore[no-untyped-def]
            return cast(func.strftime("%s", x), Integer)

        index = (epoch(filed) - epoch(since)) // int(seconds)
    else:
        index = func.floor(func.extract("epoch", filed - since) / seconds)
    pairs = _label_rows(kind, label, since=since, until=until, min_score=min_score, include_outlets=include_outlets,
                        exclude_outlets=exclude_outlets, columns=[index.label("w"), _story().label("story")]
                        ).distinct().subquery()
    return int(session.scalar(select(func.count()).select_from(pairs)) or 0)


def latest_spike(session: Session, subscription: str, kind: str, label: str) -> SpikeState | None:
    """The last spike told to `subscription` about this label, or None."""
    s = t.SpikeRow
    row = session.execute(
        select(s.id, s.detected_at, s.ended_at)
        .where(s.subscription == subscription, s.kind == kind, s.label == label)
        .order_by(s.detected_at.desc(), s.id.desc()).limit(1)
    ).first()
    return SpikeState(*row) if row else None


def end_spike(session: Session, spike_id: int, *, now: datetime) -> None:
    s = t.SpikeRow
    session.execute(update(s).where(s.id == spike_id, s.ended_at.is_(None)).values(ended_at=now)
                    .execution_options(synchronize_session=False))


@dataclass(frozen=True, slots=True)
class SpikeRecord:
    """What makes a spike, as stored with it."""

    subscription: str
    kind: str
    label: str
    detected_at: datetime
    window_start: datetime
    stories: int
    baseline: float
    threshold: float


def record_spike(db: Database, spike: SpikeRecord, notice: DigestDraft, *, channels: Sequence[str]) -> int | None:
    """Record the spike and its notice in the outbox (one pending delivery per channel; no digest entries, so the
    subscription's digests still carry these stories) in one transaction. Returns the notice's digest id, or None
    when another run recorded the same notice first (its key) or an open spike of this label already exists."""
    s = t.SpikeRow
    try:
        with db.session() as session:
            already_open = session.scalar(select(exists().where(
                s.subscription == spike.subscription, s.kind == spike.kind, s.label == spike.label,
                s.ended_at.is_(None))))
            if already_open:
                return None
            digest_id = record_digest(session, subscription=spike.subscription, key=notice.key, article_ids=(),
                                      channels=channels, content=notice.content, now=spike.detected_at)
            session.add(t.SpikeRow(subscription=spike.subscription, kind=spike.kind, label=spike.label,
                                   detected_at=spike.detected_at, window_start=spike.window_start,
                                   stories=spike.stories, baseline=spike.baseline, threshold=spike.threshold,
                                   digest_id=digest_id))
            return digest_id
    except (IntegrityError, OperationalError) as exc:
        if isinstance(exc, OperationalError) and "locked" not in str(exc).lower():
            raise
        log.info("subscription %s: another run recorded the %s spike notice first", spike.subscription, spike.label)
        return None
