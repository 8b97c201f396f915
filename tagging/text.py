"""The part of an article the tagger reads: title and body lines, without crawl footers and obvious boilerplate.

The lead's `scrapers.normalise` cleans loaded text; this is only a defensive second line so that a footer, a
subscription prompt or a photo credit that slipped through cannot make a tag fire.
"""

from __future__ import annotations

import re

from newsmon.records import Article

# The crawler appends "---" and "*Crawled at: ...*" / "*Source: [원문 보기](...)*" lines after the article.
_CRAWL_FOOTER = re.compile(r"\n-{3,}\s*\n\s*\*Crawled at:.*\Z", re.S)

# Whole lines that are never article text. Kept deliberately narrow: a false positive here hides real text.
_BOILERPLATE_LINE = re.compile(
    r"""^(?:
        \*?Crawled\ at:.* | \*?Source:\ \[.* |
        (?=.{0,120}$).*(?:구독하기|에서\ 구독|구독\ 버튼|무단\ ?전재|재배포\ ?금지|Copyright|ⓒ|©|기사제보|카카오톡\ 제보|제보하기).* |
        [(\[<]?\s*(?:사진|그래픽|영상|자료|출처|사진\ 제공|사진제공)\s*[=:].{0,40}[)\]>]? |
        .{0,30}\s*/\s*(?:연합뉴스|뉴스1|뉴시스|게티이미지|AP|로이터|EPA|AFP)[^가-힣]*(?:\(?[^)]{0,10}\)?)? |
        [\w.+-]+@[\w-]+(?:\.[\w-]+)+.{0,10} |
        관련\ ?기사.{0,40} | ▶.* | ☞.* |
        덧붙이는\ 글.* | ※?\s*이\ 기사는\ .{0,60}(?:실립니다|실렸습니다|게재됩니다|제작했습니다|작성했습니다)\.?
    )$""",
    re.X,
)


# Where an outlet's tip-line or subscription block starts when it is glued to the last paragraph
# ("...했다.■ 제보하기▷ 전화 : ...▷ 네이버, 유튜브에서 KBS뉴스를 구독해주세요!"). Searched only near the end.
_TAIL_BLOCK = re.compile(
    r"■\s*제보하기|제보하기\s*▷|※\s*'?당신의 제보가|당신의 제보가 뉴스|※\s*\S*\s*여러분의 제보|여러분의 제보를 기다|"
    r"발로 뛰는 더팩트|기사문의 및 제보|[▷▶]\s*카카오톡|[▷▶]\s*네이버 등 포털|\[카카오톡\]|카카오톡\s*:|"
    r"<저작권자|저작권자\s*[(ⓒ©]|무단\s*전재|무단복제|재배포\s*금지|Copyright|ⓒ|©|"
    r"기자 ?페이지[^.]{0,20}구독|구독 버튼을 누르|\+구독|구독해\s*주세요"
)
_TAIL_REACH = 600
# Publisher notices inside a paragraph ("☞'원문보기'는 네이버·다음 등 포털사이트가 아닌 ... 가능합니다.").
_INLINE_NOTICE = re.compile(r"\(원문보기\)|☞?\s*'원문보기'는[^.]{0,80}\.")


# Inline credits inside a paragraph: "(사진=연합뉴스)", "[이미지=챗GPT]", "<그래픽=김지영 기자>".
_INLINE_CREDIT = re.compile(
    r"[(\[<]\s*(?:사진|이미지|그래픽|일러스트|자료|출처|영상|삽화|사진\s?제공|자료\s?제공|제공)\s*[=:：][^)\]>\n]{0,60}[)\]>]"
)
# A credit whose opening bracket was lost in extraction, at the start of a line ("이미지=챗GPT)28일 미국 ...").
_LINE_START_CREDIT = re.compile(
    r"^\s*(?:사진|이미지|그래픽|일러스트|자료|출처|삽화)\s*[=:：]\s*[^)\]>\n]{0,40}[)\]>]", re.M
)
# Bracketed notices of how the article or a picture was made ("[서울신문과 OO의 생성형 AI가 함께 작성한 기사입니다]",
# "[AI가 생성한 이미지.]", "[AI를 활용해 제작함]"): the outlet's note on its own production, not a subject.
_MAKING_NOTICE = re.compile(
    r"\[[^\]\n]{0,60}(?:AI|인공지능|챗GPT|ChatGPT)[^\]\n]{0,40}(?:작성|제작|생성|만든|만들)[^\]\n]{0,30}\]"
)
# Related-article links inside a paragraph: "(관련기사: 제목)" or "[관련 기사]제목 https://..." to the end of the line.
_INLINE_RELATED = re.compile(r"\(관련\s?기사\s*:[^)]*\)|(?:\[관련\s?기사\]|▼\s*관련\s?기사)[^\n]*")
# A copyright credit inside a paragraph, glued to the next sentence ("ⓒ 구글 Gemini국가데이터처가 ...",
# "© Getty Images"): who made a picture, not what the article says.
_INLINE_COPYRIGHT = re.compile(r"[ⓒ©]\s*(?:[가-힣]{1,10}\s*)?[A-Za-z][\w.\-]*(?:\s[A-Z][\w.\-]*)?")
# Hashtags ("#퇴직 #은퇴 #희망퇴직") are labels an outlet attaches, not sentences of the article.
_HASHTAG = re.compile(r"#[^\s#,.]{1,30}")

# Where a sentence ends: sentence-final punctuation after Hangul or a closing quote, whether or not a space follows
# (crawled bodies often glue sentences: "밝혔다.A씨는"), or any such punctuation followed by a space.
_SENTENCE_END = re.compile(
    r"(?<=[\uac00-\ud7a3)\]\"'”’」』])[.?!…]+[\"'”’」』)\]]*\s*|(?<=[^\d\s])[.?!…]+[\"'”’」』)\]]*\s+"
)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of `text`: lines split at sentence-final punctuation. Cheap and good enough for
    co-occurrence windows and evidence; word edges are Kiwi's business, not this function's."""
    spans: list[tuple[int, int]] = []
    offset = 0
    for line in text.split("\n"):
        start = 0
        for m in _SENTENCE_END.finditer(line):
            if m.end() > start:
                spans.append((offset + start, offset + m.end()))
                start = m.end()
        if start < len(line) or not line:
            spans.append((offset + start, offset + len(line)))
        offset += len(line) + 1
    return spans or [(0, len(text))]


def strip_tail_block(body: str) -> str:
    """The body without a tip-line, subscription or copyright block glued to its end."""
    start = max(0, len(body) - _TAIL_REACH)
    m = _TAIL_BLOCK.search(body, start)
    return body[: m.start()].rstrip() if m else body


def strip_crawl_footer(body: str) -> str:
    """The body without the crawler's trailing '---' block."""
    return _CRAWL_FOOTER.sub("", body)


def is_boilerplate(line: str) -> bool:
    return bool(_BOILERPLATE_LINE.match(line))


def article_lines(article: Article) -> list[str]:
    """Title first, then the body's non-empty, non-boilerplate lines, stripped."""
    lines = [article.title.strip()] if article.title and article.title.strip() else []
    body = strip_tail_block(strip_crawl_footer(article.body))
    # Two patterns are tried only where their fixed words occur: `_INLINE_NOTICE` may start at any space, and the
    # two were half the time of this function.
    if "원문보기" in body:
        body = _INLINE_NOTICE.sub(" ", body)
    if "관련" in body:
        body = _INLINE_RELATED.sub(" ", body)
    body = _HASHTAG.sub(" ", _INLINE_CREDIT.sub(" ", body))
    body = _INLINE_COPYRIGHT.sub(" ", _MAKING_NOTICE.sub(" ", _LINE_START_CREDIT.sub(" ", body)))
    for raw in body.split("\n"):
        line = raw.strip()
        if line and not is_boilerplate(line):
            lines.append(line)
    return lines
