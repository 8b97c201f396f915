"""The stage commands of `newsmon` (tag, eval, load, export, extract, digest --preview), run in-process through the
real command line on files written here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from test_flows import RECORDS, make_project

runner = CliRunner()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("NEWSMON_DATABASE_URL", raising=False)
    return make_project(tmp_path)


def invoke(config: Path, *args: str):  # type: ignore[no-untyped-def]
    result = runner.invoke(app, ["--config", str(config), *args], catch_exceptions=False)
    return result


def test_tag_prints_one_line_per_article_with_evidence(project: Path) -> None:
    result = invoke(project, "tag", str(project.parent / "inbox" / "articles.jsonl"))
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    by_id = {row["id"]: row for row in rows}
    assert set(by_id) == {"t-001", "t-002", "t-003"}
    assert by_id["t-001"]["companies"] == ["kt"] and "llm" in by_id["t-001"]["topics"]
    assert "KT" in by_id["t-001"]["evidence"]["kt"]["sentence"]
    assert by_id["t-002"]["companies"] == ["kakao"]
    assert by_id["t-003"]["companies"] == [] and by_id["t-003"]["topics"] == []


def test_eval_scores_against_labels(project: Path, tmp_path: Path) -> None:
    labels = tmp_path / "labels.jsonl"
    # t-002 is labelled with a company the tagger will not find: one miss for skt.
    rows = [{"id": "t-001", "companies": ["kt"], "topics": ["llm"]},
            {"id": "t-002", "companies": ["kakao", "skt"], "topics": []},
            {"id": "t-003", "companies": [], "topics": []}]
    labels.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    result = invoke(project, "eval", "--labels", str(labels), str(project.parent / "inbox" / "articles.jsonl"))
    assert result.exit_code == 0, result.output
    assert "3 labelled articles" in result.stdout
    assert "miss         skt" in result.stdout and "t-002" in result.stdout
    kt_line = next(line for line in result.stdout.splitlines() if line.startswith("kt "))
    assert kt_line.split()[1:4] == ["1.000", "1.000", "1.000"]


def test_load_twice_then_export(project: Path) -> None:
    inbox = project.parent / "inbox"
    first = invoke(project, "load", str(inbox), "--source", "archive")
    assert first.exit_code == 0, first.output
    assert "3 new" in first.stderr
    again = invoke(project, "load", str(inbox / "articles.jsonl"), "--source", "archive")
    assert "0 new" in again.stderr
    exported = invoke(project, "export")
    rows = [json.loads(line) for line in exported.stdout.splitlines()]
    assert sorted(r["id"] for r in rows) == ["t-001", "t-002", "t-003"]
    first_row = next(r for r in rows if r["id"] == "t-001")
    assert first_row["url"] == "https://news.example.com/a/1?utm_source=feed"
    assert first_row["publisher"] == "테스트일보" and first_row["companies"] == ["kt"]
    assert {"duplicate_of", "story", "topics", "title"} <= set(first_row)
    assert all(r["duplicate_of"] is None for r in rows)


def test_load_reports_a_bad_line_and_keeps_the_rest(project: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(RECORDS[0], ensure_ascii=False) + "\n{broken\n", encoding="utf-8")
    result = invoke(project, "load", str(bad))
    assert result.exit_code == 4  # bad input: the good line is stored all the same
    assert f"{bad}:2" in result.stderr and "not valid JSON" in result.stderr
    assert "1 new" in result.stderr


def test_extract_prints_what_a_saved_page_holds(project: Path, tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    body = "".join(f"<p>{text}</p>" for text in (
        "KT가 새 인공지능 서비스를 내놓았다. 회사는 올해 가입자 100만 명을 목표로 한다고 밝혔다.",
        "업계에서는 통신사들이 인공지능 경쟁에 본격적으로 뛰어들었다는 평가가 나온다.",
        "KT는 다음 달부터 기업 고객에게도 같은 서비스를 제공할 계획이다.",
    ))
    page.write_text(
        "<html><head><meta charset='utf-8'><title>KT, 새 AI 서비스 출시 | 예시일보</title>"
        "<meta property='og:title' content='KT, 새 AI 서비스 출시'>"
        "<meta property='article:published_time' content='2026-01-05T09:00:00+09:00'></head>"
        f"<body><nav>메뉴 로그인</nav><article><h1>KT, 새 AI 서비스 출시</h1>{body}</article>"
        "<footer>Copyright 예시일보. 무단 전재 및 재배포 금지</footer></body></html>", encoding="utf-8")
    result = invoke(project, "extract", str(page), "--url", "https://news.example.com/a/9")
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert found["title"] == "KT, 새 AI 서비스 출시"
    assert "가입자 100만 명" in found["body"] and "무단 전재" not in found["body"]
    assert found["published_at"].startswith("2026-01-05")


def test_digest_preview_writes_html(project: Path, tmp_path: Path) -> None:
    assert invoke(project, "load", str(project.parent / "seeds")).exit_code == 0
    out = tmp_path / "preview" / "digest.html"
    result = invoke(project, "digest", "--preview", str(out))
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "<html" in html.lower() and "MS와 거대언어 개발" in html


def test_tag_names_a_malformed_line_without_a_traceback(project: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(RECORDS[0], ensure_ascii=False) + "\n{broken\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "flows.cli", "--config", str(project), "tag", str(bad)],
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 4  # bad input (the README's exit codes)
    assert f"{bad}:2" in done.stderr and "not valid JSON" in done.stderr
    assert "Traceback" not in done.stderr


def test_eval_pairs_scores_the_loaded_database_and_every_id_is_exported(project: Path, tmp_path: Path) -> None:
    from test_dedupe import EVENT_A, EVENT_B, ORIGINAL, OTHER, WIRE_COPY

    def line(a, external_id: str | None = None, url: str | None = None) -> str:  # type: ignore[no-untyped-def]
        return json.dumps({"id": external_id or a.external_id, "title": a.title, "publisher": a.publisher,
                           "published_at": a.published_at.strftime("%Y-%m-%d %H:%M"), "url": url or a.url,
                           "body": a.body}, ensure_ascii=False) + "\n"

    corpus = tmp_path / "pairs-corpus.jsonl"
    corpus.write_text(line(ORIGINAL) + line(ORIGINAL, "same-text", "https://elsewhere.example.com/77")
                      + line(WIRE_COPY) + line(EVENT_A) + line(EVENT_B) + line(OTHER), encoding="utf-8")
    assert invoke(project, "load", str(corpus)).exit_code == 0
    exported = {json.loads(r)["id"]: json.loads(r) for r in invoke(project, "export").stdout.splitlines()}
    assert exported["same-text"]["duplicate_of"] == "orig"  # an exact copy at another URL is stored, not dropped
    pairs = tmp_path / "pairs.jsonl"
    labelled = [("orig", "same-text", "duplicate"), ("orig", "wire", "duplicate"), ("event_a", "event_b", "same_story"),
                ("orig", "weather", "different"), ("event_a", "weather", "different"), ("orig", "nowhere", "duplicate")]
    pairs.write_text("".join(json.dumps({"a": a, "b": b, "relation": r}) + "\n" for a, b, r in labelled),
                     encoding="utf-8")
    result = invoke(project, "eval", "--pairs", str(pairs))
    assert result.exit_code == 0, result.output
    figures = {" ".join(l.split()[:-2]): l.split()[-2] for l in result.stdout.splitlines() if l.endswith(")")
               and not l.startswith("pairs")}
    assert figures == {"duplicates merged": "1.000", "false merges": "0.000", "in one story": "1.000",
                       "false groupings": "0.000"}
    assert "1 with an article not stored" in result.stdout and "orig nowhere duplicate" in result.stdout


def test_eval_pairs_names_a_bad_relation(project: Path, tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text('{"a": "x", "b": "y", "relation": "similar"}\n', encoding="utf-8")
    from newsmon.errors import InputError

    with pytest.raises(InputError, match=f"{pairs}:1: relation 'similar'"):  # main() prints it, exit code 2
        invoke(project, "eval", "--pairs", str(pairs))
