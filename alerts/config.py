"""Subscriptions: what a subscriber wants, where it goes (secrets by reference only) and when."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from newsmon.zones import check_timezone
from tagging.rules import Watchlist


class Channel(BaseModel):
    """Where a digest goes. The apprise URL itself is a secret: it is named by an environment variable or kept in an
    apprise configuration file, never written here. `name` is what logs and the database show."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = None
    env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    apprise_config: str | None = None
    format: Literal["auto", "slack", "html", "markdown", "text"] = "auto"
    # Tries per run before the channel is reported as failing; the wait doubles from `backoff_seconds` each time.
    attempts: int = Field(default=3, ge=1, le=20)
    backoff_seconds: float = Field(default=2.0, ge=0)
    # A send whose outcome is unknown (the process died after sending, before recording it): resend it, or report it
    # and leave it. "auto" resends only where the message carries the digest key a receiver can deduplicate on
    # (json://, form://, xml://, mailto:// header); see docs/delivery.md.
    on_unconfirmed: Literal["auto", "resend", "report"] = "auto"

    @model_validator(mode="after")
    def _one_reference(self) -> "Channel":
        if bool(self.env) == bool(self.apprise_config):
            raise ValueError("a channel takes exactly one of `env` (an environment variable holding the apprise URL) "
                             "or `apprise_config` (a path to an apprise configuration file)")
        return self

    @property
    def label(self) -> str:
        return self.name or (f"env:{self.env}" if self.env else f"file:{self.apprise_config}")


class SpikeRule(BaseModel):
    """When a surge of stories about one of a subscription's companies or topics is worth a notice of its own
    (docs/spikes.md): the stories of the last `window` number more than `factor` times the average per window over
    the `baseline_days` before it, and at least `min_count`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    window: Literal["day", "hour"] = "day"
    baseline_days: int = Field(default=14, ge=1, le=90)
    factor: float = Field(default=3.0, ge=1.0)
    min_count: int = Field(default=5, ge=1)
    # After a spike ends (a run finds the count back under the threshold), no new notice for this label before
    # this many hours from the last one.
    cooldown_hours: float = Field(default=24.0, ge=0)
    # The stories shown in the notice (strongest first); the rest are listed on its page in the web view.
    max_stories: int = Field(default=20, ge=1, le=200)


class Subscription(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.\-]+$")
    companies: list[str] = []
    topics: list[str] = []
    # any: an article matching any listed company or topic; all: every listed company and topic.
    match: Literal["any", "all"] = "any"
    min_score: float = Field(default=0.0, ge=0)
    include_outlets: list[str] = []
    exclude_outlets: list[str] = []
    channels: list[Channel] = []
    timezone: str = "Asia/Seoul"
    # after_ingest: right after an ingest finds new matches; hourly / daily / weekly: on the digest schedule. A
    # weekly digest carries the week's trend chart and takes matches of at least the last 7 days (max_age_hours).
    when: Literal["after_ingest", "hourly", "daily", "weekly"] = "after_ingest"
    max_entries: int = Field(default=200, gt=0)
    # Digests carry news: only matches published (or, with no published time, stored) within this many hours are
    # sent. A backfill of last month is stored but never mailed. None sends matches of any age.
    max_age_hours: float | None = Field(default=72.0, gt=0)
    # Spike alerts for each of `companies` and `topics`; none unless set (`spikes = {}` takes the defaults).
    spikes: SpikeRule | None = None

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return check_timezone(value)

    @model_validator(mode="after")
    def _spikes_need_labels(self) -> "Subscription":
        if self.spikes is not None and not (self.companies or self.topics):
            raise ValueError("spikes: a spike is counted per company or topic; list some in `companies` or `topics`")
        return self

    @model_validator(mode="after")
    def _distinct_labels(self) -> "Subscription":
        # Deliveries are recorded per label, so two channels may not share one (nor take the console's).
        labels = [c.label for c in self.channels]
        clashes = sorted({x for x in labels if labels.count(x) > 1} | ({"console"} & set(labels)))
        if clashes:
            raise ValueError(f"channels: label(s) {clashes} used twice or reserved; give each channel its own `name`")
        return self


class DeliveryPolicy(BaseModel):
    """How runs share the outbox: when another run's claim counts as abandoned, and when to give up on a channel."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # A claim older than this belongs to a run that died; it must exceed a channel's attempts x backoff x timeout.
    claim_timeout_seconds: float = Field(default=900.0, ge=0)
    # Attempts over all runs after which a failing delivery is left as failed and no longer retried.
    max_attempts_total: int = Field(default=30, ge=1)


class AlertSettings(Protocol):
    """What digest runs read of the configuration: the subscriptions, the watchlist (for display names), the
    folder relative apprise configuration paths are resolved against and the web view's address. app.config.Config
    provides it."""

    @property
    def subscriptions(self) -> Sequence[Subscription]: ...

    @property
    def watchlist(self) -> Watchlist: ...

    @property
    def base_dir(self) -> Path: ...

    @property
    def web_base_url(self) -> str | None:
        """The web view's address digests link to ([web] base_url), or None for no links."""
        ...
