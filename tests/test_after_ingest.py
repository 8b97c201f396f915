"""An ingest run with nothing new runs no digest pass, unless deliveries an earlier run left open wait for one."""

from __future__ import annotations

import io
from pathlib import Path

from alerts.run import after_ingest_due, run_digests
from digest_fixtures import Stored, kt_article, make_config
from models.db import Database


def test_nothing_new_and_nothing_open_needs_no_digest_pass(any_db: Database, tmp_path: Path) -> None:
    kt_article(Stored(any_db))
    config = make_config(tmp_path, [{"name": "team", "companies": ["kt"]}])
    assert after_ingest_due(any_db, config, new_articles=1)
    assert not after_ingest_due(any_db, config, new_articles=0)


def test_a_delivery_left_open_is_resumed_after_a_run_with_nothing_new(any_db: Database, tmp_path: Path) -> None:
    kt_article(Stored(any_db))
    channel = {"name": "mail", "env": "NEWSMON_TEST_UNSET_MAIL_URL", "attempts": 1, "backoff_seconds": 0}
    config = make_config(tmp_path, [{"name": "team", "companies": ["kt"], "channels": [channel]}])
    [report] = run_digests(any_db, config, env={}, console=io.StringIO(), sleep=lambda _: None)
    assert "mail" in report.errors  # not delivered: it stays open in the outbox
    assert after_ingest_due(any_db, config, new_articles=0)
