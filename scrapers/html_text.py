"""Plain text from an HTML fragment or element: paragraphs kept, captions, scripts and media dropped."""

from __future__ import annotations

import html as html_lib
import re

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

# Never body: media with their captions, scripts, forms, and embedded widgets.
DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "object", "embed", "video", "audio", "img",
             "picture", "svg", "figure", "figcaption", "form", "button", "input", "select", "textarea", "aside")
_BLOCK = frozenset({"p", "div", "section", "article", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
                    "blockquote", "pre", "table", "tr", "dl", "dt", "dd", "header", "footer", "main", "center"})
_SPACES = re.compile(r"[ \t\r\f\v\xa0\u200b]+")


def element_text(element: Tag, *, drop: tuple[str, ...] = ()) -> str:
    """Text of `element` with one line per paragraph/<br>; `drop` adds CSS selectors to remove first."""
    for selector in drop:
        for node in element.select(selector):
            node.decompose()
    for node in element.find_all(DROP_TAGS):
        node.decompose()
    for node in element.find_all(_hidden):
        node.decompose()
    for node in element.find_all(string=lambda s: isinstance(s, Comment)):
        node.extract()
    parts: list[str] = []
    _walk(element, parts)
    lines = (_SPACES.sub(" ", line).strip() for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def _hidden(tag: Tag) -> bool:
    # A plain predicate: a CSS attribute selector through soupsieve costs more than the rest of the walk.
    attrs = tag.attrs
    return "hidden" in attrs or "display:none" in str(attrs.get("style", "")).replace(" ", "").lower()


def fragment_text(html: str) -> str:
    """Text of an HTML fragment (a feed's content:encoded or description)."""
    if "<" not in html:
        # No markup, but still HTML: its entities (`&quot;`, `&amp;`) are decoded as the parser below would.
        text = html_lib.unescape(html)
        return "\n".join(l.strip() for l in text.splitlines() if l.strip())
    soup = BeautifulSoup(html, "lxml")
    root = soup.body or soup
    return element_text(root)


def _walk(node: Tag, parts: list[str]) -> None:
    for child in node.children:
        if isinstance(child, NavigableString):
            parts.append(str(child).replace("\n", " "))
        elif isinstance(child, Tag):
            if child.name == "br":
                parts.append("\n")
                continue
            block = child.name in _BLOCK
            if block:
                parts.append("\n")
            _walk(child, parts)
            if block:
                parts.append("\n")
