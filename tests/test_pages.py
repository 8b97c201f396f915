"""Article pages: the saved real page, a Naver-shaped page, the generic extractor, encodings and `extract_target`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from local_server import KOREAN_PARAGRAPHS, LocalServer, Reply, article_page, fast_settings, server  # noqa: F401

from newsmon.errors import NewsmonError
from scrapers.config import SourceConfig
from scrapers.errors import ExtractionError, FetchError
from scrapers.pages import extract_page, extract_target
from scrapers.web import read_web_sources

FIXTURES = Path(__file__).parent / "web_fixtures"
MT_HEADLINE = '[MT리포트] "철밥통 없다" 칼바람…치킨집도 못내는 명퇴자'
# Photo captions, the series' reporter lines, the closing byline, share buttons, menus and the copyright notice.
MT_CLUTTER = ("【서울=뉴시스】", "삽화=", "저작권자", "조성훈 기자, 김은령 기자", "안채원 인턴기자", "sns공유",
              "본문영역 바로가기", "기자의 다른기사", "무단전재", "전체보기 닫기", "MUFFLER", "개인정보처리방침")


def page_source(srv: LocalServer, path: str, **options: object) -> SourceConfig:
    return SourceConfig(name="test-page", kind="page", url=srv.url(path), allow_private=True, **options)


def read(sources: list[SourceConfig]):  # type: ignore[no-untyped-def]
    return asyncio.run(read_web_sources(sources, fast_settings(max_bytes=2_000_000), {}, watch_terms=[]))


@pytest.fixture(scope="module")
def mt_page(shared_dir: Path) -> Path:
    path = shared_dir / "pages" / "mt-2019-early-retirement.html"
    if not path.is_file():
        pytest.skip(f"saved page not found at {path}")
    return path


def assert_mt_article(title: str, body: str) -> None:
    assert title == MT_HEADLINE
    lines = body.split("\n")
    assert lines[0] == "'편의점·치킨집이나 하지' 옛말…갈 곳 없는 명퇴자들"
    assert lines[2].startswith("#중견기업에 재직 중인 50대 김진성 씨는 올해 초 한 프랜차이즈 창업박람회장을 찾았다.")
    assert lines[-1].endswith("보다 근본적인 해결책이 필요하다는 지적이 나온다.")
    assert len(body) > 20_000
    assert not [c for c in MT_CLUTTER if c in body]


def test_saved_page_gives_its_headline_and_body_without_clutter(mt_page: Path) -> None:
    result = extract_target(str(mt_page), None, fast_settings())
    assert_mt_article(result["title"], result["body"])
    # The site's profile also drops the live share prices it inserts after company names.
    assert "(8,530원" not in result["body"] and "두산인프라코어 의 인력 조정작업에 제동을 걸었다." in result["body"]
    assert result["profile"] == "mt" and result["outlet"] == "머니투데이" and result["author"] == "조성훈"
    assert result["published_at"] == "2019-02-01T06:30:00+09:00"
    assert result["url"] == "http://news.mt.co.kr/mtview.php?no=2019013122370465870"


def test_saved_page_served_from_elsewhere_reads_the_same_with_the_generic_extractor(
    mt_page: Path, server: LocalServer
) -> None:
    # Served from an address no profile knows, without its og:url: the generic extractor does the work.
    html = mt_page.read_bytes().replace(b'property="og:url"', b'property="og:x"')
    server.add("/mtview", Reply(body=html))
    [result] = read([page_source(server, "/mtview")])
    assert result.failure is None, result.failure
    [article] = result.articles
    assert_mt_article(article.title, article.body)
    assert article.publisher == "머니투데이" and article.url == server.url("/mtview")


def test_naver_article_page_uses_its_site_profile() -> None:
    url = "https://n.news.naver.com/mnews/article/999/0000012345"
    result = extract_target(str(FIXTURES / "naver_article.html"), url, fast_settings())
    assert result["profile"] == "naver"
    assert result["title"] == "시립도서관, 다음 달부터 밤 10시까지 문 연다"
    assert result["body"] == "\n".join(KOREAN_PARAGRAPHS)
    assert result["published_at"] == "2026-02-11T09:30:00+09:00"
    assert result["author"] == "홍길동 기자" and result["outlet"] == "테스트일보"


def test_naver_page_is_recognised_by_its_own_address_when_no_url_is_given() -> None:
    result = extract_target(str(FIXTURES / "naver_article.html"), None, fast_settings())
    assert result["profile"] == "naver" and result["url"].startswith("https://n.news.naver.com/")


def test_generic_extractor_leaves_menus_captions_and_related_links_out() -> None:
    page = extract_page(article_page("도서관 야간 개방 확대 발표", KOREAN_PARAGRAPHS), "https://news.example.kr/a/1")
    assert page.extractor == "generic" and page.title == "도서관 야간 개방 확대 발표"
    assert page.body == "\n".join(KOREAN_PARAGRAPHS)
    assert page.outlet == "테스트일보" and page.published_at.isoformat() == "2026-02-11T09:30:00+09:00"


def test_euc_kr_page_is_decoded(server: LocalServer) -> None:
    html = article_page("똠방각하 햏자의 도서관 나들이", KOREAN_PARAGRAPHS, charset="cp949", declared="euc-kr")
    server.add("/euckr", Reply(body=html, content_type="text/html; charset=EUC-KR"))
    [result] = read([page_source(server, "/euckr")])
    assert result.articles[0].title == "똠방각하 햏자의 도서관 나들이"
    assert result.articles[0].body == "\n".join(KOREAN_PARAGRAPHS)


def test_cp949_page_without_any_label_is_decoded(server: LocalServer) -> None:
    html = article_page("라벨 없는 페이지의 제목", KOREAN_PARAGRAPHS, charset="cp949").replace(
        b'<meta charset="cp949">', b"")
    server.add("/bare", Reply(body=html, content_type="text/html"))
    [result] = read([page_source(server, "/bare")])
    assert result.articles[0].title == "라벨 없는 페이지의 제목"


def test_page_labelled_euc_kr_that_is_utf8_is_read_right(server: LocalServer) -> None:
    html = article_page("라벨이 틀린 페이지 제목", KOREAN_PARAGRAPHS, declared="euc-kr")
    server.add("/liar", Reply(body=html, content_type="text/html; charset=euc-kr"))
    [result] = read([page_source(server, "/liar")])
    assert result.articles[0].title == "라벨이 틀린 페이지 제목"
    assert result.articles[0].body == "\n".join(KOREAN_PARAGRAPHS)


def test_non_html_page_is_a_source_failure(server: LocalServer) -> None:
    server.add("/report.pdf", Reply(body=b"%PDF-1.7 ...", content_type="application/pdf"))
    [result] = read([page_source(server, "/report.pdf")])
    assert result.failure is not None and "application/pdf" in result.failure.reason
    assert result.failure.where == server.url("/report.pdf")


def test_page_without_an_article_is_a_source_failure(server: LocalServer) -> None:
    server.add("/empty", Reply(body=b"<html><head><title>x</title></head><body><nav>menu</nav></body></html>"))
    [result] = read([page_source(server, "/empty")])
    assert result.failure is not None and "no article" in result.failure.reason


def test_extract_target_fetches_a_url(server: LocalServer) -> None:
    server.add("/news/1", Reply(body=article_page("주소로 가져온 기사 제목", KOREAN_PARAGRAPHS)))
    result = extract_target(server.url("/news/1"), None, fast_settings())
    assert result["title"] == "주소로 가져온 기사 제목" and result["url"] == server.url("/news/1")
    assert result["body"] == "\n".join(KOREAN_PARAGRAPHS)


def test_extract_target_names_the_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.html"
    with pytest.raises(NewsmonError, match="no such file") as info:
        extract_target(str(missing), None, fast_settings())
    assert str(missing) in str(info.value)


def test_extract_target_says_when_a_page_holds_no_article(tmp_path: Path) -> None:
    page = tmp_path / "menu.html"
    page.write_text("<html><body><ul><li>홈</li></ul></body></html>", encoding="utf-8")
    with pytest.raises(ExtractionError, match="no article") as info:
        extract_target(str(page), None, fast_settings())
    assert str(page) in str(info.value)


def test_extract_target_reports_an_unreachable_url(server: LocalServer) -> None:
    with pytest.raises(FetchError, match="404") as info:
        extract_target(server.url("/gone"), None, fast_settings())
    assert isinstance(info.value, NewsmonError) and server.url("/gone") in str(info.value)
