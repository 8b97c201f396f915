"""Reads the dedupe stage needs from storage: recent articles' signatures and text, to rebuild its index at start."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from models.tables import Article


@dataclass(frozen=True, slots=True)
class DedupeRow:
    """One stored article as the dedupe index is rebuilt from it (satisfies `dedupe.batch.StoredRow`)."""

    id: int
    title: str
    body: str
    published_at: datetime | None
    minhash: bytes | None
    duplicate_of_id: int | None
    story_key: str | None


def recent_for_dedupe(session: Session, since: datetime, *, batch_size: int = 1000) -> Iterator[DedupeRow]:
    """Articles published since `since` (or, with no published time, fetched since then), oldest id first, streamed
    in chunks of `batch_size` rows so a rebuild never holds every body at once."""
    stmt = (
        select(
            Article.id,
            Article.title,
            Article.body,
            Article.published_at,
            Article.minhash,
            Article.duplicate_of_id,
            Article.story_key,
        )
        .where(
            or_(
                Article.published_at >= since,
                and_(Article.published_at.is_(None), Article.fetched_at >= since),
            )
        )
        .order_by(Article.id)
        .execution_options(yield_per=batch_size)
    )
    for row in session.execute(stmt):
        yield DedupeRow(*row)
