"""Files into the database in bounded chunks (`newsmon load`, benchmarks): text and JSON Lines through the pipeline."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

from ingest.context import IngestContext, PrefetchingTagger
from ingest.pipeline import BATCH_SIZE, IngestReport, not_yet_stored, store_source_result
from newsmon.records import SourceError, SourceResult
from scrapers.local import iter_local

# The kind files loaded by hand are stored under.
FILES_KIND = "files"


def load_paths(context: IngestContext, paths: list[Path], source: str, zone: ZoneInfo,
               reports: list[IngestReport] | None = None) -> Iterator[str]:
    """Store each path's articles; yields one line per skipped record and one summary line per path (and appends
    each path's report to `reports`, for a caller that decides on them)."""
    for path in paths:
        report = IngestReport(source=source)
        for chunk in tagged_ahead(context, read_in_chunks(path, source, zone)):
            part = store_source_result(context, chunk)
            for error in part.errors:
                yield f"skipped: {error}"
            report.merge(part)
        report.source = str(path)  # the line names the path as given; a failure adds the resolved one
        if reports is not None:
            reports.append(report)
        yield report.summary()


def store_paths(context: IngestContext, paths: Iterable[Path], source: str, zone: ZoneInfo) -> IngestReport:
    """Store every article of `paths` through the pipeline (for benchmarks and tests); `seconds["parse"]` is the time
    spent reading files."""
    report = IngestReport(source=source)
    for path in paths:
        chunks = tagged_ahead(context, read_in_chunks(path, source, zone))
        while True:
            started = time.perf_counter()
            chunk = next(chunks, None)
            report._time("parse", time.perf_counter() - started)
            if chunk is None:
                break
            report.merge(store_source_result(context, chunk))
    return report


# Chunks handed to the worker processes before the one being stored: enough that a chunk slower to prepare than
# the last was to store leaves neither side waiting (4 against 2: 0.5 s less per corpus load, in two of three pairs).
AHEAD = 4


def tagged_ahead(context: IngestContext, chunks: Iterator[SourceResult], ahead: int = AHEAD) -> Iterator[SourceResult]:
    """The same chunks, `ahead` behind: with a tagger in worker processes, the next chunks' new articles are handed
    to it before the current chunk is yielded, so the workers tag while this process dedupes and stores."""
    tagger = context.tagger
    if not isinstance(tagger, PrefetchingTagger):
        yield from chunks
        return
    held: deque[SourceResult] = deque()
    for chunk in chunks:
        tagger.prefetch(not_yet_stored(context.db, chunk.articles))
        held.append(chunk)
        if len(held) > ahead:
            yield held.popleft()
    yield from held


def read_in_chunks(path: Path, source: str, zone: ZoneInfo, size: int = BATCH_SIZE) -> Iterator[SourceResult]:
    """A file or folder of text and JSON Lines articles as source results of at most `size` articles each, so a
    large file is never held whole. A missing path is one failed result; a bad file or line is an error in the
    result it falls in, naming the file (and line)."""
    if not path.exists():
        yield SourceResult(source, FILES_KIND, failure=SourceError(source, str(path.absolute()),
                                                                     "path does not exist"))
        return
    chunk = SourceResult(source, FILES_KIND)
    for item in iter_local(path, source, zone):
        if isinstance(item, SourceError):
            chunk.errors.append(item)
        else:
            chunk.articles.append(item)
            if len(chunk.articles) >= size:
                yield chunk
                chunk = SourceResult(source, FILES_KIND)
    if chunk.articles or chunk.errors:
        yield chunk
