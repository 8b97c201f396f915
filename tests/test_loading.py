"""`newsmon load` and `newsmon export` (ingest.loading, models.articles_store) on real databases: JSON Lines and text files through the
pipeline, re-loads adding nothing, bad lines named and skipped, and the export's fields."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from app.config import DEFAULT_CONFIG, load_config
from flows import resources
from ingest import loading, pipeline
from models.articles_store import iter_export
from test_dedupe import EVENT_A, EVENT_B, ORIGINAL, OTHER, TRUNCATED, WIRE_COPY
from test_pipeline import CountingTagger

SEOUL = ZoneInfo("Asia/Seoul")


def corpus_line(article, **extra) -> str:
    record = {"id": article.external_id, "title": article.title, "publisher": article.publisher, "author": "기자",
              "published_at": article.published_at.strftime("%Y-%m-%d %H:%M"), "url": article.url,
              "body": article.body.replace('"', "&quot;") + "\n\n---\n\n*Crawled at: 2025-12-28 16:30:03*"}
    return json.dumps({**record, **extra}, ensure_ascii=False)


@pytest.fixture
def config(database_url, monkeypatch):
    monkeypatch.setenv("NEWSMON_DATABASE_URL", database_url)
    tagger = CountingTagger()
    monkeypatch.setattr(resources, "tagger", lambda _config: tagger)
    cfg = load_config(DEFAULT_CONFIG)
    yield cfg
    context = resources.ingest_context(cfg)
    context.index.reset()
    context.db.dispose()


def load(config, paths) -> list[str]:
    """What `newsmon load` prints, through the context the command builds."""
    return list(loading.load_paths(resources.ingest_context(config), paths, "files", SEOUL))


def export(config) -> list[dict]:
    """What `newsmon export` prints, one record per stored article."""
    with resources.database(config).session() as session:
        return [row.as_record() for row in iter_export(session)]


@pytest.fixture
def corpus(tmp_path) -> Path:
    path = tmp_path / "day.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as out:
        for article in (ORIGINAL, WIRE_COPY, TRUNCATED, EVENT_A, EVENT_B, OTHER):
            out.write(corpus_line(article) + "\n")
    return path


def test_load_stores_a_jsonl_file_and_reports_it(config, corpus):
    lines = load(config, [corpus])
    assert lines == [f"{corpus}: 6 read, 6 new, 0 already seen, 2 of the new are near-duplicates"]


def test_loading_the_same_file_twice_adds_nothing_and_tags_nothing(config, corpus, monkeypatch):
    load(config, [corpus])

    class RefusingTagger:
        """Building a Tagger is free (Kiwi loads on first use); using one when nothing is new is the cost to avoid."""

        def tag_many(self, articles):
            raise AssertionError("nothing is new: nothing may be tagged (and so Kiwi never loads)")

    monkeypatch.setattr(resources, "tagger", lambda _config: RefusingTagger())
    lines = load(config, [corpus])
    assert lines == [f"{corpus}: 6 read, 0 new, 6 already seen"]
    assert len(list(export(config))) == 6


def test_malformed_line_is_named_by_file_and_line_and_the_rest_load(config, tmp_path):
    path = tmp_path / "broken.jsonl"
    path.write_text("\n".join([corpus_line(ORIGINAL), '{"id": "cut", "title": "잘린 줄', corpus_line(OTHER),
                               json.dumps({"id": "nobody", "title": "본문 없음"})]) + "\n", encoding="utf-8")
    lines = load(config, [path])
    assert lines[0].startswith(f"skipped: files: {path}:2: not valid JSON")
    assert lines[1] == f"skipped: files: {path}:4: field 'body' is missing or empty"
    assert lines[2] == f"{path}: 2 read, 2 new, 0 already seen, 2 skipped with errors"
    assert sorted(r["id"] for r in export(config)) == ["orig", "weather"]


def test_text_files_and_folders_load_through_the_same_pipeline(config, tmp_path):
    folder = tmp_path / "texts"
    folder.mkdir()
    for name, article in (("a.txt", EVENT_A), ("b.txt", EVENT_B)):
        (folder / name).write_text(f"{article.title}\n\n{article.body}\n", encoding="utf-8")
    (folder / "notes.bin").write_bytes(b"\x00\x01")  # not an article file: ignored
    assert load(config, [folder]) == [f"{folder}: 2 read, 2 new, 0 already seen"]
    exported = {r["id"]: r for r in export(config)}
    assert set(exported) == {"a", "b"}
    assert exported["a"]["story"] == exported["b"]["story"] and exported["b"]["duplicate_of"] is None


def test_missing_path_is_reported_and_the_next_path_still_loads(config, corpus, tmp_path):
    lines = load(config, [tmp_path / "absent.jsonl", corpus])
    assert lines[0] == f"{tmp_path / 'absent.jsonl'}: FAILED: path does not exist"
    assert lines[1].startswith(f"{corpus}: 6 read, 6 new")


def test_export_has_exactly_the_promised_fields_in_the_inputs_id_scheme(config, corpus):
    load(config, [corpus])
    exported = {r["id"]: r for r in export(config)}
    assert all(set(r) == {"id", "url", "title", "publisher", "companies", "topics", "duplicate_of", "story"}
               for r in exported.values())
    assert exported["orig"] == {
        "id": "orig", "url": ORIGINAL.url, "title": ORIGINAL.title, "publisher": "연합뉴스",
        "companies": ["kt"], "topics": [], "duplicate_of": None, "story": exported["orig"]["story"],
    }
    assert exported["wire"]["duplicate_of"] == exported["feed"]["duplicate_of"] == "orig"
    assert exported["wire"]["companies"] == ["kt"]  # copied from the kept copy
    assert exported["event_a"]["story"] == exported["event_b"]["story"] != exported["orig"]["story"]
    assert exported["wire"]["story"] == exported["orig"]["story"]


def test_export_uses_the_database_id_when_the_input_had_none(config, tmp_path):
    path = tmp_path / "noid.jsonl"
    path.write_text(corpus_line(ORIGINAL, id=None) + "\n" + corpus_line(WIRE_COPY, id=None) + "\n", encoding="utf-8")
    load(config, [path])
    kept, copy = export(config)
    assert kept["id"].isdigit() and copy["duplicate_of"] == kept["id"]


def test_large_file_is_stored_in_batches(config, tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "BATCH_SIZE", 2)
    chunks = list(loading.read_in_chunks(Path(tmp_path / "x.jsonl"), "files", SEOUL, size=2))
    assert chunks[0].failure is not None
    path = tmp_path / "many.jsonl"
    path.write_text("\n".join(corpus_line(a) for a in (ORIGINAL, OTHER, EVENT_A, WIRE_COPY, TRUNCATED)) + "\n",
                    encoding="utf-8")
    sizes = [len(c.articles) for c in loading.read_in_chunks(path, "files", None, size=2)]  # type: ignore[arg-type]
    assert sizes == [2, 2, 1]
    lines = load(config, [path])
    assert lines == [f"{path}: 5 read, 5 new, 0 already seen, 2 of the new are near-duplicates"]
