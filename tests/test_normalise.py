"""Separating article text from portal chrome, bylines, captions, footers and related-article lists."""

from pathlib import Path

from scrapers.normalise import clean_body, parse_text_article

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def test_seed_title_byline_and_related_list():
    text = parse_text_article((SEEDS / "000_60909971c8b3e5f5.txt").read_text(encoding="utf-8"))
    assert text.title == "MS와 거대언어 개발, '믿음'은 소형언어 공략"
    assert text.publisher == "뉴스포스트" and text.author == "최종원"
    assert "[뉴스포스트=" not in text.body
    # The related-article list at the end is not body: SKT and LGU+ appear only there.
    assert "에이닷" not in text.body and "LGU+" not in text.body
    assert text.body.endswith("혜택을 제공한다.")


def test_portal_copy_loses_chrome_captions_and_footer():
    text = parse_text_article((SEEDS / "003_65a79680f6fc5c51.txt").read_text(encoding="utf-8"))
    assert text.title.startswith("[팩플] KT “MS와 AI·클라우드에 2.4조 투자”")
    assert text.publisher == "중앙일보" and text.author == "권유진"
    for clutter in ("컨텐츠 바로가기", "첫 댓글", "주소복사", "이미지를 클릭", "친구추가", "무단 전재", "카테고리",
                    "찾아와", "연합뉴스", "뉴스1"):
        assert clutter not in text.body, clutter
    assert text.body.startswith("KT가 마이크로소프트(MS)와 함께")


def test_wire_byline_and_entities_and_crawl_footer():
    body = ("(서울&#x3D;연합뉴스) 홍길동 기자 &#x3D; 회사가 &quot;감원&quot; 계획을 밝혔다.\n\n"
            "두 번째 문단이다.\nabc@yna.co.kr\n\n---\n\n*Crawled at: 2025-12-27 16:30:03*\n*Source: [원문 보기](x)*")
    assert clean_body(body) == '회사가 "감원" 계획을 밝혔다.\n두 번째 문단이다.'


def test_a_single_dash_line_in_the_body_is_kept():
    assert clean_body("첫 문단.\n- 목록 하나만 있는 줄\n끝 문단.") == "첫 문단.\n- 목록 하나만 있는 줄\n끝 문단."
