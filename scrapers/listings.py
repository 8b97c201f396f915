"""The article links on a section or listing page: the anchors whose absolute URL matches the source's pattern."""

from __future__ import annotations

import re
from urllib.parse import urldefrag, urljoin

from bs4 import BeautifulSoup


def listing_links(html: str, base_url: str, pattern: str) -> list[str]:
    """Absolute URLs of the links on a section page that match `pattern` (re.search), first occurrence order."""
    soup = BeautifulSoup(html, "lxml")
    base = soup.find("base", href=True)
    base_url = urljoin(base_url, base["href"]) if base is not None else base_url
    wanted = re.compile(pattern)
    return list(dict.fromkeys(
        url for a in soup.find_all("a", href=True)
        if (url := urldefrag(urljoin(base_url, a["href"].strip()))[0]).startswith(("http://", "https://"))
        and wanted.search(url)
    ))

