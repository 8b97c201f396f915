"""How long one `newsmon run` takes on the bundled default, and how much of it Prefect itself costs.

Run by hand:  .venv/bin/python bench/bench_run.py [--repeat 2]

Each measurement runs in a fresh copy of the project's default configuration and seeds (its own SQLite file and
Prefect home), so nothing is shared with the project's var/:
  plain      the same work without Prefect: read the seeds, dedupe, tag, store, build and print the digest
             (python -c, in a new process, so interpreter start and imports count as they do for `newsmon run`)
  temporary  `newsmon run` as a new user runs it: Prefect starts a temporary server for the process
  server     `newsmon run` against an already running Prefect server (PREFECT_API_URL set, as under `newsmon serve`)
Prefect's cost = run time - plain time; the temporary server's share = temporary - server.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import loopback_guard  # noqa: E402

PLAIN = """
import sys
from zoneinfo import ZoneInfo
from alerts.run import run_digests
from app.config import load_config
from ingest.context import IngestContext
from ingest.pipeline import store_source_result
from models.db import Database
from scrapers.local import read_local
from tagging.tagger import Tagger
config = load_config(sys.argv[1])
context = IngestContext.open(Database(config.database_url()), Tagger(config.watchlist), config.dedupe)
for source in config.sources:
    result = read_local(source.name, config.resolve_path(source.path), ZoneInfo(config.schedule.timezone), source.kind)
    print(store_source_result(context, result).summary(), file=sys.stderr)
run_digests(context.db, config)
"""


def project(root: Path) -> Path:
    shutil.copytree(ROOT / "seeds", root / "seeds")
    shutil.copy(ROOT / "newsmon.toml", root / "newsmon.toml")
    return root / "newsmon.toml"


def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return elapsed


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=2, help="runs of each kind (first = fresh database)")
    args = parser.parse_args()
    # This process only talks to the Prefect server it starts on 127.0.0.1; its children get loopback URLs only.
    loopback_guard.install()
    base = {k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "NEWSMON_DATABASE_URL")}
    newsmon = [sys.executable, "-m", "flows.cli", "run"]
    results: dict[str, list[float]] = {"plain": [], "temporary": [], "server": []}
    with tempfile.TemporaryDirectory(prefix="newsmon-bench-") as tmp:
        tmpdir = Path(tmp)
        for kind in ("plain", "temporary"):
            config = project(tmpdir / kind)
            env = {**base, "NEWSMON_CONFIG": str(config), "PREFECT_HOME": str(tmpdir / kind / "prefect"),
                   "PYTHONPATH": str(ROOT)}
            cmd = [sys.executable, "-c", PLAIN, str(config)] if kind == "plain" else newsmon
            for _ in range(args.repeat):
                results[kind].append(timed(cmd, env, ROOT))
        # An already running server, as under `newsmon serve` (its start is not counted).
        port = free_port()
        home = tmpdir / "server-prefect"
        server_env = {**base, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                      "DO_NOT_TRACK": "1"}
        server = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                                   "--port", str(port)], env=server_env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            sys.path.insert(0, str(ROOT))
            from flows.serve import wait_until_healthy

            api = f"http://127.0.0.1:{port}/api"
            wait_until_healthy(api, server, 300)
            config = project(tmpdir / "server")
            env = {**server_env, "NEWSMON_CONFIG": str(config), "PREFECT_API_URL": api}
            for _ in range(args.repeat):
                results["server"].append(timed(newsmon, env, ROOT))
        finally:
            server.terminate()
            server.wait(timeout=30)

    print(f"{'':<12}" + "".join(f"{'run ' + str(i + 1):>10}" for i in range(args.repeat)))
    for kind, times in results.items():
        print(f"{kind:<12}" + "".join(f"{t:>9.1f}s" for t in times))
    for i, label in enumerate(("first run (fresh database)", "later runs (nothing new)")[: args.repeat]):
        plain, temp, served = results["plain"][i], results["temporary"][i], results["server"][i]
        print(f"\n{label}: newsmon run {temp:.1f} s; without Prefect {plain:.1f} s; Prefect costs {temp - plain:.1f} s "
              f"({(temp - plain) / temp:.0%}), of which the temporary server {temp - served:.1f} s; against a "
              f"running server the run takes {served:.1f} s (Prefect {served - plain:.1f} s)")


if __name__ == "__main__":
    main()
