"""Runs one source's records through exact dedupe, near-dedupe, tagging and storage: plain functions the flows call."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from dedupe.exact import canonical_url, content_hash
from models.articles_store import NewArticle, ensure_source, insert_articles, stored_keys
from models.db import Database
from newsmon.records import Article, SourceError, Tag
from scrapers.base import SourceResult

log = logging.getLogger(__name__)


class ArticleTagger(Protocol):
    def tag_many(self, articles: Sequence[Article]) -> list[list[Tag]]: ...


@dataclass(slots=True)
class IngestReport:
    """What storing one source's records did; `new_ids` are the stored rows, for the digest."""

    source: str
    read: int = 0
    new: int = 0
    already_stored: int = 0
    repeated_in_batch: int = 0
    out_of_range: int = 0
    near_duplicates: int = 0
    new_ids: list[int] = field(default_factory=list)
    errors: list[SourceError] = field(default_factory=list)
    failure: SourceError | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        if self.failure:
            return f"{self.source}: FAILED: {self.failure.reason}"
        parts = [f"{self.read} read", f"{self.new} new", f"{self.already_stored + self.repeated_in_batch} already seen"]
        if self.near_duplicates:
            parts.append(f"{self.near_duplicates} near-duplicates")
        if self.out_of_range:
            parts.append(f"{self.out_of_range} outside the date range")
        if self.errors:
            parts.append(f"{len(self.errors)} skipped with errors")
        return f"{self.source}: " + ", ".join(parts)


@dataclass(frozen=True, slots=True)
class DateRange:
    """A half-open range [since, until) of published times; articles with no published time fall outside it."""

    since: datetime
    until: datetime

    def __contains__(self, when: datetime | None) -> bool:
        return when is not None and self.since <= when < self.until


def keys_of(article: Article) -> tuple[str | None, str]:
    return (canonical_url(article.url) if article.url else None), content_hash(article.title, article.body)


def drop_exact_duplicates(
    articles: Sequence[Article], stored_urls: set[str], stored_hashes: set[str]
) -> tuple[list[tuple[Article, str | None, str]], int, int]:
    """Keep the first of each URL/text within the batch and none already stored.
    Returns (kept with keys, how many were already stored, how many repeated within the batch)."""
    kept: list[tuple[Article, str | None, str]] = []
    seen_urls: set[str] = set()
    seen_hashes: set[str] = set()
    already = repeated = 0
    for article in articles:
        url, digest = keys_of(article)
        if (url and url in stored_urls) or digest in stored_hashes:
            already += 1
        elif (url and url in seen_urls) or digest in seen_hashes:
            repeated += 1
        else:
            kept.append((article, url, digest))
            if url:
                seen_urls.add(url)
            seen_hashes.add(digest)
    return kept, already, repeated


def store_source_result(
    db: Database,
    tagger: ArticleTagger,
    result: SourceResult,
    *,
    kind: str,
    date_range: DateRange | None = None,
) -> IngestReport:
    """Dedupe, tag and store what one source produced. Idempotent: storing the same records again adds nothing."""
    report = IngestReport(source=result.source, errors=list(result.errors), failure=result.failure)
    articles = result.articles
    if date_range is not None:
        in_range = [a for a in articles if a.published_at in date_range]
        report.out_of_range = len(articles) - len(in_range)
        articles = in_range
    report.read = len(result.articles)
    if not articles:
        return report

    started = time.perf_counter()
    with db.session() as session:
        keys = [keys_of(a) for a in articles]
        urls, hashes = stored_keys(session, [u for u, _ in keys if u], [h for _, h in keys])
    kept, report.already_stored, report.repeated_in_batch = drop_exact_duplicates(articles, urls, hashes)
    report.seconds["dedupe"] = time.perf_counter() - started
    if not kept:
        return report

    started = time.perf_counter()
    tags = tagger.tag_many([article for article, _, _ in kept])
    report.seconds["tag"] = time.perf_counter() - started

    started = time.perf_counter()
    items = [NewArticle(record=a, canonical_url=u, content_hash=h, tags=t) for (a, u, h), t in zip(kept, tags)]
    with db.session() as session:
        source = ensure_source(session, result.source, kind)
        report.new_ids = insert_articles(session, source.id, items)
    report.new = len(report.new_ids)
    report.already_stored += len(items) - report.new
    report.seconds["store"] = time.perf_counter() - started
    return report
