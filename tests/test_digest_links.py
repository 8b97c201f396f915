"""With `[web] base_url` set, every digest entry links to its story page and the last message to the digest's own
page, which lists everything the digest covered and what waits for the next one; on SQLite and PostgreSQL, through
real SMTP, a real Slack-shaped receiver, a JSON webhook and the console."""

from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from bs4 import BeautifulSoup

from alerts.deliver import AppriseNotifier
from alerts.run import run_digests
from app.config import parse_config
from digest_fixtures import WATCHLIST, Stored, receiver, slack_to, smtp_server
from models.db import Database
from web_archive import serve_view

SLACK_URL = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/"
KT = ("company", "kt", 0.9, "KT는 밝혔다.", ["KT"])
LAYOFFS = ("topic", "layoffs", 0.5, "희망퇴직을 받는다.", ["희망퇴직"])
BASE = "https://news.example.kr/newsmon"


def config_for(tmp_path: Path, url: str, channels: list[dict], max_entries: int = 3):  # type: ignore[no-untyped-def]
    raw = {"storage": {"database_url": url}, "watchlist": WATCHLIST, "web": {"base_url": BASE + "/"},
           "subscriptions": [{"name": "team", "companies": ["kt"], "topics": ["layoffs"], "max_age_hours": None,
                              "max_entries": max_entries, "channels": channels}]}
    return parse_config(raw, tmp_path / "newsmon.toml")


def store(stored: Stored) -> list[str]:
    titles = []
    for n in range(5):
        title = f"KT 희망퇴직 {n}" if n % 2 else f"KT 발표 {n}"
        stored.article(title, tags=[KT, LAYOFFS] if n % 2 else [KT], story_key=f"story{n:02d}")
        titles.append(title)
    return titles


def local(url: str) -> str:
    assert url.startswith(BASE + "/"), url
    return urlsplit(url).path.removeprefix("/newsmon")


def test_entries_link_to_their_story_and_the_last_message_to_the_whole_digest(any_db: Database,
                                                                               tmp_path: Path) -> None:
    titles = store(Stored(any_db))
    url = any_db.engine.url.render_as_string(hide_password=False)
    channels = [{"name": "mail", "env": "MAIL"}, {"name": "slack", "env": "SLACK"},
                {"name": "hook", "env": "HOOK", "format": "markdown"}]
    config = config_for(tmp_path, url, channels)
    with smtp_server() as (inbox, port), receiver() as slack, receiver() as hook:
        env = {"MAIL": f"mailto://127.0.0.1:{port}?from=n@example.kr&to=t@example.kr&mode=insecure",
               "SLACK": SLACK_URL, "HOOK": f"json://127.0.0.1:{hook.port}/in"}
        [report] = run_digests(any_db, config, env=env, notifier=AppriseNotifier(env, prepare=slack_to(slack.port)))
    assert report.stories == 3 and report.deliveries == {"mail": "sent", "slack": "sent", "hook": "sent"}
    page_url = f"{BASE}/digests/{report.digest_key}"

    [mail] = inbox.messages
    html = BeautifulSoup(mail.get_body(("html",)).get_content(), "html.parser")
    story_links = [a["href"] for a in html.find_all("a") if a.get_text() == "story page"]
    markdown = hook.requests[0].json()["message"]
    slack_text = str(slack.requests[0].json()["attachments"][0]["blocks"])
    # Three stories, one of them in both sections: four entries, each linking to its story's page.
    assert sorted(story_links) == sorted(f"{BASE}/stories/story{n:02d}" for n in (0, 1, 1, 2))
    assert sorted(re.findall(r"\[story page\]\(([^)]+)\)", markdown)) == sorted(story_links)
    assert sorted(re.findall(r"<([^|<>]+)\|story page>", slack_text)) == sorted(story_links)
    # The "2 more" line and the link to the digest's page close every rendering.
    for text in (html.get_text(" "), markdown.replace("\\", ""), slack_text):
        assert "and 2 more stories" in text
    assert page_url in [a["href"] for a in html.find_all("a")]
    assert page_url in markdown and page_url in slack_text

    with serve_view(url) as served, httpx.Client(base_url=served.base, trust_env=False, timeout=30) as client:
        for link in set(story_links):
            answer = client.get(local(link))
            assert answer.status_code == 200
            key = link.rsplit("/", 1)[1]
            assert titles[int(key[-2:])] in answer.text
        api = client.get(local(page_url).replace("/digests/", "/api/digests/")).json()
        page = BeautifulSoup(client.get(local(page_url)).text, "html.parser")
        missing = client.get("/api/digests/nope")
    assert api["subscription"] == "team" and api["stories"] == 3
    assert {s["name"]: [i["title"] for i in s["items"]] for s in api["sections"]} == \
        {"KT": titles[:3], "구조조정": [titles[1]]}
    assert [w["title"] for w in api["waiting"]] == titles[3:]
    shown = [h.get_text(strip=True) for h in page.select("li.hit h3")]
    assert sorted(shown) == sorted([*titles[:3], titles[1], *titles[3:]])
    assert missing.status_code == 404


def test_without_base_url_there_are_no_web_links(db: Database, tmp_path: Path) -> None:
    stored = Stored(db)
    store(stored)
    raw = {"storage": {"database_url": "sqlite:///x.db"}, "watchlist": WATCHLIST,
           "subscriptions": [{"name": "team", "companies": ["kt"], "max_age_hours": None, "max_entries": 3}]}
    out = io.StringIO()
    run_digests(db, parse_config(raw, tmp_path / "newsmon.toml"), console=out)
    assert "story:" not in out.getvalue() and "/digests/" not in out.getvalue()
    assert "and 2 more stories" in out.getvalue()
    # With it, the console shows the same links.
    raw["web"] = {"base_url": BASE}
    stored.article("KT 새 소식", tags=[KT], story_key="story10")
    out = io.StringIO()
    [report] = run_digests(db, parse_config(raw, tmp_path / "newsmon.toml"), console=out)
    assert f"story: {BASE}/stories/story03" in out.getvalue()
    assert f"{BASE}/digests/{report.digest_key}" in out.getvalue()
