"""Article extraction from one HTML page: a site profile when one matches, trafilatura for every other site."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import trafilatura
from bs4 import BeautifulSoup, Tag

from scrapers.addresses import origin
from scrapers.config import FetchSettings
from scrapers.dates import parse_datetime
from scrapers.errors import ExtractionError
from scrapers.encoding import decode_document
from scrapers.html_text import element_text
from scrapers.normalise import clean_lines, normalise_whitespace
from scrapers.profiles import Selector, SiteProfile, profile_for
from scrapers.sniff import describe_body

_META_PUBLISHED = (
    "article:published_time", "og:article:published_time", "og:published_time", "datePublished",
    "pubdate", "publishdate", "date", "dc.date", "dcterms.created", "ptime",
)
_META_AUTHOR = ("author", "article:author", "og:article:author", "dable:author", "byl", "dc.creator")
_META_OUTLET = ("og:site_name", "application-name", "writer", "publisher", "dc.publisher")
# " - 머니투데이 뉴스", " | 연합뉴스": a site name appended to the headline in <title> and og:title.
_TITLE_SUFFIX = re.compile(r"\s+[-|:ㅣ–—]\s+[^-|:ㅣ–—]{1,30}$")
# Reporters' names alone on a line ("안채원 인턴기자", "홍길동 기자 hong@x.com", "세종=박경담 기자, 권화순 기자"):
# an article's closing byline, or one per article on series pages that chain several.
_BYLINE_LINE = re.compile(
    r"^(?:(?:[가-힣]{1,4}=)?[가-힣]{2,4}\s*(?:인턴|수습|객원|디자인)?(?:기자|특파원)(?:\s+\S+@\S+)?\s*(?:,\s*|$))+$"
)


# Less text than this is a menu or a teaser, not an article (a one-sentence flash is still longer).
MIN_BODY_CHARS = 20


@dataclass(frozen=True, slots=True)
class ExtractedPage:
    """What one article page yields. `extractor` is the profile's name, or 'generic'."""

    url: str | None
    title: str
    body: str
    published_at: datetime | None
    author: str | None
    outlet: str | None
    extractor: str
    # What the document was, when no article came out of it ("the body is empty", "the body is an RSS feed, not an
    # HTML page", "the body is an HTML page (title “404 Not Found”)").
    document: str = ""

    @property
    def ok(self) -> bool:
        return bool(self.title) and len(self.body) >= MIN_BODY_CHARS

    def missing(self) -> str:
        """Why the page is not `ok`, for error messages."""
        missing = [n for n, ok in (("title", bool(self.title)), ("body", len(self.body) >= MIN_BODY_CHARS)) if not ok]
        found = f"no article {' and '.join(missing)} found ({self.extractor} extractor)"
        return f"{found}: {self.document}" if self.document else found

    def as_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "title": self.title,
            "body": self.body,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "author": self.author,
            "outlet": self.outlet,
            "profile": self.extractor,
        }


def extract_page(
    html: bytes | str, url: str | None = None, *, profile: str | None = None, content_type: str | None = None
) -> ExtractedPage:
    """Title, body, publication time, author and outlet of the article page `html` (fetched from `url`).

    `profile` forces a site profile by name ('generic' forces trafilatura); by default the URL picks one.
    Never raises on odd HTML; an empty title or body means nothing article-like was found (see `ok`).
    """
    text = decode_document(html, content_type)[0] if isinstance(html, bytes) else html
    soup = BeautifulSoup(text, "lxml")
    page_url = url or _meta(soup, ("og:url",)) or _canonical(soup)
    chosen = profile_for(page_url, profile)
    extracted = _with_profile(soup, chosen, page_url) if chosen is not None else None
    if extracted is None or not extracted.body:
        extracted = _generic(text, soup, page_url)
    if extracted.ok:
        return extracted
    document = describe_body(text, len(html) if isinstance(html, bytes) else len(text.encode("utf-8")))
    if document.startswith(("the body is an RSS", "the body is an Atom", "the body is JSON", "the body is XML",
                            "the body is plain")):
        document += ", not an HTML page"
    return replace(extracted, document=document)


def extract_target(
    target: str, url: str | None, settings: FetchSettings, *, profile: str | None = None
) -> dict[str, Any]:
    """What extraction finds in one page, as a JSON-ready dict (`newsmon extract FILE_OR_URL [--url URL]`).

    `target` is a saved HTML file or an http(s) URL. `url` is the page's address (it picks the site profile); for a
    URL target it defaults to the final address after redirects. A URL is fetched once, as a person asking for it
    would: robots.txt is not consulted and its own host may be local, but a redirect elsewhere inward is refused.
    Raises ExtractionError (or another FetchError) naming the file or URL and the reason.
    """
    if target.startswith(("http://", "https://")):
        response = asyncio.run(_fetch_one(target, settings))
        content, content_type, where = response.content, response.content_type, target
        page_url = url or response.url
    else:
        path = Path(target).expanduser()
        where = str(path)
        try:
            content = path.read_bytes()
        except FileNotFoundError:
            raise ExtractionError("extract", where, "no such file") from None
        except OSError as exc:
            raise ExtractionError("extract", where, f"cannot read the file ({exc.strerror or exc})") from None
        content_type, page_url = None, url
    try:
        page = extract_page(content, page_url, profile=profile, content_type=content_type)
    except KeyError as exc:
        raise ExtractionError("extract", where, str(exc.args[0])) from None
    if not page.ok:
        raise ExtractionError("extract", where, f"{page.missing()}; is this an article page? "
                              "pass --url to pick the site's profile")
    return page.as_json()


async def _fetch_one(url: str, settings: FetchSettings):  # type: ignore[no-untyped-def]
    from scrapers.fetch import Fetcher

    async with Fetcher(settings) as fetcher:
        return await fetcher.fetch(url, source="extract", purpose="html", private_origin=origin(url),
                                   respect_robots=False)


def _with_profile(soup: BeautifulSoup, profile: SiteProfile, url: str | None) -> ExtractedPage:
    title = _first_text(soup, profile.title)
    body_element = next((el for sel in profile.body if (el := soup.select_one(sel)) is not None), None)
    lines: list[str] = []
    if body_element is not None:
        lines = element_text(body_element, drop=profile.drop).split("\n")
        lines = [line for line in lines if not any(p.search(line) for p in profile.drop_lines)]
    body, found_author, found_outlet = _clean(lines)
    published = parse_datetime(_first_text(soup, profile.published)) or _meta_published(soup)
    author = _first_text(soup, profile.author) or found_author or _meta(soup, _META_AUTHOR)
    outlet = _outlet_name(_first_text(soup, profile.outlet)) or found_outlet or _meta(soup, _META_OUTLET)
    return ExtractedPage(url, _strip_suffix(title), body, published, _author_name(author), outlet, profile.name)


def _generic(text: str, soup: BeautifulSoup, url: str | None) -> ExtractedPage:
    doc = trafilatura.bare_extraction(
        text, url=url, with_metadata=True, include_comments=False, include_tables=False,
        include_images=False, favor_precision=True,
    )
    raw_body = (getattr(doc, "text", None) or "") if doc is not None else ""
    body, found_author, found_outlet = _clean(raw_body.split("\n"))
    title = _headline(soup, getattr(doc, "title", None) if doc is not None else None)
    published = _meta_published(soup) or parse_datetime(getattr(doc, "date", None) if doc is not None else None)
    author = _meta(soup, _META_AUTHOR) or (getattr(doc, "author", None) if doc is not None else None) or found_author
    outlet = (_meta(soup, _META_OUTLET) or found_outlet
              or (getattr(doc, "sitename", None) if doc is not None else None))
    return ExtractedPage(url, title, body, published, _author_name(author), _outlet_name(outlet), "generic")


def body_and_byline(text: str) -> tuple[str, str | None, str | None]:
    """Article text (a feed's full text, say) through the same cleanup as page bodies: the cleaned body and the
    author and outlet its byline named, as (body, author, outlet)."""
    return _clean(text.split("\n"))


def _clean(lines: list[str]) -> tuple[str, str | None, str | None]:
    """The shared normaliser's clutter/byline/caption rules, plus a reporter's name alone on the last line."""
    # normalise_whitespace leaves no empty lines, and clean_lines keeps none.
    kept, author, outlet = clean_lines(normalise_whitespace("\n".join(lines)).split("\n"))
    body: list[str] = []
    for line in kept:
        if _BYLINE_LINE.match(line):
            author = author or line.split("=")[-1].split()[0].removesuffix("기자").removesuffix("인턴")
        else:
            body.append(line)
    return "\n".join(body), author, outlet


def _headline(soup: BeautifulSoup, fallback: str | None) -> str:
    """The page's <h1> when <title>/og:title contain it (it carries no site suffix), else the stripped title."""
    page_title = _meta(soup, ("og:title", "twitter:title")) or (soup.title.get_text(strip=True) if soup.title else "")
    page_title = page_title or fallback or ""
    for h1 in soup.find_all("h1"):
        text = " ".join(h1.get_text(" ", strip=True).split())
        if len(text) >= 8 and text in " ".join(page_title.split()):
            return text
    return _strip_suffix(page_title)


def _strip_suffix(title: str) -> str:
    title = " ".join(title.split())
    stripped = _TITLE_SUFFIX.sub("", title)
    return stripped if len(stripped) >= 8 else title


def _first_text(soup: BeautifulSoup, selectors: tuple[Selector, ...]) -> str | None:
    for selector in selectors:
        css, attr = (selector, None) if isinstance(selector, str) else selector
        for element in soup.select(css):
            value = element.get(attr) if attr else element.get_text(" ", strip=True)
            if isinstance(value, list):
                value = " ".join(value)
            if value and value.strip():
                return " ".join(value.split())
    return None


def _meta(soup: BeautifulSoup, names: tuple[str, ...]) -> str | None:
    wanted = {n.lower(): i for i, n in enumerate(names)}
    found: dict[int, str] = {}
    for meta in soup.find_all("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        content = (meta.get("content") or "").strip()
        if key in wanted and content and wanted[key] not in found:
            found[wanted[key]] = content
    return found[min(found)] if found else None


def _meta_published(soup: BeautifulSoup) -> datetime | None:
    value = parse_datetime(_meta(soup, _META_PUBLISHED))
    if value is not None:
        return value
    for script in soup.find_all("script", type="application/ld+json"):
        value = parse_datetime(_json_ld_date(script))
        if value is not None:
            return value
    return None


def _json_ld_date(script: Tag) -> str | None:
    try:
        data = json.loads(script.string or "")
    except (ValueError, TypeError):
        return None
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            if isinstance(item.get("datePublished"), str):
                return item["datePublished"]
            stack.extend(v for v in item.values() if isinstance(v, (dict, list)))
    return None


def _canonical(soup: BeautifulSoup) -> str | None:
    link = soup.find("link", rel="canonical")
    return link.get("href") if link is not None else None


def _author_name(value: str | None) -> str | None:
    if not value:
        return None
    value = " ".join(value.split())
    return value or None


def _outlet_name(value: str | None) -> str | None:
    """Naver's og:article:author reads "연합뉴스 | 네이버"; keep the outlet."""
    if not value:
        return None
    value = value.split("|")[0].strip()
    return value or None
