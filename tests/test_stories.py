"""dedupe.stories: independently written reports of one event share a story key; unrelated or distant ones do not."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from dedupe.settings import DedupeSettings
from dedupe.stories import StoryIndex, StoryTerms, new_story_key

NOON = datetime(2025, 12, 28, 3, 0, tzinfo=timezone.utc)
# The thresholds these tests are about, spelled out so that tuning the defaults does not silently change them.
SETTINGS = DedupeSettings(story_window_hours=36.0, story_min_shared=2, story_title_overlap=0.5, story_overlap=0.2)


def terms(title: str, lead: str = "", when: datetime | None = NOON) -> StoryTerms:
    return StoryTerms(title=frozenset(title.split()), lead=tuple(lead.split()), published_at=when)


def index_with(*entries: tuple[str, StoryTerms, str]) -> StoryIndex:
    index = StoryIndex(SETTINGS)
    for key, found, story in entries:
        index.add(key, found, story)
    # Background articles, so the event's words are rare (idf) and none is too common to search by.
    for i in range(60):
        index.add(f"bg{i}", terms(f"날씨{i} 소식{i} 지역{i}"), f"bg-story-{i}")
    return index


def test_a_second_report_of_one_event_joins_the_first_ones_story() -> None:
    index = index_with(("a", terms("KT 거대언어모델 믿음 공개", "KT 28일 믿음 공개"), "story-a"))
    found = index.match(terms("KT 믿음 공개 기자간담회", "KT 믿음 공개 행사", NOON + timedelta(hours=5)))
    assert found is not None and found.story_key == "story-a" and found.matched == "a"
    assert {"KT", "믿음", "공개"} <= set(found.shared)


def test_one_shared_title_word_finds_no_story() -> None:
    index = index_with(("a", terms("KT 거대언어모델 믿음 공개"), "story-a"))
    assert index.match(terms("KT 인사 발표")) is None


def test_reports_further_apart_than_the_window_are_separate_stories() -> None:
    index = index_with(("a", terms("KT 거대언어모델 믿음 공개"), "story-a"))
    assert index.match(terms("KT 거대언어모델 믿음 공개", when=NOON + timedelta(hours=37))) is None
    assert index.match(terms("KT 거대언어모델 믿음 공개", when=NOON + timedelta(hours=35))) is not None


def test_shared_numbers_alone_find_no_story() -> None:
    index = index_with(("a", terms("2025 30 KT 공개"), "story-a"))
    assert index.match(terms("2025 30 날씨 맑음")) is None


def test_removed_and_evicted_articles_are_no_longer_matched() -> None:
    old = NOON - timedelta(days=5)
    index = index_with(("a", terms("KT 거대언어모델 믿음 공개"), "story-a"),
                       ("old", terms("네이버 하이퍼클로바 업데이트 발표", when=old), "story-old"))
    assert index.evict_before(NOON - timedelta(days=3)) == 1 and "old" not in index
    index.remove_many(["a"])
    assert index.match(terms("KT 거대언어모델 믿음 공개")) is None and "a" not in index


def test_a_provisional_key_becomes_the_stored_id() -> None:
    index = index_with(("pending-1", terms("KT 거대언어모델 믿음 공개"), "story-a"))
    index.rekey("pending-1", 42)
    found = index.match(terms("KT 거대언어모델 믿음 공개"))
    assert found is not None and found.matched == 42 and 42 in index and "pending-1" not in index


def test_a_key_is_indexed_once() -> None:
    index = index_with(("a", terms("KT 공개"), "story-a"))
    with pytest.raises(ValueError, match="already indexed"):
        index.add("a", terms("KT 공개"), "story-b")


def test_a_new_story_key_names_the_day_and_hashes_the_text() -> None:
    key = new_story_key("KT 믿음 공개", "KT는 28일", NOON)
    assert key.startswith("20251228-") and len(key) == 25
    assert key == new_story_key("KT 믿음 공개", "KT는 28일", NOON) != new_story_key("KT 믿음", "KT는 28일", NOON)
    assert new_story_key("t", "l", None).startswith("00000000-")
