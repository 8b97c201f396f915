"""Near-duplicates and stories: what the dedupe index decides for wire copies, truncations, template siblings and
independently written reports of one event (texts written for these tests)."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest

from dedupe.batch import DedupeIndex, DedupeStateError, dedupe_batch
from dedupe.features import features
from dedupe.near import fingerprint
from models.dedupe_store import DedupeRow
from newsmon.records import Article

KST = timezone(timedelta(hours=9))
NOON = datetime(2025, 12, 28, 12, 0, tzinfo=KST)

_INVEST = [
    "KT가 인공지능(AI) 데이터센터 확충에 2030년까지 3조원을 투자한다고 28일 밝혔다.",
    "KT는 경기 용인과 인천 송도, 서울 금천에 각각 40메가와트(MW)급 데이터센터를 새로 짓고, 그래픽처리장치(GPU) "
    "2만장을 단계적으로 들여올 계획이다. 첫 센터는 2027년 하반기 가동을 목표로 한다.",
    "회사 측은 국내 기업 고객의 AI 학습과 추론 수요가 빠르게 늘고 있어 설비 확충이 시급하다고 설명했다. 지난해 KT "
    "클라우드의 데이터센터 매출은 전년보다 18% 증가한 6천420억원을 기록했다.",
    "김영섭 KT 대표는 이날 간담회에서 \"국내 AI 인프라 수요를 선제적으로 흡수하겠다\"며 \"전력 효율을 높인 액체 냉각 "
    "설비도 도입하겠다\"고 말했다.",
    "업계에서는 통신사들의 데이터센터 경쟁이 본격화하고 있다는 평가가 나온다. SK텔레콤과 LG유플러스도 최근 잇따라 "
    "대규모 데이터센터 투자 계획을 발표한 바 있다. 정부도 AI 데이터센터 전력 공급 지원 방안을 내년 상반기 중 "
    "내놓을 예정이다.",
]


def article(title: str, body: str, n: int, *, publisher: str = "테스트일보", hours: float = 0.0,
            external_id: str | None = None) -> Article:
    return Article(source="test", title=title, body=body, url=f"https://news{n}.example.com/article/{n}",
                   publisher=publisher, published_at=NOON + timedelta(hours=hours),
                   external_id=external_id or f"t_{n}")


# One agency story, and the same text as another outlet printed it: its own dateline, byline, address and notice.
ORIGINAL = article(
    "KT, AI 데이터센터에 3조원 투자…2030년까지 수도권 3곳 신설",
    "(서울=연합뉴스) 홍길동 기자 = " + "\n\n".join(_INVEST) + "\n\ngildong@yna.co.kr",
    1, publisher="연합뉴스", external_id="orig")
WIRE_COPY = article(
    "KT, AI 데이터센터 3조 투자…수도권 3곳 새로 짓는다",
    "[서울=뉴스핌] 김철수 기자 = " + "\n\n".join(_INVEST)
    + "\n\n김철수 기자 (chulsoo@newspim.com)\nⓒ 뉴스핌 무단전재 및 재배포 금지",
    2, publisher="뉴스핌", hours=0.5, external_id="wire")
# A feed item carrying only the first paragraphs of the original.
TRUNCATED = article(ORIGINAL.title, "(서울=연합뉴스) 홍길동 기자 = " + "\n\n".join(_INVEST[:2]) + " …",
                    3, publisher="연합뉴스", hours=0.1, external_id="feed")

_REPORT = (
    "{day}일 코스피는 전 거래일보다 {points}포인트({pct}%) {move} {index}에 장을 마쳤다. 외국인이 {foreign}억원, "
    "기관이 {inst}억원을 순{side}했다. 업종별로는 {sector1}({s1}%), {sector2}({s2}%)이 강세를 보였다. 시가총액 상위 "
    "종목 중에서는 {stock1}({k1}%)와 {stock2}({k2}%)가 올랐다. 코스닥은 {kpoints}포인트 {move} {kindex}에 마감했다.\n\n"
    "※ 이 기사는 한국거래소 시세 자료를 바탕으로 자동 작성 알고리즘이 쓴 기사입니다. 본 기사는 투자 권유를 목적으로 "
    "하지 않으며, 투자 판단의 최종 책임은 투자자 본인에게 있습니다. 시세 정보는 장 마감 직후 기준으로 작성되어 "
    "일부 수치가 실제와 다를 수 있습니다. 기사 내용에 대한 문의는 증권부 시황팀으로 연락해 주시기 바랍니다.\n\n"
    "[테스트경제 마감시황]은 매 거래일 장 마감 직후 유가증권시장과 코스닥시장의 지수, 투자자별 매매 동향, 업종과 "
    "시가총액 상위 종목의 등락을 정리해 전해 드립니다. 해외 증시와 환율, 국제유가 동향은 별도 기사로 제공합니다."
)
# Two days' market reports cut from one template: most characters shared, every number and name different.
MARKET_MON = article(
    "[마감시황] 코스피, 외국인 매수에 1.20% 상승…2,512.34 마감",
    _REPORT.format(day=28, points="29.81", pct="1.20", move="오른", index="2,512.34", foreign="3,412", inst="1,208",
                   side="매수", sector1="전기전자", s1="2.31", sector2="운송장비", s2="1.84", stock1="삼성전자",
                   k1="2.10", stock2="SK하이닉스", k2="3.05", kpoints="7.12", kindex="698.45"),
    10, publisher="테스트경제")
MARKET_TUE = article(
    "[마감시황] 코스피, 기관 매도에 0.60% 하락…2,497.32 마감",
    _REPORT.format(day=29, points="15.02", pct="0.60", move="내린", index="2,497.32", foreign="2,105", inst="987",
                   side="매도", sector1="의약품", s1="1.12", sector2="음식료", s2="0.84", stock1="현대차",
                   k1="1.20", stock2="셀트리온", k2="2.15", kpoints="3.40", kindex="695.05"),
    11, publisher="테스트경제", hours=24)

# Two photo captions of different scenes under one template.
CAPTION_A = article("[포토] 광화문광장 크리스마스 마켓 개막",
                    "28일 오후 서울 종로구 광화문광장에서 열린 '서울 크리스마스 마켓'을 찾은 시민들이 대형 트리 조형물 "
                    "앞에서 기념사진을 찍고 있다. 2025.12.28 /사진=홍길동 기자", 20, publisher="테스트포토")
CAPTION_B = article("[포토] 서울광장 윈터 페스타 개막",
                    "28일 오후 서울 중구 서울광장에서 열린 '서울 윈터 페스타'를 찾은 시민들이 대형 트리 조형물 "
                    "앞에서 기념사진을 찍고 있다. 2025.12.28 /사진=김철수 기자", 21, publisher="테스트포토")

# One event (KT's voluntary retirement round), written independently by two outlets.
EVENT_A = article(
    "KT 희망퇴직에 2800명 신청…인력 구조조정 본격화",
    "KT가 실시한 특별 희망퇴직에 2800명이 신청한 것으로 28일 확인됐다. 당초 회사가 예상한 규모의 두 배 수준이다. "
    "신청자 대부분은 50대 이상 현장 직원으로, 회사는 이달 말까지 심사를 마치고 다음 달 퇴직 절차를 진행할 방침이다. "
    "업계는 KT가 인건비 부담을 줄이고 AI 중심으로 조직을 재편하려는 것으로 보고 있다.",
    30, publisher="가나일보", external_id="event_a")
EVENT_B = article(
    "KT 희망퇴직 신청 2800명 몰려…노조 \"구조조정 중단하라\"",
    "KT 희망퇴직 신청자가 2800명에 이른다. 노동조합은 28일 성명을 내고 사실상의 구조조정이라며 회사에 추가 인력 감축 "
    "계획을 철회하라고 요구했다. 노조는 현장 인력이 빠지면서 통신망 유지보수 공백이 생길 수 있다고 우려했다. 회사는 "
    "자발적 신청에 따른 것으로 강제 감원은 없다는 입장이다.",
    31, publisher="다라신문", hours=3, external_id="event_b")
# Unrelated news the same day.
OTHER = article(
    "서울 아침 영하 12도 한파…내일 눈 소식",
    "28일 서울의 아침 최저기온이 영하 12도까지 떨어지는 등 전국에 한파가 이어졌다. 기상청은 29일 오후부터 중부지방에 "
    "1∼5㎝의 눈이 내릴 것으로 내다봤다. 빙판길 교통안전에 유의해야 한다.",
    40, publisher="마바일보", external_id="weather")


def decide(*articles: Article, index: DedupeIndex | None = None):
    index = DedupeIndex() if index is None else index
    first_id = 100 + len(index)
    decisions = dedupe_batch(list(articles), index)
    index.commit([first_id + i for i in range(len(articles))])
    return decisions


def stored_row(row_id: int, article: Article, minhash: bytes, story_key: str) -> DedupeRow:
    """`article` as `models.dedupe_store.recent_for_dedupe` yields it once stored under `row_id`."""
    return DedupeRow(row_id, article.title, article.body, article.published_at, article.publisher, minhash, None,
                     story_key)


def candidates_of(new: Article, old: Article) -> list:
    index = DedupeIndex()
    decide(old, index=index)
    feats = features(new.title, new.body)
    fp = fingerprint(feats, index.signer.hashvalues(feats.core), index.settings, new.published_at, new.publisher)
    return index.near.candidates(fp)


def test_wire_copy_with_other_outlet_header_and_footer_is_a_near_duplicate():
    _, copy = decide(ORIGINAL, WIRE_COPY)
    assert copy.duplicate_of_index == 0 and copy.reason and copy.reason.startswith("copy")


def test_truncated_feed_item_is_a_near_duplicate_by_containment():
    _, short = decide(ORIGINAL, TRUNCATED)
    assert short.duplicate_of_index == 0 and short.reason and short.reason.startswith("contained")


def test_full_article_after_its_truncated_feed_item_is_a_near_duplicate_too():
    _, full = decide(TRUNCATED, ORIGINAL)
    assert full.is_duplicate


def test_duplicate_shares_the_story_of_its_kept_copy():
    kept, copy, short = decide(ORIGINAL, WIRE_COPY, TRUNCATED)
    assert kept.story_key == copy.story_key == short.story_key
    assert copy.duplicate_of_index == short.duplicate_of_index == 0


def test_template_market_reports_are_candidates_but_not_duplicates():
    found = candidates_of(MARKET_TUE, MARKET_MON)
    assert found, "the template siblings should be near enough to be LSH candidates"
    assert not any(verdict.duplicate for _, verdict in found)
    _, tue = decide(MARKET_MON, MARKET_TUE)
    assert not tue.is_duplicate


def test_captions_of_different_scenes_are_not_duplicates():
    _, b = decide(CAPTION_A, CAPTION_B)
    assert not b.is_duplicate


def test_independent_reports_of_one_event_share_a_story_and_are_not_duplicates():
    a, b, other = decide(EVENT_A, EVENT_B, OTHER)
    assert not a.is_duplicate and not b.is_duplicate
    assert a.story_key == b.story_key
    assert other.story_key != a.story_key


def test_duplicate_of_a_stored_article_points_at_its_stored_id():
    index = DedupeIndex()
    decide(ORIGINAL, index=index)  # stored as id 100
    (copy,) = decide(WIRE_COPY, index=index)
    assert copy.duplicate_of_id == 100 and copy.duplicate_of_index is None


def test_rebuilt_index_finds_duplicates_of_what_was_stored():
    first = DedupeIndex()
    (kept,) = decide(ORIGINAL, index=first)

    rebuilt = DedupeIndex.rebuild([stored_row(7, ORIGINAL, kept.signature, kept.story_key)])
    assert rebuilt.resigned == 0
    (copy,) = decide(WIRE_COPY, index=rebuilt)
    assert copy.duplicate_of_id == 7 and copy.story_key == kept.story_key


def test_uncommitted_batch_is_refused_and_rollback_forgets_it():
    index = DedupeIndex()
    dedupe_batch([ORIGINAL], index)
    with pytest.raises(DedupeStateError, match="commit"):
        dedupe_batch([WIRE_COPY], index)
    index.rollback()
    assert len(index) == 0
    (copy,) = decide(WIRE_COPY, index=index)
    assert not copy.is_duplicate


def test_template_reports_from_two_outlets_are_told_apart_by_their_numbers():
    other_outlet = dataclasses.replace(MARKET_TUE, publisher="다른경제")
    found = candidates_of(other_outlet, MARKET_MON)
    assert found and all(not verdict.duplicate for _, verdict in found)
    assert found[0][1].reason.startswith("numbers differ")


def test_captions_of_different_scenes_from_two_outlets_are_not_duplicates():
    _, b = decide(CAPTION_A, dataclasses.replace(CAPTION_B, publisher="다른포토"))
    assert not b.is_duplicate


def test_reissue_by_the_same_outlet_with_an_added_paragraph_is_a_near_duplicate():
    reissue = dataclasses.replace(
        ORIGINAL, url="https://news1.example.com/article/1-update", external_id="reissue",
        body=ORIGINAL.body.replace("\n\ngildong@", "\n\n한편 KT 주가는 이날 1.2% 올랐다.\n\ngildong@"))
    _, again = decide(ORIGINAL, reissue)
    assert again.duplicate_of_index == 0


def test_signatures_of_another_format_are_signed_again_at_rebuild():
    (kept,) = decide(ORIGINAL)

    no_format_tag = kept.signature[2:]
    rebuilt = DedupeIndex.rebuild([stored_row(7, ORIGINAL, no_format_tag, kept.story_key)])
    assert rebuilt.resigned == 1
    (copy,) = decide(WIRE_COPY, index=rebuilt)
    assert copy.duplicate_of_id == 7


def test_signatures_are_datasketch_s_affine32_minhash_of_the_shingles() -> None:
    """The numpy signer computes what datasketch would for the same shingle hashes and permutations (its own
    permutations, or the ones a worker process is handed), so stored signatures keep meaning the same."""
    import numpy as np
    from datasketch import MinHash

    from dedupe.near import Signer, permutations, shingle_hashes
    from dedupe.settings import DedupeSettings

    settings = DedupeSettings()
    core = features("KT, 2026년 조직 개편", ORIGINAL.body).core
    reference = MinHash(num_perm=settings.num_perm, seed=settings.seed, scheme="affine32", hashfunc=int)
    reference.update_batch([int(h) for h in shingle_hashes(core, settings.shingle)])
    for signer in (Signer(settings), Signer(settings, permutations(settings))):
        assert np.array_equal(signer.hashvalues(core), reference.hashvalues.astype(np.uint32))
    assert (Signer(settings).hashvalues("") == 0xFFFFFFFF).all()
