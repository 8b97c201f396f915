"""Spike alerts: a notice when the stories about one of a subscription's companies or topics in the last day (or
hour) far exceed their usual number, with the stories driving it; told once per spike, recorded in the outbox and
delivered through the subscription's channels exactly as digests are. The rule: docs/spikes.md."""

from __future__ import annotations

import hashlib
import math
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import TextIO

from alerts.config import AlertSettings, DeliveryPolicy, SpikeRule, Subscription
from alerts.deliver import AppriseNotifier, ConsoleNotifier, Notifier, Outgoing
from alerts.digest import Digest, build_digest, display_name, local_time
from alerts.dispatch import Dispatcher
from alerts.run import channel_labels
from models import outbox
from models.db import Database
from models.spikes_store import (
    SpikeRecord,
    StoryFiling,
    end_spike,
    label_filings,
    latest_spike,
    record_spike,
    stories_per_window,
)
from models.tables import utcnow
from tagging.rules import Watchlist


def window_length(rule: SpikeRule) -> timedelta:
    return timedelta(days=1) if rule.window == "day" else timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Assessment:
    """One label's count in the window against its baseline: the window's stories, the average per window over the
    baseline days, and the count that makes a spike (more than factor x baseline, at least min_count)."""

    window_start: datetime
    window_end: datetime
    stories: int
    baseline: float
    threshold: int
    # The window's stories, each by its most strongly tagged article (earliest on a tie), strongest first.
    leads: tuple[StoryFiling, ...] = ()

    @property
    def spiking(self) -> bool:
        return self.stories >= self.threshold


def baseline_start(now: datetime, rule: SpikeRule) -> datetime:
    return now - window_length(rule) - timedelta(days=rule.baseline_days)


def assess(filings: Sequence[StoryFiling], now: datetime, rule: SpikeRule) -> Assessment:
    """Count distinct stories in [now - window, now) and, per window, in the baseline days before it. A story filed
    in several windows of the baseline counts in each (it was news in each); in the current window it counts once.
    (The definition; SpikeWatch.assess has the database count the baseline the same way.)"""
    length = window_length(rule)
    start = now - length
    first = baseline_start(now, rule)
    earlier = {(int((f.filed_at - first) / length), f.story) for f in filings if first <= f.filed_at < start}
    return _assessment([f for f in filings if start <= f.filed_at < now], len(earlier), now, rule)


def _assessment(window: Sequence[StoryFiling], baseline_stories: int, now: datetime, rule: SpikeRule) -> Assessment:
    """The window's filings and the baseline's story count (summed over its windows) as an assessment."""
    windows = round(timedelta(days=rule.baseline_days) / window_length(rule))
    current: dict[str, StoryFiling] = {}
    for f in window:
        best = current.get(f.story)
        if best is None or f.score > best.score:
            current[f.story] = f
    baseline = baseline_stories / windows
    threshold = max(rule.min_count, math.floor(rule.factor * baseline) + 1)
    leads = sorted(current.values(), key=lambda f: (-f.score, -f.filed_at.timestamp(), f.article_id))
    return Assessment(now - window_length(rule), now, len(current), baseline, threshold, tuple(leads))


def spike_key(subscription: str, kind: str, label: str, window_end: datetime) -> str:
    """The notice's idempotency key: two runs in the same hour that see the same spike record it once."""
    hour = window_end.replace(minute=0, second=0, microsecond=0).isoformat()
    return hashlib.sha256(f"spike:{subscription}:{kind}:{label}:{hour}".encode()).hexdigest()


def describe(name: str, a: Assessment, rule: SpikeRule, zone: str) -> str:
    span = "24 hours" if rule.window == "day" else "hour"
    return (f"{a.stories} {'story' if a.stories == 1 else 'stories'} about {name} in the {span} to "
            f"{local_time(a.window_end, zone)}; usually {a.baseline:.1f} per {span} over the {rule.baseline_days} "
            f"days before. A spike: more than {rule.factor:g} × usual and at least {rule.min_count} "
            f"(here {a.threshold}).")


def spike_notice(sub: Subscription, kind: str, label: str, a: Assessment, matches: Sequence[outbox.Match],
                 watchlist: Watchlist, *, base_url: str | None) -> Digest:
    """The notice as a digest of one section (the label), its driving stories strongest first; recorded and rendered
    like any digest. It holds no digest entries: the subscription's digests still carry these stories."""
    assert sub.spikes is not None
    rule = sub.spikes
    only = sub.model_copy(update={"companies": [label] if kind == "company" else [],
                                  "topics": [label] if kind == "topic" else [], "match": "any",
                                  "max_entries": rule.max_stories})
    built = build_digest(only, matches, watchlist, now=a.window_end, base_url=base_url)
    name = display_name(watchlist, kind, label)
    span = "day" if rule.window == "day" else "hour"
    return replace(
        built, kind="spike", key=spike_key(sub.name, kind, label, a.window_end), article_ids=(),
        title=f"newsmon · {sub.name} · spike: {name}, {a.stories} stories in the last {span}",
        note=describe(name, a, rule, sub.timezone),
    )


@dataclass
class SpikeReport:
    """What one run did about one label of one subscription (channel labels only, never URLs)."""

    subscription: str
    kind: str
    label: str
    stories: int
    baseline: float
    threshold: int
    notice: str | None = None  # the notice's key when one was recorded
    deliveries: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    dry_run: bool = False

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class SpikeWatch:
    """Finds and records spikes: the database, the configuration and the clock, passed in."""

    def __init__(self, db: Database, config: AlertSettings, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        self.config = config
        self.clock = clock

    def assess(self, sub: Subscription, kind: str, label: str, now: datetime) -> Assessment:
        """`assess` over the database: the window's articles are read, the baseline is counted in SQL."""
        rule = sub.spikes
        assert rule is not None
        start = now - window_length(rule)
        filters = {"min_score": sub.min_score, "include_outlets": sub.include_outlets,
                   "exclude_outlets": sub.exclude_outlets}
        with self.db.session() as s:
            window = label_filings(s, kind, label, since=start, until=now, **filters)
            baseline = stories_per_window(s, kind, label, since=baseline_start(now, rule), until=start,
                                          window=window_length(rule), **filters)
        return _assessment(window, baseline, now, rule)

    def notice(self, sub: Subscription, kind: str, label: str, a: Assessment) -> Digest:
        with self.db.session() as s:
            matches = outbox.load_matches(s, [f.article_id for f in a.leads])
        return spike_notice(sub, kind, label, a, matches, self.config.watchlist, base_url=self.config.web_base_url)

    def check(self, sub: Subscription, *, dry_run: bool = False) -> list[tuple[SpikeReport, Digest | None]]:
        """Each label of `sub`: assessed; an open spike that fell back under its threshold is closed; a new one
        (no open spike, the cool-down since the last one over) is recorded with its notice unless `dry_run`."""
        assert sub.spikes is not None
        rule = sub.spikes
        now = self.clock()
        out: list[tuple[SpikeReport, Digest | None]] = []
        for kind, label in [("company", c) for c in sub.companies] + [("topic", x) for x in sub.topics]:
            a = self.assess(sub, kind, label, now)
            report = SpikeReport(sub.name, kind, label, a.stories, round(a.baseline, 3), a.threshold,
                                 dry_run=dry_run)
            with self.db.session() as s:
                last = latest_spike(s, sub.name, kind, label)
                if last is not None and last.ended_at is None and not a.spiking and not dry_run:
                    end_spike(s, last.id, now=now)
            told_lately = last is not None and (last.ended_at is None
                                                or now - last.detected_at < timedelta(hours=rule.cooldown_hours))
            if not a.spiking or told_lately:
                out.append((report, None))
                continue
            digest = self.notice(sub, kind, label, a)
            if not dry_run:
                record = SpikeRecord(sub.name, kind, label, now, a.window_start, a.stories, a.baseline, a.threshold)
                draft = outbox.DigestDraft(digest.key, (), {"kind": "spike", "digest": digest.to_dict(),
                                                            "spike": {"kind": kind, "label": label,
                                                                      "stories": a.stories,
                                                                      "baseline": a.baseline,
                                                                      "threshold": a.threshold}})
                if record_spike(self.db, record, draft, channels=channel_labels(sub)) is None:
                    out.append((report, None))
                    continue
            report.notice = digest.key
            out.append((report, digest))
        return out


def run_spike_alerts(
    db: Database,
    config: AlertSettings,
    *,
    dry_run: bool = False,
    clock: Callable[[], datetime] = utcnow,
    env: Mapping[str, str] = os.environ,
    console: TextIO | None = None,
    notifier: Notifier | None = None,
    policy: DeliveryPolicy = DeliveryPolicy(),
) -> list[SpikeReport]:
    """Check every subscription with `spikes` set, record each new spike's notice in the outbox, then deliver the
    open deliveries of those subscriptions (the notices, and any digest an earlier run left open), per channel, as
    digests are delivered. dry_run prints the notices and records nothing. One report per label checked."""
    subs = [s for s in config.subscriptions if s.spikes is not None]
    watch = SpikeWatch(db, config, clock=clock)
    printer = ConsoleNotifier(console or sys.stdout)
    reports: list[SpikeReport] = []
    for sub in subs:
        for report, digest in watch.check(sub, dry_run=dry_run):
            reports.append(report)
            if dry_run and digest is not None:
                printer.send_text(Outgoing(digest))
    if dry_run or not subs:
        return reports
    dispatcher = Dispatcher(db, config.subscriptions, notifier=notifier or AppriseNotifier(env, base_dir=config.base_dir),
                            console=printer, policy=policy, clock=clock)
    by_key = {r.notice: r for r in reports if r.notice}
    for ticket, status, error in dispatcher.deliver(dispatcher.open_tickets(subscriptions=[s.name for s in subs])):
        report = by_key.get(ticket.digest_key)
        if report is None:
            continue
        if status is not None:
            report.deliveries[ticket.channel] = status
        if error:
            report.errors[ticket.channel] = error
    return reports
