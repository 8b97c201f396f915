"""Runs one source's records through exact dedupe, near-dedupe, tagging and storage: plain functions the flows call."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from dedupe.batch import Decision, dedupe_batch
from dedupe.exact import canonical_url, content_hash, copy_hash
from dedupe.stories import new_story_key
from ingest.context import ArticleTagger, IngestContext, PrefetchingTagger
from models.articles_store import NewArticle, StoredText, ensure_source, insert_articles, stored_keys
from models.db import Database
from models.dedupe_store import tags_of
from newsmon.batching import batched
from newsmon.stopping import raise_if_stopping
from newsmon.bounds import bounded
from newsmon.records import Article, SourceError, SourceResult, Tag

log = logging.getLogger(__name__)

# The reason an exact copy at another URL is stored as a duplicate.
EXACT_COPY = "exact copy"
# Articles decided, tagged and stored per transaction: bounds memory and the work a failure throws away.
BATCH_SIZE = 500


@dataclass(slots=True)
class IngestReport:
    """What storing one source's records did; `new_ids` are the stored rows (near-duplicates included), for the
    digest. `seconds` splits the time by stage: exact, near, tag, store."""

    source: str
    read: int = 0
    new: int = 0
    already_stored: int = 0
    repeated_in_batch: int = 0
    out_of_range: int = 0
    # Left out of a date range because they carry no published time (undated files, pages that state none).
    undated: int = 0
    near_duplicates: int = 0
    exact_copies: int = 0
    joined_stories: int = 0
    tagged: int = 0
    new_ids: list[int] = field(default_factory=list)
    errors: list[SourceError] = field(default_factory=list)
    failure: SourceError | None = None
    # The source answered 304 to a conditional GET: nothing to read, which is a success.
    not_modified: bool = False
    seconds: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        if self.failure:
            # What was read (the resolved path, the URL), unless the source is known by it already.
            where = self.failure.where
            shown = f"{where}: " if where and where != self.source else ""
            return f"{self.source}: FAILED: {shown}{self.failure.reason}"
        if self.not_modified and not self.read:
            return f"{self.source}: not modified since the last poll"
        parts = [f"{self.read} read", f"{self.new} new", f"{self.already_stored + self.repeated_in_batch} already seen"]
        if self.near_duplicates:
            parts.append(f"{self.near_duplicates} of the new are near-duplicates")
        if self.exact_copies:
            parts.append(f"{self.exact_copies} exact copies at another URL")
        if self.out_of_range:
            parts.append(f"{self.out_of_range} outside the date range")
        if self.undated:
            parts.append(f"{self.undated} without a published time, so outside any date range")
        if self.errors:
            parts.append(f"{len(self.errors)} skipped with errors")
        return f"{self.source}: " + ", ".join(parts)

    def merge(self, other: "IngestReport") -> None:
        """Add another report of the same source (a later chunk of one file, say) to this one."""
        for name in ("read", "new", "already_stored", "repeated_in_batch", "out_of_range", "undated", "near_duplicates",
                     "exact_copies", "joined_stories", "tagged"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.new_ids.extend(other.new_ids)
        self.errors.extend(other.errors)
        self.failure = self.failure or other.failure
        for stage, seconds in other.seconds.items():
            self._time(stage, seconds)

    def _time(self, stage: str, seconds: float) -> None:
        self.seconds[stage] = self.seconds.get(stage, 0.0) + seconds


@dataclass(frozen=True, slots=True)
class DateRange:
    """A half-open range [since, until) of published times; articles with no published time fall outside it."""

    since: datetime
    until: datetime

    def __contains__(self, when: datetime | None) -> bool:
        return when is not None and self.since <= when < self.until

    @classmethod
    def days(cls, since: date, until: date, zone: str) -> DateRange:
        """Whole days in `zone`: `since` 00:00 to the end of `until` (inclusive)."""
        tz, midnight = ZoneInfo(zone), datetime.min.time()
        return cls(datetime.combine(since, midnight, tz), datetime.combine(until + timedelta(days=1), midnight, tz))


def keys_of(article: Article, text_hash: str | None = None) -> tuple[str | None, str]:
    """An article's canonical URL (None without a URL) and text hash (`text_hash` when a worker computed it)."""
    return url_key(article), text_hash or content_hash(article.title, article.body)


def url_key(article: Article) -> str | None:
    return canonical_url(article.url) if article.url else None


@dataclass(slots=True)
class ExactSplit:
    """A batch after exact dedupe: `new` articles for near-dedupe (with their canonical URL and text hash), `copies`
    of a text already stored or earlier in the batch at another URL (with the URL, their own stored text key and
    what they copy: the stored first copy, or the position in `new` of the first), and how many were dropped."""

    new: list[tuple[Article, str | None, str]]
    copies: list[tuple[Article, str, str, StoredText | int]]
    already: int
    repeated: int


def split_exact_duplicates(
    articles: Sequence[Article], keys: Sequence[tuple[str | None, str]], stored_urls: set[str],
    stored_texts: dict[str, StoredText],
) -> ExactSplit:
    """Drop what is already stored or repeated in the batch under the same canonical URL; an article of another URL
    whose text is stored (or earlier in the batch) is an exact copy, to be stored as a duplicate of the first, so
    every outlet that carried it stays on record. An article with no URL is known by its text alone: a stored text
    means it is stored. `keys[i]` is `keys_of(articles[i])`."""
    split = ExactSplit([], [], 0, 0)
    seen_urls: set[str] = set()
    first_of_text: dict[str, int] = {}  # text hash -> position in split.new
    for article, (url, digest) in zip(articles, keys, strict=True):
        if url and url in stored_urls:
            split.already += 1
        elif url and url in seen_urls:
            split.repeated += 1
        elif digest in stored_texts or digest in first_of_text:
            if not url:
                split.already += digest in stored_texts
                split.repeated += digest not in stored_texts
                continue
            seen_urls.add(url)
            first = stored_texts.get(digest)
            split.copies.append((article, url, copy_hash(digest, url), first if first else first_of_text[digest]))
        else:
            first_of_text[digest] = len(split.new)
            split.new.append((article, url, digest))
            if url:
                seen_urls.add(url)
    return split


def copy_decisions(copies: ExactSplit, decisions: Sequence[Decision]) -> list[Decision]:
    """Each exact copy's decision: a duplicate of its first copy's kept copy, in its story, with its signature."""
    out = []
    for article, _, _, first in copies.copies:
        if isinstance(first, StoredText):
            story = first.story_key or new_story_key(article.title, "", article.published_at)
            out.append(Decision(first.minhash or b"", story, duplicate_of_id=first.kept_id, reason=EXACT_COPY))
            continue
        d = decisions[first]
        if d.is_duplicate:
            out.append(Decision(d.signature, d.story_key, duplicate_of_id=d.duplicate_of_id,
                                duplicate_of_index=d.duplicate_of_index, reason=EXACT_COPY))
        else:
            out.append(Decision(d.signature, d.story_key, duplicate_of_index=first, reason=EXACT_COPY))
    return out


def not_yet_stored(db: Database, articles: Sequence[Article]) -> list[Article]:
    """The articles (field bounds applied, as they will be stored) whose canonical URL is not stored yet: what a
    parallel tagger may start on ahead of the pipeline. A superset of what the pipeline will tag (it also drops
    repeats, texts stored under another URL and near-duplicates), never less. The text hash is left to the workers
    (`PrefetchingTagger.text_hashes`): normalising every body was the reading process's largest cost after the
    decisions."""
    records = [bounded(a) for a in articles]
    urls = [url_key(a) for a in records]
    with db.session() as session:
        stored, _ = stored_keys(session, [u for u in urls if u], [])
    return [a for a, url in zip(records, urls, strict=True) if not (url and url in stored)]


def store_source_result(
    context: IngestContext, result: SourceResult, *, date_range: DateRange | None = None
) -> IngestReport:
    """Dedupe, tag and store what one source produced. Idempotent: storing the same records again adds nothing.

    An article of a canonical URL already stored (or a text already stored, for one with no URL) is not stored; an
    exact copy at another URL and near-duplicates are stored pointing at the kept copy and carry its tags (copied,
    not recomputed); every stored article gets a story key. The tagger is called only when something new is not a
    near-duplicate."""
    report = IngestReport(source=result.source, errors=list(result.errors), failure=result.failure,
                          not_modified=result.not_modified)
    # Every field within its bound before anything is keyed, tagged or stored (newsmon/bounds.py).
    articles = [bounded(a) for a in result.articles]
    if date_range is not None:
        in_range = [a for a in articles if a.published_at in date_range]
        report.undated = sum(1 for a in articles if a.published_at is None)
        report.out_of_range = len(articles) - len(in_range) - report.undated
        articles = in_range
    report.read = len(result.articles)
    for batch in batched(articles, BATCH_SIZE):
        raise_if_stopping()
        _store_batch(context, result.source, result.kind, batch, report)
    report.new = len(report.new_ids)
    return report


def _store_batch(
    context: IngestContext, source_name: str, kind: str, articles: Sequence[Article], report: IngestReport
) -> None:
    db, stored_index = context.db, context.index
    with stored_index.lock:
        started = time.perf_counter()
        tagger = context.tagger
        # Text hashes computed by the worker processes, where they are (`--jobs N`).
        known = tagger.text_hashes(articles) if isinstance(tagger, PrefetchingTagger) else [None] * len(articles)
        with db.session() as session:
            keys = [keys_of(a, h) for a, h in zip(articles, known, strict=True)]
            urls, texts = stored_keys(session, [u for u, _ in keys if u], [h for _, h in keys])
        split = split_exact_duplicates(articles, keys, urls, texts)
        report.already_stored += split.already
        report.repeated_in_batch += split.repeated
        report._time("exact", time.perf_counter() - started)
        if not split.new and not split.copies:
            return

        started = time.perf_counter()
        index = stored_index.current()
        records = [article for article, _, _ in split.new]
        # Features and MinHash values prepared by the worker processes that tag, where they are (`--jobs N`).
        prepared = tagger.prepared_texts(records) if isinstance(tagger, PrefetchingTagger) else None
        try:
            decisions = dedupe_batch(records, index, prepared)
        except BaseException:
            index.rollback()
            raise
        # Exact copies go after the new articles (a copy may point at one by position) and never into the index:
        # the index finds their first copy, which holds the same text.
        decisions += copy_decisions(split, decisions)
        records += [article for article, _, _, _ in split.copies]
        stored_items = split.new + [(article, url, key) for article, url, key, _ in split.copies]
        report._time("near", time.perf_counter() - started)

        try:
            tags = _tags(db, context.tagger, records, decisions, report)
            started = time.perf_counter()
            ids = _insert(db, source_name, kind, stored_items, decisions, tags)
            report._time("store", time.perf_counter() - started)
            if context.search is not None:  # a bulk load: the full-text index follows in its own thread
                context.search.wake()
        except BaseException:
            index.rollback()
            raise
        index.commit(ids[: len(split.new)])
        stored_index.stored(ids)

    stored = [(i, d) for i, d in zip(ids, decisions) if i is not None]
    report.new_ids.extend(i for i, _ in stored)
    report.already_stored += len(ids) - len(stored)  # stored first by a concurrent writer
    report.exact_copies += sum(1 for i, d in stored if d.reason == EXACT_COPY)
    report.near_duplicates += sum(1 for i, d in stored if d.is_duplicate and d.reason != EXACT_COPY)


def _tags(
    db: Database, tagger: ArticleTagger, records: list[Article], decisions: list[Decision], report: IngestReport
) -> list[list[Tag]]:
    """Tags for each article: computed for the kept copies, copied from the kept copy for near-duplicates (a copy of
    one text tags alike, and a truncated feed item is better tagged by its full text). A near-duplicate with much
    more text than its kept copy (the full article after its truncated feed item) is tagged itself."""
    started = time.perf_counter()
    fresh = [i for i, d in enumerate(decisions) if not d.is_duplicate or d.fuller]
    tags: list[list[Tag]] = [[] for _ in records]
    if fresh:
        for i, found in zip(fresh, tagger.tag_many([records[i] for i in fresh])):
            tags[i] = list(found)
    report.tagged += len(fresh)
    report._time("tag", time.perf_counter() - started)
    stored_kept = sorted({d.duplicate_of_id for d in decisions if d.duplicate_of_id is not None and not d.fuller})
    copied: dict[int, list[Tag]] = {}
    if stored_kept:
        with db.session() as session:
            copied = tags_of(session, stored_kept)
    for i, d in enumerate(decisions):
        if d.fuller:
            continue
        if d.duplicate_of_index is not None:
            tags[i] = tags[d.duplicate_of_index]
        elif d.duplicate_of_id is not None:
            tags[i] = copied.get(d.duplicate_of_id, [])
    return tags


def _insert(
    db: Database,
    source_name: str,
    kind: str,
    kept: list[tuple[Article, str | None, str]],
    decisions: list[Decision],
    tags: list[list[Tag]],
) -> list[int | None]:
    """Store the batch in one transaction: kept copies (and duplicates of stored articles) first, then duplicates of
    articles of this batch, which need their kept copy's new id. Returns each article's id (None: not stored)."""

    def item(i: int, duplicate_of_id: int | None) -> NewArticle:
        article, url, digest = kept[i]
        d = decisions[i]
        return NewArticle(record=article, canonical_url=url, content_hash=digest, tags=tags[i],
                          duplicate_of_id=duplicate_of_id, story_key=d.story_key, minhash=d.signature or None)

    ids: list[int | None] = [None] * len(kept)
    first = [i for i, d in enumerate(decisions) if d.duplicate_of_index is None]
    second = [i for i, d in enumerate(decisions) if d.duplicate_of_index is not None]
    with db.write_session() as session:
        source = ensure_source(session, source_name, kind)
        for i, stored_id in zip(first, insert_articles(session, source.id, [item(i, decisions[i].duplicate_of_id)
                                                                             for i in first])):
            ids[i] = stored_id
        if second:
            # A duplicate whose kept copy was stored first by a concurrent writer is stored as a kept copy itself.
            items = [item(i, ids[decisions[i].duplicate_of_index]) for i in second]  # type: ignore[index]
            for i, stored_id in zip(second, insert_articles(session, source.id, items)):
                ids[i] = stored_id
    return ids
