"""What reading one source yields: its articles, the per-record errors, and the fetch state to remember."""

from __future__ import annotations

from dataclasses import dataclass, field

from newsmon.records import Article, SourceError


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

    `failure` is set when the source as a whole could not be read (its health records it); `errors` are records
    skipped inside an otherwise readable source. `not_modified` is a 304 on a conditional GET.
    """

    source: str
    articles: list[Article] = field(default_factory=list)
    errors: list[SourceError] = field(default_factory=list)
    failure: SourceError | None = None
    not_modified: bool = False
    state: SourceState | None = None
