"""Site profiles: per-site CSS selectors and cleanup rules for article pages, declared as data.

Each profile is a plain table. Selectors are tried in order and the first that finds non-empty text wins;
`("selector", "attr")` pairs read an attribute instead of the text. `drop` selectors are removed from the body
element before its text is taken (captions, photo boxes, bylines, related-article lists, promotions);
`drop_lines` are regular expressions for whole body lines that are clutter on that site.
A page whose URL matches no profile goes to the generic extractor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

Selector = str | tuple[str, str]

PROFILES: dict[str, dict[str, Any]] = {
    "naver": {
        "urls": [
            r"^https?://n\.news\.naver\.com/(?:mnews/)?article/",
            r"^https?://m\.news\.naver\.com/article/",
            r"^https?://news\.naver\.com/(?:main/read|mnews/article)",
        ],
        "title": ["#title_area", ".media_end_head_headline", "h2.end_tit", "#articleTitle"],
        "body": ["#dic_area", "#newsct_article", "#articleBodyContents", "#articeBody"],
        "published": [
            (".media_end_head_info_datestamp_time._ARTICLE_DATE_TIME", "data-date-time"),
            (".media_end_head_info_datestamp_time", "data-date-time"),
            ("meta[property='article:published_time']", "content"),
            ".t11",
        ],
        "author": [".media_end_head_journalist_name", ".byline_s", "em.media_end_head_journalist_name"],
        "outlet": [
            ("meta[property='og:article:author']", "content"),
            ("meta[name='twitter:creator']", "content"),
            ("img.media_end_head_top_logo_img", "alt"),
            (".media_end_head_top_logo img", "alt"),
        ],
        "drop": [
            ".end_photo_org", ".img_desc", ".nbd_table", ".nbd_im_w", ".vod_player_wrap", "._VOD_PLAYER_WRAP",
            ".artical-btm", ".byline", ".reporter_area", ".copyright", ".categorize", ".promotion",
            ".link_news", ".media_end_correction", "._article_section", "[data-type='ad']", ".ab_photo",
        ],
        "drop_lines": [r"^\[.{0,30}(?:기자|특파원)\]$", r"^<?이미지를 클릭하시면 크게 보실 수 있습니다>?$"],
    },
    "mt": {
        "urls": [r"^https?://(?:news|www|m)\.mt\.co\.kr/(?:mtview\.php|article/)"],
        "title": ["h1.subject", ".view_top h1", "meta[property='og:title']"],
        "body": ["#textBody"],
        "published": [("meta[property='article:published_time']", "content"), "li.date", ".date"],
        "author": [("meta[property='dable:author']", "content")],
        "outlet": [("meta[name='writer']", "content")],
        # span.up/down/steady: the live share price MT inserts after a listed company's name.
        "drop": [".util_box", "table.article_photo", ".ad", ".adH", "#recommend", ".article_related",
                 "span.up", "span.down", "span.steady"],
        # Series pages (MT리포트) close each article with its reporters' names on one line: pages._BYLINE_LINE
        # drops those on every site.
    },
}


@dataclass(frozen=True, slots=True)
class SiteProfile:
    name: str
    urls: tuple[re.Pattern[str], ...]
    title: tuple[Selector, ...]
    body: tuple[str, ...]
    published: tuple[Selector, ...] = ()
    author: tuple[Selector, ...] = ()
    outlet: tuple[Selector, ...] = ()
    drop: tuple[str, ...] = ()
    drop_lines: tuple[re.Pattern[str], ...] = ()

    def matches(self, url: str) -> bool:
        return any(p.search(url) for p in self.urls)


def _build(name: str, table: dict[str, Any]) -> SiteProfile:
    return SiteProfile(
        name=name,
        urls=tuple(re.compile(p) for p in table["urls"]),
        title=tuple(_selector(s) for s in table["title"]),
        body=tuple(table["body"]),
        published=tuple(_selector(s) for s in table.get("published", ())),
        author=tuple(_selector(s) for s in table.get("author", ())),
        outlet=tuple(_selector(s) for s in table.get("outlet", ())),
        drop=tuple(table.get("drop", ())),
        drop_lines=tuple(re.compile(p) for p in table.get("drop_lines", ())),
    )


def _selector(value: str | list[str] | tuple[str, str]) -> Selector:
    return value if isinstance(value, str) else (value[0], value[1])


SITE_PROFILES: dict[str, SiteProfile] = {name: _build(name, table) for name, table in PROFILES.items()}


def profile_for(url: str | None, name: str | None = None) -> SiteProfile | None:
    """The profile called `name` (KeyError if unknown), else the first whose URL patterns match, else None."""
    if name:
        if name == "generic":
            return None
        try:
            return SITE_PROFILES[name]
        except KeyError:
            raise KeyError(f"unknown site profile {name!r}; known: {sorted(SITE_PROFILES)} or 'generic'") from None
    if not url:
        return None
    return next((p for p in SITE_PROFILES.values() if p.matches(url)), None)
