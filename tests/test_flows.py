"""The Prefect flows for real (one shared Prefect test server): ingest twice, a broken source, backfill re-runs, and
the `newsmon` command in a child process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models import tables as t
from models.db import Database
from app.config import DEFAULT_CONFIG, PROJECT_ROOT

pytestmark = pytest.mark.usefixtures("prefect_api")

# Articles written for these tests (not third-party text): two match the default watchlist, one does not.
RECORDS = [
    {"id": "t-001", "title": "KT, 자체 거대언어모델 '믿음 2.0' 공개", "publisher": "테스트일보", "author": "김기자",
     "published_at": "2026-01-01 09:00", "url": "https://news.example.com/a/1?utm_source=feed",
     "body": "KT는 1일 자체 개발한 거대언어모델(LLM) '믿음 2.0'을 공개했다. 회사는 기업 고객을 위한 AI 서비스를 "
             "올해 안에 내놓겠다고 밝혔다. 업계는 통신사의 AI 경쟁이 본격화될 것으로 본다."},
    {"id": "t-002", "title": "카카오, 새 AI 비서 서비스 시험 운영", "publisher": "예시경제", "author": "이기자",
     "published_at": "2026-01-02 10:30", "url": "https://news.example.com/a/2",
     "body": "카카오가 2일 새 AI 비서 서비스의 시험 운영을 시작했다. 카카오는 자체 언어모델을 바탕으로 대화형 "
             "서비스를 고도화할 계획이다. 정식 출시는 하반기로 예정돼 있다."},
    {"id": "t-003", "title": "주말 전국 대체로 맑음…아침 기온 뚝", "publisher": "예시일보", "author": "박기자",
     "published_at": "2026-01-03 06:00", "url": "https://news.example.com/a/3",
     "body": "이번 주말은 전국이 대체로 맑겠으나 아침 기온이 크게 떨어지겠다. 기상청은 건강 관리에 유의해 달라고 "
             "당부했다. 다음 주 초에는 구름이 많아지겠다."},
]


def make_project(root: Path, *, malformed: bool = False, broken_source: bool = False) -> Path:
    """A configuration like the shipped default (same watchlist and console subscription) in its own folder, with
    the seeds and a JSON Lines source of our own articles."""
    shutil.copytree(PROJECT_ROOT / "seeds", root / "seeds")
    (root / "inbox").mkdir()
    lines = [json.dumps(r, ensure_ascii=False) for r in RECORDS]
    if malformed:
        lines.insert(1, '{"id": "t-bad", "title": "잘린 줄"')
    (root / "inbox" / "articles.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    extra = '\n[[sources]]\nname = "inbox"\nkind = "jsonl"\npath = "inbox"\n'
    if broken_source:
        extra += '\n[[sources]]\nname = "gone"\nkind = "jsonl"\npath = "no/such/folder"\n'
    config = root / "newsmon.toml"
    config.write_text(text + extra, encoding="utf-8")
    return config


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("NEWSMON_DATABASE_URL", raising=False)
    return make_project(tmp_path)


def database(config: Path) -> Database:
    return Database(f"sqlite:///{config.parent / 'var' / 'newsmon.db'}")


def counts(db: Database) -> dict[str, int]:
    with db.session() as s:
        return {name: s.scalar(select(func.count()).select_from(table)) or 0
                for name, table in (("articles", t.ArticleRow), ("tags", t.TagRow), ("digests", t.DigestRow),
                                    ("deliveries", t.DeliveryRow))}


def test_ingest_twice_stores_once_and_sends_one_digest(project: Path) -> None:
    from flows.ingest import ingest

    first = ingest(config_path=str(project))
    assert first["failed"] == []
    assert first["new"] == 5  # two seeds and three articles of our own
    db = database(project)
    after_first = counts(db)
    assert after_first["articles"] == 5
    assert after_first["digests"] == 1
    with db.session() as s:
        deliveries = s.execute(select(t.DeliveryRow.channel, t.DeliveryRow.status)).all()
        labels = {label for (label,) in s.execute(select(t.TagRow.label).join(t.ArticleRow).where(
            t.ArticleRow.external_id == "000_60909971c8b3e5f5"))}
    assert deliveries == [("console", "sent")]
    assert {"kt", "microsoft", "llm", "ms_dependence", "layoffs"} <= labels
    assert not labels & {"skt", "lguplus"}

    second = ingest(config_path=str(project))
    assert second["new"] == 0
    assert counts(db) == after_first  # nothing stored twice, no second digest


def test_malformed_line_and_broken_source_do_not_stop_the_rest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    from flows.ingest import ingest

    monkeypatch.delenv("NEWSMON_DATABASE_URL", raising=False)
    config = make_project(tmp_path, malformed=True, broken_source=True)
    summary = ingest(config_path=str(config), send_digest=False)
    assert summary["failed"] == ["gone"]
    assert "no/such/folder" in summary["sources"]["gone"] or "does not exist" in summary["sources"]["gone"]
    assert "1 skipped with errors" in summary["sources"]["inbox"]
    assert summary["new"] == 5  # the seeds and all three good lines
    assert counts(database(config))["digests"] == 0


def test_backfill_takes_the_range_and_reruns_without_duplicates(project: Path) -> None:
    from flows.ingest import backfill

    first = backfill(since=date(2026, 1, 1), until=date(2026, 1, 2), sources=["inbox"], config_path=str(project))
    assert first["new"] == 2
    assert "1 outside the date range" in first["sources"]["inbox"]
    db = database(project)
    with db.session() as s:
        stored = sorted(s.scalars(select(t.ArticleRow.external_id)))
    assert stored == ["t-001", "t-002"]
    again = backfill(since=date(2026, 1, 1), until=date(2026, 1, 2), sources=["inbox"], config_path=str(project))
    assert again["new"] == 0
    with db.session() as s:
        assert sorted(s.scalars(select(t.ArticleRow.external_id))) == stored
    assert counts(db)["digests"] == 0  # backfilled matches are old news unless a digest is asked for
    wider = backfill(since=date(2026, 1, 1), until=date(2026, 1, 3), sources=["inbox"], config_path=str(project))
    assert wider["new"] == 1


def test_backfill_rejects_an_inverted_range(project: Path) -> None:
    from flows.ingest import backfill

    with pytest.raises(ValueError, match="before since"):
        backfill(since=date(2026, 1, 3), until=date(2026, 1, 1), config_path=str(project))


def newsmon(*args: str, config: Path, api: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PREFECT_API_URL": api, "NEWSMON_CONFIG": str(config)}
    env.pop("NEWSMON_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "flows.cli", *args], capture_output=True, text=True, env=env,
                          stdin=subprocess.DEVNULL, timeout=timeout, cwd=config.parent)


def test_newsmon_run_prints_the_digest_once(project: Path, prefect_api: str) -> None:
    first = newsmon("run", config=project, api=prefect_api)
    assert first.returncode == 0, first.stderr[-3000:]
    # The seeds carry no published time (stored now: news); our own articles are dated January 2026, older than
    # the subscription's max_age_hours, so they are stored but not sent.
    assert "MS와 거대언어 개발, '믿음'은 소형언어 공략" in first.stdout
    assert "[팩플] KT “MS와 AI·클라우드에 2.4조 투자”" in first.stdout
    assert "믿음 2.0" not in first.stdout
    assert "inbox: 3 read, 3 new" in first.stderr
    second = newsmon("run", config=project, api=prefect_api)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "MS와 거대언어 개발" not in second.stdout
    assert "inbox: 3 read, 0 new" in second.stderr


def test_newsmon_reports_a_bad_configuration_by_key(tmp_path: Path, prefect_api: str) -> None:
    config = make_project(tmp_path)
    config.write_text(config.read_text(encoding="utf-8").replace('when = "after_ingest"', 'when = "monthly"'),
                      encoding="utf-8")
    result = newsmon("run", config=config, api=prefect_api, timeout=60)
    assert result.returncode == 2
    assert "subscriptions[0].when" in result.stderr
    assert "Traceback" not in result.stderr


def test_ingest_polls_a_feed_over_http_and_warns_once_about_a_failing_one(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A real local HTTP server: one good feed with full text, one that always answers 500. The good one is stored
    once over three polls (then 304s); the bad one fails each poll, never stops the good one, and is reported to the
    subscribers once, when it reaches failures_before_alert."""
    from local_server import LocalServer, Reply, rss_feed
    from test_web_flow import conditional

    from flows.ingest import ingest
    from models.web_store import source_health

    monkeypatch.delenv("NEWSMON_DATABASE_URL", raising=False)
    srv = LocalServer()
    try:
        feed = rss_feed([{"guid": "g-1", "link": "https://news.example.kr/a/1", "title": "KT, 새 AI 서비스 출시",
                          "date": "Mon, 05 Jan 2026 09:00:00 +0900",
                          "body": "<p>KT가 5일 새 인공지능 서비스를 내놓았다. 회사는 올해 가입자 100만 명을 목표로 "
                                  "한다고 밝혔다.</p><p>업계에서는 통신사들이 인공지능 경쟁에 뛰어들었다는 평가가 "
                                  "나온다.</p>"}])
        srv.add("/feed", conditional(feed))
        srv.add("/broken", Reply(500, body=b"oops"))
        config = make_project(tmp_path)
        config.write_text(config.read_text(encoding="utf-8").replace(
            "failures_before_alert = 3", "failures_before_alert = 2\nretries = 0") + f"""
[[sources]]
name = "good-feed"
kind = "rss"
url = "{srv.url('/feed')}"
allow_private = true
respect_robots = false

[[sources]]
name = "bad-feed"
kind = "rss"
url = "{srv.url('/broken')}"
allow_private = true
respect_robots = false
""", encoding="utf-8")
        runs = [ingest(config_path=str(config), sources=["good-feed", "bad-feed"], send_digest=False)
                for _ in range(3)]
    finally:
        srv.close()
    assert [r["new"] for r in runs] == [1, 0, 0]
    assert all(r["failed"] == ["bad-feed"] for r in runs)
    assert "500" in runs[0]["sources"]["bad-feed"]
    assert runs[1]["sources"]["good-feed"] == "good-feed: not modified since the last poll"
    db = database(config)
    with db.session() as s:
        assert s.scalars(select(t.ArticleRow.title)).all() == ["KT, 새 AI 서비스 출시"]
        good, bad = source_health(s, "good-feed"), source_health(s, "bad-feed")
    assert good is not None and good.consecutive_failures == 0 and good.last_success_at is not None
    assert bad is not None and bad.consecutive_failures == 3 and bad.failure_alerted_at is not None
    assert srv.hits("/feed") == 3
