"""The duplicate and story rules on the hard cases of the guide (texts written for these tests): press releases with
light edits, trimmed copies, an outlet's own re-issue, captions of one shot against captions of other people at one
occasion, template notices, footers and caption marks."""

from __future__ import annotations

import dataclasses

from dedupe.batch import DedupeIndex
from dedupe.features import core_text, features, people_and_places
from dedupe.near import compare, fingerprint, lead_containment, sentence_share
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


def test_sentence_share_skips_fragments_and_edge_texts():
    longer = core_text(" ".join(_RELEASE))
    # A sentence shorter than `sentence_min` is a fragment, not counted; one found by fewer than `sentence_found` of
    # its shingles (the first half kept, the rest rewritten) is not found.
    first = core_text(_RELEASE[0])
    rewritten = first[: len(first) // 3] + "그러나이문장의나머지는전혀다른내용으로바뀌어서원문과거의겹치지않는다."
    share, count = sentence_share(core_text("짧다. " + _RELEASE[1]) + rewritten + ".", longer, SETTINGS)
    assert count == 2 and share == 1 / 2
    assert sentence_share("", longer, SETTINGS) == (0.0, 0)
    assert sentence_share(first, "", SETTINGS) == (0.0, 0)
    assert sentence_share("네.", longer, SETTINGS) == (0.0, 0)  # shorter than a shingle: no sentence at all


def test_lead_containment_is_the_larger_way_and_handles_empty_leads():
    lead = core_text(" ".join(_RELEASE[:2]))
    pushed = core_text("[테스트일보] 부제가 앞에 붙은 기사입니다. ") + lead  # a header pushes the first sentence back
    assert lead_containment(lead, pushed, SETTINGS.lead_probe, SETTINGS.shingle) == 1.0
    assert lead_containment(pushed, lead, SETTINGS.lead_probe, SETTINGS.shingle) == 1.0
    other = core_text(" ".join(_RELEASE[3:5]))
    assert lead_containment(lead, other, SETTINGS.lead_probe, SETTINGS.shingle) < 0.2
    assert lead_containment("", lead, SETTINGS.lead_probe, SETTINGS.shingle) == 0.0
    assert lead_containment("", "", SETTINGS.lead_probe, SETTINGS.shingle) == 1.0
    assert lead_containment("네", "네", SETTINGS.lead_probe, SETTINGS.shingle) == 1.0  # shorter than a shingle


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


def epa(text: str, n: int) -> Article:
    return article("SOUTH KOREA WEATHER", f"Storm warning issued for southern coast{text} EPA/KIM SEJIN", n,
                   publisher="EPA연합뉴스", external_id=f"epa_{n}")


def test_captions_of_one_shoot_differing_by_the_object_shot_are_one_group_with_the_re_issue():
    # The first version, the agency's re-issue with the second sentence corrected, and a caption of the same shoot
    # showing another object: the third is a copy of the re-issue but, by characters, only of the same occasion as
    # the first version; its extra capitalised words are one phrase ("Korea Coast Guard"), not other people.
    first = epa("epaselect epa12345678 A Korea Coast Guard patrol vessel leaves the port in Tongyeong, South Korea, "
                "29 December 2025. Authorities announce to close the harbour on 30th December.", 90)
    reissue = epa("A Korea Coast Guard patrol vessel leaves the port in Tongyeong, South Korea, 29 December 2025. "
                  "Authorities announced that they would close the harbour on 30 December.", 91)
    other_shot = epa("A fisherman ties his small wooden boats together with thick ropes before the storm at the port in "
                     "Tongyeong, South Korea, 29 December 2025. Authorities announced that they would close the harbour "
                     "on 30 December.", 92)
    assert not verdict(other_shot, first).duplicate  # too far apart by characters for a copy on its own
    _, second, third = decide(first, reissue, other_shot)
    assert second.duplicate_of_index == 0 and third.duplicate_of_index == 0


def test_captions_naming_another_player_in_latin_letters_stay_apart():
    def shot(player: str, n: int) -> Article:
        return epa(f"{player} of Busan celebrates after scoring during the K League match between Busan and Ulsan in "
                   "Busan, South Korea, 28 December 2025.", n)

    _, d = decide(shot("Kim Minjae", 93), shot("Park Jisung", 94))
    assert not d.is_duplicate


def test_agency_picture_marks_are_not_text():
    assert core_text("TITLE LINEepaselect epa12616531 A man walks.") == "TITLELINEAmanwalks."


def test_a_longer_copy_naming_people_joins_a_group_whose_kept_copy_names_none():
    # The people rule of a group (at most one person more than the kept copy) is for captions: a long wire report
    # has no people read from it, and a shorter copy of it naming the mayor and a councillor is still its copy.
    sentences = [
        "예시시는 29일 시청 대회의실에서 내년도 예산안 설명회를 열고 주요 사업 계획을 발표했다.",
        "설명회에서 홍길동 시장은 교통과 복지 분야 예산을 크게 늘렸다고 설명했다.",
        "김철수 의원은 예산안의 세부 내용을 시의회 상임위원회에서 꼼꼼히 따져 보겠다고 말했다.",
        "시는 도심 순환버스 노선을 세 곳 늘리고 어르신 돌봄 시설을 새로 짓는 데 예산을 우선 배정했다.",
        "청년 주거 지원 사업과 소상공인 경영 안정 자금도 올해보다 늘어난다.",
        "시의회는 다음 달 본회의에서 예산안을 심의해 의결할 예정이다.",
        "시는 의결이 끝나는 대로 사업별 세부 집행 계획을 시 누리집에 공개하기로 했다.",
        "이번 예산안은 올해 본예산보다 칠 퍼센트가량 늘어난 규모로 역대 가장 크다.",
        "세입은 지방세와 국고 보조금이 고르게 늘었고 세출은 사회복지 분야 비중이 가장 높다.",
        "시민단체들은 대형 행사성 사업이 줄어든 점을 반기면서도 재정 건전성을 함께 챙겨야 한다고 지적했다.",
        "시는 설명회에서 나온 시민 의견을 모아 시의회 심의 과정에 전달할 방침이다.",
        "설명회는 시 누리집과 유튜브 채널로도 생중계돼 시민 수백 명이 지켜봤다.",
        "시는 내년 상반기 안에 예산의 육십 퍼센트 이상을 집행해 지역 경기를 살리겠다고 밝혔다.",
    ]
    kept = article("예시시 내년 예산안 발표", "(예시=연합뉴스) 박기자 기자 = " + " ".join(sentences), 95,
                   publisher="연합뉴스", external_id="budget_a")
    copy = article("예시시, 내년 예산안 설명회", "[테스트일보] " + " ".join(sentences[:9]), 96, hours=1,
                   external_id="budget_b")
    fk, fc = (features(x.title, x.body) for x in (kept, copy))
    assert len(fk.core) >= 400 and not fk.people and SETTINGS.short_core <= len(fc.core) < 400 and len(fc.people) >= 2
    _, d = decide(kept, copy)
    assert d.duplicate_of_index == 0


def test_a_caption_of_citizens_does_not_join_the_group_of_an_officials_captions_through_a_caption_between():
    # One photographer at one expo: the minister at booth A, the minister at booth B, citizens at booth B. The third
    # is one clause from the second, but names nobody the kept copy names: another picture (one story, not a copy).
    scene = "{who} 30일 서울 강남구 코엑스에서 열린 인공지능 모델 발표회에서 {booth} 부스를 {what} 있다."
    first = caption("부스 살피는 한민호 장관", scene.format(who="한민호 과학기술부 장관이", booth="가나", what="살펴보고"), 97)
    second = caption("부스 찾은 한민호 장관", scene.format(who="한민호 과학기술부 장관이", booth="다라", what="살펴보고"), 98)
    third = caption("로봇 체험", scene.format(who="", booth="다라", what="찾은 시민들이 로봇 체험을 하고"), 99)
    assert verdict(third, second).duplicate and not verdict(third, first).duplicate
    a, b, c = decide(first, second, third)
    assert b.duplicate_of_index == 0
    assert c.duplicate_of_index is None and c.story_key == a.story_key
