"""SQLAlchemy 2 typed ORM models: sources, articles, tags, digests and their per-channel deliveries, backfill days."""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UtcDateTime(TypeDecorator[datetime]):
    """A point in time, stored in UTC and read back timezone-aware in UTC on every database. SQLite keeps no offset,
    so a time is converted to UTC before it is written (or compared) and marked UTC when it is read; a naive time
    given to it is taken as UTC already."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is None:
            return value
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    pass


class SourceRow(Base):
    """A configured source and its health; ETag/Last-Modified make re-polls conditional."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    last_success_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    # When subscribers were told of the current failure streak; cleared on the next success.
    failure_alerted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # Keys (feed guids, article links) of items already read, oldest first, so a re-poll neither re-fetches nor
    # re-emits them; bounded by fetch.remember_seen_items. None before the first successful read.
    seen_items: Mapped[list[str] | None] = mapped_column(JSON)


class ArticleRow(Base):
    """One stored article. Exact duplicates (same canonical URL or same text) are never stored twice;
    near-duplicates are stored and point at the kept copy through `duplicate_of_id`."""

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    external_id: Mapped[str | None] = mapped_column(String(500))
    url: Mapped[str | None] = mapped_column(Text)
    canonical_url: Mapped[str | None] = mapped_column(String(2000), unique=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    publisher: Mapped[str | None] = mapped_column(String(200))
    author: Mapped[str | None] = mapped_column(String(500))
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    fetched_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id"), index=True)
    story_key: Mapped[str | None] = mapped_column(String(64), index=True)
    # MinHash signature of the core text (near-duplicate index): a format tag, then little-endian uint32 values
    # (dedupe.near.pack); a row without one, or of another format, is signed again when an index is rebuilt.
    minhash: Mapped[bytes | None] = mapped_column(LargeBinary)

    source: Mapped[SourceRow] = relationship()
    tags: Mapped[list["TagRow"]] = relationship(back_populates="article", cascade="all, delete-orphan")

    __table_args__ = (Index("ix_articles_source_external", "source_id", "external_id"),)


class TagRow(Base):
    """A company or topic on an article, with its score and the evidence sentence that fired it."""

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    label: Mapped[str] = mapped_column(String(100))
    score: Mapped[float] = mapped_column(Float)
    evidence: Mapped[str] = mapped_column(Text)
    terms: Mapped[list[str]] = mapped_column(JSON, default=list)

    article: Mapped[ArticleRow] = relationship(back_populates="tags")

    __table_args__ = (
        UniqueConstraint("article_id", "kind", "label", name="uq_tags_article_kind_label"),
        Index("ix_tags_kind_label", "kind", "label"),
    )


class DigestRow(Base):
    """A digest recorded before any channel is tried (the outbox). `key` is its idempotency key."""

    __tablename__ = "digests"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription: Mapped[str] = mapped_column(String(200), index=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # The built digest (plain data, alerts.digest.Digest) and its size cap, so a resend after a crash renders exactly
    # what was first built, whatever has been stored since.
    content: Mapped[dict] = mapped_column(JSON, default=dict)

    entries: Mapped[list["DigestEntryRow"]] = relationship(back_populates="digest", cascade="all, delete-orphan")
    deliveries: Mapped[list["DeliveryRow"]] = relationship(back_populates="digest", cascade="all, delete-orphan")


class DigestEntryRow(Base):
    """An article placed in a digest. Unique per subscription, so an article is never sent twice to one."""

    __tablename__ = "digest_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest_id: Mapped[int] = mapped_column(ForeignKey("digests.id", ondelete="CASCADE"), index=True)
    subscription: Mapped[str] = mapped_column(String(200))
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"))

    digest: Mapped[DigestRow] = relationship(back_populates="entries")

    __table_args__ = (UniqueConstraint("subscription", "article_id", name="uq_digest_entries_subscription_article"),)


class DeliveryRow(Base):
    """One channel's delivery of one digest: pending until the channel accepted it, then sent."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest_id: Mapped[int] = mapped_column(ForeignKey("digests.id", ondelete="CASCADE"))
    # The channel's label (its name or the environment variable's name), never the URL.
    channel: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Which run holds the claim ("host:pid:token"), so a restart on the same host can tell a dead run's claim from a
    # live one's without waiting for the claim timeout.
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reported_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # A digest in several messages: {"parts": n, "sent": k, "sending": j, "unconfirmed": [...]} (alerts.run).
    progress: Mapped[dict | None] = mapped_column(JSON)

    digest: Mapped[DigestRow] = relationship(back_populates="deliveries")

    __table_args__ = (UniqueConstraint("digest_id", "channel", name="uq_deliveries_digest_channel"),)


class SpikeRow(Base):
    """A surge of stories about one of a subscription's companies or topics, told once (alerts/spikes.py): when it
    was seen, the counts that made it one, the notice recorded in the outbox for it, and when it was seen to end."""

    __tablename__ = "spikes"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))
    label: Mapped[str] = mapped_column(String(100))
    detected_at: Mapped[datetime] = mapped_column(UtcDateTime)
    window_start: Mapped[datetime] = mapped_column(UtcDateTime)
    stories: Mapped[int] = mapped_column(Integer)
    baseline: Mapped[float] = mapped_column(Float)
    threshold: Mapped[float] = mapped_column(Float)
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("digests.id", ondelete="SET NULL"))
    # Set by the first run that finds the count back under the threshold; until then the spike is open and told no
    # more.
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_spikes_subscription_label", "subscription", "kind", "label", "detected_at"),)

class BackfillDayRow(Base):
    """One day of one source's backfill, once read: what it found, stored, already knew and failed to read.
    `finished` is true when every listing page, sitemap and article of the day was read; a finished day is not read
    again (unless asked with --refresh), an unfinished one is read again by the next backfill."""

    __tablename__ = "backfill_days"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(200))
    day: Mapped[date] = mapped_column(Date)
    finished: Mapped[bool] = mapped_column(Boolean, default=False)
    found: Mapped[int] = mapped_column(Integer, default=0)
    stored: Mapped[int] = mapped_column(Integer, default=0)
    known: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    # Links beyond the source's max_articles_per_day (not read) and listing pages or sitemaps fetched.
    capped: Mapped[int] = mapped_column(Integer, default=0)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    # The first few errors, one "URL: reason" per line.
    errors: Mapped[str | None] = mapped_column(Text)
    read_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("source", "day", name="uq_backfill_days_source_day"),)
