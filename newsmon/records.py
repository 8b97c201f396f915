"""The small typed records that cross stage boundaries: an article, a tag with its evidence."""

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
