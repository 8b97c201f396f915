"""A news site's archive made for the backfill tests and bench, served by tests/local_server.py: a sitemap index by day
(some days gzip-compressed), dated listing pages with several pages per day, and the article pages behind both.

Each day has its own articles for the sitemap (`/sm/...`) and for the listing (`/ls/...`), with published times
spread over the day in Korean time, including one just after midnight (the previous day in UTC). Holds no tests.
"""

from __future__ import annotations

import gzip
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from local_server import LocalServer, Reply, article_page

KST = ZoneInfo("Asia/Seoul")
_WORDS = ("정부", "서울시", "기업", "시장", "투자", "발표", "계획", "지역", "주민", "예산", "교육", "연구", "기술",
          "회의", "정책", "산업", "수출", "고용", "환경", "교통", "문화", "행사", "협력", "개발", "지원", "조사")


@dataclass(frozen=True)
class ArchivedArticle:
    path: str
    title: str
    published: datetime
    day: date


@dataclass
class ArchiveSite:
    """What the site holds, by day; `broken` paths answer 500 (a sitemap or listing page that cannot be read)."""

    server: LocalServer
    days: list[date]
    per_day: int = 5
    per_page: int = 2
    delay: float = 0.0
    sitemap: dict[date, list[ArchivedArticle]] = field(default_factory=dict)
    listing: dict[date, list[ArchivedArticle]] = field(default_factory=dict)
    gzip_days: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        rng = random.Random(12)
        for day in self.days:
            self.sitemap[day] = [self._article(rng, day, i, "sm") for i in range(self.per_day)]
            self.listing[day] = [self._article(rng, day, i, "ls") for i in range(self.per_day)]
        self.server.add("/sitemap.xml", Reply(body=self._index(), content_type="application/xml"))
        for day in self.days:
            self.server.add(self.sitemap_path(day), self._day_sitemap(day))
            pages = max(1, -(-len(self.listing[day]) // self.per_page))
            for page in range(1, pages + 2):  # one page past the end repeats the last (as Naver's lists do)
                self.server.add(self.listing_path(day, page), self._listing_page(day, min(page, pages)))

    # -- addresses -------------------------------------------------------------------------------------------------

    def sitemap_path(self, day: date) -> str:
        return f"/sitemaps/news-{day:%Y-%m-%d}.xml" + (".gz" if day in self.gzip_days else "")

    @staticmethod
    def listing_path(day: date, page: int) -> str:
        return f"/list?date={day:%Y%m%d}&page={page}"

    def listing_template(self) -> str:
        return self.server.url("/list?date={date}&page={page}")

    def expected_titles(self, days: list[date], which: str = "both") -> set[str]:
        chosen = []
        if which in ("both", "sitemap"):
            chosen += [a for d in days for a in self.sitemap[d]]
        if which in ("both", "listing"):
            chosen += [a for d in days for a in self.listing[d]]
        return {a.title for a in chosen}

    def day_paths(self, day: date) -> set[str]:
        """Every path whose request belongs to reading `day` (its sitemap, listing pages and articles)."""
        paths = {self.sitemap_path(day), *(a.path for a in self.sitemap[day] + self.listing[day])}
        return paths | {p for p in self.server.routes if p.startswith(f"/list?date={day:%Y%m%d}&")}

    # -- content ---------------------------------------------------------------------------------------------------

    def _article(self, rng: random.Random, day: date, i: int, kind: str) -> ArchivedArticle:
        minutes = 10 if i == 0 else 60 + i * (22 * 60 // max(1, self.per_day))
        published = datetime.combine(day, datetime.min.time(), KST) + timedelta(minutes=minutes)
        title = f"{day:%m월 %d일} {'지도' if kind == 'sm' else '목록'} 기사 {i + 1}: " + " ".join(rng.sample(_WORDS, 3))
        path = f"/{kind}/{day:%Y%m%d}/{i + 1}.html"
        paragraphs = [" ".join(rng.choices(_WORDS, k=14)) + "에 대해 관계자는 이같이 밝혔다." for _ in range(4)]
        body = article_page(title, paragraphs, published=published.isoformat())
        self.server.add(path, Reply(body=body, delay=self.delay))
        return ArchivedArticle(path, title, published, day)

    def _index(self) -> bytes:
        parts = ['<?xml version="1.0" encoding="UTF-8"?>',
                 '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
        for day in self.days:
            parts.append(f"<sitemap><loc>{self.server.url(self.sitemap_path(day))}</loc>"
                         f"<lastmod>{day.isoformat()}</lastmod></sitemap>")
        parts.append("</sitemapindex>")
        return "\n".join(parts).encode()

    def _day_sitemap(self, day: date) -> Reply:
        parts = ['<?xml version="1.0" encoding="UTF-8"?>',
                 '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
                 'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">']
        for a in self.sitemap[day]:
            parts.append(f"<url><loc>{self.server.url(a.path)}</loc><news:news><news:publication>"
                         "<news:name>테스트일보</news:name><news:language>ko</news:language></news:publication>"
                         f"<news:publication_date>{a.published.isoformat()}</news:publication_date>"
                         f"<news:title>{escape(a.title)}</news:title></news:news></url>")
        parts.append("</urlset>")
        body = "\n".join(parts).encode()
        if day in self.gzip_days:
            return Reply(body=gzip.compress(body), content_type="application/gzip")
        return Reply(body=body, content_type="application/xml")

    def _listing_page(self, day: date, page: int) -> Reply:
        chosen = self.listing[day][(page - 1) * self.per_page: page * self.per_page]
        items = "".join(f'<li><a href="{a.path}">{escape(a.title)}</a></li>' for a in chosen)
        html = (f'<!doctype html><html lang="ko"><head><meta charset="utf-8"><title>{day} 기사 목록</title></head>'
                f'<body><nav><a href="/">홈</a> <a href="/list?date={day:%Y%m%d}&page=1">처음</a></nav>'
                f'<ul class="list">{items}</ul></body></html>')
        return Reply(body=html.encode())

    def break_path(self, path: str) -> None:
        self.server.add(path, Reply(500, b"internal error", content_type="text/plain"))
