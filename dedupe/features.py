"""What near-duplicate and story decisions compare: an article's core text, lead, numbers and key terms."""

from __future__ import annotations

import html
import re
import sys
import unicodedata
import zlib
from dataclasses import dataclass, field, replace

import numpy as np

# Datelines and bylines that differ between copies of one wire story: "(서울=연합뉴스) 홍길동 기자 =",
# "[키이우=AP/뉴시스]", "(평양 노동신문=뉴스1) =".
_DATELINE = re.compile(r"^\s*[(\[][^()\[\]=\n]{1,30}=[^()\[\]\n]{1,30}[)\]]\s*")
_BYLINE_HEAD = re.compile(r"^(?:[가-힣]{2,4}\s*(?:선임|수석)?\s*(?:기자|특파원|통신원|객원기자)\s*)*=\s*")
# Reporter names and e-mail addresses are found from their fixed part ("기자", "@") backwards: a pattern that starts
# with the name would be tried at every character of the body.
_REPORTER_TITLE = re.compile(r"(?:기자|특파원|통신원)(?=[\s=.,]|$)")
_REPORTER_NAME = re.compile(r"[가-힣]{2,4}\s?(?:선임|수석)?\s?$")
_EMAIL_DOMAIN = re.compile(r"@[\w-]+(?:\.[\w-]+)+")
_EMAIL_USER = re.compile(r"[\w.+-]+$")
_URL = re.compile(r"(?:https?://|www\.)\S+")
# Usage notes and copyright lines that agencies and outlets attach to the same text in different words.
_NOTE = re.compile(r"\[[^\]\n]{0,120}(?:금지|사용가능|Only|only)[^\]\n]{0,120}\]")
# An agency's picture marks ("epaselect epa12616531" after EPA's headline line): one outlet's caption carries them,
# its re-issue not; glued to the headline they also read as a Latin name ("Taiwanepaselect").
_PICTURE_MARK = re.compile(r"epaselect|epa\d{5,}")
# "(c)" only before a year or a name: "(C)" after a name in a caption marks the person's place in the shot.
_COPYRIGHT = re.compile(r"(?:ⓒ|©|\([cC]\)(?=\s*(?:\d|[가-힣]|[A-Z][a-z]))|[Cc]opyright|COPYRIGHT|무단\s*전재|재배포\s*금지).*$",
                        re.MULTILINE)
# List bullets, which outlets print differently around one list (a personnel notice: "◇", "△", "▷").
_BULLETS = re.compile(r"[◇◆△▲▷▶▽▼□■○●☞※•◈▣]")
# An outlet's tip-line footer ("MBC 뉴스는 24시간 여러분의 제보를 기다립니다 ▷ 전화 ..."): to the end of the text.
_TIPLINE = re.compile(r"제보를?\s*(?:기다립니다|받습니다)")
_TIPLINE_REACH = 40  # how far before its verb the footer's sentence may start
_CRAWL_FOOTER = re.compile(r"\n-{3,}\s*\n\s*\*Crawled at:.*\Z", re.DOTALL)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_WORD = re.compile(r"[가-힣]+|[A-Za-z]+|\d+(?:[.,]\d+)*")
# Particles and endings cut off a Korean word so "쿠팡의" and "쿠팡은" are one term; the longest that fits is cut.
_PARTICLES = frozenset({
    "은", "는", "이", "가", "을", "를", "의", "에", "에서", "에게", "께", "께서", "으로", "로", "와", "과", "도", "만",
    "까지", "부터", "이나", "나", "이라", "라", "이라고", "라고", "이다", "였다", "했다", "한다", "하는", "하고",
    "에도", "에는", "으로는", "로는", "에서는", "과의", "와의", "보다", "처럼", "마다", "들", "들이", "들은", "들을",
    "들의", "하며", "해", "했습니다", "합니다", "됐다", "된", "될", "씨", "측", "측은",
})
_PARTICLE_LENGTHS = sorted({len(p) for p in _PARTICLES}, reverse=True)
# Names written in Latin letters (people, places, firms in agency captions and English copy), and acronyms.
_LATIN_NAME = re.compile(r"[A-Z][a-z]+|[A-Z]{2,}")
# A run of such words with only spaces between them reads as one name ("Taiwan Air Force Mirage", "Pierre Landry
# Kabore"): the unit that tells one added phrase from another named person.
_LATIN_RUN = re.compile(r"(?:[A-Z][a-z]+|[A-Z]{2,})(?: (?:[A-Z][a-z]+|[A-Z]{2,}))*")
# Words too common in news text to say what a story is about.
_STOP = frozenset({
    "기자", "뉴스", "연합뉴스", "뉴시스", "뉴스1", "사진", "제공", "속보", "종합", "단독", "1보", "2보", "3보", "오늘", "이날",
    "지난", "전날", "내일", "올해", "지금", "관련", "대해", "위해", "통해", "있다", "없다", "했다", "밝혔다", "말했다", "것으로",
    "것이", "있는", "등을", "등의", "이번", "현지", "시간", "오전", "오후", "the", "a", "an", "of", "in", "on", "to",
    "and", "for", "at", "by", "with", "is", "are", "from", "as", "during", "after",
})

# Named people and places, for telling apart captions and notices cut from one template (one ceremony, another
# recipient; one match, another player). A person is a name of three syllables (the common Korean form) right before
# a role (`김호철 감사원장 후보자`, `정은경(왼쪽) 보건복지부 장관`: up to three words between, or a parenthesis); a place is
# a three- or four-syllable word ending in 시, 군 or 구 (`순천시에`, `성동구`). Only short texts need them.
_ROLE = re.compile(
    r"(?:대통령|총리|의장|장관|차관|대표|위원장|위원|의원|시장|지사|군수|구청장|청장|회장|사장|감독|코치|선수|후보자|후보|"
    r"원장|실장|국장|처장|총장|이사장|교수|씨|총경|경감|경위|소방위|소방장|사무관|주무관|대사|판사|검사|변호사|교육감|단장|"
    r"본부장|센터장|함장|여사|수석|비서관|대변인|작가|배우|가수|주장|전무|상무|부사장)"
    r"(?:이|가|은|는|을|를|의|과|와|에게|께서|도|으로|로|직무대행)?$"
)
_HANGUL_WORD = re.compile(r"[가-힣]+")
_PARENTHESIS = re.compile(r"\([^()]{0,40}\)")
_PLACE = re.compile(r"^([가-힣]{2,3}(?<!지)[시군구])(?:에서|에|의|은|는|이|가|을|를|와|과|로|도)?$")  # not "화성지구"
# The common family names (about nine in ten Koreans carry one of these).
_SURNAMES = frozenset("김이박최정강조윤장임한오서신권황안송류전홍고문양손배백허유남심노하곽성차주우구민진나지엄채원천방공현함변염여추도소석선설마길연위표명기반왕금옥육인맹제모탁국어은편용예경봉사부")
PEOPLE_MAX_CORE = 400


def people_and_places(text: str) -> frozenset[str]:
    """Names of people (before a role) and of towns and districts in `text` (spaces kept)."""
    words = _HANGUL_WORD.findall(_PARENTHESIS.sub(" ", text))
    found: set[str] = set()
    for i, word in enumerate(words):
        place = _PLACE.match(word)
        if place:
            found.add(place.group(1))
        if not _ROLE.search(word):
            continue
        for before in reversed(words[max(0, i - 3) : i]):  # the nearest name before the role
            if len(before) == 3 and before[0] in _SURNAMES:
                found.add(before)
                break
    return frozenset(found)


# The start of the core kept for the lead comparison (a subtitle or header line may push the shared lead back).
LEAD_CHARS = 600


@dataclass(frozen=True, slots=True)
class TextFeatures:
    """The parts of one article the dedupe decisions need, small enough to keep for days of articles.

    `core` is the body without datelines, bylines, e-mail addresses and usage notes, with no whitespace; `lead` is its
    start (what a truncated feed item still carries); `numbers` and `names` are crc32 hashes of the numbers and the
    Latin-letter names in the core."""

    core: str
    lead: str
    numbers: np.ndarray
    names: np.ndarray
    title_terms: frozenset[str]
    lead_terms: tuple[str, ...]
    people: frozenset[str] = frozenset()
    # Hashes of the runs of Latin names (`name_run_hashes`), read for short texts only.
    name_runs: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.uint32))


def clean_text(body: str) -> str:
    """The body without what copies of one story do not share: no crawl footer, dateline, byline, address, note,
    picture mark, copyright or tip-line footer, list bullets; NFKC; spaces kept."""
    text = _CRAWL_FOOTER.sub("", html.unescape(body))
    text = unicodedata.normalize("NFKC", text)
    text = _NOTE.sub(" ", text)
    if "epa" in text:
        text = _PICTURE_MARK.sub(" ", text)
    text = _COPYRIGHT.sub(" ", text)
    text = _URL.sub(" ", strip_emails(cut_tipline(text)))
    head = _DATELINE.sub("", text, count=1)
    head = _BYLINE_HEAD.sub("", head, count=1)
    return _BULLETS.sub("", strip_reporters(head))


def core_text(body: str) -> str:
    """The body reduced to what copies of one story share (`clean_text`), with no whitespace."""
    return "".join(clean_text(body).split())


def cut_tipline(text: str) -> str:
    """`text` up to an outlet's tip-line footer ("MBC 뉴스는 24시간 여러분의 제보를 기다립니다 ▷ 전화 ..."), found from
    its fixed words back to the start of its sentence."""
    if "제보" not in text:
        return text
    found = _TIPLINE.search(text)
    if found is None:
        return text
    start = max(text.rfind(".", 0, found.start()), text.rfind("\n", 0, found.start()),
                found.start() - _TIPLINE_REACH - 1)
    return text[: start + 1]


def _strip_backwards(text: str, anchor: re.Pattern[str], before: re.Pattern[str], reach: int) -> str:
    """`text` without each `anchor` match and what `before` matches right in front of it (within `reach`)."""
    pieces: list[str] = []
    last = 0
    for m in anchor.finditer(text):
        if m.start() < last:
            continue
        window_start = max(last, m.start() - reach)
        lead = before.search(text, window_start, m.start())
        if lead is None:
            continue  # "기자" with no name before it is a word ("연기자"), "@" with no user part no address
        pieces.append(text[last:lead.start()])
        pieces.append(" ")
        last = m.end()
    if not pieces:
        return text
    pieces.append(text[last:])
    return "".join(pieces)


def strip_emails(text: str) -> str:
    return _strip_backwards(text, _EMAIL_DOMAIN, _EMAIL_USER, 64) if "@" in text else text


def strip_reporters(text: str) -> str:
    """Remove "홍길동 기자"-style names (the title with the name before it)."""
    return _strip_backwards(text, _REPORTER_TITLE, _REPORTER_NAME, 10)


def _hash_set(values: set[str]) -> np.ndarray:
    """Strings as a sorted array of distinct crc32 values: 4 bytes each, where a set of ints costs about 50."""
    return np.unique(np.fromiter((zlib.crc32(v.encode()) for v in values), dtype=np.uint32, count=len(values)))


def number_hashes(text: str) -> np.ndarray:
    """Numbers as written (thousands separators dropped), hashed."""
    return _hash_set({n for m in _NUMBER.finditer(text) if (n := m.group().replace(",", "").rstrip("."))})


def name_hashes(text: str) -> np.ndarray:
    """Latin-letter names and acronyms of `text` (spaces kept: without them "Trump arrives" reads "Trumparrives"),
    hashed."""
    return _hash_set({m.group() for m in _LATIN_NAME.finditer(text)})


def name_run_hashes(text: str) -> np.ndarray:
    """Runs of Latin-letter names (words joined by single spaces, as `_LATIN_RUN`), hashed."""
    return _hash_set({m.group() for m in _LATIN_RUN.finditer(text)})


def strip_particle(word: str) -> str:
    for length in _PARTICLE_LENGTHS:
        if len(word) - length >= 2 and word[-length:] in _PARTICLES:
            return word[:-length]
    return word


def terms(text: str) -> frozenset[str]:
    """Content words of a title or lead: particles cut off, stop words and single letters dropped."""
    out: set[str] = set()
    for word in _WORD.findall(unicodedata.normalize("NFKC", html.unescape(text))):
        word = strip_particle(word) if word[0] >= "가" else word.lower()
        if len(word) >= 2 and word not in _STOP:
            out.add(sys.intern(word))  # one string per term across the index, not one per article
    return frozenset(out)


def interned(feats: TextFeatures) -> TextFeatures:
    """The features with their terms interned (as `terms` makes them): after a trip through pickle, so days of
    articles in one index share one string per term again."""
    return replace(feats, title_terms=frozenset(map(sys.intern, feats.title_terms)),
                   lead_terms=tuple(map(sys.intern, feats.lead_terms)))


def features(title: str, body: str) -> TextFeatures:
    spaced = clean_text(body)
    core = _without_title("".join(spaced.split()), title)
    story = _without_subtitles(body)
    # The lead needs only the start of the story: cleaning all of it again cost a full pass per subtitled article.
    lead = core[:LEAD_CHARS] if story is None else _without_title(core_text(story[:4 * LEAD_CHARS]), title)[:LEAD_CHARS]
    return TextFeatures(
        core=core,
        lead=lead,
        numbers=number_hashes(core),
        names=name_hashes(spaced),
        title_terms=terms(title),
        # A tuple: a third of a frozenset's memory; sorted: the same in every process whatever its hash seed.
        lead_terms=tuple(sorted(terms(_lead_words(body)))),
        people=people_and_places(spaced) if len(core) < PEOPLE_MAX_CORE else frozenset(),  # only short texts use them
        name_runs=name_run_hashes(spaced) if len(core) < PEOPLE_MAX_CORE else _NO_HASHES,
    )


_NO_HASHES = np.empty(0, dtype=np.uint32)


_SUBTITLE_MAX = 60
_SENTENCE_END_CHARS = ".!?다"


def _without_subtitles(body: str) -> str | None:
    """The body from its first sentence on, when it opens with subtitle lines (short, no sentence end) that one
    outlet prints above a shared text and another does not; None when it does not."""
    lines = body.lstrip().split("\n")
    skip = 0
    while skip < len(lines) - 1:
        line = lines[skip].strip()
        if line and (len(line) > _SUBTITLE_MAX or line[-1] in _SENTENCE_END_CHARS):
            break
        skip += 1
    return "\n".join(lines[skip:]) if skip else None


def _without_title(core: str, title: str) -> str:
    """The core without the title when the body repeats it as its first line (agency captions do): otherwise the
    shared title would make every caption of one event look alike from its first character."""
    key = "".join(unicodedata.normalize("NFKC", html.unescape(title)).split())
    if len(key) >= 5 and core.startswith(key) and len(core) > len(key):
        return core[len(key):]
    return core


def _lead_words(body: str, chars: int = 200) -> str:
    """The first `chars` characters of the body with spaces kept (for word terms)."""
    text = _CRAWL_FOOTER.sub("", html.unescape(body))
    text = _DATELINE.sub("", unicodedata.normalize("NFKC", text), count=1)
    text = _BYLINE_HEAD.sub("", text, count=1)
    return strip_reporters(strip_emails(text[: 2 * chars]))[:chars]
