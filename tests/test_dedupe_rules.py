"""The duplicate and story rules on the hard cases of the guide (texts written for these tests): press releases with
light edits, trimmed copies, an outlet's own re-issue, captions of one shot against captions of other people at one
occasion, template notices, footers and caption marks."""

from __future__ import annotations

import dataclasses

from dedupe.batch import DedupeIndex
from dedupe.features import core_text, features, people_and_places
from dedupe.near import compare, fingerprint, sentence_share
from dedupe.settings import DedupeSettings
from newsmon.records import Article
from test_dedupe import article, decide

SETTINGS = DedupeSettings()

# A ministry's press release, as one agency wrote it and as a business paper printed it: the lead rewritten, every
# other sentence lightly edited (a word changed, a clause dropped), sentences re-wrapped.
_RELEASE = [
    "정부는 29일 과학기술정보통신부 장관 주재로 범정부 대응반 회의를 열고 통신사 해킹 사고에 대한 종합 대응 방안을 논의했다.",
    "대응반에는 개인정보보호위원회와 경찰청, 금융위원회, 공정거래위원회, 국가정보원 관계자가 참석했다.",
    "정부는 이번 사고를 단순한 기업 내부의 문제가 아니라 국가 통신망의 안전과 직결된 중대한 사안으로 인식하고 있다.",
    "과기정통부는 사고 원인과 보안 체계의 문제점을, 개인정보위는 유출 규모와 범위를 각각 조사한다.",
    "금융위는 유출된 정보를 이용한 부정 결제 가능성을 점검하고, 경찰청은 해외 수사 기관과 공조해 피의자를 추적한다.",
    "공정위는 이용자에게 불리한 약관이 있었는지 살피고 피해 보상 방안이 적절한지 검토하기로 했다.",
    "정부는 다음 달 중 조사 결과를 발표하고 재발 방지 대책을 내놓을 계획이다.",
]
RELEASE_AGENCY = article(
    "정부 \"통신사 해킹, 국가 통신망 안전 문제\"…범정부 대응반 가동",
    "(서울=연합뉴스) 홍길동 기자 = " + " ".join(_RELEASE) + "\n\ngildong@yna.co.kr", 61, publisher="연합뉴스",
    external_id="release_a")
RELEASE_PAPER = article(
    "범정부 대응반 \"통신사 해킹 엄정 대응\"",
    "[테스트경제] 통신사 해킹 사고에 대해 정부가 범정부 대응반을 꾸리고 전방위 대응에 나섰다. "
    "정부는 과학기술정보통신부 장관 주재로 대응반 회의를 개최했다고 29일 밝혔다.\n"
    "대응반에는 개인정보위, 경찰청, 금융위, 공정위, 국정원 관계자가 참석했다. "
    "정부는 이번 사고를 단순한 기업 내부 문제가 아니라 국가 통신망 안전과 직결된 중대한 사안으로 인식한다.\n"
    "과기정통부는 사고 원인과 보안 체계 문제점을, 개인정보위는 유출 규모 및 범위를 조사한다. "
    "금융위는 유출 정보를 이용한 부정 결제 가능성을 점검하고 경찰청은 해외 수사 기관과 공조해 피의자를 추적할 계획이다.\n"
    "공정위는 이용자에게 불리한 약관이 있었는지 살피고 피해 보상 방안이 적절한지도 검토한다. "
    "정부는 다음 달 조사 결과를 발표하고 재발 방지 대책을 내놓는다.\n김철수 기자 kim@test.co.kr",
    62, publisher="테스트경제", hours=1, external_id="release_b")


def verdict(a: Article, b: Article):
    index = DedupeIndex(SETTINGS)
    fa, fb = (fingerprint(f, index.signer.hashvalues(f.core), SETTINGS, x.published_at, x.publisher)
              for x in (a, b) for f in [features(x.title, x.body)])
    return compare(fa, fb, SETTINGS)


def test_press_release_with_light_edits_is_a_duplicate_by_its_shared_sentences():
    v = verdict(RELEASE_PAPER, RELEASE_AGENCY)
    assert v.similarity < SETTINGS.similar  # too far apart by characters alone
    assert v.duplicate and v.reason.startswith("sentences shared")
    _, second = decide(RELEASE_AGENCY, RELEASE_PAPER)
    assert second.duplicate_of_index == 0


def test_sentence_share_counts_the_shorter_texts_sentences_found_in_the_longer():
    longer = core_text(" ".join(_RELEASE))
    half = core_text(" ".join(_RELEASE[:3]) + " 이와 별도로 국회는 다음 주 청문회를 연다. 여야는 증인 명단과 일정을 두고 하루 종일 맞섰다.")
    share, count = sentence_share(half, longer, SETTINGS)
    assert count == 5 and share == 3 / 5


def test_wire_copy_cut_to_half_by_another_outlet_is_a_duplicate():
    trimmed = article("통신사 해킹에 범정부 대응반", "[테스트일보] " + " ".join(_RELEASE[:4]), 63, publisher="테스트일보",
                      hours=2, external_id="trimmed")
    _, second = decide(RELEASE_AGENCY, trimmed)
    assert second.duplicate_of_index == 0


def test_an_outlets_own_update_is_a_duplicate_of_its_first_version():
    update = article(
        "정부 \"통신사 해킹, 국가 통신망 안전 문제\"…범정부 대응반 가동(종합)",
        "(서울=연합뉴스) 홍길동 기자 = " + " ".join(_RELEASE[:5])
        + " 통신사 측은 이날 입장문을 내고 \"조사에 성실히 협조하겠다\"고 밝혔다. 업계는 과징금 규모에 주목하고 있다. "
        + " ".join(_RELEASE[5:]), 64, publisher="연합뉴스", hours=3, external_id="update")
    _, second = decide(RELEASE_AGENCY, update)
    assert second.duplicate_of_index == 0


def caption(title: str, text: str, n: int) -> Article:
    return article(title, f"(서울=연합뉴스) 박사진 기자 = {text} 2025.12.28 photo@yna.co.kr", n, publisher="연합뉴스",
                   external_id=f"cap_{n}")


def test_captions_of_one_shot_by_one_outlet_are_duplicates():
    first = caption("답변하는 홍민수 후보자",
                    "홍민수 감사원장 후보자가 28일 국회에서 열린 인사청문회에 출석해 의원 질의에 답하고 있다.", 70)
    second = caption("자료 살피는 홍민수 후보자",
                     "홍민수 감사원장 후보자가 28일 국회에서 열린 인사청문회에 출석해 자료를 살피고 있다.", 71)
    _, d = decide(first, second)
    assert d.duplicate_of_index == 0


def test_captions_of_one_ceremony_showing_other_people_are_one_story_not_duplicates():
    first = caption("표창 받은 김도윤 소방위",
                    "표창을 받은 김도윤 소방위가 28일 세종에서 열린 안전 유공자 시상식에서 기념촬영을 하고 있다.", 72)
    second = caption("표창 받은 이서준 주무관",
                     "표창을 받은 이서준 주무관이 28일 세종에서 열린 안전 유공자 시상식에서 기념촬영을 하고 있다.", 73)
    a, b = decide(first, second)
    assert not b.is_duplicate
    assert b.story_key == a.story_key


def test_captions_of_one_match_naming_other_players_are_not_duplicates():
    def ap(text: str, n: int) -> Article:
        return article("Britain Soccer", f"Britain Soccer{text} (AP Photo/Ian Walton)", n, publisher="AP연합뉴스",
                       external_id=f"ap_{n}")

    first = ap("Tottenham's Pedro Porro reacts during the English Premier League soccer match between Crystal Palace "
               "and Tottenham Hotspur in London, Sunday, Dec. 28, 2025.", 74)
    second = ap("Crystal Palace's head coach Oliver Glasner waits for the start of the English Premier League soccer "
                "match between Crystal Palace and Tottenham Hotspur in London, Sunday, Dec. 28, 2025.", 75)
    _, d = decide(first, second)
    assert not d.is_duplicate


def test_template_notices_of_other_people_and_numbers_are_neither_duplicates_nor_one_story():
    first = caption("박준호 68대 북부경찰서장 취임",
                    "28일 68대 북부경찰서장으로 취임한 박준호 총경이 취임식을 한 뒤 직원들과 기념촬영하고 있다.", 76)
    second = caption("최민재 14대 남부경찰서장 취임",
                     "28일 14대 남부경찰서장으로 취임한 최민재 총경이 취임식을 한 뒤 직원들과 기념촬영을 하고 있다.", 77)
    a, b = decide(first, second)
    assert not b.is_duplicate and b.story_key != a.story_key


def test_the_people_and_places_a_caption_names():
    assert people_and_places("정은경(왼쪽) 보건복지부 장관이 김택우 대한의사협회장과 악수하고 있다.") == {"정은경", "김택우"}
    assert people_and_places("윤국장 실장이 서울 종로구에서 순천시에 지정서를 전달하고 있다.") == {"윤국장", "종로구", "순천시"}
    assert people_and_places("추모식에서 유가족들이 눈물을 흘리고 있다. 화성지구 개발") == frozenset()


def test_a_tip_line_footer_under_two_headlines_is_no_shared_text():
    footer = "MBC 뉴스는 24시간 여러분의 제보를 기다립니다. ▷ 전화 02-784-4000 ▷ 이메일 mbcjebo@mbc.co.kr"
    first = article("오늘의 증시", "[5시뉴스]오늘의 증시 " + footer, 78, publisher="MBC", external_id="mbc_1")
    second = article("[영상] 다시, 청와대 시대", "[뉴스데스크] " + footer, 79, publisher="MBC", external_id="mbc_2")
    assert "제보" not in core_text(first.body)
    _, d = decide(first, second)
    assert not d.is_duplicate


def test_a_place_mark_after_a_name_is_not_a_copyright_line():
    text = "Albin Kurti (C), greets supporters in Pristina, Kosovo. Preliminary results indicated a strong performance."
    assert "greetssupporters" in core_text(text)
    assert core_text("본문이다. (c) 테스트일보 무단전재") == "본문이다."


def test_exact_text_in_another_batch_is_still_found_as_a_copy():
    index = DedupeIndex(SETTINGS)
    decide(RELEASE_AGENCY, index=index)
    (again,) = decide(dataclasses.replace(RELEASE_AGENCY, url="https://elsewhere.example.com/1", external_id="x"),
                      index=index)
    assert again.duplicate_of_id == 100


def test_a_group_of_caption_copies_names_at_most_one_person_more_than_its_kept_copy():
    scene = "한민호 행정안전부 장관이 28일 세종에서 열린 안전 유공자 시상식에서 {who}기념촬영을 하고 있다."
    kept = caption("안전 유공자 시상식", scene.format(who="수상자와 "), 80)
    one_more = caption("안전 유공자 시상식", scene.format(who="수상자 김도윤 소방위와 "), 81)
    another = caption("안전 유공자 시상식", scene.format(who="수상자 이서준 주무관과 "), 82)
    first, second, third = decide(kept, one_more, another)
    assert second.duplicate_of_index == 0  # the same shot, naming the recipient too
    assert not third.is_duplicate  # a second recipient: another picture of the ceremony
    assert third.story_key == first.story_key
