"""Feed sources against a real local server: polling real snapshots, broken and mislabelled feeds, inward links."""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from local_server import (  # noqa: F401
    KOREAN_PARAGRAPHS,
    LocalServer,
    Reply,
    article_page,
    conditional,
    fast_settings,
    rss_feed,
    server,
)

from newsmon.records import SourceResult, SourceState
from scrapers.config import FetchSettings, SourceConfig
from scrapers.feeds import parse_feed
from scrapers.web import read_web_sources

BODY_HTML = "".join(f"<p>{p}</p>" for p in KOREAN_PARAGRAPHS)


def poll(sources: list[SourceConfig], states: dict[str, SourceState] | None = None,
         settings: FetchSettings | None = None, watch_terms: list[str] | None = None) -> list[SourceResult]:
    return asyncio.run(read_web_sources(sources, settings or fast_settings(), states or {},
                                        watch_terms=watch_terms or []))


def feed_source(srv: LocalServer, path: str = "/feed", **options: object) -> SourceConfig:
    return SourceConfig(name="test-feed", kind="rss", url=srv.url(path), allow_private=True, **options)


# -- the real snapshots ------------------------------------------------------------------------------------------------


def test_twelve_snapshots_yield_the_union_of_their_items_and_unchanged_repolls_are_304s(
    shared_dir: Path, server: LocalServer, outside_attempts: list[str]
) -> None:
    folder = shared_dir / "feeds" / "chosun-national"
    snapshots = sorted(folder.glob("*.xml"))
    if len(snapshots) != 12:
        pytest.skip(f"expected twelve feed snapshots in {folder}, found {len(snapshots)}")
    # The items' links point at the local server, which serves a page for the items the feed carries no text for.
    outlet = "https://www.chosun.com/"
    documents = [path.read_bytes().replace(outlet.encode(), (server.base + "/").encode()) for path in snapshots]
    expected: set[str] = set()
    for document in documents:
        for item in ET.fromstring(document).iter("item"):
            expected.add(item.findtext("guid") or "")
            link = item.findtext("link") or ""
            path = link.removeprefix(server.base)
            server.add(path, Reply(body=article_page(item.findtext("title") or "제목", KOREAN_PARAGRAPHS)))
    source = feed_source(server)

    articles = []
    state: dict[str, SourceState] = {}
    for document in documents:
        server.add("/feed", conditional(document))
        for attempt in range(2):
            [result] = poll([source], state, settings=fast_settings(max_bytes=2_000_000))
            assert result.failure is None, result.failure
            assert result.not_modified == (attempt == 1)
            state = {source.name: result.state}
            articles += result.articles

    ids = [a.external_id for a in articles]
    assert len(ids) == len(set(ids)) and set(ids) == expected
    assert all(a.title and a.body for a in articles)
    assert sum(1 for r in server.requests if r.path == "/feed") == 24
    assert outside_attempts == []  # the items' other links (images, the outlet's site) were never tried


def test_snapshot_items_carry_full_text_author_and_offset_aware_dates(shared_dir: Path) -> None:
    path = next(iter(sorted((shared_dir / "feeds" / "chosun-national").glob("*.xml"))), None)
    if path is None:
        pytest.skip("no feed snapshot in shared/feeds/chosun-national")
    feed = parse_feed(path.read_bytes(), source="s", url=str(path))
    assert feed.title == "조선일보" and len(feed.items) == 100
    with_text = [i for i in feed.items if i.full_text]
    assert len(with_text) > 80
    # Markup and photo captions are not body text ("<사진>" in the prose is the outlet's own wording).
    assert not any(tag in i.full_text for i in with_text for tag in ("<br", "<img", "<figure", "figcaption", "ⓒ News1"))
    assert all(i.published_at is not None and i.published_at.tzinfo is not None for i in feed.items)
    assert any(i.author and i.author.endswith("기자") for i in feed.items)


# -- authored feeds ----------------------------------------------------------------------------------------------------


def test_feed_item_without_full_text_gets_its_page_fetched(server: LocalServer) -> None:
    link = server.add("/news/1", Reply(body=article_page("도서관 야간 개방 확대", KOREAN_PARAGRAPHS)))
    server.add("/feed", Reply(body=rss_feed([{"guid": "g1", "link": link, "title": "도서관 야간 개방 확대",
                                               "description": "서울시는 11일…"}]),
                              content_type="application/rss+xml"))
    [result] = poll([feed_source(server)])
    [article] = result.articles
    assert article.body == "\n".join(KOREAN_PARAGRAPHS) and article.url == link
    assert article.published_at is not None and article.published_at.isoformat() == "2026-02-11T09:30:00+09:00"


def test_full_text_feed_is_read_without_fetching_pages(server: LocalServer) -> None:
    server.add("/feed", Reply(body=rss_feed([{"guid": "g1", "link": server.url("/news/1"), "title": "제목 하나",
                                               "body": BODY_HTML, "creator": "홍길동 기자",
                                               "date": "Wed, 11 Feb 2026 06:01:14 +0000"}]),
                              content_type="application/rss+xml"))
    [result] = poll([feed_source(server)])
    [article] = result.articles
    assert article.body == "\n".join(KOREAN_PARAGRAPHS) and article.author == "홍길동 기자"
    assert server.hits("/news/1") == 0


def test_atom_and_rss1_feeds_are_read(server: LocalServer) -> None:
    atom = f"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<title>아톰 일보</title><id>urn:feed</id><updated>2026-02-11T10:00:00+09:00</updated>
<entry><id>urn:a1</id><title>아톰 기사</title><link href="{server.url('/a1')}"/>
<updated>2026-02-11T10:00:00+09:00</updated><author><name>김기자</name></author>
<content type="html">{BODY_HTML.replace('<', '&lt;')}</content></entry></feed>""".encode()
    rdf = f"""<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel rdf:about="urn:c"><title>RDF 일보</title><link>{server.base}</link><description>d</description></channel>
<item rdf:about="{server.url('/r1')}"><title>RDF 기사</title><link>{server.url('/r1')}</link>
<dc:creator>박기자</dc:creator><dc:date>2026-02-11 10:00</dc:date>
<content:encoded><![CDATA[{BODY_HTML}]]></content:encoded></item></rdf:RDF>""".encode()
    server.add("/atom", Reply(body=atom, content_type="application/atom+xml"))
    server.add("/rdf", Reply(body=rdf, content_type="application/rdf+xml"))
    sources = [SourceConfig(name="atom", kind="rss", url=server.url("/atom"), allow_private=True),
               SourceConfig(name="rdf", kind="rss", url=server.url("/rdf"), allow_private=True)]
    atom_result, rdf_result = poll(sources)
    assert [(a.title, a.author) for a in atom_result.articles] == [("아톰 기사", "김기자")]
    assert [(a.title, a.author) for a in rdf_result.articles] == [("RDF 기사", "박기자")]
    # A time without an offset on a Korean feed is Korean time.
    assert rdf_result.articles[0].published_at.isoformat() == "2026-02-11T10:00:00+09:00"
    assert atom_result.articles[0].body == "\n".join(KOREAN_PARAGRAPHS)


def test_broken_xml_is_a_source_failure_naming_the_url(server: LocalServer) -> None:
    server.add("/feed", Reply(body=b"<html><body>Service temporarily unavailable</body>",
                              content_type="text/html"))
    [result] = poll([feed_source(server)])
    assert result.failure is not None and result.articles == []
    assert result.failure.where == server.url("/feed")
    assert result.failure.reason == "not an RSS or Atom feed: the body is an HTML page (no title; it ends before its " \
                                    "closing </html>)"


def test_truncated_feed_keeps_the_items_before_the_break(server: LocalServer) -> None:
    whole = rss_feed([{"guid": f"g{i}", "title": f"기사 {i}", "body": BODY_HTML} for i in range(3)])
    server.add("/feed", Reply(body=whole[: whole.rindex(b"<item>") + 20], content_type="application/rss+xml"))
    [result] = poll([feed_source(server)])
    assert result.failure is None and [a.external_id for a in result.articles] == ["g0", "g1"]


def test_euc_kr_feed_is_decoded(server: LocalServer) -> None:
    # 똠/햏 exist only in CP949, the superset Korean sites really serve under the euc-kr label.
    items = [{"guid": "g1", "title": "똠방각하 햏자 소식", "body": BODY_HTML}]
    document = rss_feed(items, encoding="euc-kr", codec="cp949")
    server.add("/feed", Reply(body=document, content_type="text/xml; charset=euc-kr"))
    [result] = poll([feed_source(server)])
    assert result.articles[0].title == "똠방각하 햏자 소식"


def test_feed_labelled_euc_kr_but_sent_as_utf8_is_read_right(server: LocalServer) -> None:
    document = rss_feed([{"guid": "g1", "title": "한글 제목", "body": BODY_HTML}]).replace(
        b'encoding="utf-8"', b'encoding="euc-kr"')
    server.add("/feed", Reply(body=document, content_type="application/rss+xml; charset=EUC-KR"))
    [result] = poll([feed_source(server)])
    assert result.articles[0].title == "한글 제목" and result.articles[0].body == "\n".join(KOREAN_PARAGRAPHS)


def test_links_inside_a_feed_to_internal_addresses_are_refused(server: LocalServer,
                                                               outside_attempts: list[str]) -> None:
    inner = LocalServer()
    try:
        inner.add("/admin", Reply(body=article_page("내부 페이지", KOREAN_PARAGRAPHS)))
        items = [{"guid": "g1", "link": inner.url("/admin"), "title": "내부로 가는 링크"},
                 {"guid": "g2", "link": "http://169.254.169.254/latest/meta-data/", "title": "메타데이터"},
                 {"guid": "g3", "link": "http://localhost:1/x", "title": "로컬호스트"}]
        server.add("/feed", Reply(body=rss_feed(items), content_type="application/rss+xml"))
        [result] = poll([feed_source(server)])
    finally:
        inner.close()
    assert result.failure is None and result.articles == []
    assert inner.hits("/admin") == 0
    assert len(result.errors) == 3 and all("refused" in e.reason for e in result.errors)
    assert {e.where for e in result.errors} == {inner.url("/admin"), "http://169.254.169.254/latest/meta-data/",
                                                "http://localhost:1/x"}
    assert outside_attempts == []  # refused before any connection was tried


def test_refused_item_falls_back_to_the_feed_summary(server: LocalServer, outside_attempts: list[str]) -> None:
    items = [{"guid": "g1", "link": "http://10.1.2.3/a", "title": "요약만 있는 기사", "description": "요약 문장입니다."}]
    server.add("/feed", Reply(body=rss_feed(items), content_type="application/rss+xml"))
    [result] = poll([feed_source(server)])
    assert [a.body for a in result.articles] == ["요약 문장입니다."] and len(result.errors) == 1
    assert "refused" in result.errors[0].reason and outside_attempts == []


def test_configured_source_on_a_private_address_needs_the_opt_in(server: LocalServer) -> None:
    server.add("/feed", Reply(body=rss_feed([{"guid": "g1", "title": "t", "body": BODY_HTML}]),
                              content_type="application/rss+xml"))
    [result] = poll([SourceConfig(name="inner", kind="rss", url=server.url("/feed"))])
    assert result.failure is not None and "internal" in result.failure.reason and server.hits("/feed") == 0


def test_seen_items_memory_is_bounded(server: LocalServer) -> None:
    items = [{"guid": f"g{i}", "title": f"기사 {i}", "body": BODY_HTML} for i in range(5)]
    server.add("/feed", Reply(body=rss_feed(items), content_type="application/rss+xml"))
    [result] = poll([feed_source(server)], settings=fast_settings(remember_seen_items=3))
    assert len(result.articles) == 5 and result.state.seen_items == ("g2", "g3", "g4")


def test_search_source_queries_each_watch_term(server: LocalServer) -> None:
    for query, guid in (("%EC%82%BC%EC%84%B1%EC%A0%84%EC%9E%90", "s1"), ("KT", "k1")):
        server.add(f"/search?q={query}", Reply(body=rss_feed([{"guid": guid, "title": guid, "body": BODY_HTML},
                                                              {"guid": "both", "title": "둘 다", "body": BODY_HTML}]),
                                               content_type="application/rss+xml"))
    source = SourceConfig(name="search", kind="search", url=server.url("/search?q={query}"), allow_private=True)
    [result] = poll([source], watch_terms=["삼성전자", "KT"])
    assert sorted(a.external_id for a in result.articles) == ["both", "k1", "s1"]


def test_listing_source_reads_the_linked_articles_once(server: LocalServer) -> None:
    for i in range(3):
        server.add(f"/news/{i}", Reply(body=article_page(f"목록 기사 제목 {i}", KOREAN_PARAGRAPHS)))
    links = "".join(f'<li><a href="/news/{i}">기사 {i}</a></li>' for i in range(3))
    server.add("/section", Reply(body=f"<html><body><a href='/about'>소개</a><ul>{links}</ul></body></html>".encode()))
    source = SourceConfig(name="section", kind="listing", url=server.url("/section"), link_pattern=r"/news/\d+$",
                          allow_private=True)
    [first] = poll([source])
    assert sorted(a.title for a in first.articles) == [f"목록 기사 제목 {i}" for i in range(3)]
    [second] = poll([source], {"section": first.state})
    assert second.articles == [] and server.hits("/news/0") == 1 and server.hits("/about") == 0


def test_item_reissued_under_a_new_guid_is_known_by_its_link(server: LocalServer) -> None:
    link = "https://news.example.kr/a/1"
    server.add("/feed", Reply(body=rss_feed([{"guid": "old-guid", "link": link, "title": "기사", "body": BODY_HTML}]),
                              content_type="application/rss+xml"))
    [first] = poll([feed_source(server)])
    server.add("/feed", Reply(body=rss_feed([{"guid": "new-guid", "link": link, "title": "기사", "body": BODY_HTML}]),
                              content_type="application/rss+xml"))
    [second] = poll([feed_source(server)], {"test-feed": first.state})
    assert len(first.articles) == 1 and second.articles == []


def test_entities_in_markup_free_titles_and_summaries_are_decoded() -> None:
    document = rss_feed([{"guid": "g1", "title": "&quot;철밥통 없다&quot; AT&amp;T",
                          "description": "&quot;요약&quot; 문장 &amp; 끝"}])
    [item] = parse_feed(document, source="s", url="u").items
    assert item.title == '"철밥통 없다" AT&T' and item.summary == '"요약" 문장 & 끝'
