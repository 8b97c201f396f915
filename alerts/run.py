"""Digest runs: record each subscription's next digest in the outbox, then have every open delivery sent; a dry run
or a preview only builds."""

from __future__ import annotations

import base64
import logging
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import TextIO

from alerts.config import AlertSettings, DeliveryPolicy, Subscription
from alerts.deliver import AppriseNotifier, ConsoleNotifier, Notifier, Outgoing
from alerts.digest import Digest, build_digest, clean_text, display_name
from alerts.dispatch import CONSOLE, Dispatcher
from alerts.render import render
from alerts.weekly import WeekChart, week_chart
from models import outbox
from models.db import Database
from models.tables import utcnow
from newsmon.errors import ConfigError

WHEN = ("after_ingest", "hourly", "daily", "weekly")
WEEK_HOURS = 7 * 24.0
log = logging.getLogger("newsmon.alerts")


@dataclass
class DigestReport:
    """What one run did for one digest: its key, size and each channel's delivery state (by label, never URL)."""

    subscription: str
    digest_key: str | None
    stories: int = 0
    articles: int = 0
    deliveries: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    resumed: bool = False
    dry_run: bool = False
    # Matches stored within the last max_age_hours but published before them: found, and too old to send.
    too_old: int = 0
    max_age_hours: float | None = None

    def as_dict(self) -> dict[str, object]:
        """Plain data for a flow's return value and logs (channel labels only, never URLs)."""
        return asdict(self)

    def summary(self) -> str:
        """One line for the console: what was sent where, what was not and why (channel labels, never URLs)."""
        parts = []
        if self.digest_key:
            shown = "resumed" if self.resumed else ("would send" if self.dry_run else "digest of")
            parts.append(f"{shown} {self.stories} stories ({self.articles} articles)")
            sent = sorted(c for c, status in self.deliveries.items() if status == "sent")
            if sent:
                parts.append("sent to " + ", ".join(sent))
            parts += [f"not delivered to {c}: {e}" for c, e in sorted(self.errors.items())]
        else:
            parts.append("nothing new to send")
        if self.too_old:
            parts.append(f"{self.too_old} matches older than max_age_hours={self.max_age_hours:g} not sent")
        return f"digest {self.subscription}: " + "; ".join(parts)


def select_subscriptions(config: AlertSettings, names: list[str] | None, when: str | None) -> list[Subscription]:
    subs = list(config.subscriptions)
    if names is not None:
        known = {s.name for s in subs}
        unknown = sorted(set(names) - known)
        if unknown:
            raise ConfigError(f"no subscription named {unknown}; configured subscriptions: {sorted(known)}")
        subs = [s for s in subs if s.name in names]
    if when is not None:
        if when not in WHEN:
            raise ConfigError(f"when={when!r}: a digest schedule is one of {list(WHEN)}")
        subs = [s for s in subs if s.when == when]
    return subs


def channel_labels(sub: Subscription) -> list[str]:
    return [c.label for c in sub.channels] or [CONSOLE]



class DigestRunner:
    """Builds and records subscriptions' digests: the database, the configuration and the clock, passed in."""

    def __init__(
        self,
        db: Database,
        config: AlertSettings,
        *,
        clock: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.db = db
        self.config = config
        self.clock = clock
        self.sleep = sleep

    def matches(self, sub: Subscription) -> list[outbox.Match]:
        age = sub.max_age_hours
        if age and sub.when == "weekly":
            age = max(age, WEEK_HOURS)  # a weekly digest is a week's news
        with self.db.session() as s:
            return outbox.unsent_matches(
                s, sub.name, companies=sub.companies, topics=sub.topics, match=sub.match, min_score=sub.min_score,
                include_outlets=sub.include_outlets, exclude_outlets=sub.exclude_outlets,
                newer_than=self.clock() - timedelta(hours=age) if age else None,
            )

    def week(self, sub: Subscription, now: datetime) -> WeekChart:
        watchlist = self.config.watchlist
        wanted = [("company", c) for c in sub.companies] + [("topic", x) for x in sub.topics]
        with self.db.session() as s:
            return week_chart(s, [(k, lbl, clean_text(display_name(watchlist, k, lbl))) for k, lbl in wanted],
                              now=now, zone=sub.timezone, base_url=self.config.web_base_url)

    def too_old(self, sub: Subscription) -> int:
        """Matches of `sub` stored within its max_age_hours but published before: they are never sent, so say so."""
        if not sub.max_age_hours:
            return 0
        cutoff = self.clock() - timedelta(hours=sub.max_age_hours)
        with self.db.session() as s:
            return outbox.count_unsent_too_old(
                s, sub.name, older_than=cutoff, stored_since=cutoff, companies=sub.companies, topics=sub.topics,
                match=sub.match, min_score=sub.min_score, include_outlets=sub.include_outlets,
                exclude_outlets=sub.exclude_outlets,
            )

    def build(self, sub: Subscription) -> Digest | None:
        matches = self.matches(sub)
        if not matches:
            return None
        now = self.clock()
        return build_digest(sub, matches, self.config.watchlist, now=now, base_url=self.config.web_base_url,
                            week=self.week(sub, now) if sub.when == "weekly" else None)

    def record(self, sub: Subscription) -> tuple[int, Digest] | None:
        """Build and record the next digest of `sub` (outbox first); None when nothing is new. A concurrent run that
        recorded the same articles first wins; this run then looks again and records only what is left."""

        def draft() -> tuple[Digest, outbox.DigestDraft] | None:
            digest = self.build(sub)
            if digest is None:
                return None
            content = {"digest": digest.to_dict()}
            return digest, outbox.DigestDraft(digest.key, digest.article_ids, content)

        return outbox.record_next_digest(self.db, sub.name, draft, channels=channel_labels(sub), clock=self.clock,
                                         sleep=self.sleep)


def run_digests(
    db: Database,
    config: AlertSettings,
    *,
    subscriptions: list[str] | None = None,
    when: str | None = None,
    dry_run: bool = False,
    env: Mapping[str, str] = os.environ,
    console: TextIO | None = None,
    notifier: Notifier | None = None,
    policy: DeliveryPolicy = DeliveryPolicy(),
    after_send: Callable[[str], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], datetime] = utcnow,
) -> list[DigestReport]:
    """Send each selected subscription its new matches as one digest, exactly once per channel.

    Every digest is recorded (with its entries and one pending delivery per channel) before any channel is tried;
    deliveries an earlier run left open (it crashed, or a channel was down) go out in the same pass. `when` picks the
    subscriptions of one schedule ("after_ingest", "hourly", "daily", "weekly"); `subscriptions` names them. dry_run prints the
    digests and records nothing. Returns one report per digest touched; nothing new and nothing open gives none.
    """
    subs = select_subscriptions(config, subscriptions, when)
    runner = DigestRunner(db, config, clock=clock, sleep=sleep)
    printer = ConsoleNotifier(console or sys.stdout)  # looked up per call: whatever stdout is now, not at import
    if dry_run:
        reports = []
        for sub in subs:
            digest = runner.build(sub)
            too_old = runner.too_old(sub)
            if digest is not None:
                printer.send_text(Outgoing(digest))
                reports.append(DigestReport(sub.name, digest.key, digest.stories, digest.articles, dry_run=True,
                                            too_old=too_old, max_age_hours=sub.max_age_hours))
            elif too_old:
                reports.append(DigestReport(sub.name, None, dry_run=True, too_old=too_old,
                                            max_age_hours=sub.max_age_hours))
        return reports

    recorded: dict[int, DigestReport] = {}
    held_back: list[DigestReport] = []
    for sub in subs:
        made = runner.record(sub)
        too_old = runner.too_old(sub)
        if made is not None:
            digest_id, digest = made
            recorded[digest_id] = DigestReport(sub.name, digest.key, digest.stories, digest.articles,
                                               too_old=too_old, max_age_hours=sub.max_age_hours)
        elif too_old:
            log.warning("subscription %s: %d matches older than max_age_hours=%g not sent", sub.name, too_old,
                        sub.max_age_hours)
            held_back.append(DigestReport(sub.name, None, too_old=too_old, max_age_hours=sub.max_age_hours))
    dispatcher = Dispatcher(
        db, config.subscriptions, notifier=notifier or AppriseNotifier(env, base_dir=config.base_dir),
        console=printer, policy=policy, after_send=after_send, sleep=sleep,
    )
    # Open deliveries of every subscription are resumed unless the caller named some: a daily digest that a crash
    # interrupted should not wait a day.
    tickets = dispatcher.open_tickets(subscriptions=[s.name for s in subs] if subscriptions is not None else None)
    reports = dict(recorded)
    for ticket in tickets:
        if ticket.digest_id not in reports:
            data = ticket.content.get("digest", {})
            reports[ticket.digest_id] = DigestReport(ticket.subscription, ticket.digest_key, data.get("stories", 0),
                                                     data.get("articles", 0), resumed=True)
    for ticket, status, error in dispatcher.deliver(tickets):
        report = reports[ticket.digest_id]
        if status is not None:
            report.deliveries[ticket.channel] = status
        if error:
            report.errors[ticket.channel] = error
    touched = [r for i, r in sorted(reports.items()) if i in recorded or r.deliveries or r.errors]
    return touched + held_back


def after_ingest_due(db: Database, config: AlertSettings, new_articles: int,
                     policy: DeliveryPolicy = DeliveryPolicy()) -> bool:
    """Whether an ingest run is followed by its after-ingest digests: when it stored something new, or when
    deliveries an earlier run left open (a channel was down, a run died) wait to be resumed. A run with nothing new
    runs no digest pass for nothing."""
    if new_articles:
        return True
    dispatcher = Dispatcher(db, config.subscriptions, notifier=AppriseNotifier(os.environ, base_dir=config.base_dir),
                            console=ConsoleNotifier(sys.stdout), policy=policy)
    return bool(dispatcher.open_tickets())


def preview_html(db: Database, config: AlertSettings, subscription: str | None = None) -> str:
    """The next digest of `subscription` (default: the first) as an HTML page; records and sends nothing."""
    subs = select_subscriptions(config, [subscription] if subscription else None, None)
    if not subs:
        raise ConfigError("no subscriptions configured; add a [[subscriptions]] table to preview a digest")
    sub = subs[0]
    digest = DigestRunner(db, config).build(sub) or Digest(
        subscription=sub.name, key="", title=f"newsmon · {sub.name} · no new stories", created="",
        timezone=sub.timezone, company_counts=(), topic_counts=(), groups=(), stories=0, articles=0,
    )
    # One page with the whole digest, however long: a file has no message size limit. Its images are inlined as
    # data: URIs, since a file has no attachments for cid: to name.
    page = render(digest, "html", limit=sys.maxsize)
    body = page.body
    for name, data in page.images:
        body = body.replace(f"cid:{name}", "data:image/png;base64," + base64.b64encode(data).decode("ascii"))
    return body
