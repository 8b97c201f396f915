"""The two seed articles tag as the brief requires: companies and topics present, related-link companies absent."""

from __future__ import annotations

import pytest

from app.config import PROJECT_ROOT, load_config
from newsmon.records import Article, Tag
from scrapers.local import read_text_file
from tagging.tagger import Tagger


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger(load_config().watchlist)


def seed_article(name: str) -> Article:
    """The bundled seed as the pipeline loads it (the text loader drops clutter and the related-article list)."""
    return read_text_file(PROJECT_ROOT / "seeds" / name, "seeds")


def labels(tags: list[Tag], kind: str) -> set[str]:
    return {t.label for t in tags if t.kind == kind}


def test_kt_ms_seed_has_both_companies_and_all_three_topics(tagger: Tagger) -> None:
    tags = tagger.tag(seed_article("000_60909971c8b3e5f5.txt"))
    assert labels(tags, "company") == {"kt", "microsoft"}
    assert labels(tags, "topic") == {"llm", "ms_dependence", "layoffs"}


def test_kt_ms_seed_related_links_do_not_tag_skt_or_lguplus(tagger: Tagger) -> None:
    companies = labels(tagger.tag(seed_article("000_60909971c8b3e5f5.txt")), "company")
    assert "skt" not in companies and "lguplus" not in companies


def test_kt_ms_investment_seed_is_kt_microsoft_llm(tagger: Tagger) -> None:
    tags = tagger.tag(seed_article("003_65a79680f6fc5c51.txt"))
    assert labels(tags, "company") == {"kt", "microsoft"}
    assert "llm" in labels(tags, "topic")
    assert "layoffs" not in labels(tags, "topic")


def test_seed_tags_carry_evidence_sentences_and_terms(tagger: Tagger) -> None:
    tags = {t.label: t for t in tagger.tag(seed_article("000_60909971c8b3e5f5.txt"))}
    dependence = tags["ms_dependence"]
    assert "의존" in dependence.evidence or "종속" in dependence.evidence
    assert ("MS" in dependence.evidence) or ("마이크로소프트" in dependence.evidence)
    assert "희망퇴직" in tags["layoffs"].terms
    assert all(0 < t.score <= 1 for t in tags.values())
