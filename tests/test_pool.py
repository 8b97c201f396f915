"""newsmon on Prefect's own machinery: a Prefect server on PostgreSQL, `newsmon deploy`, two workers as separate
processes (as if on two machines) and 20 feeds on a local HTTP server. The scheduled ingest fans out over both
workers, reads every source once, stores what one process would and sends one digest; a worker killed with SIGKILL
mid-run has its runs marked crashed and re-run by the other, nothing lost or doubled.

It takes a few minutes (heartbeats are 30 s at the least): run it alone, `nice -n 10 .venv/bin/python -m pytest
tests/test_pool.py -m pool`. Skips with the reason where PostgreSQL (with CREATE DATABASE) is not on 127.0.0.1."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from digest_fixtures import Receiver
from local_server import LocalServer, Reply, Seen, rss_feed
from pool_cluster import Cluster, ClusterUnavailable, feed_items, write_config

pytestmark = [pytest.mark.pool, pytest.mark.postgres, pytest.mark.flow, pytest.mark.timeout(1200)]

FEEDS = 20
POOL = "newsmon-test"
POOL_SETTINGS = {"name": POOL, "sources_per_run": 5, "parallel_runs": 4, "heartbeat_seconds": 30,
                 "crashed_after_seconds": 45, "max_attempts": 3}


@dataclass
class Feeds:
    """20 RSS feeds whose items (and answer delay) the test changes between runs."""

    server: LocalServer
    items: dict[int, list[dict[str, str]]]
    delay: float = 0.0

    def route(self, feed: int):  # type: ignore[no-untyped-def]
        def answer(_seen: Seen) -> Reply:
            return Reply(body=rss_feed(self.items[feed]), content_type="application/rss+xml; charset=utf-8",
                         delay=self.delay)
        return answer

    def hits(self) -> list[int]:
        return [self.server.hits(f"/feed/{i}") for i in range(FEEDS)]


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[Cluster, Feeds, Receiver, Path]]:
    rng = random.Random(13)
    published = format_datetime(datetime.now(timezone.utc) - timedelta(hours=1))
    server = LocalServer()
    server.add("/robots.txt", Reply(404, b"", content_type="text/plain"))
    feeds = Feeds(server, {i: feed_items(rng, i, 0, 2, published) for i in range(FEEDS)})
    urls = [server.add(f"/feed/{i}", feeds.route(i)) for i in range(FEEDS)]
    hook = Receiver().__enter__()
    config = write_config(tmp_path, urls, hook_env="NEWSMON_TEST_HOOK", pool=POOL_SETTINGS)
    try:
        cluster = Cluster(tmp_path / "cluster", config,
                          env={"NEWSMON_TEST_HOOK": f"json://127.0.0.1:{hook.port}/in"})
    except ClusterUnavailable as exc:
        hook.__exit__()
        server.close()
        pytest.skip(str(exc))
    try:
        yield cluster, feeds, hook, config
    finally:
        cluster.close()
        hook.__exit__()
        server.close()


def start_run(client: Any, deployment: str) -> Any:
    found = client.read_deployment_by_name(deployment)
    return client.create_flow_run_from_deployment(found.id).id


def wait_final(client: Any, run_id: Any, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = client.read_flow_run(run_id)
        if run.state and run.state.is_final() and not run.state.is_crashed():
            return run
        time.sleep(2)
    raise AssertionError(f"flow run {run_id} not finished after {timeout:.0f} s: {run.state}")


def part_runs(client: Any, parent_id: Any) -> list[Any]:
    """The parent's child runs of ingest/part (not its inline digest subflow)."""
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId

    children = client.read_flow_runs(flow_run_filter=FlowRunFilter(
        parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[parent_id])))
    return [run for run in children if run.deployment_id is not None]


def stored_rows(cluster: Cluster, database_url: str | None = None) -> list[dict[str, Any]]:
    """`newsmon export` of the cluster's database (or another), keyed by URL instead of ids (which depend on the
    order concurrent runs stored in)."""
    done = cluster.newsmon("export", env={"NEWSMON_DATABASE_URL": database_url} if database_url else None)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    url_of = {r["id"]: r["url"] for r in rows}
    return sorted(({**{k: v for k, v in r.items() if k not in ("id", "story")},
                    "duplicate_of": url_of.get(r["duplicate_of"])} for r in rows), key=lambda r: r["url"])


def one_process_rows(cluster: Cluster, folder: Path) -> list[dict[str, Any]]:
    """What one process (`newsmon run`, no pool) stores from the same feeds, in a database of its own."""
    folder.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{folder / 'one-process.db'}"
    done = cluster.newsmon("run", "--no-digest", env={"NEWSMON_DATABASE_URL": url})
    assert done.returncode == 0, done.stderr
    return stored_rows(cluster, url)


def digest_titles(hook: Receiver) -> list[str]:
    """Every story title in every digest the hook received, one entry per mention."""
    import re

    titles: list[str] = []
    for request in hook.requests:
        titles += re.findall(r"KT, \d+번 지역 사업 \d+단계 발표", json.dumps(request.json(), ensure_ascii=False))
    return titles


def test_two_workers_share_the_scheduled_ingest_and_recover_a_killed_one(
        setup: tuple[Cluster, Feeds, Receiver, Path], tmp_path: Path) -> None:
    cluster, feeds, hook, _config = setup
    cluster.start_server()
    deployed = cluster.newsmon("deploy", "--pool", POOL)
    assert deployed.returncode == 0, deployed.stderr + deployed.stdout
    assert "ingest-fanout/scheduled" in deployed.stdout and "ingest/part" in deployed.stdout
    cluster.start_worker("worker-a", POOL)
    cluster.start_worker("worker-b", POOL)

    with cluster.client() as client:
        # A scheduled run: every source read once, one digest, the rows one process stores.
        first = wait_final(client, start_run(client, "ingest-fanout/scheduled"), timeout=300)
        assert first.state.is_completed(), cluster.log("worker-a")[-3000:] + cluster.log("worker-b")[-3000:]
        parts = part_runs(client, first.id)
        assert len(parts) == FEEDS // POOL_SETTINGS["sources_per_run"]
        assert all(p.state.is_completed() for p in parts)
        assert feeds.hits() == [1] * FEEDS
        assert len(hook.requests) == 1
        assert sorted(digest_titles(hook)) == sorted(item["title"] for i in range(FEEDS) for item in feeds.items[i])
        rows = stored_rows(cluster)
        assert len(rows) == 2 * FEEDS
        assert rows == one_process_rows(cluster, tmp_path / "once")

        # New items, slow feeds; kill the worker running a part mid-fetch, with its flow runs (its process group).
        rng = random.Random(31)
        published = format_datetime(datetime.now(timezone.utc) - timedelta(minutes=5))
        for i in range(FEEDS):
            feeds.items[i] = feeds.items[i] + feed_items(rng, i, 2, 2, published)
        feeds.delay = 20.0
        hits_before = feeds.hits()
        second_id = start_run(client, "ingest-fanout/scheduled")
        victim = wait_for_running_part(client, cluster, second_id, timeout=180)
        cluster.kill_worker(victim)
        survivor = ({"worker-a", "worker-b"} - {victim}).pop()

        second = wait_final(client, second_id, timeout=600)
        assert second.state.is_completed(), cluster.log(survivor)[-5000:]
        parts = part_runs(client, second.id)
        histories = {p.name: [s.type.value for s in client.read_flow_run_states(p.id)] for p in parts}
        crashed = [name for name, kinds in histories.items() if "CRASHED" in kinds]
        assert crashed, "no part run was marked crashed after its worker was killed"
        assert all(p.state.is_completed() for p in parts)
        # Each crashed part ran again after it was marked crashed: one running when its worker went, or one the
        # worker had taken (Pending) and never started.
        rerun = {name for name in crashed if "RUNNING" in histories[name][histories[name].index("CRASHED"):]}
        assert rerun == set(crashed), histories

    # Nothing lost: every feed was read again and every new item stored once; nothing sent twice.
    assert all(after > before for after, before in zip(feeds.hits(), hits_before))
    rows = stored_rows(cluster)
    assert len(rows) == 4 * FEEDS and len({r["url"] for r in rows}) == 4 * FEEDS
    feeds.delay = 0.0
    assert rows == one_process_rows(cluster, tmp_path / "again")
    assert len(hook.requests) == 2
    titles = digest_titles(hook)
    assert sorted(titles) == sorted(item["title"] for i in range(FEEDS) for item in feeds.items[i])


def wait_for_running_part(client: Any, cluster: Cluster, parent_id: Any, timeout: float) -> str:
    """The worker whose flow-run process runs one of the parent's parts, once one runs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for run in part_runs(client, parent_id):
            if run.state and run.state.is_running() and run.infrastructure_pid:
                pid = int(str(run.infrastructure_pid).rsplit(":", 1)[-1])
                for name, worker in cluster.workers.items():
                    if parent_pid(pid) == worker.pid:
                        return name
        time.sleep(1)
    raise AssertionError(f"no part of {parent_id} ran within {timeout:.0f} s")


def parent_pid(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None

