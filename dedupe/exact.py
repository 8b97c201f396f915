"""Exact duplicates: one canonical form per URL, one hash per normalised text."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that track a click rather than name a page.
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "dclid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid", "_ga", "ref", "ref_src",
    "referrer", "from", "cmpid", "ncid", "ocid", "sr_share", "share", "spm", "rtm",
})
_TRACKING_PREFIXES = ("utm_", "pk_", "hsa_")
_NAVER_ARTICLE = re.compile(r"^/(?:mnews/)?article/(?P<oid>\d{3})/(?P<aid>\d{6,})")
_NAVER_HOSTS = frozenset({"n.news.naver.com", "news.naver.com", "m.news.naver.com"})
# Below this many characters a body is too generic to identify an article on its own (a photo caption).
SHORT_BODY = 200
_NOT_TEXT = re.compile(r"[\s\W_]+", re.UNICODE)


def canonical_url(url: str) -> str:
    """The form two URLs of one page share: lower-case scheme and host, no default port, no fragment, no tracking
    parameters, the rest sorted; Naver News article URLs in their one `n.news.naver.com/mnews/article/OID/AID` form."""
    parts = urlsplit(url.strip())
    scheme = (parts.scheme or "http").lower()
    host = (parts.hostname or "").lower().rstrip(".")
    port = parts.port
    netloc = host if port is None or (scheme, port) in {("http", 80), ("https", 443)} else f"{host}:{port}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
    path = parts.path or "/"
    if host in _NAVER_HOSTS:
        naver = _naver_article_path(path, dict(query))
        if naver:
            return f"https://n.news.naver.com{naver}"
    if path != "/" and path.endswith("/"):
        path = path.rstrip("/")
    return urlunsplit((scheme, netloc, path, urlencode(sorted(query)), ""))


def _is_tracking(key: str) -> bool:
    lowered = key.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(_TRACKING_PREFIXES)


def _naver_article_path(path: str, query: dict[str, str]) -> str | None:
    m = _NAVER_ARTICLE.match(path)
    if m:
        return f"/mnews/article/{m['oid']}/{m['aid']}"
    if path.endswith("read.naver") or path.endswith("read.nhn"):
        oid, aid = query.get("oid"), query.get("aid")
        if oid and aid:
            return f"/mnews/article/{oid}/{aid}"
    return None


def normalised_text(text: str) -> str:
    """Text reduced to what identifies it: NFKC, lower case, letters and digits only."""
    return _NOT_TEXT.sub("", unicodedata.normalize("NFKC", text).lower())


def content_hash(title: str, body: str) -> str:
    """SHA-256 of the normalised body (and of the title too when the body is short), so the same text under a
    re-spaced or re-punctuated copy hashes alike while two captions of one sentence under different titles do not."""
    key = normalised_text(body)
    if len(key) < SHORT_BODY:
        key = normalised_text(title) + "\x00" + key
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def copy_hash(text_hash: str, url: str) -> str:
    """The stored text key of an exact copy at another URL: its text hash is the first copy's, so it is stored under a
    key of its own (the text hash and its canonical URL), while a later copy still finds the first by the text hash."""
    return hashlib.sha256(f"{text_hash}\x00{url}".encode("utf-8")).hexdigest()
