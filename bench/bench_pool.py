"""The scheduled ingest fanned out over a work pool: 200 RSS sources answering after 100 ms, read by 1, 2 and 4
process workers of one Prefect server on PostgreSQL (each round new items, so every round stores). Prints each
round's wall time, sources per second, child runs, and the Prefect server's own CPU time per child run.

    nice -n 10 .venv/bin/python bench/bench_pool.py [--sources 200] [--latency 0.1] [--workers 1 2 4] [--hosts 1]

`--hosts N` serves the feeds from N loopback addresses (127.0.0.1, 127.0.0.2, ...): per-host politeness is held by
the server across all workers, so with one host every request of every worker waits for one host's slots.
`--baseline` first reads the same sources with `newsmon run` in one process (no pool), for comparison.

Needs PostgreSQL on 127.0.0.1:5432 that lets `postgres` create databases (two throwaway ones, dropped after).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from local_server import LocalServer, Reply, rss_feed  # noqa: E402
from pool_cluster import Cluster, feed_items, write_config  # noqa: E402

POOL = "newsmon-bench"


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of `pid` and its reaped children (the server's workers are its own threads)."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def group_cpu(pgid: int) -> float:
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[2]) == pgid:
                    total += cpu_seconds(int(entry.name))
            except (OSError, ValueError):
                continue
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds each feed waits before answering")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--per-run", type=int, default=10, help="sources per child run")
    parser.add_argument("--hosts", type=int, default=1, help="loopback addresses serving the feeds")
    parser.add_argument("--baseline", action="store_true", help="also one `newsmon run` of the same sources")
    args = parser.parse_args()
    rng = random.Random(7)
    items: dict[int, list[dict[str, str]]] = {}
    servers = [LocalServer(host=f"127.0.0.{n + 1}") for n in range(args.hosts)]
    for one in servers:
        one.add("/robots.txt", Reply(404, b"", content_type="text/plain"))

    def route(i: int):  # type: ignore[no-untyped-def]
        return lambda _seen: Reply(body=rss_feed(items[i]), content_type="application/rss+xml; charset=utf-8",
                                   delay=args.latency)

    urls = [servers[i % args.hosts].add(f"/feed/{i}", route(i)) for i in range(args.sources)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        config = write_config(folder, urls, hook_env=None, pool={
            "name": POOL, "sources_per_run": args.per_run, "parallel_runs": 8})
        cluster = Cluster(folder / "cluster", config)
        try:
            started = time.perf_counter()
            cluster.start_server()
            print(f"Prefect server on PostgreSQL healthy after {time.perf_counter() - started:.1f} s", flush=True)
            done = cluster.newsmon("deploy", "--pool", POOL)
            if done.returncode != 0:
                sys.exit(done.stderr)
            if args.baseline:
                published = format_datetime(datetime.now(timezone.utc) - timedelta(minutes=10))
                for i in range(args.sources):
                    items[i] = feed_items(rng, i, 1000, 2, published)
                started = time.perf_counter()
                done = cluster.newsmon("run", "--no-digest", env={
                    "NEWSMON_DATABASE_URL": f"sqlite:///{folder / 'one-process.db'}"})
                wall = time.perf_counter() - started
                print(f"one process (newsmon run, no pool): {wall:.1f} s, {args.sources / wall:.1f} sources/s "
                      f"(exit {done.returncode})", flush=True)
            print(f"{'workers':>8}{'wall s':>9}{'sources/s':>11}{'child runs':>12}{'server CPU s':>14}"
                  f"{'per child run':>15}", flush=True)
            for round_no, count in enumerate(args.workers):
                published = format_datetime(datetime.now(timezone.utc) - timedelta(minutes=10))
                for i in range(args.sources):
                    items[i] = feed_items(rng, i, 10 * round_no, 2, published)
                names = [f"w{round_no}-{n}" for n in range(count)]
                for name in names:
                    cluster.start_worker(name, POOL)
                time.sleep(8)  # the workers are up and polling before the clock starts
                with cluster.client() as client:
                    deployment = client.read_deployment_by_name("ingest-fanout/scheduled")
                    cpu_before = group_cpu(cluster.server.pid)  # type: ignore[union-attr]
                    started = time.perf_counter()
                    run_id = client.create_flow_run_from_deployment(deployment.id).id
                    while True:
                        run = client.read_flow_run(run_id)
                        if run.state and run.state.is_final():
                            break
                        time.sleep(0.5)
                    wall = time.perf_counter() - started
                    server_cpu = group_cpu(cluster.server.pid) - cpu_before  # type: ignore[union-attr]
                    children = (args.sources + args.per_run - 1) // args.per_run
                print(f"{count:>8}{wall:>9.1f}{args.sources / wall:>11.1f}{children:>12}{server_cpu:>14.1f}"
                      f"{server_cpu / (children + 1):>15.2f}   ({run.state.name})", flush=True)
                for name in names:
                    cluster.kill_worker(name)
        finally:
            cluster.close()
            for one in servers:
                one.close()


if __name__ == "__main__":
    main()
