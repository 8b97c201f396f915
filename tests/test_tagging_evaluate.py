"""`newsmon tag` and `newsmon eval` underneath: corpus-shaped JSON Lines in, tag lines and a scored report out."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from app.config import load_config
from tagging.evaluate import evaluate, format_report, tag_jsonl
from tagging.rules import Watchlist


@pytest.fixture(scope="module")
def watchlist() -> Watchlist:
    return load_config().watchlist


def write_corpus(path: Path) -> Path:
    rows = [
        {"id": "a1", "title": "KT, 희망퇴직 접수", "publisher": "테스트", "body":
         "KT는 다음 달까지 희망퇴직 신청을 받는다고 밝혔다.\n\n---\n\n*Crawled at: 2025-12-28 10:00:00*\n"
         "*Source: [원문 보기](https://example.com/a1)*"},
        {"id": "a2", "title": "오늘 날씨", "publisher": "테스트", "body": "서울은 맑고 낮 기온이 영상으로 오른다."},
        {"id": "a3", "title": "점유율 경쟁", "publisher": "테스트", "body": "라면 시장 점유율(MS) 1위 자리를 지켰다 &amp; 2위와 격차를 벌렸다."},
    ]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_tag_jsonl_writes_one_line_per_article_with_evidence(watchlist: Watchlist, tmp_path: Path) -> None:
    out = io.StringIO()
    count = tag_jsonl(write_corpus(tmp_path / "corpus.jsonl"), watchlist, out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert count == 3 and [r["id"] for r in lines] == ["a1", "a2", "a3"]
    first = lines[0]
    assert first["companies"] == ["kt"] and first["topics"] == ["layoffs"]
    assert first["evidence"]["layoffs"]["sentence"] == "KT는 다음 달까지 희망퇴직 신청을 받는다고 밝혔다."
    assert first["evidence"]["layoffs"]["terms"] == ["희망퇴직"]
    assert lines[1]["companies"] == [] and lines[1]["topics"] == [] and lines[1]["evidence"] == {}
    assert lines[2]["companies"] == []


def test_evaluate_counts_hits_misses_and_false_alarms(watchlist: Watchlist, tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus.jsonl")
    labels = tmp_path / "labels.jsonl"
    labels.write_text(
        '{"id": "a1", "companies": ["kt"], "topics": []}\n'
        '{"id": "a2", "companies": ["naver"], "topics": []}\n',
        encoding="utf-8",
    )
    report = evaluate(labels, corpus, watchlist)
    assert report.articles == 2
    assert (report.companies["kt"].tp, report.companies["naver"].fn) == (1, 1)
    assert report.topics["layoffs"].false_alarms == ["a1"]
    text = format_report(report)
    assert "miss         naver" in text and "false alarm  layoffs" in text and "희망퇴직" in text
    assert "miss" not in format_report(report, details=False)


def test_evaluate_names_labelled_ids_missing_from_the_corpus(watchlist: Watchlist, tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus.jsonl")
    labels = tmp_path / "labels.jsonl"
    labels.write_text('{"id": "zz9", "companies": [], "topics": []}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="zz9"):
        evaluate(labels, corpus, watchlist)
