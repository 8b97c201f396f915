"""Near-duplicate and story dedupe at 10,000 and 100,000 articles: time and peak memory each, and their ratio.

    .venv/bin/python bench/bench_dedupe.py ../shared/corpus/naver-2025-12-28.jsonl.gz [--sizes 10000 100000]

The articles are variants of the corpus made here. Each round of the corpus is a new day's worth of distinct articles
(round 0 is the corpus itself; later rounds shift every Hangul syllable and Latin letter by a round-specific offset,
which keeps lengths, structure, numbers and template sharing but makes new texts), and about a third of each round's
articles get a near-copy: a light edit, changed numbers (a template sibling), the first paragraphs only (a feed
item), re-ordered sentences, or another outlet's header and footer. So the number of copies per article stays the same
at every size, as in a real stream, and time should grow linearly. Each size runs in a child process so its peak memory
(max RSS) is its own; articles are made batch by batch, so the figure is the index, not the input.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dedupe.batch import DedupeIndex, dedupe_batch  # noqa: E402
from newsmon.records import Article  # noqa: E402
from scrapers.local import iter_jsonl  # noqa: E402

BATCH = 500
HANGUL_FIRST, HANGUL_COUNT = 0xAC00, 11172


def corpus(path: Path) -> list[Article]:
    return [a for a in iter_jsonl(path, "bench") if isinstance(a, Article)]


def shifted(text: str, offset: int) -> str:
    """Every Hangul syllable and Latin letter moved by `offset` within its block: a new text of the same shape."""
    if not offset:
        return text
    out = []
    for ch in text:
        code = ord(ch)
        if HANGUL_FIRST <= code < HANGUL_FIRST + HANGUL_COUNT:
            out.append(chr(HANGUL_FIRST + (code - HANGUL_FIRST + offset * 97) % HANGUL_COUNT))
        elif "a" <= ch <= "z":
            out.append(chr(ord("a") + (code - ord("a") + offset) % 26))
        elif "A" <= ch <= "Z":
            out.append(chr(ord("A") + (code - ord("A") + offset) % 26))
        else:
            out.append(ch)
    return "".join(out)


def _sentences(body: str) -> list[str]:
    return [s for s in body.replace("다. ", "다.\n").split("\n") if s.strip()]


def variant(article: Article, kind: int, rng: random.Random) -> Article:
    body = article.body
    if kind == 0:  # light edit: a few words changed, one sentence added
        words = body.split(" ")
        for _ in range(3):
            i = rng.randrange(len(words))
            words[i] = words[i][::-1]
        body = " ".join(words) + " 관계자는 추가 설명을 내놓지 않았다."
    elif kind == 1:  # template sibling: every number changed
        body = "".join(str((int(c) + 3) % 10) if "0" <= c <= "9" else c for c in body)
    elif kind == 2:  # feed item: the first paragraphs only
        paragraphs = [p for p in body.split("\n\n") if p.strip()]
        body = "\n\n".join(paragraphs[: max(1, len(paragraphs) // 2)])
    elif kind == 3:  # sentences re-ordered
        sentences = _sentences(body)
        rng.shuffle(sentences)
        body = "\n".join(sentences)
    else:  # another outlet's dateline and footer
        body = "[서울=벤치뉴스] 홍길동 기자 = " + body + "\n\n홍길동 기자 hong@bench.example\nⓒ 벤치뉴스 무단전재 및 재배포 금지"
    return replace(article, body=body, url=f"{article.url}#v{kind}", external_id=f"{article.external_id}-v{kind}")


def stream(base: list[Article], size: int, seed: int = 7) -> Iterator[Article]:
    """`size` articles: rounds of the (shifted) corpus, each followed by near-copies of about a third of it."""
    rng = random.Random(seed)
    made = 0
    round_no = 0
    while True:
        for article in base:
            fresh = replace(
                article,
                title=shifted(article.title, round_no),
                body=shifted(article.body, round_no),
                url=f"{article.url}?round={round_no}",
                external_id=f"{article.external_id}-r{round_no}",
                published_at=article.published_at + timedelta(days=round_no) if article.published_at else None,
            )
            yield fresh
            made += 1
            if made >= size:
                return
            if rng.random() < 0.33:
                yield variant(fresh, rng.randrange(5), rng)
                made += 1
                if made >= size:
                    return
        round_no += 1


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_one(path: Path, size: int) -> dict:
    base = corpus(path)
    before = rss_mb()
    index = DedupeIndex()
    duplicates = 0
    stories: set[str] = set()
    stored = 0
    seconds = 0.0
    articles = stream(base, size)
    while True:
        batch = list(itertools.islice(articles, BATCH))  # made outside the timed part
        if not batch:
            break
        started = time.perf_counter()
        decisions = dedupe_batch(batch, index)
        index.commit(list(range(stored + 1, stored + 1 + len(batch))))
        seconds += time.perf_counter() - started
        stored += len(batch)
        duplicates += sum(d.is_duplicate for d in decisions)
        stories.update(d.story_key for d in decisions)
    return {"size": size, "seconds": seconds, "per_second": size / seconds, "duplicates": duplicates,
            "stories": len(stories), "rss_before_mb": before, "peak_rss_mb": rss_mb()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(args.corpus, args.child)))
        return
    results = []
    for size in args.sizes:
        out = subprocess.run([sys.executable, __file__, str(args.corpus), "--child", str(size)],
                             check=True, capture_output=True, text=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        results.append(r)
        print(f"{r['size']:>7} articles: {r['seconds']:7.1f} s ({r['per_second']:6.0f}/s), "
              f"{r['duplicates']} near-duplicates, {r['stories']} stories, peak RSS {r['peak_rss_mb']:.0f} MB "
              f"(index and work: +{r['peak_rss_mb'] - r['rss_before_mb']:.0f} MB over the loaded corpus)")
    if len(results) >= 2:
        small, large = results[0], results[-1]
        print(f"time ratio {large['size']}/{small['size']}: {large['seconds'] / small['seconds']:.2f} "
              f"(linear would be {large['size'] / small['size']:.0f}; the target is at most 12)")


if __name__ == "__main__":
    main()
