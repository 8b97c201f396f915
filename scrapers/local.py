"""Reads local sources: plain-text articles (one per file, in the seeds' shape) and JSON Lines files (corpus shape)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from newsmon.records import Article, SourceError, SourceResult
from scrapers.dates import parse_datetime
from scrapers.normalise import clean_body, decode_entities, normalise_whitespace, parse_text_article

TEXT_SUFFIXES = (".txt", ".text", ".md")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".json")
# Naive times in files (the corpus writes "2025-12-28 00:00") are read in this zone unless told otherwise.
DEFAULT_ZONE = ZoneInfo("Asia/Seoul")


def parse_time(value: str, zone: ZoneInfo = DEFAULT_ZONE) -> datetime:
    """A timestamp as written in files (ISO 8601 with or without offset, the usual Korean portal forms), read by
    the same parser as feeds and pages; raises ValueError naming the value."""
    parsed = parse_datetime(value, zone)
    if parsed is None:
        raise ValueError(f"unrecognised date {value!r}")
    return parsed


def read_text_file(path: Path, source: str) -> Article:
    text = path.read_text(encoding="utf-8-sig")
    clean = parse_text_article(text)
    if not clean.title or not clean.body:
        raise ValueError("no title or no body text found")
    return Article(
        source=source,
        title=clean.title,
        body=clean.body,
        publisher=clean.publisher,
        author=clean.author,
        external_id=path.stem,
        origin=str(path),
    )


def article_from_record(record: dict[str, Any], source: str, origin: str, zone: ZoneInfo = DEFAULT_ZONE) -> Article:
    """One JSON object in the corpus shape → an Article; raises ValueError naming the bad field."""
    if not isinstance(record, dict):
        raise ValueError(f"expected a JSON object, got {type(record).__name__}")
    title, body = record.get("title"), record.get("body")
    if not isinstance(title, str) or not title.strip():
        raise ValueError("field 'title' is missing or empty")
    if not isinstance(body, str) or not body.strip():
        raise ValueError("field 'body' is missing or empty")
    for key in ("id", "publisher", "author", "url", "published_at"):
        if record.get(key) is not None and not isinstance(record[key], (str, int)):
            raise ValueError(f"field {key!r} must be a string")
    published = record.get("published_at")
    return Article(
        source=source,
        title=normalise_whitespace(decode_entities(title)).replace("\n", " "),
        body=clean_body(body),
        url=(record.get("url") or None),
        publisher=decode_entities(record["publisher"]).strip() if record.get("publisher") else None,
        author=decode_entities(record["author"]).strip() if record.get("author") else None,
        published_at=parse_time(str(published), zone) if published else None,
        external_id=str(record["id"]) if record.get("id") is not None else None,
        origin=origin,
    )


def open_text(path: Path) -> IO[str]:
    """A text file, or its gzip-compressed form (`.gz`), as UTF-8."""
    if path.name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open("r", encoding="utf-8")


def iter_jsonl(path: Path, source: str, zone: ZoneInfo = DEFAULT_ZONE) -> Iterator[Article | SourceError]:
    """Each line's Article, or a SourceError naming the file and line; a bad line never stops the rest."""
    with open_text(path) as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                yield article_from_record(json.loads(line), source, where, zone)
            except json.JSONDecodeError as exc:
                yield SourceError(source, where, f"not valid JSON ({exc.msg} at column {exc.colno})")
            except ValueError as exc:
                yield SourceError(source, where, str(exc))


def _files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name.endswith(TEXT_SUFFIXES + JSONL_SUFFIXES))


def iter_local(path: Path, source: str, zone: ZoneInfo = DEFAULT_ZONE) -> Iterator[Article | SourceError]:
    """Each article of a file or folder of text and JSON Lines files, streamed; a bad file or line comes as a
    SourceError naming it and the rest goes on. The path must exist."""
    for file in _files(path):
        try:
            if file.name.endswith(JSONL_SUFFIXES):
                yield from iter_jsonl(file, source, zone)
            else:
                yield read_text_file(file, source)
        except (OSError, UnicodeDecodeError, EOFError, ValueError) as exc:
            yield SourceError(source, str(file), _reason(exc))


def read_local(source: str, path: Path, zone: ZoneInfo = DEFAULT_ZONE, kind: str = "text") -> SourceResult:
    """Read a file or folder of text and JSON Lines articles (`kind` is the source's configured kind, carried on the
    result). A missing path fails the source; a bad file or line is reported and skipped."""
    result = SourceResult(source=source, kind=kind)
    if not path.exists():
        result.failure = SourceError(source, str(path.absolute()), "path does not exist")
        return result
    for item in iter_local(path, source, zone):
        if isinstance(item, SourceError):
            result.errors.append(item)
        else:
            result.articles.append(item)
    return result


def _reason(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text (byte {exc.start}: {exc.reason})"
    return str(exc) or type(exc).__name__
