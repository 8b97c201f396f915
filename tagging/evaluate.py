"""Tags corpus files and scores the tagger against hand labels: precision, recall and F1 per label and micro-averaged."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from newsmon.records import Article, SourceError, Tag
from scrapers.local import iter_jsonl, open_text
from tagging.rules import Watchlist
from tagging.tagger import Tagger


def read_articles(path: str | Path, errors: list[SourceError] | None = None) -> Iterator[Article]:
    """Articles from a JSON Lines file (optionally .gz) in the corpus shape, read exactly as `newsmon load` and the
    jsonl source read them (scrapers.local: entities decoded, clutter and the crawler's footer dropped), so that
    `newsmon tag`/`eval` score what the pipeline stores. A bad line goes to `errors` when given, else raises."""
    path = Path(path)
    for item in iter_jsonl(path, path.name):
        if isinstance(item, SourceError):
            if errors is None:
                raise ValueError(f"{item.where}: {item.reason}")
            errors.append(item)
            continue
        yield item


def tag_record(article: Article, tags: list[Tag]) -> dict:
    """The JSON object `newsmon tag` prints for one article."""
    return {
        "id": article.external_id,
        "companies": [t.label for t in tags if t.kind == "company"],
        "topics": [t.label for t in tags if t.kind == "topic"],
        "evidence": {t.label: {"sentence": t.evidence, "terms": list(t.terms), "score": t.score} for t in tags},
    }


def tag_jsonl(path: str | Path, watchlist: Watchlist, out: IO[str]) -> int:
    """Tag every article of a corpus-shaped JSON Lines file, writing one JSON line per article to `out`.
    Returns the number of articles written."""
    tagger = Tagger(watchlist)
    count = 0
    for batch in _batches(read_articles(path), 1000):
        for article, tags in zip(batch, tagger.tag_many(batch), strict=True):
            out.write(json.dumps(tag_record(article, tags), ensure_ascii=False) + "\n")
        count += len(batch)
    return count


def _batches(articles: Iterator[Article], size: int) -> Iterator[list[Article]]:
    """Consecutive lists of `size` articles, so a large file is tagged without holding it all in memory."""
    batch: list[Article] = []
    for article in articles:
        batch.append(article)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass
class LabelScore:
    label: str
    tp: int = 0
    fp: int = 0
    fn: int = 0
    misses: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Report:
    articles: int
    companies: dict[str, LabelScore]
    topics: dict[str, LabelScore]
    # Evidence of each false alarm, keyed by (article id, label), to see why it fired.
    evidence: dict[tuple[str, str], str] = field(default_factory=dict)

    def micro(self, kind: str) -> LabelScore:
        scores = self.companies if kind == "company" else self.topics
        total = LabelScore(label=f"micro ({kind})")
        for score in scores.values():
            total.tp += score.tp
            total.fp += score.fp
            total.fn += score.fn
        return total


def read_labels(path: str | Path) -> dict[str, dict]:
    """Hand labels by article id: {"id", "companies": [...], "topics": [...], "note"?}."""
    path = Path(path)
    labels = {}
    with open_text(path) as lines:
        for number, line in enumerate(lines, 1):
            if line.strip():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{number}: not a JSON object: {exc}") from None
                labels[str(row["id"])] = row
    return labels


def evaluate(labels_path: str | Path, corpus_path: str | Path, watchlist: Watchlist,
             tagger: Tagger | None = None) -> Report:
    """Tag the labelled articles of the corpus and compare with the labels."""
    labels = read_labels(labels_path)
    articles = [a for a in read_articles(corpus_path) if a.external_id in labels]
    missing = set(labels) - {a.external_id for a in articles}
    if missing:
        raise ValueError(f"{corpus_path}: {len(missing)} labelled id(s) not in the corpus, e.g. {sorted(missing)[:3]}")
    tagger = tagger or Tagger(watchlist)
    report = Report(
        articles=len(articles),
        companies={c: LabelScore(c) for c in watchlist.companies},
        topics={t: LabelScore(t) for t in watchlist.topics},
    )
    for article, tags in zip(articles, tagger.tag_many(articles), strict=True):
        aid = article.external_id or ""
        for kind, scores, key in (("company", report.companies, "companies"), ("topic", report.topics, "topics")):
            predicted = {t.label: t for t in tags if t.kind == kind}
            expected = set(labels[aid].get(key, []))
            for label, score in scores.items():
                if label in predicted and label in expected:
                    score.tp += 1
                elif label in predicted:
                    score.fp += 1
                    score.false_alarms.append(aid)
                    report.evidence[(aid, label)] = predicted[label].evidence
                elif label in expected:
                    score.fn += 1
                    score.misses.append(aid)
    return report


def format_report(report: Report, details: bool = True) -> str:
    """A plain-text table of the report, then (with `details`) the missed and falsely raised article ids."""
    lines = [f"{report.articles} labelled articles", f"{'label':<22}{'P':>7}{'R':>7}{'F1':>7}{'TP':>5}{'FP':>5}{'FN':>5}"]
    for kind, scores in (("company", report.companies), ("topic", report.topics)):
        for score in [*scores.values(), report.micro(kind)]:
            lines.append(
                f"{score.label:<22}{score.precision:>7.3f}{score.recall:>7.3f}{score.f1:>7.3f}"
                f"{score.tp:>5}{score.fp:>5}{score.fn:>5}"
            )
        lines.append("")
    if details:
        for scores in (report.companies, report.topics):
            for score in scores.values():
                for aid in score.misses:
                    lines.append(f"miss         {score.label:<20} {aid}")
                for aid in score.false_alarms:
                    lines.append(f"false alarm  {score.label:<20} {aid}  {report.evidence.get((aid, score.label), '')[:160]}")
    return "\n".join(lines)
