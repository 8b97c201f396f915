"""Digest runs: record each digest in the outbox, then deliver it per channel exactly once; resume what a crash left."""

from __future__ import annotations

import logging
import os
import socket
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO

from sqlalchemy.exc import IntegrityError, OperationalError

from alerts.config import Channel, DeliveryPolicy, Subscription
from alerts.deliver import AppriseNotifier, ChannelUnusable, ConsoleNotifier, Notifier, Outgoing, scrub
from alerts.digest import Digest, build_digest, clean_text
from alerts.render import render, render_notice
from models import outbox
from models.db import Database
from models.tables import utcnow
from newsmon.config import Config
from newsmon.errors import ConfigError, DeliveryError

log = logging.getLogger("newsmon.alerts")

CONSOLE = "console"
WHEN = ("after_ingest", "hourly", "daily")


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

    def as_dict(self) -> dict[str, object]:
        """Plain data for a flow's return value and logs (channel labels only, never URLs)."""
        return asdict(self)


def select_subscriptions(config: Config, names: list[str] | None, when: str | None) -> list[Subscription]:
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


def _process_gone(pid: int) -> bool:
    """Whether no process `pid` runs here (a zombie, killed but not yet reaped, counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[-1].split()[0] in {"Z", "X"}
    except OSError:
        return False


def _in_flight(progress: dict | None) -> int | None:
    """The part a dead run may have been sending when it died: the one it marked, none when it died between parts,
    the first when it recorded nothing (a claim from before multi-part delivery)."""
    if progress is None:
        return 1
    return int(progress.get("sending") or 0) or None


def _unconfirmed_error(ticket: outbox.DeliveryTicket, part: int, parts: int) -> str:
    which = f"part {part} of {parts} of digest" if parts > 1 else "digest"
    return (f"channel {ticket.channel}: a run died after sending {which} {ticket.digest_key[:12]} and before "
            "recording it; not resent, because the channel offers no idempotency key (it may or may not have "
            "arrived; see docs/delivery.md)")


def claim_owner() -> str:
    """This run's name on the claims it takes: host, process and a token unique to the run."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def owner_is_dead(owner: str | None) -> bool:
    """A claim's run is certainly gone: it ran on this host, in another process that no longer exists. A claim from
    another host is left to the claim timeout."""
    if not owner:
        return False
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    return _process_gone(int(pid))


class DigestRunner:
    """One digest run's delivery machinery: the database, the notifiers and the policy, passed in."""

    def __init__(
        self,
        db: Database,
        config: Config,
        *,
        notifier: Notifier,
        console: TextIO,
        policy: DeliveryPolicy,
        clock: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], None] = time.sleep,
        after_send: Callable[[str], None] | None = None,
    ) -> None:
        self.db = db
        self.config = config
        self.notifier = notifier
        self.console = ConsoleNotifier(console)
        self.policy = policy
        self.clock = clock
        self.sleep = sleep
        self.after_send = after_send
        self.owner = claim_owner()

    # -- building and recording ----------------------------------------------------------------------------------

    def matches(self, sub: Subscription) -> list[outbox.Match]:
        with self.db.session() as s:
            return outbox.unsent_matches(
                s, sub.name, companies=sub.companies, topics=sub.topics, match=sub.match, min_score=sub.min_score,
                include_outlets=sub.include_outlets, exclude_outlets=sub.exclude_outlets,
                newer_than=self.clock() - timedelta(hours=sub.max_age_hours) if sub.max_age_hours else None,
            )

    def build(self, sub: Subscription) -> Digest | None:
        matches = self.matches(sub)
        if not matches:
            return None
        return build_digest(sub, matches, self.config.watchlist, now=self.clock())

    def record(self, sub: Subscription) -> tuple[int, Digest] | None:
        """Build and record the next digest of `sub` (outbox first); None when nothing is new.

        A concurrent run that recorded the same articles first wins the unique constraints; this run then looks again
        and finds only what is left.
        """
        for attempt in range(6):
            digest = self.build(sub)
            if digest is None:
                return None
            content = {"digest": digest.to_dict()}
            try:
                with self.db.session() as s:
                    digest_id = outbox.record_digest(
                        s, subscription=sub.name, key=digest.key, article_ids=digest.article_ids,
                        channels=channel_labels(sub), content=content, now=self.clock(),
                    )
                return digest_id, digest
            except (IntegrityError, OperationalError) as exc:
                if isinstance(exc, OperationalError) and "locked" not in str(exc).lower():
                    raise
                log.info("subscription %s: another run recorded these matches first; looking again", sub.name)
                self.sleep(0.05 * (attempt + 1))
        log.warning("subscription %s: could not record its digest after several tries (concurrent runs or a "
                    "constraint); its matches stay unsent for the next run", sub.name)
        return None

    # -- delivering ----------------------------------------------------------------------------------------------

    def _stale_before(self) -> datetime:
        return self.clock() - timedelta(seconds=self.policy.claim_timeout_seconds)

    def open_tickets(self, *, subscriptions: list[str] | None = None) -> list[outbox.DeliveryTicket]:
        with self.db.session() as s:
            return outbox.open_deliveries(
                s, stale_before=self._stale_before(), max_attempts=self.policy.max_attempts_total,
                is_dead=owner_is_dead, subscriptions=subscriptions,
            )

    def deliver(self, tickets: list[outbox.DeliveryTicket], reports: dict[int, DigestReport]) -> None:
        """Deliver per channel, each channel in its own thread so that one channel's retries and backoff never hold
        up another; a channel's digests go in the order they were recorded."""
        lanes: dict[tuple[str, str], list[outbox.DeliveryTicket]] = {}
        for ticket in tickets:
            lanes.setdefault((ticket.subscription, ticket.channel), []).append(ticket)
        if not lanes:
            return
        with ThreadPoolExecutor(max_workers=min(8, len(lanes)), thread_name_prefix="newsmon-deliver") as pool:
            results = list(pool.map(self._deliver_lane, lanes.values()))
        for outcomes in results:
            for ticket, status, error in outcomes:
                report = reports[ticket.digest_id]
                if status is not None:
                    report.deliveries[ticket.channel] = status
                if error:
                    report.errors[ticket.channel] = error

    def _deliver_lane(self, tickets: list[outbox.DeliveryTicket]
                      ) -> list[tuple[outbox.DeliveryTicket, str | None, str | None]]:
        outcomes = []
        down = None
        for ticket in tickets:
            if down:  # the channel failed all its tries on an earlier digest of this run: leave the rest for later
                outcomes.append((ticket, None, f"channel {ticket.channel}: not tried in this run (it is failing)"))
                continue
            status, error = self.deliver_one(ticket)
            outcomes.append((ticket, status, error))
            if status == outbox.FAILED:
                down = error
        return outcomes

    def _channel(self, ticket: outbox.DeliveryTicket) -> Channel | None:
        for sub in self.config.subscriptions:
            if sub.name == ticket.subscription:
                return next((c for c in sub.channels if c.label == ticket.channel), None)
        return None

    def deliver_one(self, ticket: outbox.DeliveryTicket) -> tuple[str | None, str | None]:
        """Claim, send its parts with retries, record. Returns (status, error) or (None, None) if another run holds
        it. A digest too long for one message goes as numbered parts; progress is recorded per part, so a delivery
        taken over from a dead run resumes where that run stopped (docs/delivery.md)."""
        channel = self._channel(ticket) if ticket.channel != CONSOLE else None
        progress = dict(ticket.progress or {"sent": 0, "sending": 0})
        unconfirmed_now = None
        if ticket.status == outbox.SENDING:
            in_flight = _in_flight(ticket.progress)
            if in_flight is not None and not self._may_resend(channel, ticket):
                parts = int(progress.get("parts", 1))
                unconfirmed_now = _unconfirmed_error(ticket, in_flight, parts)
                if in_flight >= parts:  # nothing after it: the delivery ends here, not resent
                    with self.db.session() as s:
                        taken = outbox.settle_unconfirmed(s, ticket, now=self.clock(), error=unconfirmed_now)
                    if not taken:
                        return None, None
                    log.warning("subscription %s: %s", ticket.subscription, unconfirmed_now)
                    return outbox.UNCONFIRMED, unconfirmed_now
                # Count the uncertain part as sent (at most once) and go on with the rest.
                progress.update(sent=in_flight, unconfirmed=[*progress.get("unconfirmed", []), in_flight])
        # Nothing is in flight under the new claim; a part a dead run was sending is sent again (with its own key)
        # unless it was just counted as unconfirmed.
        progress["sending"] = 0
        with self.db.session() as s:
            if not outbox.claim_delivery(s, ticket, owner=self.owner, now=self.clock(), progress=progress):
                return None, None
        if unconfirmed_now:
            log.warning("subscription %s: %s", ticket.subscription, unconfirmed_now)
        if ticket.channel != CONSOLE and channel is None:
            return self._failed(ticket, f"channel {ticket.channel} is no longer configured for subscription "
                                        f"{ticket.subscription}; the digest stays in the outbox")
        digest = Digest.from_dict(ticket.content["digest"])
        attempts = channel.attempts if channel else 1
        error = ""
        for attempt in range(attempts):
            if attempt:
                assert channel is not None
                self.sleep(channel.backoff_seconds * 2 ** (attempt - 1))
                with self.db.session() as s:
                    outbox.count_attempt(s, ticket.id, owner=self.owner, now=self.clock())
            message = Outgoing(digest, first_part=int(progress["sent"]) + 1,
                               on_part=lambda part, parts, accepted: self._record_part(ticket, progress, part, parts,
                                                                                       accepted))
            try:
                if channel is None:
                    self.console.send_text(message)
                else:
                    self.notifier.send(channel, message)
            except DeliveryError as exc:
                error = str(exc)
                log.info("subscription %s: attempt %d of %d failed: %s", ticket.subscription, attempt + 1, attempts,
                         error)
                if isinstance(exc, ChannelUnusable):
                    break
                continue
            except Exception as exc:  # a notifier bug must not leave the delivery claimed until the timeout
                error = scrub(f"channel {ticket.channel}: {type(exc).__name__}: {exc}")
                # No traceback: its text is not scrubbed.
                log.warning("subscription %s: attempt %d of %d failed unexpectedly: %s", ticket.subscription,
                            attempt + 1, attempts, error)
                continue
            skipped = progress.get("unconfirmed", [])
            note = (unconfirmed_now or _unconfirmed_error(ticket, skipped[-1], int(progress.get("parts", 1)))
                    if skipped else None)
            with self.db.session() as s:
                outbox.mark_sent(s, ticket.id, now=self.clock(), unconfirmed=note)
            return (outbox.UNCONFIRMED, note) if note else (outbox.SENT, None)
        return self._failed(ticket, error)

    def _record_part(self, ticket: outbox.DeliveryTicket, progress: dict, part: int, parts: int,
                     accepted: bool) -> None:
        """Record that `part` of `parts` is about to be sent (so a crash now leaves it marked in flight), or that the
        channel accepted it (so it is never sent again)."""
        if accepted and self.after_send:
            self.after_send(ticket.channel)
        progress.update(parts=parts, sent=part if accepted else part - 1, sending=0 if accepted else part)
        with self.db.session() as s:
            outbox.record_part(s, ticket.id, owner=self.owner, now=self.clock(), progress=dict(progress))

    def _may_resend(self, channel: Channel | None, ticket: outbox.DeliveryTicket) -> bool:
        if channel is None:
            return ticket.channel == CONSOLE  # printing twice is harmless; losing it is not
        if channel.on_unconfirmed != "auto":
            return channel.on_unconfirmed == "resend"
        return self.notifier.can_deduplicate(channel)

    def _failed(self, ticket: outbox.DeliveryTicket, error: str) -> tuple[str, str]:
        with self.db.session() as s:
            first = outbox.mark_failed(s, ticket.id, error=error, now=self.clock())
        if first:
            log.warning("subscription %s: digest %s not delivered to %s: %s", ticket.subscription,
                        ticket.digest_key[:12], ticket.channel, error)
        return outbox.FAILED, error


def run_digests(
    db: Database,
    config: Config,
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
) -> list[DigestReport]:
    """Send each selected subscription its new matches as one digest, exactly once per channel.

    Every digest is recorded (with its entries and one pending delivery per channel) before any channel is tried;
    deliveries an earlier run left open (it crashed, or a channel was down) go out in the same pass. `when` picks the
    subscriptions of one schedule ("after_ingest", "hourly", "daily"); `subscriptions` names them. dry_run prints the
    digests and records nothing. Returns one report per digest touched; nothing new and nothing open gives none.
    """
    subs = select_subscriptions(config, subscriptions, when)
    runner = DigestRunner(
        db, config, notifier=notifier or AppriseNotifier(env, base_dir=config.base_dir),
        console=console or sys.stdout,  # looked up per call: whatever stdout is now, not at import
        policy=policy, after_send=after_send, sleep=sleep,
    )
    if dry_run:
        reports = []
        for sub in subs:
            digest = runner.build(sub)
            if digest is None:
                continue
            runner.console.send_text(Outgoing(digest))
            reports.append(DigestReport(sub.name, digest.key, digest.stories, digest.articles, dry_run=True))
        return reports

    recorded: dict[int, DigestReport] = {}
    for sub in subs:
        made = runner.record(sub)
        if made is not None:
            digest_id, digest = made
            recorded[digest_id] = DigestReport(sub.name, digest.key, digest.stories, digest.articles)
    # Open deliveries of every subscription are resumed unless the caller named some: a daily digest that a crash
    # interrupted should not wait a day.
    tickets = runner.open_tickets(subscriptions=[s.name for s in subs] if subscriptions is not None else None)
    reports = dict(recorded)
    for ticket in tickets:
        if ticket.digest_id not in reports:
            data = ticket.content.get("digest", {})
            reports[ticket.digest_id] = DigestReport(ticket.subscription, ticket.digest_key, data.get("stories", 0),
                                                     data.get("articles", 0), resumed=True)
    runner.deliver(tickets, reports)
    return [r for i, r in sorted(reports.items()) if i in recorded or r.deliveries or r.errors]


def send_notice(
    config: Config,
    subject: str,
    body: str,
    *,
    env: Mapping[str, str] = os.environ,
    console: TextIO | None = None,
    notifier: Notifier | None = None,
) -> list[str]:
    """Send a one-off operational notice to every distinct channel of every subscription (the console when there is
    none). One try per channel, nothing recorded; failures are logged without secrets and returned, never raised."""
    notifier = notifier or AppriseNotifier(env, base_dir=config.base_dir)
    console = console or sys.stdout
    channels: dict[tuple[str | None, str | None], Channel] = {}
    for sub in config.subscriptions:
        for channel in sub.channels:
            channels.setdefault((channel.env, channel.apprise_config), channel)
    if not channels:
        notice = render_notice(subject, body, "text")
        console.write(notice.title + "\n" + notice.body + "\n")
        console.flush()
        return []
    errors = []
    for channel in channels.values():
        try:
            notifier.send_notice(channel, subject, body)
        except DeliveryError as exc:
            error = scrub(str(exc))
        except Exception as exc:  # a notice must never break the flow that sends it
            error = scrub(f"channel {channel.label}: {type(exc).__name__}: {exc}")
        else:
            continue
        log.warning("notice %r not delivered: %s", clean_text(subject)[:80], error)
        errors.append(error)
    return errors


def write_preview(db: Database, config: Config, path: str | Path, subscription: str | None = None) -> Path:
    """Write the next digest of `subscription` (default: the first) as an HTML file; records and sends nothing."""
    subs = select_subscriptions(config, [subscription] if subscription else None, None)
    if not subs:
        raise ConfigError("no subscriptions configured; add a [[subscriptions]] table to preview a digest")
    sub = subs[0]
    runner = DigestRunner(db, config, notifier=AppriseNotifier({}), console=sys.stdout, policy=DeliveryPolicy())
    digest = runner.build(sub) or Digest(
        subscription=sub.name, key="", title=f"newsmon · {sub.name} · no new stories", created="",
        timezone=sub.timezone, company_counts=(), topic_counts=(), groups=(), stories=0, articles=0,
    )
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    # One page with the whole digest, however long: a file has no message size limit.
    out.write_text(render(digest, "html", limit=sys.maxsize).body, encoding="utf-8")
    return out
