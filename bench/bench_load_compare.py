"""`newsmon load CORPUS` as a user runs it, in this checkout and in another one (an older commit, say, checked out with
`git worktree add ../before COMMIT` and set up with `make .venv/.installed-stamp` there), alternately, each into a
fresh SQLite file: wall and CPU time per run, and the median per checkout.

    nice -n 10 .venv/bin/python bench/bench_load_compare.py ../shared/corpus/naver-2025-12-29_31.jsonl.gz \
        --other ../before [--rounds 2] [--args=--jobs=1]

`--args` adds options to this checkout's `newsmon load` only (the other may not know them). Each checkout runs its
own `.venv/bin/python -m flows.cli`, with one hash seed for every run.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load(checkout: Path, corpus: Path, folder: Path, n: int, extra: list[str]) -> tuple[float, float, str]:
    env = {**os.environ, "NEWSMON_DATABASE_URL": f"sqlite:///{folder}/{checkout.name}-{n}.db", "PYTHONHASHSEED": "0",
           "PREFECT_HOME": str(folder / "prefect")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([str(checkout / ".venv/bin/python"), "-m", "flows.cli", "load", *extra, str(corpus)],
                          env=env, cwd=checkout, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 4):  # 4: some records skipped, the rest stored
        sys.exit(f"{checkout}: load failed:\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stderr.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--other", type=Path, required=True, help="the other checkout (with its own .venv)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--args", default="", help="options for this checkout's load, comma-separated: --jobs=1")
    args = parser.parse_args()
    extra = [a for a in args.args.split(",") if a]
    checkouts = [(args.other.resolve(), []), (ROOT, extra)]
    times: dict[Path, list[float]] = {c: [] for c, _ in checkouts}
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(args.rounds):
            for checkout, options in checkouts:
                wall, cpu, summary = load(checkout, args.corpus.resolve(), Path(tmp), n, options)
                times[checkout].append(wall)
                print(f"{checkout.name:>12} {' '.join(options):10} {wall:7.1f} s wall {cpu:7.1f} s CPU   {summary}",
                      flush=True)
    other, this = (statistics.median(times[c]) for c, _ in checkouts)
    print(f"median: {args.other.name} {other:.1f} s, this checkout {this:.1f} s ({this / other:.2f}x the time)")


if __name__ == "__main__":
    main()
