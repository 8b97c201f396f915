"""Times tagging a whole corpus against Kiwi alone tokenising the same text, in one process; prints the figures.

Usage: .venv/bin/python bench/bench_tagging.py CORPUS.jsonl.gz [--config newsmon.toml] [--repeat N] [--kiwi-every K]

Figures:
- tagging: `Tagger.tag_many` over every article (title + body, after the crawl footer is dropped on load), printed as
  soon as it is measured; salience (deciding whether a topic is the article's subject) is part of it;
- kiwi alone: `Kiwi.tokenize` of each article's title and body with the same (shared, warmed) Kiwi instance;
  `--kiwi-every K` tokenises every K-th article only and scales the time by characters (marked "extrapolated"),
  for a quick look on a busy machine; the default (1) tokenises all of it;
- ratio = tagging time / kiwi-alone time (the target is <= 0.3: "tokenise only what a decision needs, and once");
- peak memory: the process's maximum resident set size (Kiwi's model is most of it), after each stage.
Each timing is the best of `--repeat` runs (default 1) to damp the noise of a shared machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import load_config  # noqa: E402
from tagging.evaluate import read_articles  # noqa: E402
from tagging.kiwi import shared_kiwi  # noqa: E402
from tagging.tagger import Tagger  # noqa: E402


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def best_of(repeat: int, run) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--config", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--kiwi-every", type=int, default=1, help="tokenise every K-th article for the Kiwi figure")
    args = parser.parse_args()

    watchlist = load_config(args.config).watchlist
    start = time.perf_counter()
    articles = list(read_articles(args.corpus))
    read_s = time.perf_counter() - start
    chars = sum(len(a.title) + len(a.body) for a in articles)
    print(f"corpus          {args.corpus.name}: {len(articles)} articles, {chars / 1e6:.1f} M characters "
          f"(read in {read_s:.1f} s)")
    print(f"machine         {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start")

    start = time.perf_counter()
    tagger = Tagger(watchlist)
    print(f"Tagger()        {1000 * (time.perf_counter() - start):.1f} ms (Kiwi not loaded yet)")
    start = time.perf_counter()
    kiwi = shared_kiwi()
    print(f"Kiwi load       {time.perf_counter() - start:.1f} s, peak RSS {peak_mb():.0f} MB")
    tagger.tag_many(articles[:50])  # registers user words and warms the tagger's own paths

    tags: list = []

    def tag_all() -> None:
        tags[:] = tagger.tag_many(articles)

    tag_s = best_of(args.repeat, tag_all)
    tag_peak = peak_mb()
    print(f"tagging         {tag_s:.2f} s, {len(articles) / tag_s:.0f} articles/s, peak RSS {tag_peak:.0f} MB",
          flush=True)
    sample = articles[:: max(1, args.kiwi_every)]
    texts = [f"{a.title}\n{a.body}" for a in sample]
    sample_chars = sum(len(t) for t in texts)
    scale = sum(len(a.title) + 1 + len(a.body) for a in articles) / max(1, sample_chars)

    def kiwi_all() -> None:
        for text in texts:
            kiwi.tokenize(text)

    kiwi_s = best_of(args.repeat, kiwi_all) * scale
    note = "" if args.kiwi_every <= 1 else f" (extrapolated from every {args.kiwi_every}th article, {scale:.1f}x)"
    print(f"kiwi alone      {kiwi_s:.2f} s, {len(articles) / kiwi_s:.0f} articles/s, "
          f"{sample_chars * scale / kiwi_s / 1000:.0f}K characters/s, peak RSS {peak_mb():.0f} MB{note}")
    print(f"ratio           {tag_s / kiwi_s:.3f}  (tagging / kiwi alone; target <= 0.3)")
    tagged = sum(1 for t in tags if t)
    counts: dict[str, int] = {}
    for article_tags in tags:
        for tag in article_tags:
            counts[tag.label] = counts.get(tag.label, 0) + 1
    print(f"tagged          {tagged} articles with at least one tag; " +
          ", ".join(f"{label} {n}" for label, n in sorted(counts.items())))
    stats = getattr(tagger, "stats", None)
    if stats:
        print("kiwi work       " + ", ".join(f"{k} {v}" for k, v in stats.items()))


if __name__ == "__main__":
    main()
