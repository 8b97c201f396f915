"""The dedupe stage's entry point: one call decides a batch (near-duplicate of what, which story), one call confirms it.

    index = DedupeIndex.rebuild(rows)                 # at process start, rows from models.dedupe_store
    decisions = dedupe_batch(articles, index)         # before storing; articles may duplicate each other
    ...store, using d.signature, d.story_key, d.duplicate_of_id / ids[d.duplicate_of_index]...
    index.commit(ids)                                 # the stored id of each article (None: not stored)

Articles of the batch enter the index under provisional keys at once, so a later article of the same batch can
duplicate an earlier one; `commit` swaps those keys for the stored ids (or drops the articles that were not stored).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import numpy as np

from dedupe.features import TextFeatures, features, interned
from dedupe.near import DuplicateMatch, NearDuplicateIndex, Signer, fingerprint, unpack
from dedupe.settings import DedupeSettings
from dedupe.stories import StoryIndex, StoryTerms, new_story_key
from newsmon.errors import NewsmonError
from newsmon.records import Article


class DedupeStateError(NewsmonError):
    """The dedupe index was used out of order (a batch decided but never committed or rolled back)."""


@dataclass(frozen=True, slots=True)
class BatchKey:
    """The provisional index key of the `index`-th article of batch number `batch`, until it has a stored id."""

    batch: int
    index: int


@dataclass(frozen=True, slots=True)
class Decision:
    """What dedupe decided for one article of a batch.

    A near-duplicate has exactly one of `duplicate_of_id` (a stored article: the kept copy) or `duplicate_of_index`
    (an earlier article of the same batch, by position: the kept copy, stored in this run). `signature` goes to
    `articles.minhash`, `story_key` to `articles.story_key`; `reason` says why it is a duplicate. `fuller` marks a
    duplicate with much more text than its kept copy (the full article after its truncated feed item): tag it itself
    rather than copy the kept copy's tags."""

    signature: bytes
    story_key: str
    duplicate_of_id: int | None = None
    duplicate_of_index: int | None = None
    reason: str | None = None
    fuller: bool = False

    @property
    def is_duplicate(self) -> bool:
        return self.duplicate_of_id is not None or self.duplicate_of_index is not None


@dataclass(frozen=True, slots=True)
class PreparedText:
    """What deciding an article needs from its own text (its features and MinHash values), computed apart from the
    decision: in a worker process that also tags it (`newsmon load --jobs N`), while the deciding process, which
    must take the articles one by one in order, works on the batch before. The same values either way."""

    features: TextFeatures
    hashvalues: np.ndarray


def prepare_text(article: Article, signer: Signer) -> PreparedText:
    feats = features(article.title, article.body)
    return PreparedText(feats, signer.hashvalues(feats.core))


def received(prepared: PreparedText) -> PreparedText:
    """A prepared text unpickled from a worker, with its terms shared with the rest of the index again."""
    return PreparedText(interned(prepared.features), prepared.hashvalues)


class StoredRow(Protocol):
    """A stored article as `models.dedupe_store.recent_for_dedupe` yields it."""

    id: int
    title: str
    body: str
    published_at: datetime | None
    publisher: str | None
    minhash: bytes | None
    duplicate_of_id: int | None
    story_key: str | None


class DedupeIndex:
    """The near-duplicate index and the story index of recent articles, kept in step."""

    def __init__(self, settings: DedupeSettings | None = None) -> None:
        self.settings = settings or DedupeSettings()
        self.signer = Signer(self.settings)
        self.near = NearDuplicateIndex(self.settings)
        self.stories = StoryIndex(self.settings)
        self._batches = 0
        self._pending: list[BatchKey] = []
        self.resigned = 0  # stored rows whose signature was missing or of another shape, signed again at rebuild

    def __len__(self) -> int:
        return len(self.near)

    @classmethod
    def rebuild(cls, rows: Iterable[StoredRow], settings: DedupeSettings | None = None) -> "DedupeIndex":
        """An index of stored articles; `rows` in ascending id order, so kept copies come before their duplicates."""
        index = cls(settings)
        index.add_stored(rows)
        return index

    def add_stored(self, rows: Iterable[StoredRow]) -> int:
        """Index stored articles not indexed yet (stored by another process since the rebuild, say); `rows` in
        ascending id order. Returns how many were added."""
        if self._pending:
            raise DedupeStateError("dedupe index: stored rows cannot be added while a batch awaits its commit")
        added = 0
        for row in rows:
            if row.id in self.near:
                continue
            feats = features(row.title, row.body)
            hashvalues = unpack(row.minhash, self.settings.num_perm) if row.minhash else None
            if hashvalues is None:
                hashvalues = self.signer.hashvalues(feats.core)
                self.resigned += 1
            fp = fingerprint(feats, hashvalues, self.settings, row.published_at, row.publisher)
            kept = row.duplicate_of_id if row.duplicate_of_id in self.near else None
            story_key = row.story_key or new_story_key(row.title, feats.lead, row.published_at)
            self.near.add(row.id, fp, kept=kept, story_key=story_key)
            if kept is None:
                self.stories.add(row.id, _story_terms(feats, row.published_at), story_key)
            added += 1
        return added

    def decide(
        self, articles: Sequence[Article], prepared: Sequence[PreparedText | None] | None = None
    ) -> list[Decision]:
        """Decide the articles in order; `prepared[i]`, when given, is `prepare_text(articles[i], ...)` with this
        index's settings, computed elsewhere (None: compute it here)."""
        if prepared is not None and len(prepared) != len(articles):
            raise ValueError(f"dedupe index: {len(prepared)} prepared texts for {len(articles)} articles")
        if self._pending:
            raise DedupeStateError(
                f"dedupe index: the previous batch of {len(self._pending)} articles was neither committed nor rolled "
                "back; call index.commit(stored_ids) after storing it (or index.rollback())"
            )
        self._batches += 1
        decisions = []
        for i, article in enumerate(articles):
            key = BatchKey(self._batches, i)
            decisions.append(self._decide_one(key, article, prepared[i] if prepared is not None else None))
            self._pending.append(key)
        return decisions

    def _decide_one(self, key: BatchKey, article: Article, prepared: PreparedText | None) -> Decision:
        prepared = prepared or prepare_text(article, self.signer)
        feats = prepared.features
        fp = fingerprint(feats, prepared.hashvalues, self.settings, article.published_at, article.publisher)
        match, event = self.near.find_with_event(fp)
        if match is not None:
            story_key = self.near.story_of(match.kept) or new_story_key(article.title, feats.lead, article.published_at)
            self.near.add(key, fp, kept=match.kept, story_key=story_key)
            fuller = fp.size >= self.settings.fuller_ratio * max(1, match.kept_size)
            return _duplicate_decision(fp.signature, story_key, match, fuller)
        terms = _story_terms(feats, article.published_at)
        story_key = self.near.story_of(event) if event is not None else None
        if story_key is None:
            story = self.stories.match(terms)
            story_key = story.story_key if story else new_story_key(article.title, feats.lead, article.published_at)
        self.near.add(key, fp, story_key=story_key)
        self.stories.add(key, terms, story_key)
        return Decision(signature=fp.signature, story_key=story_key)

    def commit(self, ids: Sequence[int | None]) -> None:
        """After storing the last batch: `ids[i]` is the stored id of its i-th article, None when it was not stored."""
        if len(ids) != len(self._pending):
            raise DedupeStateError(
                f"dedupe index: commit got {len(ids)} ids for a batch of {len(self._pending)} articles"
            )
        dropped = [key for key, stored_id in zip(self._pending, ids) if stored_id is None]
        for key, stored_id in zip(self._pending, ids):
            if stored_id is not None:
                self.near.rekey(key, stored_id)
                if key in self.stories:
                    self.stories.rekey(key, stored_id)
        self._drop(dropped)
        self._pending = []

    def rollback(self) -> None:
        """Forget the last batch (it was not stored)."""
        self._drop(self._pending)
        self._pending = []

    def evict_before(self, cutoff: datetime) -> int:
        """Forget articles published before `cutoff` (a long-running process calls this, say, daily)."""
        self.stories.evict_before(cutoff)
        return self.near.evict_before(cutoff)

    def _drop(self, keys: list[BatchKey]) -> None:
        if not keys:
            return
        self.stories.remove_many([k for k in keys if k in self.stories])
        self.near.remove_many(keys)


def _duplicate_decision(signature: bytes, story_key: str, match: DuplicateMatch, fuller: bool) -> Decision:
    if isinstance(match.kept, BatchKey):
        return Decision(signature, story_key, duplicate_of_index=match.kept.index, reason=match.reason, fuller=fuller)
    kept_id = int(match.kept)  # type: ignore[call-overload]
    return Decision(signature, story_key, duplicate_of_id=kept_id, reason=match.reason, fuller=fuller)


def _story_terms(feats: TextFeatures, published_at: datetime | None) -> StoryTerms:
    return StoryTerms(title=feats.title_terms, lead=feats.lead_terms, published_at=published_at)


def dedupe_batch(
    articles: Sequence[Article], index: DedupeIndex, prepared: Sequence[PreparedText | None] | None = None
) -> list[Decision]:
    """Decide a batch: for each article (in order) whether it near-duplicates a stored or earlier article, and its
    story (`prepared`: each article's `prepare_text`, where computed ahead). Call `index.commit(stored_ids)` once
    the batch is stored."""
    return index.decide(articles, prepared)


__all__ = ["BatchKey", "Decision", "DedupeIndex", "DedupeStateError", "PreparedText", "StoredRow", "dedupe_batch",
           "prepare_text", "received"]
