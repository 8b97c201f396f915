"""The small typed records that cross stage boundaries: an article, a tag with its evidence, what reading a source
yielded and the state remembered between its polls."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
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
