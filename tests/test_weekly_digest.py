"""A weekly digest carries the week's trend chart: in email a PNG attached inline (multipart/related, cid:) with the
figures as a table under it, elsewhere the figures as text and a link to the trend in the web view; on SQLite and
PostgreSQL, through real SMTP and a real webhook receiver. The chart's counts are the web view's trend counts."""

from __future__ import annotations

import io
import re
import struct
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
from bs4 import BeautifulSoup

from alerts.barchart import COLORS, bar_layout
from alerts.deliver import AppriseNotifier
from alerts.run import preview_html, run_digests
from app.config import parse_config
from digest_fixtures import WATCHLIST, Stored, receiver, smtp_server
from models.db import Database
from web_archive import serve_view

KST = timezone(timedelta(hours=9))
NOW = datetime(2026, 1, 12, 8, 0, tzinfo=KST)  # a Monday morning: the week is 01-05 (Mon) .. 01-11 (Sun)
KT_DAYS = [1, 3, 0, 2, 5, 0, 1]
LAYOFF_DAYS = [0, 1, 0, 0, 2, 0, 0]  # each also a KT story
KT = ("company", "kt", 0.9, "KT가 밝혔다.", ["KT"])
LAYOFFS = ("topic", "layoffs", 0.6, "희망퇴직을 받는다.", ["희망퇴직"])
BASE = "https://news.example.kr/newsmon"


def store_week(stored: Stored) -> None:
    for d, (kt, layoffs) in enumerate(zip(KT_DAYS, LAYOFF_DAYS, strict=True)):
        day = datetime(2026, 1, 5, 9, 0, tzinfo=KST) + timedelta(days=d)
        for k in range(kt):
            tags = [KT, LAYOFFS] if k < layoffs else [KT]
            stored.article(f"KT 소식 {d}-{k}", tags=tags, published_at=day + timedelta(hours=k), story_key=f"w{d}-{k}")
    # Before the week (and older than 7 days): in neither; this morning: in the digest, not in the week's chart.
    stored.article("KT 지난주 소식", tags=[KT], published_at=datetime(2026, 1, 4, 9, 0, tzinfo=KST), story_key="old")
    stored.article("KT 오늘 아침 소식", tags=[KT], published_at=NOW - timedelta(hours=1), story_key="today")


def weekly_config(tmp_path: Path, url: str, channels: list[dict], **sub: object):  # type: ignore[no-untyped-def]
    raw = {"storage": {"database_url": url}, "watchlist": WATCHLIST, "web": {"base_url": BASE},
           "subscriptions": [{"name": "weekly", "companies": ["kt"], "topics": ["layoffs"], "when": "weekly",
                              "channels": channels, **sub}]}
    return parse_config(raw, tmp_path / "newsmon.toml")


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and RGB rows of a PNG as newsmon writes it (8-bit RGB, filter 0 on every line)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        (length,), kind = struct.unpack(">I", data[pos:pos + 4]), data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert (depth, colour) == (8, 2)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = 1 + 3 * width
    rows = [raw[i * stride + 1:(i + 1) * stride] for i in range(height)]
    assert all(raw[i * stride] == 0 for i in range(height))
    return width, height, rows


def bar_heights(data: bytes, series: int, days: int) -> list[list[int]]:
    """Measured from the picture: the height of each bar's colour run in the middle of its columns."""
    width, height, rows = png_pixels(data)
    out = []
    for s in range(series):
        rgb = bytes.fromhex(COLORS[s].lstrip("#"))
        heights = []
        for left, right in (day[s] for day in bar_layout(days, series, width)):
            x = (left + right - 1) // 2
            heights.append(sum(1 for row in rows if row[3 * x:3 * x + 3] == rgb))
        out.append(heights)
    return out


def test_a_weekly_digest_mails_the_weeks_chart_inline_and_links_it_elsewhere(any_db: Database,
                                                                            tmp_path: Path) -> None:
    store_week(Stored(any_db))
    url = any_db.engine.url.render_as_string(hide_password=False)
    config = weekly_config(tmp_path, url, [{"name": "mail", "env": "MAIL"},
                                           {"name": "hook", "env": "HOOK", "format": "markdown"}])
    with smtp_server() as (inbox, port), receiver() as hook:
        env = {"MAIL": f"mailto://127.0.0.1:{port}?from=n@example.kr&to=t@example.kr&mode=insecure",
               "HOOK": f"json://127.0.0.1:{hook.port}/in"}
        [report] = run_digests(any_db, config, when="weekly", env=env, notifier=AppriseNotifier(env),
                               clock=lambda: NOW)
    assert report.stories == sum(KT_DAYS) + 1 and report.deliveries == {"mail": "sent", "hook": "sent"}

    [mail] = inbox.messages
    assert "week 2026-01-05..2026-01-11" in str(mail["subject"])
    assert mail.get_content_type() == "multipart/related"
    [image] = [p for p in mail.walk() if p.get_content_type() == "image/png"]
    assert image["Content-ID"] == "<newsmon-week.png>"
    assert image.get_content_disposition() == "inline"
    html = BeautifulSoup(mail.get_body(("html",)).get_content(), "html.parser")
    assert html.find("img")["src"] == "cid:newsmon-week.png"
    rows = {tr.th.get_text(strip=True): [int(td.get_text()) for td in tr.find_all("td")]
            for tr in html.select("table.week tr.series")}
    assert rows == {"KT": [*KT_DAYS, sum(KT_DAYS)], "구조조정": [*LAYOFF_DAYS, sum(LAYOFF_DAYS)]}

    # The picture draws those counts: one bar per series and day, heights in proportion, none for a zero.
    png = image.get_content()
    width, height, _ = png_pixels(png)
    assert (width, height) == (640, 220)
    measured = bar_heights(png, 2, 7)
    unit = measured[0][KT_DAYS.index(5)] / 5
    for counts, heights in zip((KT_DAYS, LAYOFF_DAYS), measured, strict=True):
        assert all(abs(h - n * unit) <= 1 for n, h in zip(counts, heights, strict=True)), (counts, heights)

    # Elsewhere: the figures as text and the link to the same trend in the web view, which counts the same.
    message = hook.requests[0].json()["message"]
    assert re.search(r"^KT +" + " +".join(map(str, KT_DAYS)) + rf"  · {sum(KT_DAYS)}$", message, re.M)
    [link] = [part.split(")")[0] for part in message.split("[the chart](")[1:]]
    query = parse_qs(urlsplit(link).query)
    assert query == {"label": ["kt", "layoffs"], "since": ["2026-01-05"], "until": ["2026-01-11"]}
    with serve_view(url) as served:
        trend = httpx.get(f"{served.base}/api/trends", params=query, timeout=30, trust_env=False).json()
    assert {s["label"]: s["counts"] for s in trend["series"] if s["label"] in ("kt", "layoffs")} == \
        {"kt": KT_DAYS, "layoffs": LAYOFF_DAYS}


def test_the_preview_file_shows_the_chart_as_a_data_uri(db: Database, tmp_path: Path) -> None:
    store_week(Stored(db))
    config = weekly_config(tmp_path, "sqlite:///x.db", [], max_age_hours=None)
    # The preview builds at the real clock: the chart is there (zeros, probably), whatever week it shows.
    page = BeautifulSoup(preview_html(db, config, "weekly"), "html.parser")
    assert page.find("img")["src"].startswith("data:image/png;base64,")
    assert "cid:" not in str(page)


def test_daily_digests_carry_no_chart(db: Database, tmp_path: Path) -> None:
    store_week(Stored(db))
    raw = {"storage": {"database_url": "sqlite:///x.db"}, "watchlist": WATCHLIST,
           "subscriptions": [{"name": "daily", "companies": ["kt"], "when": "daily", "max_age_hours": None}]}
    out = io.StringIO()
    run_digests(db, parse_config(raw, tmp_path / "newsmon.toml"), when="daily", console=out, clock=lambda: NOW)
    assert "The week" not in out.getvalue() and "week 2026" not in out.getvalue()
