"""store_source_result on real databases (SQLite file and PostgreSQL): exact duplicates stored once, near-duplicates
pointing at their kept copy, stories shared, tags copied, and an index that survives a new process."""

from __future__ import annotations

import dataclasses
import threading

import pytest
from sqlalchemy import select

from ingest import context, pipeline
from ingest.context import IngestContext
from ingest.pipeline import store_source_result
from models.db import Database
from models.tables import ArticleRow
from newsmon.records import Article, SourceResult, Tag
from test_dedupe import EVENT_A, EVENT_B, MARKET_MON, MARKET_TUE, ORIGINAL, OTHER, TRUNCATED, WIRE_COPY


class CountingTagger:
    """Tags an article `kt` when its title names KT; counts what it was asked to tag."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def tag_many(self, articles):
        self.seen.extend(a.title for a in articles)
        return [[Tag("company", "kt", 1.0, a.title, ("KT",))] if "KT" in a.title else [] for a in articles]


@pytest.fixture
def ingest(database_url):
    """An ingest context on a fresh database, its index this test's own."""
    made = IngestContext.open(Database(database_url), CountingTagger())
    yield made
    made.db.dispose()


def store(ingest: IngestContext, *articles: Article, tagger=None):
    if tagger is not None:
        ingest = dataclasses.replace(ingest, tagger=tagger)
    return store_source_result(ingest, SourceResult("test", "files", list(articles)))


def rows(db: Database) -> dict[str, ArticleRow]:
    with db.session() as session:
        found = session.scalars(select(ArticleRow)).all()
        return {r.external_id: r for r in found}


def test_same_url_with_tracking_parameters_is_one_row(ingest):
    again = dataclasses.replace(ORIGINAL, url=ORIGINAL.url + "?utm_source=naver&fbclid=x#comments",
                                body=ORIGINAL.body + " 추가 문장이다.", external_id="again")
    report = store(ingest, ORIGINAL, again)
    assert report.new == 1 and report.repeated_in_batch == 1
    assert list(rows(ingest.db)) == ["orig"]


def test_same_text_under_another_url_is_stored_as_a_duplicate_of_the_first(ingest):
    tagger = CountingTagger()
    store(ingest, ORIGINAL, tagger=tagger)
    report = store(ingest, dataclasses.replace(ORIGINAL, url="https://other.example.com/1", external_id="other",
                                               publisher="다른신문"), tagger=tagger)
    assert report.new == 1 and report.exact_copies == 1 and report.near_duplicates == 0
    stored = rows(ingest.db)
    assert stored["other"].duplicate_of_id == stored["orig"].id
    assert stored["other"].story_key == stored["orig"].story_key
    assert stored["other"].minhash == stored["orig"].minhash  # one text, one signature: not signed again
    assert tagger.seen == [ORIGINAL.title]  # the copy carries the first copy's tags
    with ingest.db.session() as session:
        copy = session.scalars(select(ArticleRow).where(ArticleRow.external_id == "other")).one()
        assert [t.label for t in copy.tags] == ["kt"]
    again = store(ingest, dataclasses.replace(ORIGINAL, url="https://other.example.com/1", external_id="other"))
    assert again.new == 0 and again.already_stored == 1  # the copy's own URL is stored now


def test_exact_copies_within_one_batch_point_at_the_root_of_their_first(ingest):
    copy_of_wire = dataclasses.replace(WIRE_COPY, url="https://third.example.com/9", external_id="wire2")
    report = store(ingest, ORIGINAL, WIRE_COPY, copy_of_wire)
    assert report.new == 3 and report.near_duplicates == 1 and report.exact_copies == 1
    stored = rows(ingest.db)
    assert stored["wire2"].duplicate_of_id == stored["wire"].duplicate_of_id == stored["orig"].id


def test_same_text_with_no_url_is_stored_once(ingest):
    bare = dataclasses.replace(ORIGINAL, url=None, external_id="bare")
    report = store(ingest, bare, dataclasses.replace(bare, external_id="bare2"))
    assert report.new == 1 and report.repeated_in_batch == 1
    assert store(ingest, bare).already_stored == 1
    assert list(rows(ingest.db)) == ["bare"]


def test_wire_copy_and_truncated_feed_item_point_at_the_kept_copy(ingest):
    report = store(ingest, ORIGINAL, WIRE_COPY, TRUNCATED)
    assert report.new == 3 and report.near_duplicates == 2
    stored = rows(ingest.db)
    kept = stored["orig"]
    assert kept.duplicate_of_id is None
    assert stored["wire"].duplicate_of_id == kept.id and stored["feed"].duplicate_of_id == kept.id
    assert stored["wire"].story_key == stored["feed"].story_key == kept.story_key
    assert kept.minhash and len(kept.minhash) == 2 + 4 * 128


def test_near_duplicate_is_not_tagged_again_but_carries_the_kept_copys_tags(ingest):
    tagger = CountingTagger()
    store(ingest, ORIGINAL, tagger=tagger)
    store(ingest, WIRE_COPY, tagger=tagger)
    assert tagger.seen == [ORIGINAL.title]
    with ingest.db.session() as session:
        copy = session.scalars(select(ArticleRow).where(ArticleRow.external_id == "wire")).one()
        assert [(t.kind, t.label, t.evidence) for t in copy.tags] == [("company", "kt", ORIGINAL.title)]


def test_run_with_nothing_new_never_calls_the_tagger(ingest):
    store(ingest, ORIGINAL, OTHER)

    class Refusing:
        def tag_many(self, articles):
            raise AssertionError("the tagger must not be called when nothing is new")

    report = store(ingest, ORIGINAL, OTHER, tagger=Refusing())
    assert report.new == 0 and report.already_stored == 2
    report = store(ingest, WIRE_COPY, tagger=Refusing())  # new, but a near-duplicate: tags are copied
    assert report.new == 1 and report.near_duplicates == 1


def test_template_market_reports_are_stored_as_two_articles(ingest):
    store(ingest, MARKET_MON, MARKET_TUE)
    stored = rows(ingest.db)
    assert stored["t_10"].duplicate_of_id is None and stored["t_11"].duplicate_of_id is None


def test_independent_reports_of_one_event_share_a_story(ingest):
    store(ingest, EVENT_A, OTHER)
    store(ingest, EVENT_B)
    stored = rows(ingest.db)
    assert stored["event_a"].id != stored["event_b"].id
    assert stored["event_b"].duplicate_of_id is None
    assert stored["event_a"].story_key == stored["event_b"].story_key != stored["weather"].story_key


def test_a_new_process_rebuilds_the_index_from_the_database(ingest, database_url):
    store(ingest, ORIGINAL, EVENT_A)
    other_process = IngestContext.open(Database(database_url), CountingTagger())  # no index yet: rebuilt from storage
    try:
        store(other_process, WIRE_COPY, EVENT_B)
    finally:
        other_process.db.dispose()
    stored = rows(ingest.db)
    assert stored["wire"].duplicate_of_id == stored["orig"].id
    assert stored["event_b"].story_key == stored["event_a"].story_key


def test_index_picks_up_what_another_process_stored(ingest, database_url):
    store(ingest, OTHER)  # builds this process's index
    writer = IngestContext.open(Database(database_url), CountingTagger())
    try:
        store(writer, ORIGINAL)
    finally:
        writer.db.dispose()
    store(ingest, WIRE_COPY)
    stored = rows(ingest.db)
    assert stored["wire"].duplicate_of_id == stored["orig"].id


def test_concurrent_stores_in_one_process_keep_one_row_each(ingest):
    errors: list[BaseException] = []

    def run():
        try:
            store(ingest, ORIGINAL, WIRE_COPY, TRUNCATED, EVENT_A, EVENT_B)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    stored = rows(ingest.db)
    assert sorted(stored) == ["event_a", "event_b", "feed", "orig", "wire"]
    assert stored["wire"].duplicate_of_id == stored["orig"].id


def test_failed_store_leaves_the_index_as_it_was(ingest):
    class Broken:
        def tag_many(self, articles):
            raise RuntimeError("tagger down")

    with pytest.raises(RuntimeError):
        store(ingest, ORIGINAL, tagger=Broken())
    assert rows(ingest.db) == {}
    store(ingest, WIRE_COPY)  # the failed original is not in the index, so the copy is a kept copy now
    assert rows(ingest.db)["wire"].duplicate_of_id is None


def test_batches_larger_than_one_transaction_link_across_batches(ingest, monkeypatch):
    monkeypatch.setattr(pipeline, "BATCH_SIZE", 2)
    report = store(ingest, ORIGINAL, OTHER, EVENT_A, WIRE_COPY, TRUNCATED)
    assert report.new == 5 and report.near_duplicates == 2
    stored = rows(ingest.db)
    assert stored["wire"].duplicate_of_id == stored["feed"].duplicate_of_id == stored["orig"].id


def test_long_lived_index_forgets_articles_published_before_its_window(ingest, monkeypatch):
    old = dataclasses.replace(ORIGINAL, published_at=ORIGINAL.published_at.replace(year=2020))
    store(ingest, old)
    monkeypatch.setattr(context, "EVICT_EVERY_SECONDS", 0.0)
    store(ingest, OTHER)  # the next batch evicts the 2020 article from this process's index
    report = store(ingest, WIRE_COPY)
    assert report.near_duplicates == 0
    assert rows(ingest.db)["wire"].duplicate_of_id is None


def test_full_article_after_its_truncated_feed_item_is_tagged_itself(ingest):
    tagger = CountingTagger()
    store(ingest, TRUNCATED, tagger=tagger)
    full = dataclasses.replace(ORIGINAL, title=ORIGINAL.title + "(종합)", external_id="full")
    report = store(ingest, full, tagger=tagger)
    assert report.near_duplicates == 1
    assert tagger.seen == [TRUNCATED.title, full.title]  # not copied from the short feed item
    stored = rows(ingest.db)
    assert stored["full"].duplicate_of_id == stored["feed"].id
