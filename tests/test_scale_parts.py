"""The parts of scaling out that run without a work pool: tagging in worker processes (same tags, same rows as one
process), groups of sources for the fan-out, and per-host politeness held by a real Prefect server across fetchers
that share nothing else."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from app.config import DEFAULT_CONFIG, PROJECT_ROOT, load_config
from ingest.fanout import source_groups
from local_server import LocalServer, Reply, Seen, fast_settings
from newsmon.records import Article
from scrapers.config import SourceConfig
from scrapers.fetch import Fetcher
from dedupe.batch import DedupeIndex, prepare_text
from dedupe.exact import content_hash
from dedupe.features import TextFeatures
from dedupe.near import Signer
from dedupe.settings import DedupeSettings
from ingest.workers import IngestWorkers
from models.db import Database
from models.search_index import not_indexed
from sqlalchemy import text
from tagging.tagger import Tagger
from test_flows import RECORDS

ARTICLES = [
    Article(source="t", title=r["title"], body=r["body"], url=r["url"], publisher=r["publisher"]) for r in RECORDS
] + [
    Article(source="t", title="SK텔레콤·LG유플러스, 희망퇴직 접수", body="SK텔레콤과 LG유플러스가 희망퇴직 신청을 받는다. "
            "감원 규모는 수백 명으로 알려졌다. 마이크로소프트 클라우드 의존도도 논란이다."),
    Article(source="t", title="날씨", body="맑음."),
]


def test_tagging_in_worker_processes_gives_the_tags_of_one_process() -> None:
    watchlist = load_config(DEFAULT_CONFIG).watchlist
    expected = Tagger(watchlist).tag_many(ARTICLES)
    assert any(expected), "the sample must fire some tags"
    with IngestWorkers(watchlist, 2) as pool:
        pool.prefetch(ARTICLES[:3])
        assert pool.tag_many(ARTICLES) == expected  # the prefetched and the rest, in order
        assert pool.tag_many([]) == []
        assert pool.tag_many(ARTICLES[::-1]) == expected[::-1]


def test_workers_prepare_the_dedupe_text_one_process_would() -> None:
    """The features and MinHash values a worker prepares decide exactly as those the deciding process computes; what
    was not prefetched is left to it (None)."""
    watchlist, settings = load_config(DEFAULT_CONFIG).watchlist, DedupeSettings()
    signer = Signer(settings)
    copies = ARTICLES + [Article(source="u", title=a.title, body=a.body + " (끝)", url=(a.url or "") + "?u=1")
                         for a in ARTICLES]  # near-duplicates of the first half, so decisions have work
    with IngestWorkers(watchlist, 2, settings) as pool:
        pool.prefetch(copies[1:])
        prepared = pool.prepared_texts(copies)
        hashes = pool.text_hashes(copies)
    assert prepared[0] is None and all(p is not None for p in prepared[1:])
    for article, text in zip(copies[1:], prepared[1:]):
        local = prepare_text(article, signer)
        for name in TextFeatures.__slots__:
            assert np.array_equal(getattr(text.features, name), getattr(local.features, name)), name
        assert np.array_equal(text.hashvalues, local.hashvalues)
    assert hashes[0] is None and hashes[1:] == [content_hash(a.title, a.body) for a in copies[1:]]
    here = DedupeIndex(settings).decide(copies)
    ahead = DedupeIndex(settings).decide(copies, prepared)
    assert ahead == here and any(d.is_duplicate for d in here)


def test_a_file_s_chunks_are_handed_to_the_workers_ahead_and_come_back_in_order(tmp_path: Path) -> None:
    """While one chunk is decided and stored the workers hold the next `AHEAD` (one ahead left them idle whenever a
    chunk took them less time than the last took the reading thread); every prefetched result is still there when
    its chunk is stored."""
    from ingest.context import IngestContext, StoredIndex
    from ingest.loading import AHEAD, tagged_ahead
    from ingest.workers import KEPT
    from newsmon.records import SourceResult

    assert KEPT > AHEAD
    events: list[tuple[str, int]] = []

    class Recording(IngestWorkers):
        def prefetch(self, articles):  # type: ignore[no-untyped-def]
            articles = list(articles)
            events.append(("prefetch", int(articles[0].title)))
            super().prefetch(articles)

    db = Database(f"sqlite:///{tmp_path}/ahead.db")
    count = AHEAD + 3
    chunks = [SourceResult("t", "files", articles=[Article(source="t", title=str(n), body=f"본문 {n}번째 기사 {m}",
                                                           url=f"https://news.example.com/{n}/{m}") for m in range(2)])
              for n in range(count)]
    with Recording(load_config(DEFAULT_CONFIG).watchlist, 1) as pool:
        context = IngestContext(db, pool, StoredIndex(db, DedupeSettings()))
        for chunk in tagged_ahead(context, iter(chunks)):
            events.append(("yield", int(chunk.articles[0].title)))
            assert all(t is not None for t in pool.text_hashes(chunk.articles))  # prefetched, not dropped
    db.dispose()
    expected = [("prefetch", n) for n in range(AHEAD + 1)]
    for n in range(count):
        expected.append(("yield", n))
        if n + AHEAD + 1 < count:
            expected.append(("prefetch", n + AHEAD + 1))
    assert events == expected


def test_workers_run_nicer_than_the_process_that_reads() -> None:
    """The reading process decides and stores in order (the critical path): its workers yield the core to it."""
    import os

    from newsmon.priority import HELPER_NICENESS

    with IngestWorkers(load_config(DEFAULT_CONFIG).watchlist, 1) as pool:
        pool.prefetch(ARTICLES[:1])  # starts the worker
        worker = pool._pool().submit(os.nice, 0).result()
    assert worker == min(19, os.nice(0) + HELPER_NICENESS)


def test_jobs_count_the_reading_process_as_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--jobs N` is N processes: this one (deciding, storing, the search index) and N-1 tagging workers; one job is
    this process alone, with its own tagger and the index kept by its trigger."""
    from flows import resources

    monkeypatch.setenv("NEWSMON_DATABASE_URL", f"sqlite:///{tmp_path}/jobs.db")
    config = load_config(DEFAULT_CONFIG)
    with resources.parallel_ingest_context(config, 1) as alone:
        assert not isinstance(alone.tagger, IngestWorkers) and alone.search is None
    for jobs in (2, 3):
        with resources.parallel_ingest_context(config, jobs) as context:
            assert isinstance(context.tagger, IngestWorkers) and context.tagger.jobs == jobs - 1
            assert context.search is not None
    resources.database(config).dispose()


def test_a_pool_needs_at_least_one_job() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        IngestWorkers(load_config(DEFAULT_CONFIG).watchlist, 0)


def test_load_with_two_jobs_stores_the_rows_of_one(tmp_path: Path) -> None:
    corpus = tmp_path / "articles.jsonl"
    import json

    lines = [json.dumps(r, ensure_ascii=False) for r in RECORDS]
    lines += [json.dumps({**r, "id": r["id"] + "-copy", "url": r["url"] + "&copy=1"}, ensure_ascii=False)
              for r in RECORDS]  # exact copies at other URLs: stored as duplicates alike
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    exports = []
    for jobs in (1, 2):
        env = {"NEWSMON_DATABASE_URL": f"sqlite:///{tmp_path / f'jobs{jobs}.db'}", "PATH": "/usr/bin:/bin",
               "PREFECT_HOME": str(tmp_path / "prefect"), "PYTHONHASHSEED": "0"}
        run = [sys.executable, "-m", "flows.cli"]
        loaded = subprocess.run([*run, "load", "--jobs", str(jobs), str(corpus)], env=env, cwd=PROJECT_ROOT,
                                capture_output=True, text=True, timeout=180)
        assert loaded.returncode == 0, loaded.stderr
        assert f"{2 * len(RECORDS)} new" in loaded.stderr
        assert f"{len(RECORDS)} exact copies at another URL" in loaded.stderr
        exported = subprocess.run([*run, "export"], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True,
                                  timeout=60, check=True)
        exports.append(exported.stdout)
        # The full-text index holds every stored article, whether it was indexed as stored or by the load's thread.
        db = Database(env["NEWSMON_DATABASE_URL"])
        try:
            with db.session() as session:
                assert not_indexed(session) == 0
                for r in RECORDS:  # each article found by a word of its title
                    word = max(r["title"].split(), key=len)
                    assert session.scalar(text("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH :q"),
                                          {"q": '"' + word.replace('"', '""') + '"'}) >= 1, word
                paused = session.scalar(text("SELECT paused_until FROM search_progress"))
                assert paused <= session.scalar(text("SELECT CAST(strftime('%s', 'now') AS INTEGER)"))
        finally:
            db.dispose()
    assert exports[0] == exports[1]
    assert '"companies": ["kt"]' in exports[0]


def test_source_groups_keep_a_host_together_and_files_last() -> None:
    sources = [SourceConfig(name="inbox", kind="jsonl", path="inbox")] + [
        SourceConfig(name=f"s{i}", kind="rss", url=f"https://{'b' if i % 2 else 'a'}.example.kr/feed/{i}")
        for i in range(5)
    ]
    groups = source_groups(sources, 2)
    assert groups == [["s0", "s2"], ["s4", "s1"], ["s3", "inbox"]]
    assert sorted(sum(groups, [])) == sorted(s.name for s in sources)
    with pytest.raises(ValueError):
        source_groups(sources, 0)


@pytest.mark.flow
def test_host_limits_on_the_server_hold_across_fetchers(prefect_api: str) -> None:
    """Two fetchers in separate event loops (as in two workers) with one connection per host: the site never sees
    two requests at once, and its six requests are spread by the per-host delay on average. Prefect's rate limit
    decays its slot continuously, so it holds the rate, not each single gap (docs/scaling.md): the span of all six
    is what it fixes (about five delays), far beyond what six one-at-a-time answers of 0.1 s would take."""
    from flows.politeness import ServerHostGate, limit_name

    server = LocalServer()
    server.add("/robots.txt", Reply(404, b"", content_type="text/plain"))
    active, most, starts = [0], [0], []
    lock = threading.Lock()

    def slow(_seen: Seen) -> Reply:
        with lock:
            active[0] += 1
            most[0] = max(most[0], active[0])
            starts.append(time.monotonic())
        time.sleep(0.1)
        with lock:
            active[0] -= 1
        return Reply(body=b"<html><body>ok</body></html>")

    for i in range(3):
        server.add(f"/page/{i}", slow)
    settings = fast_settings(per_host_connections=1, per_host_delay_seconds=1.0, total_timeout_seconds=60.0)

    def one_worker() -> None:
        async def go() -> None:
            async with Fetcher(settings, shared_gate=ServerHostGate(settings)) as fetcher:
                await asyncio.gather(*(fetcher.fetch(server.url(f"/page/{i}"), source="s", private_origin=server.base)
                                       for i in range(3)))
        asyncio.run(go())

    try:
        threads = [threading.Thread(target=one_worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        server.close()
    assert len(starts) == 6
    assert most[0] == 1
    ordered = sorted(starts)
    gaps = [b - a for a, b in zip(ordered, ordered[1:])]
    # About one start per second (the rate limit); without it six one-at-a-time answers of 0.1 s span under 2 s.
    assert ordered[-1] - ordered[0] >= 4.0, gaps
    host = server.base.removeprefix("http://")
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        assert client.read_global_concurrency_limit_by_name(limit_name("slots", host)).limit == 1
        rate = client.read_global_concurrency_limit_by_name(limit_name("rate", host, 1.0))
        assert rate.slot_decay_per_second == pytest.approx(1.0)


def test_a_pool_silence_shorter_than_its_heartbeat_is_refused_by_key(tmp_path: Path) -> None:
    from app.config import parse_config
    from newsmon.errors import ConfigError

    raw = {"watchlist": {"companies": {}, "topics": {}}, "pool": {"heartbeat_seconds": 60, "crashed_after_seconds": 50}}
    with pytest.raises(ConfigError, match=r"pool: .*crashed_after_seconds must be longer than heartbeat_seconds"):
        parse_config(raw, tmp_path / "newsmon.toml")
    raw["pool"] = {"heartbeat_seconds": 10}
    with pytest.raises(ConfigError, match=r"pool\.heartbeat_seconds"):
        parse_config(raw, tmp_path / "newsmon.toml")
