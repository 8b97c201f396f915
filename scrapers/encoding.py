"""Decoding fetched bytes as Korean sites serve them: charset from header, meta tag or the bytes themselves."""

from __future__ import annotations

import codecs
import re

# Korean sites label CP949 (a superset of EUC-KR) under many names; decoding as strict euc-kr fails on the
# 8,822 extra Hangul syllables, so every such label is read as cp949.
_KOREAN_ALIASES = {
    "euc-kr", "euc_kr", "euckr", "ks_c_5601-1987", "ks_c_5601", "ksc5601", "ksc_5601", "korean",
    "x-windows-949", "windows-949", "cp949", "ms949", "uhc", "x-euc-kr",
}

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9_\-:.]+)["']""", re.I)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def normalise_charset(label: str | None) -> str | None:
    """A Python codec name for a charset label, or None when the label is unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    if label in _KOREAN_ALIASES:
        return "cp949"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def header_charset(content_type: str | None) -> str | None:
    match = _HEADER_CHARSET.search(content_type or "")
    return normalise_charset(match.group(1)) if match else None


def declared_charset(content: bytes) -> str | None:
    """The charset the document declares in its XML declaration or a <meta> tag (first 4 KB only)."""
    head = content[:4096]
    for pattern in (_XML_DECL, _META_CHARSET):
        match = pattern.search(head)
        if match:
            return normalise_charset(match.group(1).decode("ascii", "ignore"))
    return None


def decode_document(content: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode `content`; return the text and the codec used.

    Labels lie (a page declaring euc-kr served as UTF-8, a CP949 page behind a `charset=utf-8` header), so
    the bytes get the last word: valid UTF-8 with non-ASCII bytes is UTF-8 whatever the label says (CP949
    text is practically never valid UTF-8), otherwise the declared charset, then CP949, strictly, and only
    then the best guess with replacement characters.
    """
    for bom, codec in _BOMS:
        if content.startswith(bom):
            return content.decode(codec, errors="replace"), codec
    try:
        text = content.decode("utf-8")
        return text, "utf-8"
    except UnicodeDecodeError as exc:
        # A body cut off inside its last character (a truncated download) is still UTF-8: read as CP949 it would
        # turn every syllable before the cut into another one.
        if exc.reason == "unexpected end of data" and exc.end == len(content) and len(content) - exc.start < 4:
            return content[: exc.start].decode("utf-8"), "utf-8"
    candidates = [header_charset(content_type), declared_charset(content), "cp949"]
    tried: list[str] = []
    for codec in candidates:
        if not codec or codec in tried or codec == "utf-8":
            continue
        tried.append(codec)
        try:
            return content.decode(codec), codec
        except UnicodeDecodeError:
            continue
    # Nothing decodes cleanly: keep what can be read with the most likely codec.
    best = max(("utf-8", *tried), key=lambda c: _clean_ratio(content, c))
    return content.decode(best, errors="replace"), best


def _clean_ratio(content: bytes, codec: str) -> float:
    text = content.decode(codec, errors="replace")
    return 1.0 - text.count("\ufffd") / max(len(text), 1)
