"""The small typed records that cross stage boundaries: an article, a tag with its evidence, what reading a source
yielded and the state remembered between its polls."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

TagKind = Literal["company", "topic"]


@dataclass(frozen=True, slots=True)
class Article:
    """One article as a source produced it, already normalised (clean body, decoded entities).

    `source` is the configured source's name; `external_id` is the input's own id when it had one
    (a corpus id, a feed guid); `published_at` is timezone-aware when known.
    """

    source: str
    title: str
    body: str
    url: str | None = None
    publisher: str | None = None
    author: str | None = None
    published_at: datetime | None = None
    external_id: str | None = None
    # Where the record came from inside the source (a file path and line), for error messages.
    origin: str | None = None


@dataclass(frozen=True, slots=True)
class Tag:
    """A company or topic that fired on an article, with the sentence that made it fire."""

    kind: TagKind
    label: str
    score: float
    evidence: str
    terms: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class SourceError:
    """A failure confined to one source (or one record of it); the run goes on without it."""

    source: str
    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.where}: {self.reason}"


@dataclass(frozen=True, slots=True)
class SourceState:
    """What the store remembers about a source between polls (conditional GET validators)."""

    etag: str | None = None
    last_modified: str | None = None
    # Keys (feed guids, article URLs) of items already read, most recent last; an item seen on an earlier poll is
    # neither fetched again nor emitted again. Bounded by FetchSettings.remember_seen_items.
    seen_items: tuple[str, ...] = ()


@dataclass(slots=True)
class SourceResult:
    """The outcome of reading one source once.

    `kind` is the source's configured kind (stored with the source). `failure` is set when the source as a whole
    could not be read (its health records it); `errors` are records skipped inside an otherwise readable source.
    `not_modified` is a 304 on a conditional GET.
    """

    source: str
    kind: str
    articles: list[Article] = field(default_factory=list)
    errors: list[SourceError] = field(default_factory=list)
    failure: SourceError | None = None
    not_modified: bool = False
    state: SourceState | None = None


@dataclass(slots=True)
class BackfillDay:
    """What a backfill did for one source on one day (a day in the configured zone).

    `found`: links the archive gave for the day; `known`: of those, already stored (not fetched again);
    `stored`: new articles stored; `failed`: pages that could not be read (listing pages, sitemaps, articles);
    `capped`: links beyond the source's max_articles_per_day; `out_of_range`: read, but the page's own published time
    falls outside the backfill's range. `finished` means nothing failed and the day is over: it is not read again. `earlier` marks
    a day finished by an earlier run and skipped now.
    """

    source: str
    day: date
    found: int = 0
    stored: int = 0
    known: int = 0
    failed: int = 0
    capped: int = 0
    out_of_range: int = 0
    # Sitemap entries without any date, in sitemaps not named for a day: they cannot be placed on a day.
    undated: int = 0
    pages: int = 0
    finished: bool = False
    earlier: bool = False
    errors: list[SourceError] = field(default_factory=list)

    def summary(self) -> str:
        if self.earlier:
            return (f"{self.source} {self.day}: finished earlier ({self.found} found, {self.stored} stored); "
                    "not read again")
        parts = [f"{self.found} found", f"{self.stored} stored", f"{self.known} already known", f"{self.failed} failed"]
        if self.capped:
            parts.append(f"{self.capped} over max_articles_per_day, not read")
        if self.out_of_range:
            parts.append(f"{self.out_of_range} published outside the range")
        if self.undated:
            parts.append(f"{self.undated} sitemap entries without a date, not placed on any day")
        return f"{self.source} {self.day}: " + ", ".join(parts)
