"""Reads the dedupe stage needs from storage: recent articles' signatures and text, to rebuild its index at start."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models.db import IN_LIST_SIZE
from models.tables import ArticleRow, TagRow
from newsmon.batching import batched
from newsmon.records import Tag


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
            ArticleRow.id,
            ArticleRow.title,
            ArticleRow.body,
            ArticleRow.published_at,
            ArticleRow.publisher,
            ArticleRow.minhash,
            ArticleRow.duplicate_of_id,
            ArticleRow.story_key,
        )
        .where(ArticleRow.id > after_id, or_(ArticleRow.published_at >= since, ArticleRow.fetched_at >= since))
        .order_by(ArticleRow.id)
        .execution_options(yield_per=batch_size)
    )
    for row in session.execute(stmt):
        yield DedupeRow(row.id, row.title, row.body, row.published_at, row.publisher, row.minhash, row.duplicate_of_id,
                        row.story_key)


def tags_of(session: Session, article_ids: Sequence[int]) -> dict[int, list[Tag]]:
    """The stored tags of these articles (to copy onto their near-duplicates)."""
    found: dict[int, list[Tag]] = {i: [] for i in article_ids}
    for chunk in batched(list(found), IN_LIST_SIZE):
        stmt = select(TagRow).where(TagRow.article_id.in_(chunk)).order_by(TagRow.id)
        for tag in session.scalars(stmt):
            record = Tag(kind=tag.kind, label=tag.label, score=tag.score,  # type: ignore[arg-type]
                         evidence=tag.evidence, terms=tuple(tag.terms or ()))
            found[tag.article_id].append(record)
    return found


def placements_of(session: Session, external_ids: Sequence[str]) -> dict[str, tuple[int, str | None]]:
    """Where each of these input ids was stored: (its kept copy's id, or its own when it is one; its story key). An
    id stored more than once (by two sources) is taken at its first row."""
    found: dict[str, tuple[int, str | None]] = {}
    for chunk in batched(sorted(set(external_ids)), IN_LIST_SIZE):
        stmt = (select(ArticleRow.external_id, ArticleRow.id, ArticleRow.duplicate_of_id, ArticleRow.story_key)
                .where(ArticleRow.external_id.in_(chunk)).order_by(ArticleRow.id))
        for external_id, row_id, kept, story_key in session.execute(stmt):
            found.setdefault(external_id, (kept or row_id, story_key))
    return found
