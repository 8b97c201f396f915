"""Delivering recorded digests: claim each open delivery, send it per channel with retries and backoff, record the
outcome; a delivery a dead run left mid-send is resent only where the channel can deduplicate it."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from alerts.claims import claim_owner, owner_is_dead
from alerts.config import Channel, DeliveryPolicy, Subscription
from alerts.deliver import ChannelUnusable, ConsoleNotifier, Notifier, Outgoing, scrub
from alerts.digest import Digest
from models import outbox
from models.db import Database
from models.tables import utcnow
from newsmon.errors import DeliveryError

log = logging.getLogger("newsmon.alerts")

CONSOLE = "console"

# A ticket, the delivery status this run left it in (None: another run holds it), and the error to report.
Outcome = tuple[outbox.DeliveryTicket, str | None, str | None]


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


class Dispatcher:
    """One run's delivery machinery: the database, the configured channels, the notifiers and the policy, passed in."""

    def __init__(
        self,
        db: Database,
        subscriptions: Sequence[Subscription],
        *,
        notifier: Notifier,
        console: ConsoleNotifier,
        policy: DeliveryPolicy,
        clock: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], None] = time.sleep,
        after_send: Callable[[str], None] | None = None,
    ) -> None:
        self.db = db
        self.subscriptions = subscriptions
        self.notifier = notifier
        self.console = console
        self.policy = policy
        self.clock = clock
        self.sleep = sleep
        self.after_send = after_send
        self.owner = claim_owner()

    def _stale_before(self) -> datetime:
        return self.clock() - timedelta(seconds=self.policy.claim_timeout_seconds)

    def open_tickets(self, *, subscriptions: list[str] | None = None) -> list[outbox.DeliveryTicket]:
        with self.db.session() as s:
            return outbox.open_deliveries(
                s, stale_before=self._stale_before(), max_attempts=self.policy.max_attempts_total,
                is_dead=owner_is_dead, subscriptions=subscriptions,
            )

    def deliver(self, tickets: list[outbox.DeliveryTicket]) -> list[Outcome]:
        """Deliver per channel, each channel in its own thread so that one channel's retries and backoff never hold
        up another; a channel's digests go in the order they were recorded. One outcome per ticket."""
        lanes: dict[tuple[str, str], list[outbox.DeliveryTicket]] = {}
        for ticket in tickets:
            lanes.setdefault((ticket.subscription, ticket.channel), []).append(ticket)
        if not lanes:
            return []
        with ThreadPoolExecutor(max_workers=min(8, len(lanes)), thread_name_prefix="newsmon-deliver") as pool:
            results = list(pool.map(self._deliver_lane, lanes.values()))
        return [outcome for outcomes in results for outcome in outcomes]

    def _deliver_lane(self, tickets: list[outbox.DeliveryTicket]) -> list[Outcome]:
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
        for sub in self.subscriptions:
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
