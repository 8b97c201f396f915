"""The digest outbox in SQL: a subscription's unsent matches, digests recorded before sending, delivery claims."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from models import tables as t
from models.db import Database
from newsmon.records import Tag

log = logging.getLogger("newsmon.alerts")

Built = TypeVar("Built")

# Delivery states. `sending` is claimed by a run that may be mid-send; `unconfirmed` is a `sending` whose run died
# and whose channel cannot be safely resent to (see docs/delivery.md).
PENDING, SENDING, SENT, FAILED, UNCONFIRMED = "pending", "sending", "sent", "failed", "unconfirmed"


@dataclass(frozen=True, slots=True)
class OtherCopy:
    """Another outlet's copy of a story (a near-duplicate, or a separate article of the same story)."""

    article_id: int
    outlet: str
    url: str | None


@dataclass(frozen=True, slots=True)
class Match:
    """A stored primary article that a subscription wants and has not been sent, with its tags and other copies."""

    article_id: int
    title: str
    url: str | None
    outlet: str
    published_at: datetime | None
    story_key: str | None
    tags: tuple[Tag, ...]
    also_in: tuple[OtherCopy, ...] = ()


@dataclass(frozen=True, slots=True)
class DeliveryTicket:
    """One channel's delivery of one recorded digest, as a run sees it before claiming it."""

    id: int
    digest_id: int
    subscription: str
    digest_key: str
    channel: str
    status: str
    attempts: int
    claimed_at: datetime | None
    claimed_by: str | None
    content: dict
    # How far a multi-part delivery got (see record_part); None before its first claim under this schema.
    progress: dict | None = None


def _outlet_expr():  # type: ignore[no-untyped-def]
    return func.coalesce(t.ArticleRow.publisher, t.SourceRow.name)


def unsent_matches(
    session: Session,
    subscription: str,
    *,
    companies: Sequence[str] = (),
    topics: Sequence[str] = (),
    match: str = "any",
    min_score: float = 0.0,
    include_outlets: Sequence[str] = (),
    exclude_outlets: Sequence[str] = (),
    newer_than: datetime | None = None,
    limit: int = 2000,
) -> list[Match]:
    """Primary articles matching the filter that no digest of `subscription` holds yet, oldest first."""
    art = t.ArticleRow
    query = _unsent(subscription, companies, topics, match, min_score, include_outlets, exclude_outlets)
    query = query.order_by(art.fetched_at, art.id).limit(limit)
    if newer_than is not None:
        query = query.where(func.coalesce(art.published_at, art.fetched_at) >= newer_than)
    ids = list(session.scalars(query))
    return load_matches(session, ids)


def count_unsent_too_old(
    session: Session,
    subscription: str,
    *,
    older_than: datetime,
    stored_since: datetime,
    companies: Sequence[str] = (),
    topics: Sequence[str] = (),
    match: str = "any",
    min_score: float = 0.0,
    include_outlets: Sequence[str] = (),
    exclude_outlets: Sequence[str] = (),
) -> int:
    """How many matches no digest of `subscription` holds were stored since `stored_since` but published before
    `older_than`: news to newsmon that is too old to send (a backfill, a feed's old items)."""
    art = t.ArticleRow
    query = _unsent(subscription, companies, topics, match, min_score, include_outlets, exclude_outlets).where(
        func.coalesce(art.published_at, art.fetched_at) < older_than, art.fetched_at >= stored_since)
    return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def _unsent(subscription: str, companies: Sequence[str], topics: Sequence[str], match: str, min_score: float,
            include_outlets: Sequence[str], exclude_outlets: Sequence[str]):  # type: ignore[no-untyped-def]
    """The ids of primary articles matching a subscription's filter that none of its digests holds."""
    art = t.ArticleRow

    def tag_with(kind: str | None, label: str | None):  # type: ignore[no-untyped-def]
        cond = [t.TagRow.article_id == art.id, t.TagRow.score >= min_score]
        if kind:
            cond += [t.TagRow.kind == kind, t.TagRow.label == label]
        return exists().where(*cond)

    wanted = [tag_with("company", c) for c in companies] + [tag_with("topic", x) for x in topics]
    if not wanted:
        tag_filter = tag_with(None, None)
    else:
        tag_filter = and_(*wanted) if match == "all" else or_(*wanted)
    already = exists().where(t.DigestEntryRow.subscription == subscription, t.DigestEntryRow.article_id == art.id)
    outlet = _outlet_expr()
    query = (
        select(art.id)
        .join(t.SourceRow, t.SourceRow.id == art.source_id)
        .where(art.duplicate_of_id.is_(None), ~already, tag_filter)
    )
    if include_outlets:
        query = query.where(outlet.in_(list(include_outlets)))
    if exclude_outlets:
        query = query.where(outlet.not_in(list(exclude_outlets)))
    return query


def load_matches(session: Session, ids: Sequence[int]) -> list[Match]:
    """The articles `ids` as matches, with tags and the other outlets' copies (near-duplicates pointing at them)."""
    if not ids:
        return []
    outlet = _outlet_expr()
    rows = session.execute(
        select(t.ArticleRow.id, t.ArticleRow.title, t.ArticleRow.url, outlet, t.ArticleRow.published_at,
               t.ArticleRow.story_key)
        .join(t.SourceRow, t.SourceRow.id == t.ArticleRow.source_id)
        .where(t.ArticleRow.id.in_(ids))
    ).all()
    tags: dict[int, list[Tag]] = {i: [] for i in ids}
    for row in session.execute(
        select(t.TagRow.article_id, t.TagRow.kind, t.TagRow.label, t.TagRow.score, t.TagRow.evidence,
               t.TagRow.terms).where(t.TagRow.article_id.in_(ids))
    ):
        tags[row.article_id].append(Tag(row.kind, row.label, row.score, row.evidence, tuple(row.terms or ())))
    copies: dict[int, list[OtherCopy]] = {i: [] for i in ids}
    for row in session.execute(
        select(t.ArticleRow.id, t.ArticleRow.duplicate_of_id, outlet, t.ArticleRow.url)
        .join(t.SourceRow, t.SourceRow.id == t.ArticleRow.source_id)
        .where(t.ArticleRow.duplicate_of_id.in_(ids))
        .order_by(t.ArticleRow.id)
    ):
        copies[row.duplicate_of_id].append(OtherCopy(row.id, row[2], row.url))
    by_id = {
        r.id: Match(
            article_id=r.id,
            title=r.title,
            url=r.url,
            outlet=r[3],
            published_at=r.published_at,
            story_key=r.story_key,
            tags=tuple(sorted(tags[r.id], key=lambda g: (-g.score, g.kind, g.label))),
            also_in=tuple(copies[r.id]),
        )
        for r in rows
    }
    return [by_id[i] for i in ids if i in by_id]


def record_digest(
    session: Session,
    *,
    subscription: str,
    key: str,
    article_ids: Iterable[int],
    channels: Sequence[str],
    content: dict,
    now: datetime,
) -> int:
    """Write a digest, its entries and one pending delivery per channel; return its id.

    Raises sqlalchemy.exc.IntegrityError when another run already recorded this digest or one of its articles for
    this subscription (the unique key and the unique (subscription, article_id)): that run owns them.
    """
    digest = t.DigestRow(subscription=subscription, key=key, content=content, created_at=now)
    session.add(digest)
    session.flush()
    session.add_all(t.DigestEntryRow(digest_id=digest.id, subscription=subscription, article_id=a) for a in article_ids)
    session.add_all(t.DeliveryRow(digest_id=digest.id, channel=c, status=PENDING, attempts=0) for c in channels)
    session.flush()
    return digest.id


@dataclass(frozen=True, slots=True)
class DigestDraft:
    """A digest ready to record: its idempotency key, the articles it holds, and its content (plain data)."""

    key: str
    article_ids: Sequence[int]
    content: dict


def record_next_digest(
    db: Database,
    subscription: str,
    draft: Callable[[], tuple[Built, DigestDraft] | None],
    *,
    channels: Sequence[str],
    clock: Callable[[], datetime],
    sleep: Callable[[float], None],
    tries: int = 6,
) -> tuple[int, Built] | None:
    """Record the digest `draft()` builds (with one pending delivery per channel); return its id and what `draft`
    built, or None when `draft` finds nothing new.

    A concurrent run that recorded some of the same articles first wins the unique constraints (or holds SQLite's
    write lock); the draft is then built again from what is left, up to `tries` times.
    """
    for attempt in range(tries):
        drafted = draft()
        if drafted is None:
            return None
        built, digest = drafted
        try:
            with db.session() as s:
                digest_id = record_digest(
                    s, subscription=subscription, key=digest.key, article_ids=digest.article_ids, channels=channels,
                    content=digest.content, now=clock(),
                )
            return digest_id, built
        except (IntegrityError, OperationalError) as exc:
            if isinstance(exc, OperationalError) and "locked" not in str(exc).lower():
                raise
            log.info("subscription %s: another run recorded these matches first; looking again", subscription)
            sleep(0.05 * (attempt + 1))
    log.warning("subscription %s: could not record its digest after several tries (concurrent runs or a "
                "constraint); its matches stay unsent for the next run", subscription)
    return None


def open_deliveries(
    session: Session,
    *,
    stale_before: datetime,
    max_attempts: int,
    is_dead: Callable[[str | None], bool] = lambda owner: False,
    subscriptions: Sequence[str] | None = None,
) -> list[DeliveryTicket]:
    """Deliveries a run may take: pending or failed ones with attempts left, and `sending` ones whose run is gone
    (its claim is older than `stale_before`, or `is_dead` says its owner process no longer runs)."""
    d, g = t.DeliveryRow, t.DigestRow
    query = (
        select(d.id, d.digest_id, g.subscription, g.key, d.channel, d.status, d.attempts, d.claimed_at, d.claimed_by,
               g.content, d.progress)
        .join(g, g.id == d.digest_id)
        .where(or_(and_(d.status.in_([PENDING, FAILED]), d.attempts < max_attempts), d.status == SENDING))
        .order_by(d.digest_id, d.id)
    )
    if subscriptions is not None:
        query = query.where(g.subscription.in_(list(subscriptions)))
    tickets = [DeliveryTicket(*row) for row in session.execute(query)]
    return [tk for tk in tickets if tk.status != SENDING or _abandoned(tk, stale_before, is_dead)]


def _abandoned(ticket: DeliveryTicket, stale_before: datetime, is_dead: Callable[[str | None], bool]) -> bool:
    claimed = ticket.claimed_at
    return claimed is None or claimed < stale_before or is_dead(ticket.claimed_by)


def _seen_claim(ticket: DeliveryTicket):  # type: ignore[no-untyped-def]
    """The compare-and-set condition: the delivery is still in the state (and claim) this run saw."""
    d = t.DeliveryRow
    cond = [d.id == ticket.id, d.status == ticket.status]
    if ticket.status == SENDING:
        cond.append(d.claimed_by == ticket.claimed_by if ticket.claimed_by else d.claimed_by.is_(None))
    return cond


def claim_delivery(session: Session, ticket: DeliveryTicket, *, owner: str, now: datetime,
                   progress: dict | None = None) -> bool:
    """Take `ticket` for this run (compare-and-set on the status and claim it was seen in); False when another run
    took it first. `progress` is written with the claim when given."""
    d = t.DeliveryRow
    values: dict = {"status": SENDING, "claimed_at": now, "claimed_by": owner, "attempts": d.attempts + 1}
    if progress is not None:
        values["progress"] = progress
    result = session.execute(
        update(d).where(*_seen_claim(ticket)).values(**values).execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def record_part(session: Session, delivery_id: int, *, owner: str, now: datetime, progress: dict) -> None:
    """Write a multi-part delivery's progress under this run's claim (before a part is sent and after it was
    accepted), refreshing the claim so other runs keep off a long delivery."""
    d = t.DeliveryRow
    session.execute(
        update(d).where(d.id == delivery_id, d.status == SENDING, d.claimed_by == owner)
        .values(progress=progress, claimed_at=now)
        .execution_options(synchronize_session=False)
    )


def count_attempt(session: Session, delivery_id: int, *, owner: str, now: datetime) -> None:
    """A further try under this run's claim: refresh the claim so other runs keep off it, and count the attempt."""
    d = t.DeliveryRow
    session.execute(
        update(d).where(d.id == delivery_id, d.status == SENDING, d.claimed_by == owner)
        .values(claimed_at=now, attempts=d.attempts + 1)
        .execution_options(synchronize_session=False)
    )


def mark_sent(session: Session, delivery_id: int, *, now: datetime, unconfirmed: str | None = None) -> None:
    """Every part went out. With `unconfirmed` (why), a part was not resent after a crash: the delivery ends
    `unconfirmed`, as reported then."""
    d = t.DeliveryRow
    session.execute(
        update(d).where(d.id == delivery_id)
        .values(status=UNCONFIRMED if unconfirmed else SENT, sent_at=now, claimed_at=None, claimed_by=None,
                last_error=unconfirmed[:2000] if unconfirmed else None)
        .execution_options(synchronize_session=False)
    )


def mark_failed(session: Session, delivery_id: int, *, error: str, now: datetime, status: str = FAILED) -> bool:
    """Record a failure; True the first time this delivery fails (the caller reports it then, and only then)."""
    d = t.DeliveryRow
    session.execute(
        update(d).where(d.id == delivery_id)
        .values(status=status, claimed_at=None, claimed_by=None, last_error=error[:2000])
        .execution_options(synchronize_session=False)
    )
    first = session.execute(
        update(d).where(d.id == delivery_id, d.reported_at.is_(None)).values(reported_at=now)
        .execution_options(synchronize_session=False)
    )
    return first.rowcount == 1


def settle_unconfirmed(session: Session, ticket: DeliveryTicket, *, now: datetime, error: str) -> bool:
    """Mark a dead run's `sending` as unconfirmed instead of resending; True if this run did it (and reports it)."""
    d = t.DeliveryRow
    result = session.execute(
        update(d)
        .where(*_seen_claim(ticket))
        .values(status=UNCONFIRMED, claimed_at=None, claimed_by=None, reported_at=now, last_error=error[:2000])
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


@dataclass(frozen=True, slots=True)
class StoredDigest:
    """A recorded digest as the web view shows it: what was built (plain data) and when it was recorded."""

    key: str
    subscription: str
    created_at: datetime
    content: dict


def stored_digest(session: Session, key: str) -> StoredDigest | None:
    """The digest recorded under `key`, or None."""
    row = session.execute(
        select(t.DigestRow.key, t.DigestRow.subscription, t.DigestRow.created_at, t.DigestRow.content)
        .where(t.DigestRow.key == key)
    ).first()
    return StoredDigest(*row) if row else None
