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


def test_a_one_line_body_with_a_tip_line_glued_on_is_kept() -> None:
    body = ("통신업계가 올해 인공지능 투자를 크게 늘렸다. 업계는 내년에도 투자가 이어질 것으로 본다. " * 3
            + "※ '당신의 제보가 뉴스가 됩니다' [카카오톡] 예시뉴스 검색해 채널 추가")
    assert clean_body(body).startswith("통신업계가 올해 인공지능 투자를")


def test_a_qa_transcript_is_not_a_related_article_list() -> None:
    answer = "물론입니다. 그간 회사는 미래 먹거리를 찾기 위해 여러 해외 기업과 만나 협력 방안을 검토해 왔습니다. " * 3
    body = f"첫 문단입니다. 회사가 대규모 인수를 발표했습니다.\n-인수 배경은 무엇인가요?-{answer}\n-다음 목표는요?-{answer}"
    cleaned = clean_body(body)
    assert "인수 배경은 무엇인가요" in cleaned and "다음 목표는요" in cleaned


def test_a_short_related_list_at_the_end_is_dropped() -> None:
    body = "본문 첫 문단입니다. 충분히 긴 기사 본문이 이어집니다.\n- 관련 기사 제목 하나\n- 관련 기사 제목 둘"
    assert clean_body(body) == "본문 첫 문단입니다. 충분히 긴 기사 본문이 이어집니다."


def test_a_one_line_personnel_notice_opening_with_an_arrow_is_kept() -> None:
    # "▶" also opens a related-article link; a body of nothing else is the text itself.
    body = "▶예시위원회 <국장급 전보> ▷기획조정관 홍길동 ▷정책국장 김철수"
    assert clean_body(body) == body
    two = "▶예시위원회 <과장 전보>\n▷총무과장 박영희 ▷운영지원과장 이민수"
    assert clean_body(two) == two


def test_a_photo_gallery_of_captions_only_keeps_its_captions() -> None:
    body = ("▲ 28일 예시시청 광장에서 열린 성탄 행사에서 시민들이 촛불을 들고 있다. ⓒ 사진공동취재단\n"
            "▲ 28일 예시시청 광장에서 열린 성탄 행사에서 합창단이 공연하고 있다. ⓒ 사진공동취재단")
    cleaned = clean_body(body)
    assert "시민들이 촛불을" in cleaned and "합창단이 공연" in cleaned


def test_copyright_glued_to_a_one_line_body_keeps_the_text_before_it() -> None:
    body = ("[예시통신=홍길동 기자] 회사는 28일 서울 본사에서 새 서비스 출시 행사를 열었다고 밝혔다. 행사에는 협력사 대표들이 "
            "참석했다. <저작권자(c) 예시통신, 무단 전재-재배포 금지>")
    cleaned = clean_body(body)
    assert cleaned.startswith("회사는 28일 서울 본사에서") and "저작권자" not in cleaned


def test_photo_caption_credit_does_not_end_the_article_but_an_obituary_item_is_text() -> None:
    body = ("첫 문단은 책을 소개한다. 필사하기 좋은 문장이 많다는 평가다.\n▲ 기자가 필사한 문장 ⓒ 홍길동\n"
            "둘째 문단은 필사의 즐거움을 이야기한다. 손으로 쓰면 문장이 오래 남는다.")
    cleaned = clean_body(body)
    assert "둘째 문단은" in cleaned and "ⓒ 홍길동" not in cleaned
    obituary = "▲ 홍길동씨 별세, 홍길순씨 모친상 = 28일, 빈소 예시병원 장례식장, 발인 30일 오전 8시"
    assert clean_body(obituary) == obituary
