"""Configuration of sources and of the fetcher, as read from the `[[sources]]` and `[fetch]` tables."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SourceKind = Literal["text", "jsonl", "rss", "page", "listing", "search", "sitemap"]
LOCAL_KINDS = frozenset({"text", "jsonl"})


class SourceConfig(BaseModel):
    """One source. Local kinds take `path`; web kinds take `url` (a search feed's URL may hold `{query}`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.\-]+$")
    kind: SourceKind
    path: str | None = None
    url: str | None = None
    enabled: bool = True
    publisher: str | None = None
    # Site profile name for page extraction (see scrapers/profiles); None picks by URL, else the generic extractor.
    profile: str | None = None
    # listing: a regular expression the article links on the section page must match.
    link_pattern: str | None = None
    # search: the queries substituted into `url` at `{query}` (URL-encoded); empty means the watchlist's main names.
    queries: list[str] = []
    # Fetch the article page when a feed item carries no full text.
    fetch_pages: bool = True
    respect_robots: bool = True
    # Allow this configured source to live on loopback/private addresses (links found inside it never may).
    allow_private: bool = False
    max_items: int = Field(default=200, gt=0)
    # Dated archives (docs/backfill.md). A listing or search URL may hold `{date}` (written with `date_format`),
    # `{since}`/`{until}` (the same day, for search engines that take a range) and `{page}` (1, 2, ... until a page
    # adds no new link, at most `max_pages`). A sitemap source's `url` is a sitemap or a sitemap index.
    date_format: str = "%Y%m%d"
    max_pages: int = Field(default=20, gt=0)
    # The cap on article pages one day of an archive fetches (the rest of that day is reported, not read).
    max_articles_per_day: int = Field(default=500, gt=0)

    @property
    def dated(self) -> bool:
        """Whether this source's URL is a dated archive (a day is read by filling in its placeholders)."""
        return self.kind in ("listing", "search") and any(
            p in (self.url or "") for p in ("{date}", "{since}", "{until}"))

    @property
    def archive(self) -> bool:
        """Whether a backfill can read this source day by day (a sitemap or a dated listing/search URL)."""
        return self.kind == "sitemap" or self.dated

    @model_validator(mode="after")
    def _location(self) -> "SourceConfig":
        if self.kind in LOCAL_KINDS and not self.path:
            raise ValueError(f"source {self.name!r} of kind {self.kind!r} needs `path`")
        if self.kind not in LOCAL_KINDS and not self.url:
            raise ValueError(f"source {self.name!r} of kind {self.kind!r} needs `url`")
        if self.kind == "listing" and not self.link_pattern:
            raise ValueError(f"source {self.name!r} of kind 'listing' needs `link_pattern`")
        placeholders = [p for p in ("{date}", "{since}", "{until}", "{page}") if p in (self.url or "")]
        if placeholders and self.kind not in ("listing", "search"):
            raise ValueError(f"source {self.name!r}: url placeholders {placeholders} work only in listing and "
                             "search sources")
        if "{page}" in (self.url or "") and not self.dated:
            raise ValueError(f"source {self.name!r}: a url with {{page}} also needs {{date}} (or {{since}}/{{until}})")
        try:
            written = datetime(2026, 1, 2).strftime(self.date_format)
        except ValueError as exc:
            raise ValueError(f"source {self.name!r}: date_format {self.date_format!r}: {exc}") from None
        if written == self.date_format:
            raise ValueError(f"source {self.name!r}: date_format {self.date_format!r} holds no date directive "
                             "(use e.g. %Y%m%d or %Y-%m-%d)")
        return self


class FetchSettings(BaseModel):
    """Politeness and robustness limits of the HTTP fetcher; one place for every threshold."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    user_agent: str = "newsmon/0.1 (+https://github.com/newsmon/newsmon; self-hosted news monitor)"
    max_connections: int = Field(default=32, gt=0)
    per_host_connections: int = Field(default=8, gt=0)
    per_host_delay_seconds: float = Field(default=0.0, ge=0)
    connect_timeout_seconds: float = Field(default=10.0, gt=0)
    read_timeout_seconds: float = Field(default=30.0, gt=0)
    retries: int = Field(default=3, ge=0)
    backoff_base_seconds: float = Field(default=0.5, ge=0)
    backoff_max_seconds: float = Field(default=60.0, ge=0)
    max_redirects: int = Field(default=5, ge=0)
    max_bytes: int = Field(default=10_000_000, gt=0)
    # Wall-clock cap on one request attempt, so a server dripping bytes cannot hold a slot forever.
    total_timeout_seconds: float = Field(default=120.0, gt=0)
    # How long a host's robots.txt is trusted before it is fetched again; a Crawl-delay above the cap is capped.
    robots_ttl_seconds: float = Field(default=3600.0, ge=0)
    max_crawl_delay_seconds: float = Field(default=30.0, ge=0)
    # Feed guids remembered per source, so an item seen on an earlier poll is neither re-fetched nor re-emitted.
    remember_seen_items: int = Field(default=5000, ge=0)
    # Honour HTTP(S)_PROXY / NO_PROXY from the environment.
    trust_env: bool = True
    failures_before_alert: int = Field(default=3, gt=0)


class BackfillSettings(BaseModel):
    """A backfill's own limits (`[backfill]`), inside those of `[fetch]`: fewer connections, so that the scheduled
    ingest running beside it is never starved, and a bound on how many days are read at once."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Connections the backfill's fetcher opens at most (also bounded by fetch.max_connections and, per host, by
    # fetch.per_host_connections and fetch.per_host_delay_seconds).
    max_connections: int = Field(default=4, gt=0)
    # Days of one source read at the same time (each day's articles are then fetched within the connection limits).
    days_at_once: int = Field(default=2, gt=0)

    def fetch_settings(self, fetch: FetchSettings) -> FetchSettings:
        """The `[fetch]` settings a backfill's fetcher uses: the same politeness, its own connection limit."""
        connections = min(self.max_connections, fetch.max_connections)
        return fetch.model_copy(update={"max_connections": connections,
                                        "per_host_connections": min(connections, fetch.per_host_connections)})
