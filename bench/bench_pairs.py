"""Dedupe alone (exact keys, near-duplicates, stories; no tagging, no database) over a corpus, scored on labelled pairs:
the fast loop for tuning the rules, with each wrong pair's verdict.

    .venv/bin/python bench/bench_pairs.py ../shared/corpus/naver-2025-12-29_31.jsonl.gz \
        ../shared/corpus/dev-pairs.jsonl [--half even|odd] [--until 2025-12-30T12:00] [--explain]

Articles are decided in file order in batches of 500, as `newsmon load` does; an exact copy (same text hash, another
URL) joins its first copy, as the pipeline stores it. `--half even` scores the pairs on even lines (0, 2, ...) only,
`--half odd` the others (tune on one, check on the other); `--until` stops reading at that published time (the pairs
of one day need only that day and the story window before it). `newsmon eval --pairs` scores a real database.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dedupe.batch import DedupeIndex, dedupe_batch  # noqa: E402
from dedupe.evaluate import Placement, format_pair_report, read_pairs, score_pairs  # noqa: E402
from dedupe.features import features  # noqa: E402
from dedupe.near import compare, fingerprint  # noqa: E402
from ingest.pipeline import keys_of  # noqa: E402
from newsmon.batching import batched  # noqa: E402
from newsmon.records import Article  # noqa: E402
from scrapers.local import iter_jsonl  # noqa: E402
from dedupe.settings import DedupeSettings  # noqa: E402

BATCH = 500


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("pairs", type=Path)
    parser.add_argument("--half", choices=("even", "odd"))
    parser.add_argument("--until", help="read articles published before this time (Asia/Seoul)")
    parser.add_argument("--explain", action="store_true", help="the verdict of each wrong pair's two articles")
    args = parser.parse_args()
    pairs = read_pairs(args.pairs)
    if args.half:
        pairs = pairs[0 if args.half == "even" else 1 :: 2]
    until = datetime.fromisoformat(args.until).replace(tzinfo=ZoneInfo("Asia/Seoul")) if args.until else None
    articles = [a for a in iter_jsonl(args.corpus, "bench") if isinstance(a, Article)
                and (until is None or a.published_at is None or a.published_at < until)]
    settings = DedupeSettings()
    index = DedupeIndex(settings)
    placements: dict[str, Placement] = {}
    by_id: dict[str, Article] = {}
    urls: set[str] = set()
    hashes: dict[str, Placement] = {}
    next_id = 0
    kept_id: dict[object, str] = {}  # stored id -> input id
    started, cpu_started = time.perf_counter(), time.process_time()
    for batch in batched(articles, BATCH):
        fresh: list[Article] = []
        copies: list[tuple[str, str]] = []
        for article in batch:
            url, digest = keys_of(article)
            if url and url in urls:
                continue
            if url:
                urls.add(url)
            if digest in hashes:
                copies.append((article.external_id or "", digest))
                continue
            fresh.append(article)
            hashes[digest] = Placement(-1, None)  # filled in below
        decisions = dedupe_batch(fresh, index)
        ids = list(range(next_id, next_id + len(fresh)))
        next_id += len(fresh)
        index.commit(ids)
        for i, (article, d) in enumerate(zip(fresh, decisions)):
            group = d.duplicate_of_id if d.duplicate_of_id is not None else (
                ids[d.duplicate_of_index] if d.duplicate_of_index is not None else ids[i])
            placement = Placement(group, d.story_key)
            kept_id.setdefault(ids[i], article.external_id or "")
            placements[article.external_id or ""] = placement
            hashes[keys_of(article)[1]] = placement
            by_id[article.external_id or ""] = article
        for external_id, digest in copies:
            placements[external_id] = hashes[digest]
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    report = score_pairs(pairs, placements)
    print(f"{len(articles)} articles decided in {seconds:.1f} s ({cpu:.1f} s CPU)")
    print(format_pair_report(report, details=args.explain))
    if args.explain:
        print("verdicts of the wrong pairs (a compared with b):")
        for pair in report.missed_duplicates + report.false_merges:
            a, b = by_id.get(pair.a), by_id.get(pair.b)
            if a is None or b is None:
                print(f"  {pair.a} {pair.b}: an exact copy")
                continue
            fa, fb = (fingerprint(features(x.title, x.body), index.signer.hashvalues(features(x.title, x.body).core),
                                  settings, x.published_at, x.publisher) for x in (a, b))
            line = f"  {pair.a} {pair.b} {pair.relation}: {compare(fa, fb, settings).reason}"
            roots = [kept_id.get(placements[x].group) for x in (pair.a, pair.b)]
            if roots[0] != pair.a or roots[1] != pair.b:
                line += f"  [kept copies: {roots[0]}, {roots[1]}]"
            print(line)


if __name__ == "__main__":
    main()
