"""Loads and validates the one TOML configuration file, composing every stage's settings: sources and fetching,
dedupe thresholds, the watchlist, subscriptions, storage and schedules. It sits above the stages; each flow run loads
it once and hands each stage the part it reads."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from alerts.config import Subscription
from dedupe.settings import DedupeSettings
from newsmon.errors import ConfigError
from newsmon.cron import check_cron
from newsmon.zones import check_timezone
from scrapers.config import BackfillSettings, FetchSettings, SourceConfig
from tagging.rules import Watchlist

CONFIG_ENV = "NEWSMON_CONFIG"
DATABASE_URL_ENV = "NEWSMON_DATABASE_URL"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = PROJECT_ROOT / "newsmon.toml"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StorageConfig(Strict):
    # A relative sqlite path is taken relative to the configuration file's folder.
    database_url: str = "sqlite:///var/newsmon.db"


class ScheduleConfig(Strict):
    """When `newsmon serve` runs each flow. Cron strings are read in `timezone`."""

    timezone: str = "Asia/Seoul"
    ingest_every_minutes: float = Field(default=15, gt=0)
    # Subscriptions with when = "daily" are sent on daily_digest_cron, "hourly" ones on hourly_digest_cron, "weekly"
    # ones on weekly_digest_cron.
    daily_digest_cron: str = "0 8 * * *"
    hourly_digest_cron: str = "0 * * * *"
    # Subscriptions with when = "weekly": Mondays 08:00, a digest of the week with its trend chart.
    weekly_digest_cron: str = "0 8 * * 1"
    digest_after_ingest: bool = True

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return check_timezone(value)

    @field_validator("daily_digest_cron", "hourly_digest_cron", "weekly_digest_cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        # Checked here, so a bad schedule stops every command at once rather than `serve` after its server started.
        return check_cron(value)


class WebConfig(Strict):
    """The web view: where `newsmon serve` starts it, and the address digests link to."""

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    # The address readers reach the web view at, e.g. "https://news.example.kr/newsmon". When set, each digest
    # entry links to its story page and each digest's last message to the digest's own page (/digests/KEY).
    base_url: str | None = Field(default=None, pattern=r"^https?://[^\s<>\"'`|\x00-\x1f\x7f]+$")

    @field_validator("base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value


class PoolConfig(Strict):
    """How the deployments of `newsmon deploy` run on a Prefect work pool (docs/scaling.md)."""

    name: str = "newsmon"
    # The scheduled ingest reads its sources as child runs of this many sources each, any worker taking any group.
    sources_per_run: int = Field(default=25, ge=1)
    # Child runs at once across all workers (a concurrency limit the Prefect server holds; more wait their turn).
    parallel_runs: int = Field(default=4, ge=1)
    # A flow run sends a heartbeat this often (Prefect's minimum is 30 s); one silent for `crashed_after_seconds`
    # is marked crashed and run again by another worker, at most `max_attempts` times in all.
    heartbeat_seconds: int = Field(default=30, ge=30)
    crashed_after_seconds: int = Field(default=90, ge=45)
    max_attempts: int = Field(default=3, ge=1)

    @model_validator(mode="after")
    def _silence_outlasts_heartbeat(self) -> "PoolConfig":
        if self.crashed_after_seconds <= self.heartbeat_seconds:
            raise ValueError("crashed_after_seconds must be longer than heartbeat_seconds")
        return self


class Config(Strict):
    storage: StorageConfig = StorageConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    pool: PoolConfig = PoolConfig()
    fetch: FetchSettings = FetchSettings()
    # A backfill's own connection limit and days at once, within [fetch] (docs/backfill.md).
    backfill: BackfillSettings = BackfillSettings()
    # The near-duplicate and story thresholds (dedupe.settings documents each); the defaults suit Korean news.
    dedupe: DedupeSettings = DedupeSettings()
    sources: list[SourceConfig] = []
    watchlist: Watchlist
    subscriptions: list[Subscription] = []
    web: WebConfig = WebConfig()
    # The folder relative paths in the file are resolved against (set by load_config, not the file).
    base_dir: Path = Field(default=PROJECT_ROOT, exclude=True)

    @model_validator(mode="after")
    def _cross_references(self) -> "Config":
        names = [s.name for s in self.sources]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"sources: duplicate source name(s) {dupes}")
        companies = set(self.watchlist.companies)
        topics = set(self.watchlist.topics)
        sub_names = [s.name for s in self.subscriptions]
        if len(set(sub_names)) != len(sub_names):
            raise ValueError("subscriptions: names must be unique")
        for i, sub in enumerate(self.subscriptions):
            unknown_c = sorted(set(sub.companies) - companies)
            unknown_t = sorted(set(sub.topics) - topics)
            if unknown_c:
                raise ValueError(
                    f"subscriptions[{i}].companies: unknown company id(s) {unknown_c}; known: {sorted(companies)}"
                )
            if unknown_t:
                raise ValueError(f"subscriptions[{i}].topics: unknown topic id(s) {unknown_t}; known: {sorted(topics)}")
        return self

    @property
    def web_base_url(self) -> str | None:
        """What digests link to (alerts.config.AlertSettings)."""
        return self.web.base_url

    def database_url(self) -> str:
        """The database to use: NEWSMON_DATABASE_URL wins over the file."""
        url = os.environ.get(DATABASE_URL_ENV) or self.storage.database_url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            url = prefix + str((self.base_dir / url[len(prefix) :]).resolve())
        return url

    def database_setting(self) -> str:
        """The setting `database_url()` came from, for error messages."""
        return DATABASE_URL_ENV if os.environ.get(DATABASE_URL_ENV) else "storage.database_url"

    def resolve_path(self, path: str | Path) -> Path:
        p = Path(path).expanduser()
        return p if p.is_absolute() else (self.base_dir / p)

    def search_terms(self) -> list[str]:
        """What search sources without queries of their own search for: the watchlist companies' main names."""
        return [company.name for company in self.watchlist.companies.values()]

    def selected_sources(self, names: list[str] | None) -> list[SourceConfig]:
        """The sources named (any error naming an unknown one), or every enabled source when none is named."""
        if names:
            return [self.source(name) for name in names]
        return [s for s in self.sources if s.enabled]

    def source(self, name: str) -> SourceConfig:
        for s in self.sources:
            if s.name == name:
                return s
        raise ConfigError(f"no source named {name!r}; configured sources: {[s.name for s in self.sources]}")


def config_path(explicit: str | Path | None = None) -> Path:
    if explicit:
        return Path(explicit)
    env = os.environ.get(CONFIG_ENV)
    return Path(env) if env else DEFAULT_CONFIG


def load_config(path: str | Path | None = None) -> Config:
    """Read and validate the configuration; raise ConfigError naming the file, the key and the problem."""
    file = config_path(path)
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{file}: configuration file not found (set --config or {CONFIG_ENV})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    return parse_config(raw, file)


def parse_config(raw: dict[str, Any], file: Path) -> Config:
    try:
        return Config.model_validate({**raw, "base_dir": file.resolve().parent})
    except ValidationError as exc:
        raise ConfigError(f"{file}: " + "; ".join(_describe(err) for err in exc.errors())) from None


def _describe(err: Any) -> str:
    key = ""
    for part in err["loc"]:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] in ("extra_forbidden", "unexpected_keyword_argument"):
        message = "unknown key (check its spelling)"
    return f"{key or '(top level)'}: {message}"
