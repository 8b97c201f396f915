"""The tagger on hand-written Korean sentences that trip a plain keyword matcher, and on the labelled development set."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import load_config
from newsmon.records import Article, Tag
from tagging.evaluate import evaluate, format_report
from tagging.rules import Watchlist
from tagging.tagger import Tagger


@pytest.fixture(scope="module")
def watchlist() -> Watchlist:
    return load_config().watchlist


@pytest.fixture(scope="module")
def tagger(watchlist: Watchlist) -> Tagger:
    return Tagger(watchlist)


def article(body: str, title: str = "기사 제목") -> Article:
    return Article(source="test", title=title, body=body)


def companies(tagger: Tagger, body: str, title: str = "기사 제목") -> set[str]:
    return {t.label for t in tagger.tag(article(body, title)) if t.kind == "company"}


def topics(tagger: Tagger, body: str, title: str = "기사 제목") -> set[str]:
    return {t.label for t in tagger.tag(article(body, title)) if t.kind == "topic"}


def by_label(tags: list[Tag]) -> dict[str, Tag]:
    return {t.label: t for t in tags}


# -- names with particles glued on ------------------------------------------------------------------------------------


def test_particles_glued_to_names_do_not_hide_them(tagger: Tagger) -> None:
    assert companies(tagger, "KT는 내년 데이터센터 증설에 1조원을 쓰기로 했다.") == {"kt"}
    assert companies(tagger, "마이크로소프트(MS)와 손잡은 KT가 공공 클라우드 시장을 두드린다.") == {"kt", "microsoft"}
    assert companies(tagger, "네이버는 검색 광고 매출이 늘었고 카카오도 광고 실적이 개선됐다.") == {"naver", "kakao"}
    assert companies(tagger, "삼성전자의 반도체 부문 영업이익이 석 달 만에 두 배가 됐다.") == {"samsung_electronics"}


def test_a_name_inside_a_longer_korean_word_is_not_the_name(tagger: Tagger) -> None:
    assert companies(tagger, "카카오톡으로 안내 문자가 전송됐다는 민원이 잇따랐다.") == set()
    assert companies(tagger, "카카오톡 이용자가 처음으로 월 5천만 명을 넘어섰다.") == {"kakao"}


# -- look-alikes and clubs ------------------------------------------------------------------------------------------------


def test_kt_and_g_and_ktx_are_not_kt(tagger: Tagger) -> None:
    assert companies(tagger, "KT&G는 새 궐련형 전자담배를 출시하고 해외 판매를 늘린다.") == set()
    assert companies(tagger, "설 연휴 KTX 승차권 예매가 다음 주 시작된다.") == set()
    assert companies(tagger, "공군은 KT-1 기본훈련기 두 대를 추가로 들여온다.") == set()


def test_kt_sports_clubs_are_not_the_company(tagger: Tagger) -> None:
    assert companies(tagger, "kt wiz는 외국인 투수와 재계약을 마쳤다.") == set()
    assert companies(tagger, "수원 KT 소닉붐이 연장 끝에 승리했다.") == set()
    game = "KT는 9회말 홈런 두 방으로 역전승을 거뒀다.\n선발 투수는 7이닝 동안 1점만 내줬고 구단은 연승을 이어갔다."
    assert companies(tagger, game) == set()


def test_the_kt_building_as_an_address_is_not_kt(tagger: Tagger) -> None:
    assert companies(tagger, "수사팀은 서울 종로구 광화문 KT빌딩에 마련된 사무실에서 결과를 발표한다.") == set()
    assert companies(tagger, "회의는 광화문KT빌딩 12층에서 열렸다.") == set()


def test_market_share_ms_is_not_microsoft(tagger: Tagger) -> None:
    assert companies(tagger, "국내 라면 시장 점유율(MS)은 한 업체가 절반을 차지한다.") == set()
    assert companies(tagger, "편의점 도시락 MS 점유율이 지난해보다 3%포인트 올랐다.") == set()
    assert companies(tagger, "MS는 새 윈도우 업데이트를 배포했다.") == {"microsoft"}


def test_cocoa_is_not_kakao(tagger: Tagger) -> None:
    assert companies(tagger, "서아프리카 작황 부진으로 카카오 가격이 치솟자 초콜릿 값도 올랐다.") == set()
    assert companies(tagger, "카카오는 초콜릿의 원료로, 올해 국제 시세가 두 배가 됐다.") == set()


# -- a name used only as a venue or a channel ---------------------------------------------------------------------------


def test_venue_only_naver_and_kakaotalk_do_not_tag(tagger: Tagger) -> None:
    assert companies(tagger, "그는 네이버 블로그에 올린 글에서 사과의 뜻을 전했다.") == set()
    assert companies(tagger, "신청 결과는 카카오톡으로 전송된다.") == set()
    assert companies(tagger, "주민들은 카카오톡 메시지로 대피 안내를 받았다.") == set()
    assert companies(tagger, "네이버 지도에서 '시립도서관'을 검색하면 위치를 볼 수 있다.") == set()


def test_naver_as_a_business_actor_tags(tagger: Tagger) -> None:
    assert companies(tagger, "네이버가 일본 커머스 사업을 떼어내 합작사를 세운다.") == {"naver"}


# -- topics ------------------------------------------------------------------------------------------------------------


def test_fss_contains_gamwon_but_is_not_layoffs(tagger: Tagger) -> None:
    assert topics(tagger, "금감원은 은행권 가계대출 현황을 다시 점검하기로 했다.") == set()
    assert topics(tagger, "금감원장은 보험사 건전성을 챙기겠다고 말했다.") == set()


def test_one_person_fired_is_not_layoffs(tagger: Tagger) -> None:
    assert topics(tagger, "구단은 성적 부진을 이유로 감독을 해고했다.") == set()
    assert topics(tagger, "회사는 공금을 빼돌린 직원 1명을 해고했다고 밝혔다.") == set()


def test_debt_restructuring_is_not_layoffs(tagger: Tagger) -> None:
    assert topics(tagger, "채권단은 건설사의 채무 구조조정 방안을 다음 달 확정한다.") == set()
    assert topics(tagger, "석유화학 업계는 설비를 줄이는 사업 구조조정에 들어갔다.") == set()


def test_job_cuts_are_layoffs(tagger: Tagger) -> None:
    assert topics(tagger, "이 은행은 연말까지 희망퇴직 신청을 받는다.") == {"layoffs"}
    assert topics(tagger, "회사는 전체 직원의 10%인 300명을 해고하기로 했다.") == {"layoffs"}


def test_ai_chips_alone_are_not_llm(tagger: Tagger) -> None:
    assert topics(tagger, "정부는 AI 반도체와 AI 데이터센터 설비에 2조원을 지원한다.") == set()
    assert topics(tagger, "이 업체는 자체 거대언어모델(LLM)을 다음 달 공개한다.") == {"llm"}


def test_a_generic_chatbot_or_a_generated_illustration_is_not_llm(tagger: Tagger) -> None:
    assert topics(tagger, "구청은 민원 안내용 AI 챗봇을 누리집에 열었다.") == set()
    assert topics(tagger, "양자컴퓨터 개념도(이미지=챗GPT)\n연구진은 큐비트 수를 두 배로 늘렸다.") == set()
    assert topics(tagger, "사람들이 '하GPT'라고 부르는 그는 고향 이야기를 꺼냈다.") == set()


def test_ms_dependence_needs_microsoft_in_the_same_or_next_sentence(tagger: Tagger) -> None:
    assert "ms_dependence" in topics(tagger, "공공기관의 MS 클라우드 의존이 갈수록 커지고 있다.")
    two = "정부는 마이크로소프트와 클라우드 계약을 맺었다. 전문가들은 특정 업체에 대한 종속을 우려한다."
    assert "ms_dependence" in topics(tagger, two)
    far = ("정부는 마이크로소프트와 클라우드 계약을 맺었다. 계약 기간은 5년이다. 예산은 300억원이다. "
           "지역 업체들은 중국산 부품 의존도가 높다고 호소했다.")
    assert "ms_dependence" not in topics(tagger, far)
    assert topics(tagger, "국내 제조업의 중국산 부품 의존도가 높아졌다.") == set()


# -- text outside the article -----------------------------------------------------------------------------------------


def test_footer_related_links_credits_and_hashtags_do_not_tag(tagger: Tagger) -> None:
    body = "\n".join([
        "시는 내년부터 공공 와이파이를 확대한다고 밝혔다.(사진=카카오 제공)",
        "#KT #인공지능",
        "관련기사",
        "▶ SK텔레콤, 새 요금제 출시",
        "▶ 네이버에서 OO일보를 구독하세요",
        "ⓒ OO일보, 무단 전재 및 재배포 금지",
    ])
    assert tagger.tag(article(body, "시, 공공 와이파이 확대")) == []


# -- what a tag carries ---------------------------------------------------------------------------------------------------


def test_tags_keep_the_evidence_sentence_terms_and_score(tagger: Tagger) -> None:
    body = ("통신업계가 연말 인사를 마무리했다. KT는 올해 희망퇴직으로 2천여 명을 내보냈다고 밝혔다. "
            "회사는 내년에도 AI 사업을 키운다.")
    tags = by_label(tagger.tag(article(body, "KT, 희망퇴직 마무리")))
    assert tags["kt"].evidence == "KT는 올해 희망퇴직으로 2천여 명을 내보냈다고 밝혔다."
    assert tags["kt"].terms == ("KT",)
    assert tags["layoffs"].evidence == tags["kt"].evidence
    assert "희망퇴직" in tags["layoffs"].terms
    assert all(0 < t.score <= 1 for t in tags.values())


def test_building_a_tagger_and_tagging_plain_text_do_not_load_kiwi(watchlist: Watchlist) -> None:
    tagger = Tagger(watchlist)
    assert tagger.tag(article("오늘 서울은 맑고 낮 기온이 영상으로 오른다.")) == []
    assert companies(tagger, "KT는 새 요금제를 내놨다.") == {"kt"}
    assert not tagger.kiwi_loaded


# -- the labelled development set -----------------------------------------------------------------------------------------


def test_dev_set_meets_the_precision_and_recall_targets(watchlist: Watchlist, shared_dir: Path,
                                                        corpus_path: Path) -> None:
    labels = shared_dir / "corpus" / "dev-labels.jsonl"
    if not labels.is_file():
        pytest.skip(f"development labels not found at {labels}")
    report = evaluate(labels, corpus_path, watchlist)
    text = format_report(report)
    companies_, topics_ = report.micro("company"), report.micro("topic")
    assert companies_.precision >= 0.95 and companies_.recall >= 0.95, text
    assert topics_.precision >= 0.85 and topics_.recall >= 0.85, text


def test_names_inside_web_and_mail_addresses_do_not_tag(tagger: Tagger) -> None:
    assert companies(tagger, "상담은 채널 pf.kakao.com/_news 에서 받는다.") == set()
    assert companies(tagger, "문의는 press@kt.com 으로 보내면 된다.") == set()


def test_a_former_employer_in_a_biography_is_not_the_company(tagger: Tagger) -> None:
    assert companies(tagger, "신임 원장은 KT 연구소장을 역임한 통신 전문가다.") == set()
    assert companies(tagger, "그는 네이버 출신 개발자 세 명과 함께 회사를 세웠다.") == set()
    assert companies(tagger, "KT는 신임 연구소장에 통신 전문가를 앉혔다.") == {"kt"}
