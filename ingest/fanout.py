"""How the scheduled ingest on a work pool splits its sources into child runs: groups any worker can take."""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapers.config import LOCAL_KINDS, SourceConfig


def _host(source: SourceConfig) -> str:
    return urlsplit(source.url or "").netloc.lower()


def source_groups(sources: list[SourceConfig], per_group: int) -> list[list[str]]:
    """The sources' names in groups of at most `per_group`. Web sources are ordered by host first, so one site's
    sources tend to share a run (and its fetcher's connection pool); local files come last, as they are read
    from each worker's own checkout."""
    if per_group < 1:
        raise ValueError(f"a group holds at least one source, not {per_group}")
    ordered = sorted(sources, key=lambda s: (s.kind in LOCAL_KINDS, _host(s), s.name))
    names = [s.name for s in ordered]
    return [names[i:i + per_group] for i in range(0, len(names), per_group)]
