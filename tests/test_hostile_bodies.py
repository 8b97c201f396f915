"""Hostile and broken bodies served by a real local HTTP server: what newsmon reads, opens and reports for each."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from local_server import KOREAN_PARAGRAPHS, LocalServer, Reply, fast_settings, rss_feed, server  # noqa: F401

from newsmon.records import SourceResult
from scrapers.config import SourceConfig
from scrapers.web import read_web_sources

BODY_HTML = "".join(f"<p>{p}</p>" for p in KOREAN_PARAGRAPHS)

# -- which files the process opens (an audit hook: it sees every open(), whoever calls it) -------------------------

_watch_lock = threading.Lock()
_watching: list[list[str]] = []


def _audit(event: str, args: tuple) -> None:
    if event == "open" and _watching and isinstance(args[0], (str, bytes)):
        with _watch_lock:
            for opened in _watching:
                opened.append(os.fsdecode(args[0]))


sys.addaudithook(_audit)  # audit hooks cannot be removed; it records only while a test watches


@pytest.fixture
def opened_files() -> Iterator[list[str]]:
    opened: list[str] = []
    with _watch_lock:
        _watching.append(opened)
    try:
        yield opened
    finally:
        with _watch_lock:
            _watching.remove(opened)


def poll(source: SourceConfig) -> SourceResult:
    [result] = asyncio.run(read_web_sources([source], fast_settings(), {}, watch_terms=[]))
    return result


def feed_source(srv: LocalServer, path: str = "/feed") -> SourceConfig:
    return SourceConfig(name="hostile-feed", kind="rss", url=srv.url(path), allow_private=True, respect_robots=False)


# -- a body that names a file ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("spell", [str, lambda p: Path(p).as_uri()], ids=["path", "file-url"])
def test_a_feed_body_that_is_only_a_local_path_opens_no_file_and_stores_nothing(
    server: LocalServer, tmp_path: Path, opened_files: list[str], spell
) -> None:
    local = tmp_path / "local-feed.xml"
    local.write_bytes(rss_feed([{"guid": "local-1", "title": "이 컴퓨터의 파일에 있던 기사", "body": BODY_HTML}]))
    server.add("/feed", Reply(body=spell(str(local)).encode(), content_type="application/rss+xml"))
    opened_files.clear()  # writing it above was this test's own open

    result = poll(feed_source(server))

    assert result.articles == [] and result.failure is not None
    assert server.url("/feed") in str(result.failure)
    assert not [p for p in opened_files if "local-feed" in p]


# -- broken feeds and pages: the failure says what the body was, naming the source and URL ---------------------------

WHOLE_FEED = rss_feed([{"guid": f"g{i}", "title": f"기사 {i}", "body": BODY_HTML} for i in range(2)])
PAGE_404 = b"<!doctype html><html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>"

BROKEN_FEEDS = {
    "empty": (b"", "application/rss+xml", "not an RSS or Atom feed: the body is empty"),
    "whitespace": (b"\n  \n", "application/rss+xml", "not an RSS or Atom feed: the body is only whitespace"),
    "html": (PAGE_404, "text/html", "not an RSS or Atom feed: the body is an HTML page (title \u201c404 Not Found\u201d)"),
    "json": (b'{"items": [{"title": "x"}]}', "text/plain", "not an RSS or Atom feed: the body is JSON"),
    "sitemap": (b'<?xml version="1.0"?><urlset><url><loc>https://a.kr/1</loc></url></urlset>', "text/xml",
                "not an RSS or Atom feed: the body is XML with root element <urlset>"),
    "text": ("점검 중입니다. 잠시 후 다시 접속해 주세요.".encode(), "text/plain",
             "not an RSS or Atom feed: the body is plain text (\u201c점검 중입니다."),
    "binary": (bytes(range(256)) * 8, "application/xml", "not an RSS or Atom feed: the body is binary data (2,048 bytes)"),
    # Cut inside the first item: nothing before the break to keep.
    "truncated": (WHOLE_FEED[: WHOLE_FEED.index(b"<item>") + 12], "application/rss+xml",
                  "an RSS feed cut short (truncated): the document ends before its closing </rss>"),
    "malformed": (b'<?xml version="1.0"?><rss version="2.0"><channel><title a="1" a="2">t</title></channel></rss>',
                  "application/rss+xml", "an RSS feed that is not well-formed XML; the XML parser says: duplicate "
                                         "attribute"),
}


@pytest.mark.parametrize("case", list(BROKEN_FEEDS))
def test_a_broken_feed_fails_saying_what_the_body_was(server: LocalServer, case: str) -> None:
    body, content_type, reason = BROKEN_FEEDS[case]
    server.add("/feed", Reply(body=body, content_type=content_type))

    result = poll(feed_source(server))

    assert result.articles == [] and result.failure is not None
    assert result.failure.source == "hostile-feed" and result.failure.where == server.url("/feed")
    assert result.failure.reason.startswith(reason), result.failure.reason
    assert "unexpected" not in result.failure.reason and "AttributeError" not in result.failure.reason


BROKEN_PAGES = {
    "empty": (b"", "no article title and body found (generic extractor): the body is empty"),
    "feed": (WHOLE_FEED, "the body is an RSS feed, not an HTML page"),
    "json": (b'{"title": "x", "body": "y"}', "no article title and body found (generic extractor): the body is JSON, "
                                            "not an HTML page"),
    "error-page": (PAGE_404, "no article body found (generic extractor): the body is an HTML page (title "
                             "\u201c404 Not Found\u201d)"),
    # Cut inside its last character, too: what comes before the cut still reads as UTF-8.
    "cut-short": (b"<!doctype html><html><head><title>\xea\xb8\xb0\xec\x82\xac</title></head><body><p>\xeb",
                  "the body is an HTML page (title \u201c기사\u201d; it ends before its closing </html>)"),
}


@pytest.mark.parametrize("case", list(BROKEN_PAGES))
def test_a_broken_page_fails_saying_what_the_body_was(server: LocalServer, case: str) -> None:
    body, reason = BROKEN_PAGES[case]
    server.add("/news/1", Reply(body=body, content_type="text/html; charset=utf-8"))
    source = SourceConfig(name="hostile-page", kind="page", url=server.url("/news/1"), allow_private=True,
                          respect_robots=False)

    result = poll(source)

    assert result.articles == [] and result.failure is not None
    assert result.failure.source == "hostile-page" and result.failure.where == server.url("/news/1")
    assert reason in result.failure.reason, result.failure.reason


def test_a_feed_item_whose_page_is_broken_is_skipped_with_the_reason(server: LocalServer) -> None:
    server.add("/a/1", Reply(body=b"", content_type="text/html"))
    server.add("/feed", Reply(body=rss_feed([{"guid": "g1", "link": server.url("/a/1"), "title": "본문 없는 항목"}]),
                              content_type="application/rss+xml"))

    result = poll(feed_source(server))

    assert result.failure is None and result.articles == []
    [error] = result.errors
    assert error.where == server.url("/a/1") and error.reason.endswith("the body is empty")
