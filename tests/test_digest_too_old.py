"""A digest that sends nothing while there were matches says why: they were older than max_age_hours."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from pathlib import Path

from alerts.run import run_digests
from digest_fixtures import Stored, kt_article, make_config
from models.db import Database


def test_matches_all_older_than_max_age_are_counted_not_silent(any_db: Database, tmp_path: Path) -> None:
    stored = Stored(any_db)
    now = datetime.now(timezone.utc)
    for day in (10, 20, 30):  # a backfill of last month, stored just now
        kt_article(stored, f"KT, {day}일 전 기사", published_at=now - timedelta(days=day), fetched_at=now)
    kt_article(stored, "KT, 오래전에 저장된 옛 기사", published_at=now - timedelta(days=90),
               fetched_at=now - timedelta(days=89))  # stored long ago: no longer news to anyone, not counted
    config = make_config(tmp_path, [{"name": "team", "companies": ["kt"], "max_age_hours": 72}])
    out = io.StringIO()

    [report] = run_digests(any_db, config, console=out)

    assert out.getvalue() == ""  # nothing sent
    assert (report.digest_key, report.too_old) == (None, 3)
    assert report.summary() == "digest team: nothing new to send; 3 matches older than max_age_hours=72 not sent"
    [dry] = run_digests(any_db, config, console=io.StringIO(), dry_run=True)
    assert dry.too_old == 3


def test_a_digest_sent_alongside_old_matches_says_how_many_were_held_back(any_db: Database, tmp_path: Path) -> None:
    stored = Stored(any_db)
    now = datetime.now(timezone.utc)
    kt_article(stored, "KT, 지난달 기사", published_at=now - timedelta(days=30), fetched_at=now)
    kt_article(stored, "KT, 오늘 기사", published_at=now - timedelta(hours=2), fetched_at=now)
    config = make_config(tmp_path, [{"name": "team", "companies": ["kt"], "max_age_hours": 48}])
    out = io.StringIO()

    [report] = run_digests(any_db, config, console=out)

    assert "오늘 기사" in out.getvalue() and "지난달 기사" not in out.getvalue()
    assert report.summary() == ("digest team: digest of 1 stories (1 articles); sent to console; "
                                "1 matches older than max_age_hours=48 not sent")
    assert run_digests(any_db, config, console=io.StringIO())[0].digest_key is None  # the old one stays unsent


def test_no_matches_at_all_gives_no_report(any_db: Database, tmp_path: Path) -> None:
    config = make_config(tmp_path, [{"name": "team", "companies": ["kt"], "max_age_hours": 72}])
    assert run_digests(any_db, config, console=io.StringIO()) == []
