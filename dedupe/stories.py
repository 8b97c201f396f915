"""Stories: independently written articles about one event share a `story_key`, by key-term overlap in a time window.

The rule, kept cheap and explainable: two articles are about one event when they were published within
`story_window_hours`, share at least `story_min_shared` title words (particles cut off, common words and numbers
dropped), their
titles' terms overlap to `story_title_overlap` and their title and lead terms together to `story_overlap`, each shared
term weighted by its rarity (idf) among indexed articles and the overlap taken over the smaller side.
A new article joins the story of its best match; with none it starts a story of its own.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta

from dedupe.settings import DedupeSettings


@dataclass(frozen=True, slots=True)
class StoryTerms:
    """What a story decision compares: title terms, lead terms and the publication time."""

    title: frozenset[str]
    lead: tuple[str, ...]
    published_at: datetime | None

    @property
    def all(self) -> frozenset[str]:
        return self.title.union(self.lead)


@dataclass(frozen=True, slots=True)
class StoryMatch:
    story_key: str
    matched: Hashable
    score: float
    shared: tuple[str, ...]


@dataclass(slots=True)
class _StoryEntry:
    key: Hashable
    terms: StoryTerms
    story_key: str


def _is_number(term: str) -> bool:
    """Numbers find no story on their own (they still count in the overlap score)."""
    return term[0].isdigit()


def new_story_key(title: str, lead: str, published_at: datetime | None) -> str:
    """A story key of the article that starts it: its day and a hash of its text (25 characters)."""
    day = published_at.strftime("%Y%m%d") if published_at else "00000000"
    digest = hashlib.sha1(f"{title}\x00{lead}".encode("utf-8")).hexdigest()[:16]
    return f"{day}-{digest}"


class StoryIndex:
    """Recent articles' story terms with an inverted index from title term to articles.

    Postings hold internal slot numbers, so a provisional key becomes the stored id (`rekey`) in one step."""

    def __init__(self, settings: DedupeSettings | None = None) -> None:
        self.settings = settings or DedupeSettings()
        self._slots: dict[Hashable, int] = {}
        self._entries: dict[int, _StoryEntry] = {}
        self._postings: dict[str, list[int]] = {}
        self._df: Counter[str] = Counter()
        self._next_slot = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._slots

    def match(self, terms: StoryTerms) -> StoryMatch | None:
        """The story `terms` belongs to (best-scoring recent article that passes the rule), or None."""
        n = max(1, len(self._entries))
        # A term in more than 2% of the index, or in more articles than a posting list keeps, is too common to find
        # an event by; the absolute cap also keeps the work per article the same however large the index grows.
        max_df = min(max(3, self.settings.story_max_df * n), self.settings.story_max_postings)
        window = timedelta(hours=self.settings.story_window_hours)
        candidates: Counter[int] = Counter()
        for term in terms.title:
            if self._df[term] > max_df or _is_number(term):
                continue
            candidates.update(self._postings.get(term, ()))
        best: StoryMatch | None = None
        weights: dict[str, float] = {}  # idf weight of each term, for this query (n is fixed during it)
        # In slot order (oldest first), so a tie goes to the earliest article whatever order a set of terms yields.
        for slot, shared_title in sorted(candidates.items()):
            if shared_title < self.settings.story_min_shared:
                continue
            entry = self._entries.get(slot)
            if entry is None:
                continue
            when, then = terms.published_at, entry.terms.published_at
            if when is not None and then is not None and abs(when - then) > window:
                continue
            title_score, _ = self._overlap(terms.title, entry.terms.title, n, weights)
            if title_score < self.settings.story_title_overlap:
                continue
            score, shared = self._overlap(terms.all, entry.terms.all, n, weights)
            if score >= self.settings.story_overlap and (best is None or score > best.score):
                best = StoryMatch(entry.story_key, entry.key, score, shared)
        return best

    def add(self, key: Hashable, terms: StoryTerms, story_key: str) -> None:
        if key in self._slots:
            raise ValueError(f"story index: key {key!r} is already indexed")
        slot = self._next_slot
        self._next_slot += 1
        self._slots[key] = slot
        self._entries[slot] = _StoryEntry(key, terms, story_key)
        for term in terms.all:
            self._df[term] += 1
        cap = self.settings.story_max_postings
        for term in terms.title:
            if _is_number(term):  # "2025", "30": shared by unrelated titles of every day; they only score
                continue
            postings = self._postings.get(term)
            if postings is None:
                self._postings[term] = [slot]
            else:
                postings.append(slot)
                if len(postings) > cap:
                    del postings[: len(postings) - cap]

    def remove_many(self, keys: list[Hashable]) -> None:
        for key in keys:
            slot = self._slots.pop(key)
            entry = self._entries.pop(slot)
            for term in entry.terms.all:
                self._df[term] -= 1
                if self._df[term] <= 0:
                    del self._df[term]
            for term in entry.terms.title:
                postings = self._postings.get(term)
                if postings is not None and slot in postings:
                    postings.remove(slot)
                    if not postings:
                        del self._postings[term]

    def rekey(self, old: Hashable, new: Hashable) -> None:
        slot = self._slots.pop(old)
        self._slots[new] = slot
        self._entries[slot].key = new

    def evict_before(self, cutoff: datetime) -> int:
        old = [e.key for e in self._entries.values()
               if e.terms.published_at is not None and e.terms.published_at < cutoff]
        if old:
            self.remove_many(old)
        return len(old)

    def _overlap(
        self, a: frozenset[str], b: frozenset[str], n: int, weights: dict[str, float]
    ) -> tuple[float, tuple[str, ...]]:
        shared = a & b
        if not shared:
            return 0.0, ()
        log_n = math.log(n + 1)

        def weight(terms: frozenset[str]) -> float:
            parts = []
            for t in terms:
                w = weights.get(t)
                if w is None:
                    w = weights[t] = log_n - math.log(self._df[t] + 1) + 1.0
                parts.append(w)
            # fsum is exact, so the score does not depend on the order a set of strings iterates in (which changes
            # with the process's hash seed) and a score on a threshold falls the same way in every run.
            return math.fsum(parts)

        score = weight(shared) / min(weight(a), weight(b))
        return score, tuple(sorted(shared))
