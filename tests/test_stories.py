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


TIE_SCRIPT = """
from datetime import datetime, timezone
from dedupe.settings import DedupeSettings
from dedupe.stories import StoryIndex, StoryTerms
when = datetime(2025, 12, 28, 3, 0, tzinfo=timezone.utc)
index = StoryIndex(DedupeSettings(story_window_hours=36.0, story_min_shared=2, story_title_overlap=0.5,
                                  story_overlap=0.2))
# Two earlier reports that the new one overlaps exactly as much, through different words.
index.add("a", StoryTerms(title=frozenset("KT 희망퇴직 신청 접수 마감".split()), lead=(), published_at=when), "story-a")
index.add("b", StoryTerms(title=frozenset("KT 구조조정 인력 재배치 발표".split()), lead=(), published_at=when), "story-b")
for i in range(60):
    index.add(f"bg{i}", StoryTerms(title=frozenset(f"날씨{i} 소식{i} 지역{i}".split()), lead=(), published_at=when),
              f"bg-{i}")
found = index.match(StoryTerms(title=frozenset("희망퇴직 신청 구조조정 인력".split()), lead=(), published_at=when))
print(found.matched if found else None)
"""


def test_a_tie_between_stories_goes_to_the_earliest_report_whatever_the_hash_seed() -> None:
    """Sets of words iterate in an order that changes with the process's hash seed; which story an article joins
    must not (two loads of one corpus gave 5 of 27,374 articles other story keys before this was fixed)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    chosen = set()
    for seed in range(8):
        env = {**os.environ, "PYTHONHASHSEED": str(seed)}
        done = subprocess.run([sys.executable, "-c", TIE_SCRIPT], cwd=root, env=env, capture_output=True, text=True,
                              timeout=60, check=True)
        chosen.add(done.stdout.strip())
    assert chosen == {"a"}
