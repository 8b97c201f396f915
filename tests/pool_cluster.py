"""A Prefect server on PostgreSQL and process workers, each in its own process group (as if on its own machine),
for the work-pool test and bench/bench_pool.py; it holds no tests itself. Every process it starts is stopped by
`close` (a killed worker's flow runs with it: its whole process group)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get("NEWSMON_TEST_POSTGRES_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")


class ClusterUnavailable(Exception):
    """What the cluster needs (PostgreSQL with CREATE DATABASE) is not here; the reason says which."""


def _admin_execute(sql: str) -> None:
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql)
    except psycopg.OperationalError as exc:
        raise ClusterUnavailable(f"PostgreSQL not reachable at {PG_ADMIN} ({str(exc).splitlines()[0]})") from None
    except psycopg.errors.InsufficientPrivilege as exc:
        raise ClusterUnavailable(f"cannot create databases at {PG_ADMIN}: {exc}") from None


def fresh_database(prefix: str) -> str:
    """A new, empty PostgreSQL database (its name); `drop_database` removes it."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    _admin_execute(f'CREATE DATABASE "{name}"')
    return name


def drop_database(name: str) -> None:
    _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    """A Prefect server whose own database is a fresh PostgreSQL database, newsmon's data in another, and workers
    started with `worker`. Each process has its own PREFECT_HOME under `folder`."""

    def __init__(self, folder: Path, config_path: Path, *, env: dict[str, str] | None = None) -> None:
        self.folder = folder
        self.port = free_port()
        self.api_url = f"http://127.0.0.1:{self.port}/api"
        self.prefect_db = fresh_database("prefect_test")
        try:
            self.newsmon_db = fresh_database("newsmon_test")
        except ClusterUnavailable:
            drop_database(self.prefect_db)
            raise
        self.newsmon_url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{self.newsmon_db}"
        self.env = {
            **os.environ, **(env or {}),
            "PREFECT_API_URL": self.api_url,
            "NEWSMON_CONFIG": str(config_path),
            "NEWSMON_DATABASE_URL": self.newsmon_url,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
            # Workers look for runs every 2 s instead of 10 (a test waits less; production keeps the default).
            "PREFECT_WORKER_QUERY_SECONDS": "2",
            "PREFECT_LOGGING_LEVEL": "INFO",
        }
        self.server: subprocess.Popen[bytes] | None = None
        self.workers: dict[str, subprocess.Popen[bytes]] = {}

    def _spawn(self, name: str, command: list[str], extra: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        home = self.folder / f"home-{name}"
        home.mkdir(parents=True, exist_ok=True)
        log = (self.folder / f"{name}.log").open("ab")
        env = {**self.env, "PREFECT_HOME": str(home), **(extra or {})}
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)

    def start_server(self, timeout: float = 240) -> None:
        self.server = self._spawn("server", [
            sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(self.port)],
            {"PREFECT_API_DATABASE_CONNECTION_URL":
                 f"postgresql+asyncpg://postgres@127.0.0.1:5432/{self.prefect_db}", "PREFECT_API_URL": ""})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise RuntimeError(f"the Prefect server exited ({self.log('server')[-2000:]})")
            try:
                if httpx.get(f"{self.api_url}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"the Prefect server was not healthy after {timeout:.0f} s")

    def newsmon(self, *args: str, env: dict[str, str] | None = None, timeout: float = 300
                ) -> subprocess.CompletedProcess[str]:
        """Run the `newsmon` command against the cluster (its server, its database, its configuration)."""
        home = self.folder / "home-cli"
        home.mkdir(parents=True, exist_ok=True)
        return subprocess.run([sys.executable, "-m", "flows.cli", *args], cwd=ROOT, timeout=timeout, text=True,
                              capture_output=True, env={**self.env, "PREFECT_HOME": str(home), **(env or {})})

    def start_worker(self, name: str, pool: str = "newsmon") -> subprocess.Popen[bytes]:
        worker = self._spawn(name, [sys.executable, "-m", "flows.cli", "worker", "--pool", pool])
        self.workers[name] = worker
        return worker

    def kill_worker(self, name: str) -> None:
        """SIGKILL the worker and its flow runs (its process group): what a machine lost looks like."""
        worker = self.workers[name]
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()

    def worker_running_flows(self, name: str) -> int:
        """How many flow-run processes the worker has started that still run (its children)."""
        pid = self.workers[name].pid
        count = 0
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == pid and fields[0] not in "ZX":
                    count += 1
        return count

    def log(self, name: str) -> str:
        path = self.folder / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def client(self) -> Any:
        """A Prefect client of the cluster's server, for the test process itself."""
        from prefect.client.orchestration import SyncPrefectClient

        return SyncPrefectClient(self.api_url)

    def close(self) -> None:
        for worker in self.workers.values():
            _stop_group(worker)
        if self.server is not None:
            _stop_group(self.server)
        for name in (self.prefect_db, self.newsmon_db):
            try:
                drop_database(name)
            except ClusterUnavailable:
                pass


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        pass
    try:  # what the group still holds (flow runs a worker left behind)
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


# -- what the cluster reads: feeds on a local HTTP server, a configuration naming them ---------------------------

def random_text(rng: Any, words: int) -> str:
    """Words of random Hangul syllables: bodies that share no shingles, so no two articles are near-duplicates."""
    return " ".join("".join(chr(0xAC00 + rng.randrange(11172)) for _ in range(rng.randint(2, 4)))
                    for _ in range(words))


def feed_items(rng: Any, feed: int, first: int, count: int, published: str) -> list[dict[str, str]]:
    """Items of feed `feed` numbered from `first`, each a KT story with a body of its own (a digest match)."""
    return [
        {"guid": f"f{feed}-{n}", "link": f"https://news.example.kr/{feed}/{n}", "date": published,
         "title": f"KT, {feed}번 지역 사업 {n}단계 발표",
         "body": f"KT는 {feed}번 지역에서 {n}단계 사업을 시작한다고 밝혔다. " + random_text(rng, 60) + "."}
        for n in range(first, first + count)
    ]


def write_config(folder: Path, feed_urls: list[str], *, hook_env: str | None, pool: dict[str, Any]) -> Path:
    """The shipped configuration (its watchlist and after-ingest subscription) with `feed_urls` as its only sources,
    the digest sent to the apprise URL in `hook_env` (or the console), and a [pool] section."""
    from app.config import DEFAULT_CONFIG

    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    text = text.replace('[[sources]]\nname = "seeds"\nkind = "text"\npath = "seeds"\n', "")
    if hook_env:
        text = text.replace('when = "after_ingest"\n',
                            f'when = "after_ingest"\nchannels = [{{ name = "hook", env = "{hook_env}" }}]\n', 1)
    text += "\n[pool]\n" + "".join(f"{k} = {v!r}\n" for k, v in pool.items())
    for i, url in enumerate(feed_urls):
        text += (f'\n[[sources]]\nname = "feed-{i:03d}"\nkind = "rss"\nurl = "{url}"\nallow_private = true\n'
                 "fetch_pages = false\n")
    path = folder / "newsmon.toml"
    path.write_text(text, encoding="utf-8")
    return path
