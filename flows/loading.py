"""`newsmon load` and `newsmon export`: files into the database and stored articles out, without Prefect."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flows import resources
from models.articles_store import iter_export
from newsmon.config import Config
from newsmon.pipeline import store_source_result
from scrapers.local import read_local


def load_paths(config: Config, paths: list[Path], source: str) -> Iterator[str]:
    """Store each path's articles; yields one summary line per path and one per skipped record."""
    db, tagger = resources.database(config), resources.tagger(config)
    zone = ZoneInfo(config.schedule.timezone)
    for path in paths:
        report = store_source_result(db, tagger, read_local(source, path, zone), kind="files")
        for error in report.errors:
            yield f"skipped: {error}"
        yield f"{path}: " + report.summary().split(": ", 1)[1]


def export_lines(config: Config) -> Iterator[dict[str, Any]]:
    db = resources.database(config)
    with db.session() as session:
        public_id: dict[int, str] = {}
        for row in iter_export(session):
            public_id[row.id] = row.external_id or str(row.id)
            yield {
                "id": public_id[row.id],
                "url": row.url,
                "title": row.title,
                "publisher": row.publisher,
                "source": row.source.name,
                "published_at": row.published_at.isoformat() if row.published_at else None,
                "companies": sorted(t.label for t in row.tags if t.kind == "company"),
                "topics": sorted(t.label for t in row.tags if t.kind == "topic"),
                "duplicate_of": public_id.get(row.duplicate_of_id) if row.duplicate_of_id else None,
                "story": row.story_key,
            }
