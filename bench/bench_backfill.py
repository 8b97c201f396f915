"""Measures a backfill of archived articles against the bound its politeness settings allow; prints the figures.

Usage: .venv/bin/python bench/bench_backfill.py [--articles 1000] [--days 10] [--latency 0.05]
                                                [--connections 4] [--per-host-delay 0] [--no-store]
                                                [--repeat 3] [--tracemalloc]

A separate process serves a news site's archive on 127.0.0.1 (asyncio, keep-alive): a sitemap index by day, one news
sitemap per day and the article pages (each with its own text and published time), every answer `--latency` seconds
after it was asked for. The backfill (ingest/backfill.py, as `newsmon backfill` runs it) reads the whole range into a
fresh SQLite file with the real tagger, dedupe and storage, within `[backfill] max_connections = --connections` and
`[fetch] per_host_delay_seconds = --per-host-delay`. Kiwi is loaded before the clock starts.

The bound: one host, so at most `connections` requests are in flight and each takes `latency`, and requests start at
most one per `per_host_delay`: bound = min(connections / latency, 1 / per_host_delay) pages per second (80/s for
4 connections at 50 ms). Reported, for the fastest of `--repeat` runs (the machine may be shared): pages (sitemaps
and articles) per second over the whole run and its share of the bound (the goal is >= 90%), articles per second, the
mean number of requests the server saw in flight, the rate of the same pages over raw sockets (what the machine
allows at the moment, without HTTP library, parsing or storing), CPU per page, and memory: the peak resident set size of the
process, and with `--tracemalloc` the peak of Python allocations during the run (a slower, separate pass).
`--no-store` fetches and extracts only, to show what storing and tagging cost.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

KST = ZoneInfo("Asia/Seoul")
FIRST_DAY = date(2026, 1, 1)
WORDS = ("정부", "서울시", "기업", "시장", "투자", "발표", "계획", "지역", "주민", "예산", "교육", "연구", "기술", "회의",
         "정책", "산업", "수출", "고용", "환경", "교통", "문화", "행사", "협력", "개발", "지원", "조사", "통신", "플랫폼")


def archive(base: str, articles: int, days: int) -> dict[bytes, bytes]:
    """Every path of the archive and its body; article i belongs to day i % days."""
    rng = random.Random(7)
    routes: dict[bytes, bytes] = {}
    per_day: dict[date, list[str]] = {}
    for i in range(articles):
        day = FIRST_DAY + timedelta(days=i % days)
        published = datetime.combine(day, datetime.min.time(), KST) + timedelta(minutes=5 + (i // days) % 1400)
        path = f"/news/{day:%Y%m%d}/{i}.html"
        title = f"{day:%m월 %d일} 벤치 기사 {i}: " + " ".join(rng.sample(WORDS, 4))
        body = "".join(f"<p>{' '.join(rng.choices(WORDS, k=30))}에 대해 관계자는 이같이 말했다.</p>" for _ in range(8))
        routes[path.encode()] = (
            f'<!doctype html><html lang="ko"><head><meta charset="utf-8"><title>{title}</title>'
            f'<meta property="og:title" content="{title}">'
            f'<meta property="article:published_time" content="{published.isoformat()}"></head>'
            f"<body><article><h1>{title}</h1>{body}</article></body></html>").encode()
        entry = f"<url><loc>{base}{path}</loc><lastmod>{published.isoformat()}</lastmod></url>"
        per_day.setdefault(day, []).append(entry)
    index = ['<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for day, entries in per_day.items():
        sitemap = f"/sitemaps/{day:%Y-%m-%d}.xml"
        index.append(f"<sitemap><loc>{base}{sitemap}</loc></sitemap>")
        routes[sitemap.encode()] = ('<?xml version="1.0" encoding="UTF-8"?><urlset '
                                    'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                                    + "".join(entries) + "</urlset>").encode()
    routes[b"/sitemap.xml"] = ("".join(index) + "</sitemapindex>").encode()
    return routes


def serve(articles: int, days: int, latency: float, ports: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    async def main() -> None:
        routes: dict[bytes, bytes] = {}
        # Requests being answered now, and the time integral of that count: the mean concurrency the client kept up.
        stats = {"open": 0, "area": 0.0, "since": 0.0, "first": 0.0, "last": 0.0, "count": 0}

        def tally(change: int) -> None:
            now = time.perf_counter()
            stats["area"] += stats["open"] * (now - stats["since"])
            stats["open"] += change
            stats["since"] = now
            if change > 0:
                stats["first"] = stats["first"] or now
                stats["count"] += 1
            else:
                stats["last"] = now

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while True:
                    head = await reader.readuntil(b"\r\n\r\n")
                    path = head.split(b" ", 2)[1]
                    if path == b"/_stats":
                        span = stats["last"] - stats["first"]
                        report = f"{stats['count']} {stats['area']:.4f} {span:.4f}".encode()
                        stats.update(open=0, area=0.0, since=0.0, first=0.0, last=0.0, count=0)
                        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: " + str(len(report)).encode()
                                     + b"\r\n\r\n" + report)
                        await writer.drain()
                        continue
                    body = routes.get(path)
                    tally(+1)
                    if path != b"/robots.txt":
                        await asyncio.sleep(latency)
                    kind = b"application/xml" if path.endswith(b".xml") else b"text/html; charset=utf-8"
                    status = b"200 OK" if body is not None else b"404 Not Found"
                    body = body or b""
                    writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Type: " + kind + b"\r\nContent-Length: "
                                 + str(len(body)).encode() + b"\r\n\r\n" + body)
                    await writer.drain()
                    tally(-1)
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            finally:
                writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=512)
        port = server.sockets[0].getsockname()[1]
        routes.update(archive(f"http://127.0.0.1:{port}", articles, days))
        ports.put(port)
        await asyncio.Event().wait()

    asyncio.run(main())


def bare_rate(port: int, args: argparse.Namespace) -> float:
    """The article pages over raw keep-alive sockets with no HTTP library, parsing or storing, `connections` at a
    time: what this machine and the server allow right now (on a busy machine, less than the bound)."""
    paths = [f"/news/{FIRST_DAY + timedelta(days=i % args.days):%Y%m%d}/{i}.html" for i in range(args.articles)]

    async def worker(mine: list[str]) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for path in mine:
            writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length"))
            await reader.readexactly(length)
        writer.close()

    async def main() -> float:
        started = time.perf_counter()
        await asyncio.gather(*(worker(paths[i :: args.connections]) for i in range(args.connections)))
        return len(paths) / (time.perf_counter() - started)

    rate = asyncio.run(main())
    import httpx

    httpx.get(f"http://127.0.0.1:{port}/_stats", trust_env=False)  # the server's counts start again
    return rate


def run(args: argparse.Namespace, port: int, folder: Path) -> dict[str, float]:
    from app.config import load_config
    from ingest.backfill import run_backfill
    from ingest.context import IngestContext
    from models.db import Database
    from scrapers.config import BackfillSettings, FetchSettings, SourceConfig
    from tagging.tagger import Tagger

    db = Database(f"sqlite:///{folder / 'bench.db'}")
    tagger = Tagger(load_config(ROOT / "newsmon.toml").watchlist)
    from newsmon.records import Article

    tagger.tag_many([Article("warm-up", "KT 소식", "KT는 오늘 새 서비스를 발표했다.")])  # Kiwi loads on first use
    context = IngestContext.open(db, tagger)
    if args.no_store:
        import ingest.backfill as backfill_module
        from ingest.pipeline import IngestReport

        backfill_module.store_source_result = lambda _c, result, **_k: IngestReport(  # type: ignore[assignment]
            result.source, read=len(result.articles))
    source = SourceConfig(name="bench-sitemap", kind="sitemap", url=f"http://127.0.0.1:{port}/sitemap.xml",
                          allow_private=True, max_articles_per_day=args.articles)
    fetch = FetchSettings(per_host_delay_seconds=args.per_host_delay, trust_env=False)
    settings = BackfillSettings(max_connections=args.connections)
    last = FIRST_DAY + timedelta(days=args.days - 1)
    if args.tracemalloc:
        tracemalloc.start()
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    [outcome] = run_backfill(context, [source], FIRST_DAY, last, zone="Asia/Seoul", fetch=fetch, settings=settings)
    seconds = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    peak = tracemalloc.get_traced_memory()[1] if args.tracemalloc else 0
    import httpx

    count, area, span = httpx.get(f"http://127.0.0.1:{port}/_stats", trust_env=False).text.split()
    tracemalloc.stop()
    db.dispose()
    pages = sum(d.pages + d.found - d.known for d in outcome.days)
    failed = sum(d.failed for d in outcome.days)
    return {"seconds": seconds, "pages": pages, "articles": sum(d.found for d in outcome.days),
            "stored": sum(d.stored for d in outcome.days), "failed": failed, "traced_peak_mb": peak / 2**20,
            "cpu": cpu, "concurrency": float(area) / float(span), "answered": float(count),
            "span": float(span)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--per-host-delay", type=float, default=0.0)
    parser.add_argument("--no-store", action="store_true")
    parser.add_argument("--repeat", type=int, default=3, help="runs; the fastest is reported (the machine is shared)")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python allocations (slows the run)")
    args = parser.parse_args()

    ports: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    server = multiprocessing.Process(target=serve, args=(args.articles, args.days, args.latency, ports), daemon=True)
    server.start()
    try:
        port = ports.get(timeout=60)
        bare = bare_rate(port, args)
        runs = []
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory(prefix="newsmon-bench-backfill-") as folder:
                runs.append(run(args, port, Path(folder)))
        figures = min(runs, key=lambda f: f["seconds"])
    finally:
        server.terminate()
        server.join()
    bound = args.connections / args.latency
    if args.per_host_delay > 0:
        bound = min(bound, 1 / args.per_host_delay)
    rate = figures["pages"] / figures["seconds"]
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"backfill of {figures['articles']:.0f} archived articles over {args.days} days "
          f"({figures['pages']:.0f} pages incl. sitemaps), latency {args.latency * 1000:.0f} ms, "
          f"{args.connections} connections, per-host delay {args.per_host_delay:g} s"
          f"{', fetch and extract only' if args.no_store else ', stored and tagged'}")
    every = ", ".join(f"{r['seconds']:.1f}" for r in runs)
    print(f"  fastest of {args.repeat}: {figures['seconds']:.1f} s (all: {every}), {rate:.1f} pages/s; "
          f"bound {bound:.1f} pages/s: {100 * rate / bound:.0f}% "
          f"of the bound; {figures['articles'] / figures['seconds']:.1f} articles/s")
    print(f"  for comparison, the same article pages over raw sockets (no HTTP library, no parsing, no storing): "
          f"{bare:.1f} pages/s, {100 * bare / bound:.0f}% of the bound; the backfill reached {100 * rate / bare:.0f}% "
          "of that")
    print(f"  the server saw {figures['concurrency']:.2f} requests in flight on average (of {args.connections}) "
          f"while answering {figures['answered']:.0f} in {figures['span']:.1f} s (first request to last answer)")
    print(f"  CPU {figures['cpu']:.1f} s ({1000 * figures['cpu'] / figures['pages']:.1f} ms per page; "
          f"{figures['cpu'] / figures['seconds']:.2f} of a core)")
    traced = f", peak Python allocations during the run {figures['traced_peak_mb']:.1f} MB" if args.tracemalloc else ""
    print(f"  stored {figures['stored']:.0f}, failed {figures['failed']:.0f}; peak RSS {rss_mb:.0f} MB "
          f"(Kiwi included){traced}")


if __name__ == "__main__":
    main()
