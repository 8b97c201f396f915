"""Local sources: text files in the seeds' shape and JSON Lines files in the corpus shape."""

import gzip
import json
from datetime import datetime, timezone
from pathlib import Path

from scrapers.local import read_local

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def record(i, **extra):
    base = {"id": f"x_{i}", "title": f"제목 &quot;{i}&quot;", "publisher": "테스트일보", "author": "기자",
            "published_at": "2025-12-28 09:30", "url": f"https://news.example.com/{i}",
            "body": f"본문 {i} &amp; 내용이다.\n\n---\n\n*Crawled at: 2025-12-28*"}
    return {**base, **extra}


def test_seeds_folder_loads_both_articles():
    result = read_local("seeds", SEEDS)
    assert result.failure is None and result.errors == []
    assert sorted(a.external_id for a in result.articles) == ["000_60909971c8b3e5f5", "003_65a79680f6fc5c51"]


def test_jsonl_entities_decoded_and_times_in_seoul(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps(record(1), ensure_ascii=False) + "\n", encoding="utf-8")
    (article,) = read_local("files", path).articles
    assert article.title == '제목 "1"' and article.body == "본문 1 & 내용이다."
    assert article.published_at.astimezone(timezone.utc) == datetime(2025, 12, 28, 0, 30, tzinfo=timezone.utc)
    assert article.external_id == "x_1" and article.origin == f"{path}:1"


def test_malformed_lines_are_reported_by_file_and_line_and_the_rest_load(tmp_path):
    path = tmp_path / "bad.jsonl.gz"
    lines = [json.dumps(record(1)), "{not json", json.dumps(record(3, title="")),
             json.dumps(record(4, published_at="yesterday")), "[1, 2]", json.dumps(record(6))]
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    result = read_local("files", path)
    assert [a.external_id for a in result.articles] == ["x_1", "x_6"]
    reasons = {e.where: e.reason for e in result.errors}
    assert set(reasons) == {f"{path}:2", f"{path}:3", f"{path}:4", f"{path}:5"}
    assert "not valid JSON" in reasons[f"{path}:2"]
    assert "'title'" in reasons[f"{path}:3"]
    assert "unrecognised date 'yesterday'" in reasons[f"{path}:4"]
    assert "JSON object" in reasons[f"{path}:5"]
    assert str(result.errors[0]).startswith(f"files: {path}:2: ")


def test_a_missing_path_fails_the_source_and_a_binary_file_is_skipped(tmp_path):
    assert "does not exist" in read_local("gone", tmp_path / "nope").failure.reason
    (tmp_path / "ok.txt").write_text("제목\n본문 문장이다.", encoding="utf-8")
    (tmp_path / "bad.txt").write_bytes(b"\xff\xfe\x00garbage\x9c")
    result = read_local("dir", tmp_path)
    assert [a.title for a in result.articles] == ["제목"]
    assert result.errors[0].where.endswith("bad.txt") and "not UTF-8" in result.errors[0].reason


def test_a_failed_source_names_the_resolved_path_it_read(tmp_path, monkeypatch):
    from app.config import load_config
    from ingest.pipeline import IngestReport
    from test_flows import make_project

    monkeypatch.delenv("NEWSMON_DATABASE_URL", raising=False)
    config = load_config(make_project(tmp_path, broken_source=True))
    gone = config.source("gone")
    result = read_local(gone.name, config.resolve_path(gone.path))
    line = IngestReport(source="gone", failure=result.failure).summary()
    assert line == f"gone: FAILED: {tmp_path / 'no' / 'such' / 'folder'}: path does not exist"
