"""Reads the dedupe stage needs from storage: recent articles' signatures and text, to rebuild its index at start."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models.tables import Article, Tag
from newsmon.records import Tag as TagRecord


@dataclass(frozen=True, slots=True)
class DedupeRow:
    """One stored article as the dedupe index is rebuilt from it (satisfies `dedupe.batch.StoredRow`)."""

    id: int
    title: str
    body: str
    published_at: datetime | None
    publisher: str | None
    minhash: bytes | None
    duplicate_of_id: int | None
    story_key: str | None


def recent_for_dedupe(
    session: Session, since: datetime, *, after_id: int = 0, batch_size: int = 1000
) -> Iterator[DedupeRow]:
    """Articles published or stored since `since` with an id above `after_id`, oldest id first, streamed in chunks of
    `batch_size` rows so a rebuild never holds every body at once. Stored time counts too, so an archive loaded today
    (published last year) is still a candidate for what is loaded next."""
    stmt = (
        select(
            Article.id,
            Article.title,
            Article.body,
            Article.published_at,
            Article.publisher,
            Article.minhash,
            Article.duplicate_of_id,
            Article.story_key,
        )
        .where(Article.id > after_id, or_(Article.published_at >= since, Article.fetched_at >= since))
        .order_by(Article.id)
        .execution_options(yield_per=batch_size)
    )
    for row in session.execute(stmt):
        published = row.published_at
        if published is not None and published.tzinfo is None:  # SQLite hands back the stored UTC time naive
            published = published.replace(tzinfo=timezone.utc)
        yield DedupeRow(row.id, row.title, row.body, published, row.publisher, row.minhash, row.duplicate_of_id,
                        row.story_key)


def tags_of(session: Session, article_ids: Sequence[int]) -> dict[int, list[TagRecord]]:
    """The stored tags of these articles (to copy onto their near-duplicates)."""
    found: dict[int, list[TagRecord]] = {i: [] for i in article_ids}
    ids = list(found)
    for start in range(0, len(ids), 500):
        stmt = select(Tag).where(Tag.article_id.in_(ids[start : start + 500])).order_by(Tag.id)
        for tag in session.scalars(stmt):
            record = TagRecord(kind=tag.kind, label=tag.label, score=tag.score,  # type: ignore[arg-type]
                               evidence=tag.evidence, terms=tuple(tag.terms or ()))
            found[tag.article_id].append(record)
    return found
