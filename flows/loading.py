"""`newsmon load` and `newsmon export`: files into the database and stored articles out, without Prefect."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flows import resources
from models.articles_store import iter_export
from models.db import Database
from newsmon.config import Config
from newsmon.pipeline import BATCH_SIZE, ArticleTagger, IngestReport, store_source_result
from newsmon.records import SourceError
from scrapers.base import SourceResult
from scrapers.local import iter_local


def load_paths(config: Config, paths: list[Path], source: str) -> Iterator[str]:
    """Store each path's articles; yields one line per skipped record and one summary line per path."""
    db = resources.database(config)
    tagger = resources.tagger(config)  # cheap: Kiwi loads only when something new is tagged
    zone = ZoneInfo(config.schedule.timezone)
    for path in paths:
        report = IngestReport(source=source)
        for chunk in read_in_chunks(path, source, zone):
            part = store_source_result(db, tagger, chunk, kind="files")
            for error in part.errors:
                yield f"skipped: {error}"
            report.merge(part)
        yield f"{path}: " + report.summary().split(": ", 1)[1]


def store_paths(db: Database, tagger: ArticleTagger, paths: Iterable[Path], source: str,
                zone: ZoneInfo) -> IngestReport:
    """Store every article of `paths` through the pipeline (for benchmarks and tests); `seconds["parse"]` is the time
    spent reading files."""
    report = IngestReport(source=source)
    for path in paths:
        chunks = read_in_chunks(path, source, zone)
        while True:
            started = time.perf_counter()
            chunk = next(chunks, None)
            report._time("parse", time.perf_counter() - started)
            if chunk is None:
                break
            report.merge(store_source_result(db, tagger, chunk, kind="files"))
    return report


def read_in_chunks(path: Path, source: str, zone: ZoneInfo, size: int = BATCH_SIZE) -> Iterator[SourceResult]:
    """A file or folder of text and JSON Lines articles as source results of at most `size` articles each, so a
    large file is never held whole. A missing path is one failed result; a bad file or line is an error in the
    result it falls in, naming the file (and line)."""
    if not path.exists():
        yield SourceResult(source, failure=SourceError(source, str(path), "path does not exist"))
        return
    chunk = SourceResult(source)
    for item in iter_local(path, source, zone):
        if isinstance(item, SourceError):
            chunk.errors.append(item)
        else:
            chunk.articles.append(item)
            if len(chunk.articles) >= size:
                yield chunk
                chunk = SourceResult(source)
    if chunk.articles or chunk.errors:
        yield chunk


def export_lines(config: Config) -> Iterator[dict[str, Any]]:
    """Each stored article as `newsmon export` prints it: `id` is the input's own id when it had one (else the
    database id), and `duplicate_of` names the kept copy the same way."""
    db = resources.database(config)
    with db.session() as session:
        for row in iter_export(session):
            kept = None
            if row.duplicate_of_id is not None:
                kept = row.kept_external_id or str(row.duplicate_of_id)
            yield {
                "id": row.external_id or str(row.id),
                "url": row.url,
                "title": row.title,
                "publisher": row.publisher,
                "companies": row.companies,
                "topics": row.topics,
                "duplicate_of": kept,
                "story": row.story_key,
            }
