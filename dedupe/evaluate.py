"""Scores stored dedupe decisions against labelled article pairs: duplicates merged, stories grouped, and the errors.

A pair is labelled `duplicate`, `same_story` or `different` (the corpus guide's pairs section). An article's *group*
is its kept copy (itself when it is one) and its *story* its story key. The four figures:

- duplicates merged: duplicate pairs whose two articles share a kept copy;
- false merges: same_story and different pairs that share one (a reader loses an independent report);
- in one story: duplicate and same_story pairs whose articles share a story key;
- false groupings: different pairs that share one.

Pairs with an article that is not stored are counted apart and left out of the figures.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

RELATIONS = ("duplicate", "same_story", "different")


@dataclass(frozen=True, slots=True)
class LabelledPair:
    a: str
    b: str
    relation: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class Placement:
    """Where one stored article ended up: its kept copy's id (its own when it is one) and its story key."""

    group: int | str
    story: str | None


@dataclass(slots=True)
class PairReport:
    pairs: int = 0
    missing: list[LabelledPair] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RELATIONS, 0))
    merged: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RELATIONS, 0))
    grouped: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RELATIONS, 0))
    missed_duplicates: list[LabelledPair] = field(default_factory=list)
    false_merges: list[LabelledPair] = field(default_factory=list)
    ungrouped: list[LabelledPair] = field(default_factory=list)
    false_groupings: list[LabelledPair] = field(default_factory=list)

    @property
    def duplicate_recall(self) -> float:
        return _share(self.merged["duplicate"], self.counts["duplicate"])

    @property
    def false_merge_rate(self) -> float:
        return _share(self.merged["same_story"] + self.merged["different"],
                      self.counts["same_story"] + self.counts["different"])

    @property
    def story_recall(self) -> float:
        return _share(self.grouped["duplicate"] + self.grouped["same_story"],
                      self.counts["duplicate"] + self.counts["same_story"])

    @property
    def false_grouping_rate(self) -> float:
        return _share(self.grouped["different"], self.counts["different"])


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def read_pairs(path: str | Path) -> list[LabelledPair]:
    """Labelled pairs from a JSON Lines file (`a`, `b`, `relation`, optional `note`); a bad line raises ValueError
    naming the file and line."""
    path = Path(path)
    pairs: list[LabelledPair] = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                pair = LabelledPair(str(item["a"]), str(item["b"]), str(item["relation"]), str(item.get("note") or ""))
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{number}: not a labelled pair ({exc})") from None
            if pair.relation not in RELATIONS:
                raise ValueError(f"{path}:{number}: relation {pair.relation!r} is not one of {', '.join(RELATIONS)}")
            pairs.append(pair)
    return pairs


def score_pairs(pairs: Iterable[LabelledPair], placements: Mapping[str, Placement]) -> PairReport:
    """Score where the articles of each pair ended up (`placements` by article id: the corpus / feed id)."""
    report = PairReport()
    for pair in pairs:
        report.pairs += 1
        a, b = placements.get(pair.a), placements.get(pair.b)
        if a is None or b is None:
            report.missing.append(pair)
            continue
        report.counts[pair.relation] += 1
        merged = a.group == b.group
        grouped = merged or (a.story is not None and a.story == b.story)
        report.merged[pair.relation] += merged
        report.grouped[pair.relation] += grouped
        if pair.relation == "duplicate" and not merged:
            report.missed_duplicates.append(pair)
        if pair.relation != "duplicate" and merged:
            report.false_merges.append(pair)
        if pair.relation != "different" and not grouped:
            report.ungrouped.append(pair)
        if pair.relation == "different" and grouped:
            report.false_groupings.append(pair)
    return report


def format_pair_report(report: PairReport, *, details: bool = True) -> str:
    c = report.counts
    lines = [
        f"pairs: {report.pairs} ({c['duplicate']} duplicate, {c['same_story']} same_story, {c['different']} different"
        f"{f'; {len(report.missing)} with an article not stored, left out' if report.missing else ''})",
        f"duplicates merged   {report.duplicate_recall:.3f}  ({report.merged['duplicate']}/{c['duplicate']})",
        f"false merges        {report.false_merge_rate:.3f}  "
        f"({report.merged['same_story'] + report.merged['different']}/{c['same_story'] + c['different']})",
        f"in one story        {report.story_recall:.3f}  "
        f"({report.grouped['duplicate'] + report.grouped['same_story']}/{c['duplicate'] + c['same_story']})",
        f"false groupings     {report.false_grouping_rate:.3f}  ({report.grouped['different']}/{c['different']})",
    ]
    if details:
        for title, found in (("duplicates not merged", report.missed_duplicates), ("false merges", report.false_merges),
                             ("not in one story", report.ungrouped), ("false groupings", report.false_groupings),
                             ("not stored", report.missing)):
            if found:
                lines.append(f"{title}:")
                lines.extend(f"  {p.a} {p.b} {p.relation}{f'  ({p.note})' if p.note else ''}" for p in found)
    return "\n".join(lines)


__all__ = ["LabelledPair", "PairReport", "Placement", "format_pair_report", "read_pairs", "score_pairs"]
