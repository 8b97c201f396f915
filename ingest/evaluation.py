"""Scores what a database holds against labelled article pairs (`newsmon eval --pairs`): dedupe after a load."""

from __future__ import annotations

from pathlib import Path

from dedupe.evaluate import PairReport, Placement, read_pairs, score_pairs
from models.db import Database
from models.dedupe_store import placements_of


def evaluate_pairs(db: Database, pairs_path: str | Path) -> PairReport:
    """Duplicates merged, false merges, pairs in one story and false groupings of the stored articles the pairs name
    (by input id, as `newsmon export` prints it)."""
    pairs = read_pairs(pairs_path)
    with db.session() as session:
        found = placements_of(session, [i for p in pairs for i in (p.a, p.b)])
    return score_pairs(pairs, {i: Placement(group, story) for i, (group, story) in found.items()})
