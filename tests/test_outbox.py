"""models.outbox on real databases: digests recorded once per article, conflicting writes retried from what is left,
claims taken by one run only, and abandoned claims found again."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from digest_fixtures import BASE_TIME, Stored, kt_article
from models import outbox
from models import tables as t
from models.db import Database

NOW = BASE_TIME + timedelta(days=1)


def record(db: Database, article_ids: list[int], key: str, channels: tuple[str, ...] = ("console",)) -> int:
    with db.session() as s:
        return outbox.record_digest(s, subscription="team", key=key, article_ids=article_ids, channels=channels,
                                    content={"digest": {}}, now=NOW)


def tickets(db: Database, **kw) -> list[outbox.DeliveryTicket]:  # type: ignore[no-untyped-def]
    with db.session() as s:
        return outbox.open_deliveries(s, stale_before=kw.pop("stale_before", NOW - timedelta(minutes=15)),
                                      max_attempts=30, **kw)


def test_a_conflicting_record_is_drafted_again_from_what_is_left(any_db: Database) -> None:
    stored = Stored(any_db)
    first, second = kt_article(stored), kt_article(stored, title="KT 믿음 후속")
    record(any_db, [first], key="other-run")  # another run recorded `first` for this subscription already
    drafts: list[list[int]] = []
    waits: list[float] = []

    def draft():  # type: ignore[no-untyped-def]
        ids = [first, second] if not drafts else [second]
        drafts.append(ids)
        return f"built {ids}", outbox.DigestDraft(f"key-{len(drafts)}", ids, {"digest": {"n": len(ids)}})

    made = outbox.record_next_digest(any_db, "team", draft, channels=["console", "mail"], clock=lambda: NOW,
                                     sleep=waits.append)

    assert made is not None and made[1] == f"built {[second]}"
    assert drafts == [[first, second], [second]] and len(waits) == 1
    with any_db.session() as s:
        digest = s.get(t.DigestRow, made[0])
        assert digest is not None and digest.key == "key-2" and digest.content == {"digest": {"n": 1}}
        assert [e.article_id for e in digest.entries] == [second]
        assert sorted(d.channel for d in digest.deliveries) == ["console", "mail"]


def test_nothing_new_records_nothing(db: Database) -> None:
    assert outbox.record_next_digest(db, "team", lambda: None, channels=["console"], clock=lambda: NOW,
                                     sleep=lambda _: None) is None
    with db.session() as s:
        assert s.scalars(select(t.DigestRow)).all() == []


def test_a_conflict_that_never_clears_gives_up_and_says_so(db: Database, caplog: pytest.LogCaptureFixture) -> None:
    article = kt_article(Stored(db))
    record(db, [article], key="taken")

    def same_again():  # type: ignore[no-untyped-def]
        return None, outbox.DigestDraft("taken", [article], {})

    with caplog.at_level(logging.INFO, logger="newsmon.alerts"):
        made = outbox.record_next_digest(db, "team", same_again, channels=["console"], clock=lambda: NOW,
                                         sleep=lambda _: None, tries=3)

    assert made is None
    assert len([r for r in caplog.records if "looking again" in r.getMessage()]) == 3
    assert any("stay unsent" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)


def test_a_delivery_is_claimed_by_one_run_only(any_db: Database) -> None:
    record(any_db, [kt_article(Stored(any_db))], key="d1")
    (ticket,) = tickets(any_db)
    with any_db.session() as s:
        assert outbox.claim_delivery(s, ticket, owner="host:1:a", now=NOW)
    with any_db.session() as s:
        assert not outbox.claim_delivery(s, ticket, owner="host:2:b", now=NOW)  # seen as pending, now sending
    assert tickets(any_db, stale_before=NOW - timedelta(minutes=15)) == []


def test_an_abandoned_claim_is_open_again_by_age_or_by_its_dead_owner(any_db: Database) -> None:
    record(any_db, [kt_article(Stored(any_db))], key="d1")
    (ticket,) = tickets(any_db)
    with any_db.session() as s:
        outbox.claim_delivery(s, ticket, owner="host:1:a", now=NOW)

    assert tickets(any_db, stale_before=NOW - timedelta(minutes=1)) == []
    (stale,) = tickets(any_db, stale_before=NOW + timedelta(seconds=1))
    assert stale.status == outbox.SENDING and stale.claimed_by == "host:1:a"
    (dead,) = tickets(any_db, stale_before=NOW - timedelta(minutes=1), is_dead=lambda owner: owner == "host:1:a")
    assert dead.id == ticket.id


def test_times_come_back_aware_in_utc(any_db: Database) -> None:
    record(any_db, [kt_article(Stored(any_db))], key="d1")
    (ticket,) = tickets(any_db)
    seoul_noon = datetime(2025, 12, 29, 12, 0, tzinfo=timezone(timedelta(hours=9)))
    with any_db.session() as s:
        outbox.claim_delivery(s, ticket, owner="host:1:a", now=seoul_noon)
    (claimed,) = tickets(any_db, stale_before=seoul_noon + timedelta(seconds=1))
    assert claimed.claimed_at == seoul_noon and claimed.claimed_at.tzinfo == timezone.utc
    assert claimed.claimed_at.hour == 3


def test_a_failure_is_reported_the_first_time_only(db: Database) -> None:
    record(db, [kt_article(Stored(db))], key="d1")
    (ticket,) = tickets(db)
    with db.session() as s:
        assert outbox.mark_failed(s, ticket.id, error="channel mail: refused", now=NOW)
    with db.session() as s:
        assert not outbox.mark_failed(s, ticket.id, error="channel mail: refused again", now=NOW)
    (again,) = tickets(db)
    assert again.status == outbox.FAILED
