"""Configuration of sources and of the fetcher, as read from the `[[sources]]` and `[fetch]` tables."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SourceKind = Literal["text", "jsonl", "rss", "page", "listing", "search"]
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

    @model_validator(mode="after")
    def _location(self) -> "SourceConfig":
        if self.kind in LOCAL_KINDS and not self.path:
            raise ValueError(f"source {self.name!r} of kind {self.kind!r} needs `path`")
        if self.kind not in LOCAL_KINDS and not self.url:
            raise ValueError(f"source {self.name!r} of kind {self.kind!r} needs `url`")
        if self.kind == "listing" and not self.link_pattern:
            raise ValueError(f"source {self.name!r} of kind 'listing' needs `link_pattern`")
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
