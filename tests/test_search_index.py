"""SQLite's full-text index while a bulk load holds the indexing lease (migration 0012_search_backlog): articles
stored meanwhile by anyone are indexed by the load's own thread, nothing is indexed twice or lost, a lapsed lease
gives the work back to the trigger, and deletes and edits of rows not indexed yet leave the index sound."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import delete, insert, select, text, update

from models.db import Database
from models.search import articles, sources
from models.search_index import BackgroundIndexer, catch_up, lease, not_indexed

WORD = "쿼츠결정"


def add(db: Database, n: int, word: str = WORD) -> list[int]:
    """`n` articles holding `word`, stored by a plain INSERT (as a writer that is not newsmon would)."""
    with db.session() as session:
        source_id = session.scalar(select(sources.c.id))
        if source_id is None:
            source_id = session.execute(text(
                "INSERT INTO sources (name, kind, consecutive_failures, created_at) "
                "VALUES ('t', 'files', 0, '2026-01-01') RETURNING id")).scalar_one()
        start = session.scalar(select(text("count(*)")).select_from(articles)) or 0
        return [session.execute(insert(articles).values(
            source_id=source_id, content_hash=f"{start + i:064x}", title=f"기사 {start + i}",
            body=f"본문 {start + i}: 검색어 {word}가 들어 있다.").returning(articles.c.id)).scalar_one()
            for i in range(n)]


def found(db: Database, word: str = WORD) -> list[int]:
    with db.session() as session:
        return sorted(session.scalars(text("SELECT rowid FROM articles_fts WHERE articles_fts MATCH :q"),
                                      {"q": f'"{word}"'}))


def sound(db: Database) -> None:
    """FTS5's own check of the index's structure (a wrong 'delete' of a contentless row would break it)."""
    with db.session() as session:
        session.execute(text("INSERT INTO articles_fts(articles_fts, rank) VALUES ('integrity-check', 0)"))


@pytest.fixture
def db(tmp_path: Path):
    database = Database(f"sqlite:///{tmp_path}/search.db")
    yield database
    database.dispose()


def test_without_a_lease_every_insert_is_indexed_at_once(db: Database) -> None:
    ids = add(db, 3)
    assert found(db) == ids
    with db.session() as session:
        assert not_indexed(session) == 0


def test_during_a_lease_the_indexer_indexes_what_anyone_stored_exactly_once(db: Database) -> None:
    first = add(db, 2)
    indexer = BackgroundIndexer(db)
    with db.write_session() as session:
        lease(session, 600)
    held = add(db, 450)  # more than one indexer transaction holds
    assert found(db) == first  # left to the indexer while the lease runs
    with db.session() as session:
        assert not_indexed(session) == 450
    indexer.wake()
    indexer.close()
    assert indexer.failure is None and indexer.indexed == 450
    assert found(db) == first + held
    after = add(db, 1)  # the lease was given back: the trigger indexes again
    assert found(db) == first + held + after
    sound(db)


def test_a_lapsed_lease_gives_the_backlog_to_the_next_insert(db: Database) -> None:
    """A load that died leaves its lease to lapse; the next stored article brings everything left with it."""
    with db.write_session() as session:
        lease(session, 600)
    left = add(db, 5)
    assert found(db) == []
    with db.write_session() as session:
        lease(session, -1)  # lapsed
    nxt = add(db, 1)
    assert found(db) == left + nxt
    with db.write_session() as session:
        assert catch_up(session) == 0  # nothing twice
    sound(db)


def test_deletes_and_edits_of_rows_not_indexed_yet_keep_the_index_sound(db: Database) -> None:
    indexed = add(db, 2)
    with db.write_session() as session:
        lease(session, 600)
    pending = add(db, 3)
    with db.session() as session:
        session.execute(delete(articles).where(articles.c.id == pending[0]))
        session.execute(update(articles).where(articles.c.id == pending[1]).values(body="바뀐 본문 다른말"))
        session.execute(update(articles).where(articles.c.id == indexed[0]).values(body="고친 본문 다른말"))
    assert found(db) == indexed[1:]
    assert found(db, "다른말") == [indexed[0]]
    with db.write_session() as session:
        assert catch_up(session) == 2
    assert found(db) == [indexed[1], pending[2]]
    assert found(db, "다른말") == [indexed[0], pending[1]]
    sound(db)


def test_the_newest_article_deleted_and_its_id_given_again_is_indexed(db: Database) -> None:
    """SQLite gives the next row max(id) + 1: deleting the row at the mark moves the mark below it."""
    ids = add(db, 3)
    with db.session() as session:
        session.execute(delete(articles).where(articles.c.id == ids[-1]))
    with db.write_session() as session:
        lease(session, 600)
    again = add(db, 1, word="재사용번호")
    assert again == [ids[-1]]
    with db.write_session() as session:
        assert catch_up(session) == 1
    assert found(db, "재사용번호") == again and found(db) == ids[:2]
    sound(db)


def test_a_new_file_gets_16_kib_pages_and_an_old_file_keeps_its_own(tmp_path: Path) -> None:
    import sqlite3

    new = Database(f"sqlite:///{tmp_path}/new.db")
    add(new, 1)
    new.dispose()
    old_file = tmp_path / "old.db"
    with sqlite3.connect(old_file) as conn:  # a file made by an earlier newsmon, with SQLite's default page
        conn.execute("PRAGMA page_size=4096")
        conn.execute("CREATE TABLE kept (x)")
    old = Database(f"sqlite:///{old_file}")
    with old.session() as session:
        assert session.scalar(text("SELECT count(*) FROM kept")) == 0
    old.dispose()
    for path, size in ((tmp_path / "new.db", 16384), (old_file, 4096)):
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA page_size").fetchone()[0] == size


def test_the_index_merges_eight_segments_at_a_time_and_still_finds_everything(db: Database) -> None:
    with db.session() as session:
        assert session.scalar(text("SELECT v FROM articles_fts_config WHERE k = 'automerge'")) == 8
    ids = []
    for _ in range(20):  # twenty transactions: twenty segments, merged as they come
        ids += add(db, 3)
    assert found(db) == sorted(ids)
    sound(db)


def wait_until(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the threads to line up"
        time.sleep(0.005)


def test_a_background_writer_gives_way_to_a_foreground_writer_waiting_with_it(db: Database) -> None:
    order: list[str] = []
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with db.write_session():
            holding.set()
            release.wait(10)

    def write(name: str, background: bool) -> None:
        with db.write_session(background=background) as session:
            session.execute(text("UPDATE search_progress SET paused_until = 0"))
            order.append(name)

    turns = db._turns
    assert turns is not None
    threads = [threading.Thread(target=hold)]
    threads[0].start()
    holding.wait(10)
    threads.append(threading.Thread(target=write, args=("background", True)))
    threads[-1].start()
    wait_until(lambda: turns.waiting == 1)
    threads.append(threading.Thread(target=write, args=("foreground", False)))
    threads[-1].start()
    wait_until(lambda: turns.waiting == 2)
    release.set()
    for thread in threads:
        thread.join(10)
    assert order == ["foreground", "background"]
    assert turns.waiting == 0


def test_the_indexing_thread_gives_way_to_the_load_and_runs_at_its_priority(db: Database) -> None:
    import os

    with db.session() as session:
        lease(session, 60)
    ids = add(db, 5)  # the backlog the indexer will take
    turns = db._turns
    assert turns is not None
    indexer = BackgroundIndexer(db)
    seen_by_load: list[int] = []

    def load_writes() -> None:
        with db.write_session():
            seen_by_load.append(indexer.indexed)

    load = threading.Thread(target=load_writes)
    with turns.turn():  # someone else's write is under way
        indexer.wake()
        wait_until(lambda: turns.waiting == 1)
        load.start()
        wait_until(lambda: turns.waiting == 2)
        thread = indexer._thread
        assert thread is not None and thread.native_id is not None
        assert os.getpriority(os.PRIO_PROCESS, thread.native_id) == os.nice(0)
    load.join(10)
    indexer.close()
    assert seen_by_load == [0]  # the load's write went first
    assert indexer.indexed == 5 and found(db) == ids
