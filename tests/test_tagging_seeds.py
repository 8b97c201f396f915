"""The two seed articles tag as the brief requires: companies and topics present, related-link companies absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsmon.config import load_config
from newsmon.records import Article, Tag
from tagging.tagger import Tagger


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger(load_config().watchlist)


def seed_article(shared_dir: Path, name: str) -> Article:
    """The seed as the text loader gives it: first line the title, trailing related-article list ("- ...") dropped."""
    path = shared_dir / "seeds" / name
    if not path.is_file():
        pytest.skip(f"seed {path} not found")
    lines = path.read_text(encoding="utf-8").rstrip("\n").split("\n")
    while lines and (lines[-1].startswith("- ") or not lines[-1].strip()):
        lines.pop()
    return Article(source="seeds", title=lines[0], body="\n".join(lines[1:]))


def labels(tags: list[Tag], kind: str) -> set[str]:
    return {t.label for t in tags if t.kind == kind}


def test_kt_ms_seed_has_both_companies_and_all_three_topics(tagger: Tagger, shared_dir: Path) -> None:
    tags = tagger.tag(seed_article(shared_dir, "000_60909971c8b3e5f5.txt"))
    assert labels(tags, "company") == {"kt", "microsoft"}
    assert labels(tags, "topic") == {"llm", "ms_dependence", "layoffs"}


def test_kt_ms_seed_related_links_do_not_tag_skt_or_lguplus(tagger: Tagger, shared_dir: Path) -> None:
    companies = labels(tagger.tag(seed_article(shared_dir, "000_60909971c8b3e5f5.txt")), "company")
    assert "skt" not in companies and "lguplus" not in companies


def test_kt_ms_investment_seed_is_kt_microsoft_llm(tagger: Tagger, shared_dir: Path) -> None:
    tags = tagger.tag(seed_article(shared_dir, "003_65a79680f6fc5c51.txt"))
    assert labels(tags, "company") == {"kt", "microsoft"}
    assert "llm" in labels(tags, "topic")
    assert "layoffs" not in labels(tags, "topic")


def test_seed_tags_carry_evidence_sentences_and_terms(tagger: Tagger, shared_dir: Path) -> None:
    tags = {t.label: t for t in tagger.tag(seed_article(shared_dir, "000_60909971c8b3e5f5.txt"))}
    dependence = tags["ms_dependence"]
    assert "의존" in dependence.evidence or "종속" in dependence.evidence
    assert ("MS" in dependence.evidence) or ("마이크로소프트" in dependence.evidence)
    assert "희망퇴직" in tags["layoffs"].terms
    assert all(0 < t.score <= 1 for t in tags.values())
