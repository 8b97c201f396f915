"""What near-duplicate and story decisions compare: an article's core text, lead, numbers and key terms."""

from __future__ import annotations

import html
import re
import unicodedata
import zlib
from dataclasses import dataclass

# Datelines and bylines that differ between copies of one wire story: "(서울=연합뉴스) 홍길동 기자 =",
# "[키이우=AP/뉴시스]", "(평양 노동신문=뉴스1) =".
_DATELINE = re.compile(r"^\s*[(\[][^()\[\]=\n]{1,30}=[^()\[\]\n]{1,30}[)\]]\s*")
_BYLINE_HEAD = re.compile(r"^(?:[가-힣]{2,4}\s*(?:선임|수석)?\s*(?:기자|특파원|통신원|객원기자)\s*)*=\s*")
_REPORTER = re.compile(r"[가-힣]{2,4}\s?(?:선임|수석)?\s?(?:기자|특파원|통신원)(?=[\s=.,]|$)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"(?:https?://|www\.)\S+")
# Usage notes and copyright lines that agencies and outlets attach to the same text in different words.
_NOTE = re.compile(r"\[[^\]\n]{0,120}(?:금지|사용가능|Only|only)[^\]\n]{0,120}\]")
_COPYRIGHT = re.compile(r"(?:ⓒ|©|\(c\)|Copyright|무단\s*전재|재배포\s*금지).*$", re.IGNORECASE | re.MULTILINE)
_CRAWL_FOOTER = re.compile(r"\n-{3,}\s*\n\s*\*Crawled at:.*\Z", re.DOTALL)
_SPACE = re.compile(r"\s+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_WORD = re.compile(r"[가-힣]+|[A-Za-z]+|\d+(?:[.,]\d+)*")
# Particles and endings cut off a Korean word so "쿠팡의" and "쿠팡은" are one term; longest first.
_PARTICLES = tuple(sorted((
    "은", "는", "이", "가", "을", "를", "의", "에", "에서", "에게", "께", "께서", "으로", "로", "와", "과", "도", "만",
    "까지", "부터", "이나", "나", "이라", "라", "이라고", "라고", "이다", "였다", "했다", "한다", "하는", "하고",
    "에도", "에는", "으로는", "로는", "에서는", "과의", "와의", "보다", "처럼", "마다", "들", "들이", "들은", "들을",
    "들의", "하며", "해", "했습니다", "합니다", "됐다", "된", "될", "씨", "측", "측은",
), key=len, reverse=True))
# Words too common in news text to say what a story is about.
_STOP = frozenset({
    "기자", "뉴스", "연합뉴스", "뉴시스", "뉴스1", "사진", "제공", "속보", "종합", "단독", "1보", "2보", "3보", "오늘", "이날",
    "지난", "전날", "내일", "올해", "지금", "관련", "대해", "위해", "통해", "있다", "없다", "했다", "밝혔다", "말했다", "것으로",
    "것이", "있는", "등을", "등의", "이번", "현지", "시간", "오전", "오후", "the", "a", "an", "of", "in", "on", "to",
    "and", "for", "at", "by", "with", "is", "are", "from", "as", "during", "after",
})

LEAD_CHARS = 300


@dataclass(frozen=True, slots=True)
class TextFeatures:
    """The parts of one article the dedupe decisions need, small enough to keep for days of articles.

    `core` is the body without datelines, bylines, e-mail addresses and usage notes, with no whitespace; `lead` is its
    start (what a truncated feed item still carries); `numbers` are crc32 hashes of the numbers in the core."""

    core: str
    lead: str
    numbers: frozenset[int]
    title_terms: frozenset[str]
    lead_terms: frozenset[str]


def core_text(body: str) -> str:
    """The body reduced to what copies of one story share: no crawl footer, dateline, byline, address or note;
    NFKC, no whitespace."""
    text = _CRAWL_FOOTER.sub("", html.unescape(body))
    text = unicodedata.normalize("NFKC", text)
    text = _NOTE.sub(" ", text)
    text = _COPYRIGHT.sub(" ", text)
    text = _URL.sub(" ", _EMAIL.sub(" ", text))
    head = _DATELINE.sub("", text, count=1)
    head = _BYLINE_HEAD.sub("", head, count=1)
    head = _REPORTER.sub(" ", head)
    return _SPACE.sub("", head)


def shingles(core: str, k: int) -> set[str]:
    """Character k-grams of the whitespace-free core (the whole core when shorter than k)."""
    if len(core) <= k:
        return {core} if core else set()
    return {core[i:i + k] for i in range(len(core) - k + 1)}


def number_hashes(text: str) -> frozenset[int]:
    """Numbers as written (thousands separators dropped), hashed to ints so an entry stays small."""
    found = {m.group().replace(",", "").rstrip(".") for m in _NUMBER.finditer(text)}
    return frozenset(zlib.crc32(n.encode()) for n in found if n)


def terms(text: str) -> frozenset[str]:
    """Content words of a title or lead: particles cut off, stop words and single letters dropped."""
    out: set[str] = set()
    for word in _WORD.findall(unicodedata.normalize("NFKC", html.unescape(text))):
        if word[0] >= "가":
            for particle in _PARTICLES:
                if len(word) - len(particle) >= 2 and word.endswith(particle):
                    word = word[: -len(particle)]
                    break
        else:
            word = word.lower()
        if len(word) >= 2 and word not in _STOP:
            out.add(word)
    return frozenset(out)


def features(title: str, body: str) -> TextFeatures:
    core = core_text(body)
    lead = core[:LEAD_CHARS]
    return TextFeatures(
        core=core,
        lead=lead,
        numbers=number_hashes(core),
        title_terms=terms(title),
        lead_terms=terms(_lead_words(body)),
    )


def _lead_words(body: str) -> str:
    """The first ~200 characters of the body with spaces kept (for word terms)."""
    text = _CRAWL_FOOTER.sub("", html.unescape(body))
    text = _DATELINE.sub("", unicodedata.normalize("NFKC", text), count=1)
    text = _BYLINE_HEAD.sub("", text, count=1)
    text = _REPORTER.sub(" ", _EMAIL.sub(" ", text))
    return text[:200]
