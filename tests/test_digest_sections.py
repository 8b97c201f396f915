"""A story is listed under every watched company and topic it matches, and the header counts are the sections'
sizes, in every format, as delivered: email (SMTP), Slack (its payload), Markdown (a webhook) and the console."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

from bs4 import BeautifulSoup

from alerts.deliver import AppriseNotifier
from alerts.run import run_digests
from digest_fixtures import Stored, make_config, receiver, slack_to, smtp_server
from models.db import Database

SLACK_URL = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/"
KT = ("company", "kt", 0.9, "KT는 밝혔다.", ["KT"])
NAVER = ("company", "naver", 0.6, "네이버도 함께 밝혔다.", ["네이버"])
LAYOFFS = ("topic", "layoffs", 0.5, "희망퇴직을 받는다.", ["희망퇴직"])


def store_stories(db: Database) -> dict[str, list[str]]:
    """Seven stories; the expected sections (display name -> titles)."""
    stored = Stored(db)
    sections: dict[str, list[str]] = {"KT": [], "네이버": [], "구조조정": []}
    plan = [("KT·네이버 제휴 1", [KT, NAVER]), ("KT·네이버 제휴 2", [KT, NAVER]), ("KT 단독", [KT]),
            ("KT 희망퇴직", [KT, LAYOFFS]), ("네이버 단독", [NAVER]), ("셋 다", [KT, NAVER, LAYOFFS]),
            ("KT 또 단독", [KT])]
    names = {"kt": "KT", "naver": "네이버", "layoffs": "구조조정"}
    for title, tags in plan:
        stored.article(title, tags=tags)
        for tag in tags:
            sections[names[tag[1]]].append(title)
    return sections


def counts_of(header: str) -> dict[str, int]:
    return {name: int(n) for name, n in re.findall(r"([^\s:,|]+) (\d+)", header)}


def sections_of_text(text: str) -> tuple[dict[str, int], dict[str, list[str]]]:
    lines = text.splitlines()
    counts = counts_of(lines[1].split(" · ", 1)[1])
    sections: dict[str, list[str]] = {}
    current = None
    for line in lines:
        if m := re.match(r"^== (.+?) \(", line):
            current = sections.setdefault(m.group(1), [])
        elif line.startswith("* ") and current is not None:
            current.append(line[2:])
    return counts, sections


def sections_of_mail_text(text: str) -> tuple[dict[str, int], dict[str, list[str]]]:
    """The plain-text alternative apprise derives from the HTML: "KT company · 6" heads a section; a title is the
    line above its link."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    counts = counts_of(next(line for line in lines if "Companies:" in line).split(" · ", 1)[1])
    sections: dict[str, list[str]] = {}
    current = None
    for i, line in enumerate(lines):
        if m := re.match(r"^(.+) (?:company|topic) · \d+$", line):
            current = sections.setdefault(m.group(1), [])
        elif line.startswith("https://") and current is not None:
            current.append(lines[i - 1])
    return counts, sections


def sections_of_html(html: str) -> tuple[dict[str, int], dict[str, list[str]]]:
    soup = BeautifulSoup(html, "html.parser")
    counts = counts_of(soup.find("p").get_text().split(" · ", 1)[1])
    sections: dict[str, list[str]] = {}
    for h2 in soup.find_all("h2"):
        titles = sections.setdefault(h2.contents[0].strip(), [])
        for sibling in h2.find_next_siblings():
            if sibling.name == "h2":
                break
            if "entry" in (sibling.get("class") or []):
                titles.append(sibling.find("div").get_text().strip())
    return counts, sections


def sections_of_markdown(md: str) -> tuple[dict[str, int], dict[str, list[str]]]:
    header = next(line for line in md.splitlines() if "Companies:" in line)
    counts = counts_of(header.replace("\\", "").split(" · ", 1)[1])
    sections: dict[str, list[str]] = {}
    current = None
    for line in md.splitlines():
        if line.startswith("### "):
            current = sections.setdefault(line[4:].replace("\\", "").split(" (")[0].strip(), [])
        elif (m := re.match(r"^- \*\*\[(.+?)\]\(", line)) and current is not None:
            current.append(m.group(1).replace("\\", ""))
    return counts, sections


def sections_of_slack(blocks: list[dict]) -> tuple[dict[str, int], dict[str, list[str]]]:
    counts = counts_of(blocks[1]["elements"][0]["text"].split(" · ", 1)[1])
    sections: dict[str, list[str]] = {}
    current = None
    for block in blocks:
        if block["type"] != "section":
            continue
        for chunk in block["text"]["text"].split("\n\n"):
            if m := re.match(r"^\*([^*<]+?)\*", chunk):
                current = sections.setdefault(m.group(1).split(" (")[0].strip(), [])
                chunk = chunk[m.end():].lstrip("\n")
            for title in re.findall(r"^• \*<[^|]+\|(.+?)>\*", chunk, re.M):
                assert current is not None
                current.append(title)
    return counts, sections


def test_every_format_lists_a_story_under_each_of_its_sections_with_matching_counts(
    db: Database, tmp_path: Path
) -> None:
    expected = store_stories(db)
    channels = [{"name": "mail", "env": "MAIL"}, {"name": "slack", "env": "SLACK"},
                {"name": "hook", "env": "HOOK", "format": "markdown"}]
    config = make_config(tmp_path, [{"name": "team", "companies": ["kt", "naver"], "topics": ["layoffs"],
                                     "channels": channels},
                                    {"name": "console", "companies": ["kt", "naver"], "topics": ["layoffs"]}])
    out = io.StringIO()
    with smtp_server() as (inbox, port), receiver() as slack, receiver() as hook:
        env = {"MAIL": f"mailto://127.0.0.1:{port}?from=n@example.kr&to=t@example.kr&mode=insecure",
               "SLACK": SLACK_URL, "HOOK": f"json://127.0.0.1:{hook.port}/in"}
        reports = run_digests(db, config, env=env, console=out,
                              notifier=AppriseNotifier(env, prepare=slack_to(slack.port)))

    assert [r.stories for r in reports] == [7, 7]
    assert reports[0].deliveries == {"mail": "sent", "slack": "sent", "hook": "sent"}
    expected_counts = {name: len(titles) for name, titles in expected.items()}
    [mail] = inbox.messages
    views = {
        "console": sections_of_text(out.getvalue()),
        "email text": sections_of_mail_text(mail.get_body(("plain",)).get_content()),
        "email html": sections_of_html(mail.get_body(("html",)).get_content()),
        "markdown": sections_of_markdown(hook.requests[0].json()["message"]),
        "slack": sections_of_slack(slack.requests[0].json()["attachments"][0]["blocks"]),
    }
    for view, (counts, sections) in views.items():
        assert counts == expected_counts, view
        assert {name: sorted(titles) for name, titles in sections.items()} == \
            {name: sorted(titles) for name, titles in expected.items()}, view


def test_each_section_shows_its_own_tags_evidence(db: Database, tmp_path: Path) -> None:
    stored = Stored(db)
    stored.article("KT 희망퇴직", tags=[KT, LAYOFFS])
    config = make_config(tmp_path, [{"name": "console", "companies": ["kt"], "topics": ["layoffs"]}])
    out = io.StringIO()
    run_digests(db, config, console=out)

    evidence: dict[str, list[str]] = {}
    current = ""
    for line in out.getvalue().splitlines():
        if m := re.match(r"^== (.+?) \(", line):
            current = m.group(1)
        elif line.startswith("  \u201c"):
            evidence.setdefault(current, []).append(line.strip())
    assert evidence == {"KT": ["\u201c[KT]는 밝혔다.\u201d"], "구조조정": ["\u201c[희망퇴직]을 받는다.\u201d"]}
