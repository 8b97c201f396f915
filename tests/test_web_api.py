"""The web view's JSON API and pages over a real uvicorn, on SQLite and PostgreSQL: Korean-aware search with filters,
story pages, trends by local day, escaping, security headers, the token, and the read-only session."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import DBAPIError

from models.db import migrate
from models.read_only import open_read_only
from models.search import articles, sources
from web.security import WebSetupError, session_value, token_for
from web_archive import EVENT_A, EVENT_B, HOSTILE, KTNG, MIDNIGHT, ORIGINAL, OTHER, WIRE_COPY, serve_view, store_archive

TOKEN = "s3cret-token-for-tests-0123456789"


@pytest.fixture
def archive(any_db):  # type: ignore[no-untyped-def]
    ids = store_archive(any_db)
    url = any_db.engine.url.render_as_string(hide_password=False)
    with serve_view(url) as served, httpx.Client(base_url=served.base, trust_env=False, timeout=30) as client:
        yield client, ids, any_db


def titles(answer: httpx.Response) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [r["title"] for r in answer.json()["results"]]


def test_search_finds_the_word_with_a_particle_glued_to_it(archive):
    client, ids, _ = archive
    answer = client.get("/api/articles", params={"q": "희망퇴직"})
    found = titles(answer)
    # EVENT_B writes 희망퇴직 only with particles and compounds around it in the body; both are found, nothing else.
    assert sorted(found) == sorted([EVENT_A.title, EVENT_B.title])
    hit = answer.json()["results"][0]
    assert hit["matched"] == ["희망퇴직"] and hit["score"] > 0
    assert hit["evidence"]["evidence"]
    assert "layoffs" in hit["topics"] and "kt" in hit["companies"]


def test_two_character_words_are_matched_by_a_scan(archive):
    client, ids, _ = archive
    answer = client.get("/api/articles", params={"q": "감원"})
    assert sorted(titles(answer)) == sorted([EVENT_B.title, MIDNIGHT.title])
    assert answer.json()["scanned"] is True
    # A longer word narrows the scan through the index; the answer is still right.
    assert titles(client.get("/api/articles", params={"q": "감원 반도체"})) == [MIDNIGHT.title]


def test_a_scan_folds_near_duplicates_too(archive):
    client, ids, _ = archive
    folded = client.get("/api/articles", params={"q": "3조"}).json()
    assert folded["scanned"] is True
    assert [(r["copies"], r["id"] in (ids["orig"], ids["wire"])) for r in folded["results"]] == [(2, True)]
    shown = client.get("/api/articles", params={"q": "3조", "duplicates": "show"}).json()["results"]
    assert sorted(r["id"] for r in shown) == sorted([ids["orig"], ids["wire"]])


def test_company_filter_uses_the_stored_tags_not_the_text(archive):
    client, ids, _ = archive
    assert KTNG.title in titles(client.get("/api/articles", params={"q": "KT"}))
    with_tag = titles(client.get("/api/articles", params={"q": "KT", "company": "kt"}))
    assert KTNG.title not in with_tag and EVENT_A.title in with_tag


def test_near_duplicates_are_folded_or_shown(archive):
    client, ids, _ = archive
    folded = client.get("/api/articles", params={"q": "데이터센터"}).json()["results"]
    assert len(folded) == 1 and folded[0]["copies"] == 2
    shown = client.get("/api/articles", params={"q": "데이터센터", "duplicates": "show"}).json()["results"]
    assert sorted(r["id"] for r in shown) == sorted([ids["orig"], ids["wire"]])
    assert {r["duplicate_of"] for r in shown} == {None, ids["orig"]}


def test_outlet_and_date_filters(archive):
    client, ids, _ = archive
    assert titles(client.get("/api/articles", params={"outlet": "뉴스핌"})) == [WIRE_COPY.title]
    # Days are Asia/Seoul days: 00:00 on the 29th is the 29th (15:00 UTC on the 28th).
    assert titles(client.get("/api/articles", params={"since": "2025-12-29", "until": "2025-12-29"})) == [MIDNIGHT.title]
    day_28 = titles(client.get("/api/articles", params={"since": "2025-12-28", "until": "2025-12-28"}))
    assert MIDNIGHT.title not in day_28 and OTHER.title in day_28
    assert titles(client.get("/api/articles", params={"topic": "layoffs", "until": "2025-12-28"})) != []


def test_story_lists_every_outlet_and_the_independent_reports(archive):
    client, ids, _ = archive
    hit = client.get("/api/articles", params={"q": "2800명"}).json()["results"][0]
    story = client.get(hit["story_url"].replace("/stories/", "/api/stories/")).json()
    reports = [story["lead"], *story["reports"]]
    assert sorted(r["title"] for r in reports) == sorted([EVENT_A.title, EVENT_B.title])
    assert story["lead"]["title"] == EVENT_A.title  # the earlier report leads
    assert set(story["outlets"]) == {"가나일보", "다라신문"}
    assert all(r["tags"] and r["published"].endswith("+09:00") for r in reports)

    wire = client.get("/api/articles", params={"q": "데이터센터"}).json()["results"][0]
    story = client.get(f"/api/stories/{wire['story']}").json()
    assert story["lead"]["id"] == ids["orig"]
    assert [c["outlet"] for c in story["lead"]["copies"]] == ["뉴스핌"]
    assert story["outlets"] == ["연합뉴스", "뉴스핌"]
    page = client.get(wire["story_url"])
    assert page.status_code == 200 and "뉴스핌" in page.text and "연합뉴스" in page.text


def test_trends_count_stories_per_local_day(archive):
    client, ids, _ = archive
    answer = client.get("/api/trends", params={"since": "2025-12-27", "until": "2025-12-29"}).json()
    assert answer["days"] == ["2025-12-27", "2025-12-28", "2025-12-29"]
    by_label = {s["label"]: s["counts"] for s in answer["series"]}
    assert by_label["samsung_electronics"] == [0, 0, 1]  # the midnight article, on its own day
    # KT's day: one story of the two 희망퇴직 reports, one of the data-centre original and its wire copy.
    assert by_label["kt"] == [0, 2, 0]
    only = client.get("/api/trends", params={"label": "kt", "since": "2025-12-28", "until": "2025-12-28"}).json()
    assert [s["label"] for s in only["series"]] == ["kt"]
    top = client.get("/api/trends/top", params={"day": "2025-12-28", "label": "kt"}).json()["stories"]
    assert len(top) == 2 and top[0]["articles"] == 2


def test_bad_parameters_get_a_clear_400_and_unknown_stories_a_404(archive):
    client, ids, _ = archive
    answer = client.get("/api/articles", params={"since": "29.12.2025"})
    assert answer.status_code == 400 and "since" in answer.json()["error"] and "YYYY-MM-DD" in answer.json()["error"]
    assert client.get("/api/articles", params={"limit": 1000}).status_code == 400
    assert client.get("/api/articles", params={"since": "2025-12-29", "until": "2025-12-28"}).status_code == 400
    assert client.get("/api/stories/no-such-story").status_code == 404
    assert client.get("/stories/no-such-story").status_code == 404
    assert client.get("/api/trends", params={"since": "2020-01-01", "until": "2025-01-01"}).status_code == 400


def test_stored_markup_is_shown_as_text(archive):
    client, ids, _ = archive
    page = client.get("/search", params={"q": "카카오"})
    assert page.status_code == 200
    assert "<script>alert" not in page.text and "&lt;script&gt;alert" in page.text
    assert "<img src=x" not in page.text and "<i>자차뉴스</i>" not in page.text
    assert 'href="javascript:' not in page.text  # a non-http URL is no link
    assert "<mark>카카오</mark>" in page.text
    hit = client.get("/api/articles", params={"q": "카카오"}).json()["results"][0]
    assert hit["title"] == HOSTILE.title and hit["url"] is None


def test_every_answer_carries_the_security_headers(archive):
    client, ids, _ = archive
    for path in ("/search", "/trends", "/api/articles", "/static/style.css", "/api/stories/none"):
        answer = client.get(path)
        csp = answer.headers["content-security-policy"]
        assert "script-src 'none'" in csp and "default-src 'none'" in csp and "unsafe-inline" not in csp, path
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "no-referrer"


def test_a_foreign_host_name_is_refused_on_loopback(archive):
    client, ids, _ = archive
    answer = client.get("/api/articles", headers={"host": "rebound.example.com"})
    assert answer.status_code == 421


def test_binding_beyond_loopback_needs_a_token():
    assert token_for("127.0.0.1", {}) is None and token_for("::1", {}) is None
    with pytest.raises(WebSetupError, match="NEWSMON_WEB_TOKEN"):
        token_for("0.0.0.0", {})
    with pytest.raises(WebSetupError, match="at least 16"):
        token_for("0.0.0.0", {"NEWSMON_WEB_TOKEN": "short"})
    assert token_for("192.168.1.5", {"NEWSMON_WEB_TOKEN": TOKEN}) == TOKEN


def test_the_token_is_needed_on_every_request(db):
    store_archive(db)
    url = db.engine.url.render_as_string(hide_password=False)
    with serve_view(url, token=TOKEN) as served, \
            httpx.Client(base_url=served.base, trust_env=False, timeout=30) as client:
        assert client.get("/api/articles").status_code == 401
        assert client.get("/api/articles", headers={"authorization": "Bearer wrong-token-0123456789"}).status_code == 401
        assert client.get("/api/articles", headers={"authorization": f"Bearer {TOKEN}"}).status_code == 200
        assert client.get("/api/articles", headers={"x-newsmon-token": TOKEN}).status_code == 200
        page = client.get("/trends?since=2025-12-28")
        assert page.status_code == 303 and page.headers["location"].startswith("/login?next=")
        failed = client.post("/login", data={"token": "nope", "next": "/trends"})
        assert failed.status_code == 401 and "newsmon_session" not in failed.headers.get("set-cookie", "")
        login = client.post("/login", data={"token": TOKEN, "next": "/trends?since=2025-12-28"})
        assert login.status_code == 303 and login.headers["location"] == "/trends?since=2025-12-28"
        cookie = login.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("samesite", "SameSite")
        assert TOKEN not in cookie and session_value(TOKEN) in cookie
        assert client.get("/trends").status_code == 200  # the client keeps the cookie
        offsite = client.post("/login", data={"token": TOKEN, "next": "//evil.example.com/"})
        assert offsite.headers["location"] == "/"


def test_the_view_cannot_write(any_db):
    store_archive(any_db)
    reader = open_read_only(any_db.engine.url.render_as_string(hide_password=False))
    try:
        with pytest.raises(DBAPIError):
            with reader.session() as session:
                session.execute(update(articles).values(title="changed"))
        with reader.session() as session:
            assert "changed" not in session.scalars(select(articles.c.title)).all()
    finally:
        reader.dispose()


def test_the_search_index_follows_inserts_edits_and_deletes(any_db):
    ids = store_archive(any_db)
    reader = open_read_only(any_db.engine.url.render_as_string(hide_password=False))
    from models.search import ArticleFilter, search_articles

    def found(text: str) -> list[int]:
        with reader.session() as session:
            return [h.id for h in search_articles(session, ArticleFilter(text=text, fold_duplicates=False)).hits]

    try:
        with any_db.session() as session:
            session.execute(update(articles).where(articles.c.id == ids["weather"]).values(title="서울 폭설 대비 비상근무"))
        assert found("폭설 대비") == [ids["weather"]] and found("\"내일 눈 소식\"") == []
        with any_db.session() as session:
            source_id = session.scalar(select(sources.c.id))
            session.execute(insert(articles).values(source_id=source_id, content_hash="x" * 64, title="별도 입력 기사",
                                                    body="다른 프로그램이 직접 넣은 기사에도 검색어 쿼츠결정이 있다."))
        assert len(found("쿼츠결정")) == 1
        with any_db.session() as session:
            session.execute(delete(articles).where(articles.c.title == "별도 입력 기사"))
        assert found("쿼츠결정") == []
    finally:
        reader.dispose()


def test_the_migration_is_idempotent_and_indexes_what_was_stored_before(any_db):
    from alembic import command

    from models.db import alembic_config

    ids = store_archive(any_db)
    cfg = alembic_config(any_db.engine.url.render_as_string(hide_password=False))
    with any_db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0004")
    migrate(any_db.engine)
    migrate(any_db.engine)
    reader = open_read_only(any_db.engine.url.render_as_string(hide_password=False))
    from models.search import ArticleFilter, search_articles

    try:
        with reader.session() as session:
            hits = search_articles(session, ArticleFilter(text="2800명", fold_duplicates=False)).hits
        assert sorted(h.id for h in hits) == sorted([ids["event_a"], ids["event_b"]])
    finally:
        reader.dispose()


def test_a_database_searched_by_0007s_indexes_upgrades_and_downgrades_with_its_articles(any_db):
    """A database migrated before 0011 (0007's FTS5 table or pg_trgm indexes) keeps finding what it stored after the
    upgrade, short words included; downgrading brings 0007's indexes back."""
    from alembic import command
    from sqlalchemy import inspect, text

    from models.db import alembic_config
    from models.search import ArticleFilter, search_articles

    ids = store_archive(any_db)
    cfg = alembic_config(any_db.engine.url.render_as_string(hide_password=False))
    sqlite = any_db.engine.dialect.name == "sqlite"

    def search_objects() -> set[str]:
        with any_db.engine.connect() as connection:
            if sqlite:
                return set(connection.execute(text("SELECT name FROM sqlite_master")).scalars())
            return set(inspect(connection).get_table_names()) | {
                i["name"] for i in inspect(connection).get_indexes("articles")}

    with any_db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0007_search")
    before = search_objects()
    assert "article_keys" not in before
    assert ("articles_fts" in before and "articles_fts_terms" not in before) if sqlite else \
        {"ix_articles_title_trgm", "ix_articles_body_trgm"} <= before
    migrate(any_db.engine)
    after = search_objects()
    assert "article_keys" in after
    assert "articles_fts_terms" in after if sqlite else "ix_articles_title_trgm" not in after
    reader = open_read_only(any_db.engine.url.render_as_string(hide_password=False))
    try:
        with reader.session() as session:
            long_word = search_articles(session, ArticleFilter(text="2800명", fold_duplicates=False)).hits
            short_word = search_articles(session, ArticleFilter(text="강화", fold_duplicates=False)).hits
        assert sorted(h.id for h in long_word) == sorted([ids["event_a"], ids["event_b"]])
        assert ids["ktng"] in [h.id for h in short_word]
    finally:
        reader.dispose()


def test_short_words_are_found_through_the_index_wherever_they_stand(archive):
    client, ids, _ = archive
    # KTNG's title ends with 강화 and its body never says it: the very end of a column is indexed too.
    assert KTNG.title in titles(client.get("/api/articles", params={"q": "강화"}))
    # A single character, and a short word beside a long one that narrows it.
    assert KTNG.title in titles(client.get("/api/articles", params={"q": "&"}))
    assert titles(client.get("/api/articles", params={"q": "배당 자사주"})) == [KTNG.title]
    # A short word that occurs nowhere finds nothing, alone or beside a long word.
    assert titles(client.get("/api/articles", params={"q": "뷁뷁"})) == []
    assert titles(client.get("/api/articles", params={"q": "뷁뷁 반도체"})) == []


def test_the_narrow_keys_follow_edits_of_the_filed_time(any_db):
    ids = store_archive(any_db)
    reader = open_read_only(any_db.engine.url.render_as_string(hide_password=False))
    from datetime import datetime, timezone

    from models.search import ArticleFilter, search_articles

    def found(**kwargs) -> list[int]:  # type: ignore[no-untyped-def]
        with reader.session() as session:
            return [h.id for h in search_articles(session, ArticleFilter(fold_duplicates=False, **kwargs)).hits]

    old = dict(since=datetime(2020, 1, 1, tzinfo=timezone.utc), until=datetime(2020, 1, 2, tzinfo=timezone.utc))
    try:
        assert found(text="배당", **old) == []
        with any_db.session() as session:
            session.execute(update(articles).where(articles.c.id == ids["ktng"])
                            .values(published_at=datetime(2020, 1, 1, 12, tzinfo=timezone.utc)))
        assert found(text="배당", **old) == [ids["ktng"]] and found(**old) == [ids["ktng"]]
        with any_db.session() as session:
            session.execute(delete(articles).where(articles.c.id == ids["ktng"]))
        assert found(**old) == []
    finally:
        reader.dispose()
