"""Separates article text from what surrounds it: portal clutter, bylines, captions, footers, related-link lists."""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

# Lines that are page chrome wherever they stand (portal navigation, prompts, image markers, share buttons).
_CLUTTER = re.compile(
    r"^(?:"
    r"컨텐츠 바로가기|본문 바로가기|메뉴 바로가기|주소복사가 완료되었습니다|URL이 복사되었습니다"
    r"|댓글\b.*|.*첫 댓글을 작성해보세요.*|<?이미지를 클릭하시면 크게 보실 수 있습니다>?"
    r"|\d{1,2}\.\d{1,2} \([월화수목금토일]\)"  # a date stamp such as "01.10 (금)"
    r"|.*(?:친구추가|구독하기|구독 신청|네이버에서 구독|네이버 메인에서|채널 추가).*"
    r"|기사가 속한 카테고리는 언론사가 분류합니다\.?|언론사는 한 기사를 두 개 이상의 카테고리로 분류할 수 있습니다\.?"
    r"|글자크기 설정|공유하기|기사 스크랩|인쇄하기|좋아요|SNS 보내기"
    r")$"
)
# A copyright line ends the article: nothing after it is body.
_COPYRIGHT = re.compile(r"(?:ⓒ|©|\(c\)|Copyright|무단\s*전재|재배포\s*금지)", re.IGNORECASE)
_COPYRIGHT_OUTLET = re.compile(r"(?:ⓒ|©)\s*([^\s(/,]+?)(?:\(|\s|,|$)")
# A crawl footer appended by the corpus crawler.
_CRAWL_FOOTER = re.compile(r"\n-{3,}\s*\n\s*\*Crawled at:.*\Z", re.DOTALL)
# "[뉴스포스트=최종원 기자]" or "(서울=연합뉴스) 홍길동 기자 =" at the head of a paragraph.
_BYLINE_BRACKET = re.compile(r"^\[(?P<outlet>[^=\]\[]{1,30})=(?P<author>[^\]]{1,40}?)\s*(?:기자|특파원|객원기자)?\]\s*")
_BYLINE_PAREN = re.compile(
    r"^\((?P<place>[^=)]{1,20})=(?P<outlet>[^)]{1,20})\)\s*(?:(?P<author>[^=]{1,40}?)\s*(?:기자|특파원)\s*)?=\s*"
)
# A reporter sign-off line: "권유진 기자 kwen.yujin@joongang.co.kr" or a bare e-mail address.
_SIGNOFF = re.compile(r"^(?:(?P<author>[가-힣]{2,4})\s*(?:기자|특파원)\s*)?[\w.+-]+@[\w-]+(?:\.[\w-]+)+(?:\(END\))?$")
_IMAGE_MARKER = re.compile(r"^<?이미지를 클릭하시면 크게 보실 수 있습니다>?$")
_RELATED_ITEM = re.compile(r"^(?:-|▶|☞|■ 관련기사|관련기사|\[관련기사\])\s*")
# Chrome lines and related-article titles are short; a long line that happens to start with "-" (a Q&A transcript)
# or to contain "채널 추가" (a tip-line glued to a one-line body) is article text.
_SHORT_LINE = 150
# A photo caption line ("▲ 기자가 필사한 문장 ... ⓒ 유영숙"); "▲" alone also starts list items (obituaries, posts).
_CAPTION_CREDIT = re.compile(r"ⓒ|©|사진\s*[=:제]|\[사진|/\s*사진|제공\]?$")


@dataclass(frozen=True, slots=True)
class CleanText:
    title: str
    body: str
    author: str | None = None
    publisher: str | None = None


def normalise_whitespace(text: str) -> str:
    """NFC, no zero-width characters, single spaces inside lines, no blank-line runs."""
    text = unicodedata.normalize("NFC", text).replace("\u200b", "").replace("\ufeff", "").replace("\xa0", " ")
    lines = [re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


def decode_entities(text: str) -> str:
    """HTML entities as crawled (`&quot;`, `&#x3D;`), decoded; applied twice for double-escaped text."""
    once = html.unescape(text)
    return html.unescape(once) if "&" in once else once


def strip_related_list(lines: list[str]) -> list[str]:
    """Drop the trailing block of related-article links ("- title" lines) that portals append. A body that is
    nothing but such lines is text, not links (a personnel notice: "▶금융위원회 <고위공무원 전보> ▷구조개선정책관 ...")."""
    end = len(lines)
    while end > 0 and len(lines[end - 1]) < _SHORT_LINE and _RELATED_ITEM.match(lines[end - 1]):
        end -= 1
    if end == 0:
        return lines
    return lines[:end] if len(lines) - end >= 2 or end < len(lines) and lines[-1].startswith(("▶", "☞")) else lines


def _strip_byline(line: str) -> tuple[str, str | None, str | None]:
    for pattern in (_BYLINE_BRACKET, _BYLINE_PAREN):
        m = pattern.match(line)
        if m:
            author = (m.groupdict().get("author") or "").strip() or None
            return line[m.end() :].strip(), author, m.group("outlet").strip()
    return line, None, None


def clean_lines(lines: list[str]) -> tuple[list[str], str | None, str | None]:
    """Body lines without clutter, captions, bylines, sign-offs and footers; plus the author and outlet found."""
    author = publisher = None
    kept: list[str] = []
    captions: list[str] = []
    signed_off_at: int | None = None
    for i, line in enumerate(lines):
        if line.startswith("▲") and len(line) < _SHORT_LINE and _CAPTION_CREDIT.search(line):
            captions.append(line)
            continue  # a photo caption ("▲ ... ⓒ 홍길동"): its credit is not the copyright line
        mark = _COPYRIGHT.search(line)
        if mark and len(line) < 200:
            # A one-line body with the copyright glued to its end keeps the text before it.
            before = re.sub(r"[<(\[]?\s*저작권자\s*$", "", line[: mark.start()]).rstrip(" <([")
            if len(before) >= 60:
                text, by_author, by_outlet = _strip_byline(before)
                author, publisher = author or by_author, publisher or by_outlet
                kept.append(text)
            m = _COPYRIGHT_OUTLET.search(line)
            publisher = publisher or (m.group(1) if m else None)
            # Promotional lines between the reporter's sign-off and the copyright line are footer too.
            if signed_off_at is not None and len(kept) - signed_off_at <= 4:
                del kept[signed_off_at:]
            break
        if _IMAGE_MARKER.match(line):
            # The caption (and a lone outlet credit line) sit just above the image marker.
            while kept and (len(kept[-1]) < 300) and kept[-1] is not kept[0] and _looks_like_caption(kept, lines, i):
                kept.pop()
            continue
        if len(line) < _SHORT_LINE and _CLUTTER.match(line):
            continue
        sign = _SIGNOFF.match(line)
        if sign:
            author = author or sign.group("author")
            signed_off_at = len(kept)
            continue
        line, by_author, by_outlet = _strip_byline(line)
        author, publisher = author or by_author, publisher or by_outlet
        if line:
            kept.append(line)
    if not kept:
        kept = captions  # a photo gallery: nothing but captions, which are then its text
    return strip_related_list(kept), author, publisher


def _looks_like_caption(kept: list[str], lines: list[str], marker_index: int) -> bool:
    # Pop at most the caption line and one short credit line directly before the marker.
    previous = [l for l in lines[max(0, marker_index - 3) : marker_index] if l]
    return bool(previous) and kept[-1] in previous[-2:]


def clean_body(text: str) -> str:
    """Article body from crawled or fetched text: entities decoded, crawl footer and clutter removed."""
    text = _CRAWL_FOOTER.sub("", decode_entities(text))
    lines, _, _ = clean_lines(normalise_whitespace(text).split("\n"))
    return "\n".join(lines)


def parse_text_article(text: str) -> CleanText:
    """A plain-text article in the shape of the seeds: title line(s) first, then body, maybe wrapped in portal chrome.

    A file that starts with page chrome (as when an article is copied from a portal) has its title among the short
    header lines before the first paragraph; otherwise the first line is the title and short lines after it are
    sub-headlines, kept as the start of the body.
    """
    raw = normalise_whitespace(decode_entities(text)).split("\n")
    if not raw:
        return CleanText(title="", body="")
    if _CLUTTER.match(raw[0]):
        header: list[str] = []
        for line in raw:
            if len(line) >= 80:
                break
            if not _CLUTTER.match(line):
                header.append(line)
        title = max(header, key=len) if header else ""
        rest = raw[raw.index(title) + 1 :] if title else raw
    else:
        title, rest = raw[0], raw[1:]
    lines, author, publisher = clean_lines(rest)
    # A lone outlet name right after the title (a portal's source credit) is not body.
    if lines and publisher and lines[0] == publisher:
        lines = lines[1:]
    return CleanText(title=title, body="\n".join(lines), author=author, publisher=publisher)
