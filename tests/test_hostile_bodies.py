"""Hostile and broken bodies served by a real local HTTP server: what newsmon reads, opens and reports for each."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_fetch_server import KOREAN_PARAGRAPHS, LocalServer, Reply, fast_settings, rss_feed, server  # noqa: F401

from scrapers.base import SourceResult
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
