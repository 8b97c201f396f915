"""`newsmon load --jobs N` for each N given, each into a fresh SQLite file: wall time, speed-up over the first N, and
whether every run stored the same rows (`newsmon export` compared line by line).

    nice -n 10 .venv/bin/python bench/bench_load_jobs.py ../shared/corpus/naver-2025-12-29_31.jsonl.gz [--jobs 1 2]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NEWSMON = [sys.executable, "-m", "flows.cli"]


def load(corpus: Path, jobs: int, folder: Path, keep: Path | None, n: int) -> tuple[float, str, int]:
    # One hash seed for every run: a story key can depend on set order (two runs of --jobs 1 with different seeds
    # give a few articles other story keys), and the comparison is about the processes, not the seed.
    env = {**os.environ, "NEWSMON_DATABASE_URL": f"sqlite:///{folder}/run{n}-jobs{jobs}.db", "PYTHONHASHSEED": "0"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([*NEWSMON, "load", "--jobs", str(jobs), str(corpus)], env=env, cwd=ROOT,
                          capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        sys.exit(f"load --jobs {jobs} failed:\n{done.stderr}")
    summary = done.stderr.strip().splitlines()[-1]
    exported = subprocess.run([*NEWSMON, "export"], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    rows = exported.stdout.splitlines()
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        (keep / f"export-run{n}-jobs{jobs}.jsonl").write_text(exported.stdout, encoding="utf-8")
    # CPU seconds of the load and its tagging processes: on a machine shared with other work, wall time also
    # measures how much of the cores the load was given; CPU time shows what the work itself cost.
    print(f"--jobs {jobs}: {wall:7.1f} s wall, {cpu:7.1f} s CPU ({cpu / wall:.2f} cores busy)   {summary}",
          flush=True)
    return wall, hashlib.sha256(exported.stdout.encode()).hexdigest(), len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--keep", type=Path, help="write each run's export to this folder (to compare them)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        runs = [(jobs, *load(args.corpus.resolve(), jobs, Path(tmp), args.keep, n))
                for n, jobs in enumerate(args.jobs)]
    first = args.jobs[0]
    _, base_wall, base_rows, count = runs[0]
    for jobs, wall, rows, _ in runs:
        same = "same rows" if rows == base_rows else "DIFFERENT ROWS"
        print(f"--jobs {jobs}: {base_wall / wall:.2f}x of --jobs {first}; {count} rows exported, {same}")


if __name__ == "__main__":
    main()
