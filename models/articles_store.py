"""Queries for articles and their tags: what is already stored, idempotent inserts, export and backfill reads."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from models.db import IN_LIST_SIZE
from models.tables import ArticleRow, SourceRow, TagRow, utcnow
from newsmon.batching import batched
from newsmon.bounds import MAX_EVIDENCE_CHARS, MAX_URL_CHARS, shorten
from newsmon.records import Article, Tag


@dataclass(frozen=True, slots=True)
class NewArticle:
    """An article ready to store, with its dedupe keys and tags."""

    record: Article
    canonical_url: str | None
    content_hash: str
    tags: Sequence[Tag]
    duplicate_of_id: int | None = None
    story_key: str | None = None
    minhash: bytes | None = None


def ensure_source(session: Session, name: str, kind: str) -> SourceRow:
    source = session.scalar(select(SourceRow).where(SourceRow.name == name))
    if source is None:
        try:
            with session.begin_nested():
                source = SourceRow(name=name, kind=kind)
                session.add(source)
        except IntegrityError:  # created by a concurrent run
            source = session.scalar(select(SourceRow).where(SourceRow.name == name))
            assert source is not None
    return source


@dataclass(frozen=True, slots=True)
class StoredText:
    """The first stored article with a given text: the kept copy an exact copy at another URL points at."""

    kept_id: int
    story_key: str | None
    minhash: bytes | None


def stored_keys(session: Session, urls: Iterable[str], hashes: Iterable[str]) -> tuple[set[str], dict[str, StoredText]]:
    """Which of these canonical URLs are already stored, and for each of these content hashes already stored, its
    first article's kept copy (itself unless it is a near-duplicate)."""
    urls, hashes = list(set(urls)), list(set(hashes))
    found_urls: set[str] = set()
    found_texts: dict[str, StoredText] = {}
    for chunk in batched(urls, IN_LIST_SIZE):
        found_urls.update(session.scalars(select(ArticleRow.canonical_url).where(ArticleRow.canonical_url.in_(chunk))))
    for chunk in batched(hashes, IN_LIST_SIZE):
        stmt = select(ArticleRow.content_hash, ArticleRow.id, ArticleRow.duplicate_of_id, ArticleRow.story_key,
                      ArticleRow.minhash).where(ArticleRow.content_hash.in_(chunk))
        for digest, row_id, kept, story_key, minhash in session.execute(stmt):
            found_texts[digest] = StoredText(kept or row_id, story_key, minhash)
    return found_urls, found_texts


def _values(source_id: int, item: NewArticle, fetched_at: datetime) -> dict[str, Any]:
    r = item.record
    return {
        "source_id": source_id,
        "external_id": r.external_id,
        "url": r.url,
        # Percent-encoding can make a URL's canonical form longer than the column; such an article is then kept by its
        # text hash alone.
        "canonical_url": (item.canonical_url if item.canonical_url and len(item.canonical_url) <= MAX_URL_CHARS
                          else None),
        "content_hash": item.content_hash,
        "title": r.title,
        "body": r.body,
        "publisher": r.publisher,
        "author": r.author,
        "published_at": r.published_at,
        "fetched_at": fetched_at,
        "duplicate_of_id": item.duplicate_of_id,
        "story_key": item.story_key,
        "minhash": item.minhash,
    }


def _tag_values(article_id: int, item: NewArticle) -> list[dict[str, Any]]:
    return [{"article_id": article_id, "kind": t.kind, "label": t.label, "score": t.score,
             "evidence": shorten(t.evidence, MAX_EVIDENCE_CHARS), "terms": list(t.terms)} for t in item.tags]


def _insert_rows(session: Session, source_id: int, items: Sequence[NewArticle]) -> list[int]:
    """One multi-row INSERT of the articles (ids back in input order), one of their tags. Core statements, not ORM
    objects: storing is the load path's largest stage, and building and flushing a unit of work per row cost as much
    as SQLite's own work (search-index triggers included)."""
    fetched_at = utcnow()
    ids = list(session.scalars(
        insert(ArticleRow).returning(ArticleRow.id, sort_by_parameter_order=True),
        [_values(source_id, item, fetched_at) for item in items],
    ))
    tags = [value for article_id, item in zip(ids, items, strict=True) for value in _tag_values(article_id, item)]
    if tags:
        session.execute(insert(TagRow), tags)
    return ids


def insert_articles(session: Session, source_id: int, items: Sequence[NewArticle]) -> list[int | None]:
    """Insert articles with their tags; one already stored (same URL or text, e.g. by a concurrent run) is skipped.
    Returns the stored id of each item in input order, None for the skipped ones."""
    if not items:
        return []
    try:
        with session.begin_nested():
            return list(_insert_rows(session, source_id, items))
    except IntegrityError:
        pass
    ids: list[int | None] = []
    for item in items:  # slow path: a concurrent writer stored some of these first
        try:
            with session.begin_nested():
                ids.extend(_insert_rows(session, source_id, [item]))
        except IntegrityError:
            ids.append(None)
    return ids


@dataclass(frozen=True, slots=True)
class ExportRow:
    """A stored article as `newsmon export` prints it; `kept_*` name the kept copy of a near-duplicate."""

    id: int
    external_id: str | None
    url: str | None
    title: str
    publisher: str | None
    story_key: str | None
    duplicate_of_id: int | None
    kept_external_id: str | None
    companies: list[str]
    topics: list[str]

    def as_record(self) -> dict[str, Any]:
        """The line `newsmon export` prints: `id` is the input's own id when it had one (else the database id), and
        `duplicate_of` names the kept copy the same way."""
        kept = None
        if self.duplicate_of_id is not None:
            kept = self.kept_external_id or str(self.duplicate_of_id)
        return {
            "id": self.external_id or str(self.id),
            "url": self.url,
            "title": self.title,
            "publisher": self.publisher,
            "companies": self.companies,
            "topics": self.topics,
            "duplicate_of": kept,
            "story": self.story_key,
        }


def iter_export(session: Session, batch: int = 1000) -> Iterator[ExportRow]:
    """Every stored article with its tag labels and its kept copy's ids, oldest first, read `batch` rows at a time."""
    kept = aliased(ArticleRow)
    stmt = (
        select(ArticleRow.id, ArticleRow.external_id, ArticleRow.url, ArticleRow.title, ArticleRow.publisher,
               ArticleRow.story_key, ArticleRow.duplicate_of_id, kept.external_id)
        .outerjoin(kept, kept.id == ArticleRow.duplicate_of_id)
        .order_by(ArticleRow.id)
    )
    last = 0
    while True:
        rows = session.execute(stmt.where(ArticleRow.id > last).limit(batch)).all()
        if not rows:
            return
        labels: dict[int, tuple[list[str], list[str]]] = {r[0]: ([], []) for r in rows}
        tag_rows = session.execute(
            select(TagRow.article_id, TagRow.kind, TagRow.label)
            .where(TagRow.article_id.in_(list(labels)))
            .order_by(TagRow.label)
        )
        for article_id, kind, label in tag_rows:
            labels[article_id][0 if kind == "company" else 1].append(label)
        for r in rows:
            companies, topics = labels[r[0]]
            yield ExportRow(*r, companies=companies, topics=topics)
        last = rows[-1][0]

