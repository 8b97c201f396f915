"""Says what a fetched body is (empty, an HTML page, a feed, JSON, other XML, plain text, binary) for error messages."""

from __future__ import annotations

import json
import re

# What precedes the root element of an XML document: the declaration, processing instructions, comments, a doctype.
_PROLOG = re.compile(r"\A\ufeff?\s*(?:(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>)\s*)*", re.S | re.I)
_ROOT = re.compile(r"<([A-Za-z_][\w:.\-]*)")
_HTML = re.compile(r"<!DOCTYPE\s+html|<html[\s>]|<head[\s>]|<body[\s>]", re.I)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
_FEED_ROOTS = {"rss": "an RSS feed", "feed": "an Atom feed", "rdf:rdf": "an RSS 1.0 (RDF) feed"}
# Read only the start of a document to tell what it is; a 10 MB body is not searched whole for its title.
_HEAD = 65_536


def root_element(text: str) -> str | None:
    """The name of the first element of `text` after the XML prolog (lower-cased), or None when it starts otherwise."""
    head = text[:_HEAD]
    prolog = _PROLOG.match(head)
    match = _ROOT.match(head, prolog.end() if prolog else 0)
    return match.group(1).lower() if match else None


def feed_kind(text: str) -> str | None:
    """"an RSS feed", "an Atom feed" or "an RSS 1.0 (RDF) feed" when the document's root says so, else None."""
    return _FEED_ROOTS.get(root_element(text) or "")


def _quoted(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return f"\u201c{text[:limit]}{'…' if len(text) > limit else ''}\u201d"


def describe_body(text: str, size: int) -> str:
    """What the decoded body `text` (`size` bytes on the wire) is, as a clause: "the body is empty", "the body is an
    HTML page (title “404 Not Found”)", "the body is JSON", "the body is XML with root element <urlset>", ..."""
    stripped = text.lstrip("\ufeff").strip()
    if not stripped:
        return "the body is empty" if size == 0 or not text.strip("\ufeff") else "the body is only whitespace"
    head = stripped[:_HEAD]
    controls = sum(1 for ch in head[:4096] if (ch < " " and ch not in "\t\r\n") or ch == "\ufffd")
    if controls > min(len(head), 4096) // 20:
        return f"the body is binary data ({size:,} bytes), not text"
    if head[0] in "{[":
        try:
            json.loads(stripped)
        except ValueError:
            pass
        else:
            return "the body is JSON"
    kind = feed_kind(head)
    if kind:
        return f"the body is {kind}"
    if _HTML.search(head[:4096]):
        title = _TITLE.search(head)
        name = " ".join(title.group(1).split()) if title else ""
        cut = "" if "</html>" in stripped[-4096:].lower() else "; it ends before its closing </html>"
        return f"the body is an HTML page ({'title ' + _quoted(name) if name else 'no title'}{cut})"
    root = root_element(head)
    if root:
        return f"the body is XML with root element <{root}>"
    return f"the body is plain text ({_quoted(stripped)})"
