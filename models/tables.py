"""SQLAlchemy 2 typed ORM models: sources, articles, tags, digests and their per-channel deliveries."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    JSON,
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
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    pass


class Source(Base):
    """A configured source and its health; ETag/Last-Modified make re-polls conditional."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    # When subscribers were told of the current failure streak; cleared on the next success.
    failure_alerted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Keys (feed guids, article links) of items already read, oldest first, so a re-poll neither re-fetches nor
    # re-emits them; bounded by fetch.remember_seen_items. None before the first successful read.
    seen_items: Mapped[list[str] | None] = mapped_column(JSON)


class Article(Base):
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
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id"), index=True)
    story_key: Mapped[str | None] = mapped_column(String(64), index=True)
    # MinHash signature of the core text (near-duplicate index): a format tag, then little-endian uint32 values
    # (dedupe.near.pack); a row without one, or of another format, is signed again when an index is rebuilt.
    minhash: Mapped[bytes | None] = mapped_column(LargeBinary)

    source: Mapped[Source] = relationship()
    tags: Mapped[list["Tag"]] = relationship(back_populates="article", cascade="all, delete-orphan")

    __table_args__ = (Index("ix_articles_source_external", "source_id", "external_id"),)


class Tag(Base):
    """A company or topic on an article, with its score and the evidence sentence that fired it."""

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    label: Mapped[str] = mapped_column(String(100))
    score: Mapped[float] = mapped_column(Float)
    evidence: Mapped[str] = mapped_column(Text)
    terms: Mapped[list[str]] = mapped_column(JSON, default=list)

    article: Mapped[Article] = relationship(back_populates="tags")

    __table_args__ = (
        UniqueConstraint("article_id", "kind", "label", name="uq_tags_article_kind_label"),
        Index("ix_tags_kind_label", "kind", "label"),
    )


class Digest(Base):
    """A digest recorded before any channel is tried (the outbox). `key` is its idempotency key."""

    __tablename__ = "digests"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription: Mapped[str] = mapped_column(String(200), index=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The built digest (plain data, alerts.digest.Digest) and its size cap, so a resend after a crash renders exactly
    # what was first built, whatever has been stored since.
    content: Mapped[dict] = mapped_column(JSON, default=dict)

    entries: Mapped[list["DigestEntry"]] = relationship(back_populates="digest", cascade="all, delete-orphan")
    deliveries: Mapped[list["Delivery"]] = relationship(back_populates="digest", cascade="all, delete-orphan")


class DigestEntry(Base):
    """An article placed in a digest. Unique per subscription, so an article is never sent twice to one."""

    __tablename__ = "digest_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest_id: Mapped[int] = mapped_column(ForeignKey("digests.id", ondelete="CASCADE"), index=True)
    subscription: Mapped[str] = mapped_column(String(200))
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"))

    digest: Mapped[Digest] = relationship(back_populates="entries")

    __table_args__ = (UniqueConstraint("subscription", "article_id", name="uq_digest_entries_subscription_article"),)


class Delivery(Base):
    """One channel's delivery of one digest: pending until the channel accepted it, then sent."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest_id: Mapped[int] = mapped_column(ForeignKey("digests.id", ondelete="CASCADE"))
    # The channel's label (its name or the environment variable's name), never the URL.
    channel: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Which run holds the claim ("host:pid:token"), so a restart on the same host can tell a dead run's claim from a
    # live one's without waiting for the claim timeout.
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A digest in several messages: {"parts": n, "sent": k, "sending": j, "unconfirmed": [...]} (alerts.run).
    progress: Mapped[dict | None] = mapped_column(JSON)

    digest: Mapped[Digest] = relationship(back_populates="deliveries")

    __table_args__ = (UniqueConstraint("digest_id", "channel", name="uq_deliveries_digest_channel"),)
