"""Measures the fetcher's throughput against the ideal its limits allow, on a local server; prints the figures.

Usage: .venv/bin/python bench/bench_fetch.py [--pages 1000] [--delay 0.05] [--global-limit 32] [--per-host 8]
                                             [--hosts 4] [--page-kb 8] [--repeat 3] [--tracemalloc]

A separate process serves article pages of `--page-kb` KB, each answered `--delay` seconds after it was asked for
(asyncio, keep-alive, one listening socket per loopback address 127.0.0.1..127.0.0.N). Two setups are measured:
- one host: the per-host limit binds, ideal = per_host / delay pages/s (8 / 0.05 s = 160/s);
- N hosts (127.0.0.1..N, each its own host to the fetcher): the global limit binds once N * per_host >= global,
  ideal = min(global, N * per_host) / delay pages/s (32 / 0.05 s = 640/s).
Each run fetches every page through one `Fetcher` (robots.txt checked once per host, as in production); the fastest
of `--repeat` runs is reported (the machine may be shared), with pages/s, the percentage of the ideal (target >= 80%),
the fetcher's CPU per page, and memory: the process's peak resident set size, and with `--tracemalloc` the peak of
Python allocations during a run (tracemalloc slows the run, so it is a separate pass). For context each setup first
reports the same pages fetched over raw keep-alive sockets with no HTTP library: on a busy machine that, not the
fetcher, is the ceiling.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import resource
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import loopback_guard  # noqa: E402
from scrapers.addresses import origin  # noqa: E402
from scrapers.config import FetchSettings  # noqa: E402
from scrapers.fetch import Fetcher  # noqa: E402

PARAGRAPH = "서울시는 11일 시내 공공도서관 스무 곳의 운영 시간을 다음 달부터 밤 열 시까지 늘린다고 밝혔다. "


def article_html(size_kb: int) -> bytes:
    paragraphs = "".join(f"<p>{PARAGRAPH * 3}</p>\n" for _ in range(max(1, size_kb * 1024 // 450)))
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>벤치마크 기사</title></head>"
            f"<body><article><h1>벤치마크 기사</h1>{paragraphs}</article></body></html>").encode()


# -- the server (its own process, so its work does not share the fetcher's interpreter) ---------------------------------


def serve(hosts: list[str], delay: float, page_kb: int, ports: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    body = article_html(page_kb)
    page = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: "
            + str(len(body)).encode() + b"\r\n\r\n" + body)
    missing = b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n"

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ", 2)[1]
                if path == b"/robots.txt":
                    writer.write(missing)
                else:
                    await asyncio.sleep(delay)
                    writer.write(page)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        servers = [await asyncio.start_server(handle, host, 0, backlog=512) for host in hosts]
        ports.put([s.sockets[0].getsockname()[1] for s in servers])
        await asyncio.Event().wait()

    asyncio.run(main())


# -- the client -----------------------------------------------------------------------------------------------------


async def fetch_pages(urls: list[str], settings: FetchSettings) -> tuple[float, float, int]:
    async with Fetcher(settings) as fetcher:
        async def one(url: str) -> int:
            response = await fetcher.fetch(url, source="bench", purpose="html", private_origin=origin(url))
            return len(response.content)

        start, cpu = time.perf_counter(), time.process_time()
        sizes = await asyncio.gather(*(one(u) for u in urls))
        return time.perf_counter() - start, time.process_time() - cpu, sum(sizes)


async def bare_client(bases: list[str], pages: int, concurrency: int) -> float:
    """The same pages through raw keep-alive sockets and no HTTP library: what the machine and server allow."""

    async def worker(base: str, count: int) -> None:
        host, port = base.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        for i in range(count):
            writer.write(f"GET /article/{i} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length"))
            await reader.readexactly(length)
        writer.close()

    workers = [bases[i % len(bases)] for i in range(concurrency)]
    start = time.perf_counter()
    await asyncio.gather(*(worker(base, pages // concurrency) for base in workers))
    return (pages // concurrency) * concurrency / (time.perf_counter() - start)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_setup(label: str, bases: list[str], args: argparse.Namespace, settings: FetchSettings) -> None:
    urls = [f"{bases[i % len(bases)]}/article/{i}" for i in range(args.pages)]
    concurrency = min(settings.max_connections, len(bases) * settings.per_host_connections)
    ideal = concurrency / args.delay
    # Best of --repeat runs: the machine is shared, and the figure sought is what the fetcher can do.
    seconds, cpu, total = min(asyncio.run(fetch_pages(urls, settings)) for _ in range(args.repeat))
    rate = args.pages / seconds
    bare = max(asyncio.run(bare_client(bases, args.pages, concurrency))
               for _ in range(args.repeat))
    print(f"{label}: raw sockets, no HTTP library: {bare:.0f} pages/s ({100 * bare / ideal:.0f}% of ideal) -- "
          "what this machine and server allow right now")
    print(f"{label}: {args.pages} pages ({total / 1e6:.1f} MB) in {seconds:.2f} s = {rate:.0f} pages/s; "
          f"fetcher CPU {1000 * cpu / args.pages:.2f} ms/page (one core's ceiling {args.pages / cpu:.0f} pages/s); "
          f"ideal {ideal:.0f} pages/s (concurrency {concurrency} / {args.delay * 1000:.0f} ms) -> "
          f"{100 * rate / ideal:.0f}% of ideal; peak RSS so far {peak_rss_mb():.0f} MB")
    if args.tracemalloc:
        tracemalloc.start()
        asyncio.run(fetch_pages(urls, settings))
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"{label}: peak Python allocations during a run (tracemalloc) {peak / 1e6:.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--delay", type=float, default=0.05, help="seconds the server waits before each answer")
    parser.add_argument("--global-limit", type=int, default=32)
    parser.add_argument("--per-host", type=int, default=8)
    parser.add_argument("--hosts", type=int, default=4, help="loopback addresses for the many-hosts setup")
    parser.add_argument("--page-kb", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3, help="runs per setup; the fastest is reported")
    parser.add_argument("--tracemalloc", action="store_true")
    args = parser.parse_args()
    # Everything here is served on loopback; a connection or lookup beyond it is a bug, refused before a packet leaves.
    loopback_guard.install()

    hosts = [f"127.0.0.{i + 1}" for i in range(args.hosts)]
    ports: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    server = multiprocessing.Process(target=serve, args=(hosts, args.delay, args.page_kb, ports), daemon=True)
    server.start()
    try:
        bases = [f"http://{host}:{port}" for host, port in zip(hosts, ports.get(timeout=10))]
        settings = FetchSettings(max_connections=args.global_limit, per_host_connections=args.per_host,
                                 per_host_delay_seconds=0.0, trust_env=False)
        print(f"baseline peak RSS {peak_rss_mb():.0f} MB")
        run_setup("one host  ", bases[:1], args, settings)
        run_setup(f"{args.hosts} hosts   ", bases, args, settings)
    finally:
        server.terminate()
        server.join()


if __name__ == "__main__":
    main()
