"""The most text newsmon stores per article field, and the one function that shortens an article to fit before storage.

Real values sit far below these bounds (Korean headlines run to about 100 characters, a long article to 20,000); they
exist so that one hostile or broken record (a 600,000-character title, a megabyte "author") cannot fill a database
column, break an insert on PostgreSQL's column widths, or crowd every other story out of a digest. docs/delivery.md
and the README list them.
"""

from __future__ import annotations

import dataclasses
import hashlib

from newsmon.records import Article

MAX_TITLE_CHARS = 300
MAX_OUTLET_CHARS = 100  # publisher (column width 200)
MAX_AUTHOR_CHARS = 200  # column width 500
MAX_EXTERNAL_ID_CHARS = 500  # column width 500; a longer id is replaced by its hash, so it still identifies
MAX_URL_CHARS = 2000  # a longer URL is dropped: a cut URL is a broken link
MAX_BODY_CHARS = 200_000  # about 600 KB of Korean UTF-8; cut at a line end
MAX_EVIDENCE_CHARS = 1000  # the sentence that fired a tag

ELLIPSIS = "…"


def shorten(text: str, limit: int) -> str:
    """`text` if it fits in `limit` characters, else cut at a space near the end (or at the limit) with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit * 0.8:
        cut = cut[:space]
    return cut.rstrip() + ELLIPSIS


def shorten_body(body: str, limit: int = MAX_BODY_CHARS) -> str:
    """A body cut to `limit` characters at the last line end before it (a body is never one line that long)."""
    if len(body) <= limit:
        return body
    cut = body[:limit]
    line = cut.rfind("\n")
    return (cut[:line] if line >= limit * 0.5 else cut[: limit - 1] + ELLIPSIS).rstrip()


def _optional(text: str | None, limit: int) -> str | None:
    return shorten(text, limit) if text else text


def bounded(article: Article) -> Article:
    """`article` with every text field within its bound (the same object when all fit)."""
    external_id = article.external_id
    if external_id and len(external_id) > MAX_EXTERNAL_ID_CHARS:
        external_id = "sha256:" + hashlib.sha256(external_id.encode("utf-8", "surrogatepass")).hexdigest()
    url = article.url if not article.url or len(article.url) <= MAX_URL_CHARS else None
    values = {
        "title": shorten(article.title, MAX_TITLE_CHARS),
        "body": shorten_body(article.body),
        "publisher": _optional(article.publisher, MAX_OUTLET_CHARS),
        "author": _optional(article.author, MAX_AUTHOR_CHARS),
        "external_id": external_id,
        "url": url,
    }
    changed = {k: v for k, v in values.items() if v is not getattr(article, k)}
    return dataclasses.replace(article, **changed) if changed else article
