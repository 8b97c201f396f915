"""Every stored text field has a bound (newsmon/bounds.py): an oversized record is shortened before storage, on SQLite
and on PostgreSQL (whose column widths would otherwise refuse the whole batch), and the records beside it are stored."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models.db import Database
from ingest.context import IngestContext
from ingest.pipeline import store_source_result
from models.tables import ArticleRow, TagRow
from newsmon import bounds
from newsmon.records import Article, SourceResult, Tag

TITLE = "KT, 희망퇴직 3천명 신청 " * 40_000  # about 600,000 characters
BODY_LINE = "KT는 28일 희망퇴직 신청을 받은 결과 3천 명이 신청했다고 밝혔다."


class TitleTagger:
    """Tags `kt` with the whole title as its evidence sentence (as a tagger would for a one-sentence text)."""

    def tag_many(self, articles):  # type: ignore[no-untyped-def]
        return [[Tag("company", "kt", 1.0, a.title, ("KT",))] for a in articles]


@pytest.fixture
def db(database_url: str):  # type: ignore[no-untyped-def]
    database = Database(database_url)
    yield database
    database.dispose()


def test_an_oversized_record_is_shortened_and_stored_with_its_neighbours(db: Database) -> None:
    huge = Article(source="feed", title=TITLE, body="\n".join([BODY_LINE] * 20_000),
                   url="https://news.example.kr/a?" + "q=1&" * 2000, publisher="가나다" * 2000,
                   author="홍길동 기자 " * 100_000, external_id="urn:" + "x" * 3000)
    normal = Article(source="feed", title="KT 새 요금제", body="KT가 새 요금제를 내놓았다. " * 20,
                     url="https://news.example.kr/b", publisher="연합뉴스", author="김기자", external_id="b")

    report = store_source_result(IngestContext.open(db, TitleTagger()), SourceResult("feed", "rss", [huge, normal]))

    assert report.new == 2 and report.failure is None
    with db.session() as s:
        stored = {r.publisher: r for r in s.scalars(select(ArticleRow))}
        evidence = sorted(len(e) for e in s.scalars(select(TagRow.evidence)))
    big = stored[bounds.shorten("가나다" * 2000, bounds.MAX_OUTLET_CHARS)]
    assert len(big.title) <= bounds.MAX_TITLE_CHARS and big.title.startswith("KT, 희망퇴직 3천명 신청")
    assert big.title.endswith("…")
    assert len(big.publisher) <= bounds.MAX_OUTLET_CHARS and len(big.author) <= bounds.MAX_AUTHOR_CHARS
    assert big.url is None and big.canonical_url is None  # too long to be a link; not cut into a broken one
    assert big.external_id.startswith("sha256:") and len(big.external_id) == 71
    assert len(big.body) <= bounds.MAX_BODY_CHARS and big.body.endswith(BODY_LINE)  # cut at a line end
    assert evidence[-1] <= bounds.MAX_EVIDENCE_CHARS
    assert stored["연합뉴스"].title == "KT 새 요금제" and stored["연합뉴스"].url == "https://news.example.kr/b"


def test_the_same_oversized_record_stored_again_is_recognised(db: Database) -> None:
    huge = Article(source="feed", title=TITLE, body=BODY_LINE * 3, external_id="urn:" + "y" * 3000)
    ingest = IngestContext.open(db, TitleTagger())
    first = store_source_result(ingest, SourceResult("feed", "rss", [huge]))
    again = store_source_result(ingest, SourceResult("feed", "rss", [huge]))
    assert first.new == 1 and again.new == 0 and again.already_stored == 1


@pytest.mark.parametrize(("text", "limit", "expected"), [
    ("짧은 제목", 10, "짧은 제목"),
    ("가" * 20, 10, "가" * 9 + "…"),
    ("word " * 10, 22, "word word word word…"),
])
def test_shorten_cuts_at_a_space_near_the_end_or_at_the_limit(text: str, limit: int, expected: str) -> None:
    assert bounds.shorten(text, limit) == expected and len(bounds.shorten(text, limit)) <= limit
