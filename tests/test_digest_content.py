"""What a digest holds and how each format shows it: stories, filters, counts, times, emphasis, escaping, trimming."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import markdown
import pytest
from sqlalchemy import func, select

from alerts.notices import send_notice
from alerts.render import SLACK_MAX_BLOCKS, escape_markdown, render, render_parts
from alerts.run import DigestRunner, run_digests
from digest_fixtures import BASE_TIME, Stored, kt_article, make_config
from flows.cli import write_preview
from models import tables as t
from models.db import Database

NOW = datetime(2025, 12, 28, 1, 0, tzinfo=timezone.utc)
EVIL = ("KT <!channel> <@U024BE7LH> <https://evil.example|click> <script>alert(1)</script> [x](https://evil.example)"
        " @everyone *굵게* ~취소~")


def naver_article(stored: Stored, title: str = "네이버, 하이퍼클로바X 희망퇴직 없이 확대", **kw) -> int:  # type: ignore[no-untyped-def]
    return stored.article(
        title,
        tags=[("company", "naver", 0.7, "네이버는 희망퇴직 없이 조직을 키운다고 밝혔다.", ["네이버"]),
              ("topic", "layoffs", 0.5, "네이버는 희망퇴직 없이 조직을 키운다고 밝혔다.", ["희망퇴직"])],
        **kw,
    )


def digest_of(db: Database, config, name: str = "team"):  # type: ignore[no-untyped-def]
    """The digest a run would build now for subscription `name` (through the run's own query and builder)."""
    sub = next(s for s in config.subscriptions if s.name == name)
    runner = DigestRunner(db, config, clock=lambda: NOW)
    return runner.build(sub)


def test_duplicates_and_story_mates_become_one_entry_naming_the_other_outlets(
    any_db: Database, tmp_path: Path
) -> None:
    stored = Stored(any_db)
    first = kt_article(stored, outlet="연합뉴스")
    stored.article("KT 믿음 공개 (전재)", outlet="조선일보", duplicate_of=first, tags=[])
    kt_article(stored, title="KT가 공개한 믿음, 무엇이 다른가", outlet="한겨레", story_key="story-1")
    kt_article(stored, title="KT 믿음 분석", outlet="매일경제", story_key="story-1")
    config = make_config(tmp_path, [{"name": "team", "companies": ["kt"]}])

    digest = digest_of(any_db, config)

    items = [i for g in digest.groups for i in g.items]
    assert len(items) == 2 and digest.stories == 2
    assert [c.outlet for c in items[0].also_in] == ["조선일보"]
    assert items[1].outlet == "한겨레" and [c.outlet for c in items[1].also_in] == ["매일경제"]
    text = render(digest, "text").body
    assert "also in: 조선일보" in text and "also in: 매일경제" in text


def test_a_copy_from_the_entrys_own_outlet_is_not_listed_as_another_outlet(db: Database, tmp_path: Path) -> None:
    stored = Stored(db)
    first = kt_article(stored, outlet="연합뉴스\u200e ")  # as stored, before cleaning
    stored.article("KT 믿음 공개 (재송)", outlet="연합뉴스", duplicate_of=first, tags=[])
    config = make_config(tmp_path, [{"name": "team", "companies": ["kt"]}])

    [item] = digest_of(db, config).groups[0].items

    assert item.outlet == "연합뉴스" and item.also_in == ()


def test_header_counts_groups_and_local_time(any_db: Database, tmp_path: Path) -> None:
    stored = Stored(any_db)
    kt_article(stored, published_at=datetime(2025, 12, 28, 0, 5, tzinfo=timezone.utc))
    kt_article(stored, title="KT 두 번째")
    naver_article(stored)
    config = make_config(tmp_path, [{"name": "team", "companies": ["kt", "naver"], "topics": ["layoffs"],
                                     "timezone": "America/New_York"}])

    digest = digest_of(any_db, config)

    assert dict(digest.company_counts) == {"KT": 2, "네이버": 1}
    assert dict(digest.topic_counts) == {"구조조정": 1}
    # The 네이버 story is also a 구조조정 story: it has both sections, as the counts say.
    assert [(g.name, len(g.items)) for g in digest.groups] == [("KT", 2), ("네이버", 1), ("구조조정", 1)]
    assert digest.stories == 3
    assert digest.groups[0].items[0].published == "2025-12-27 19:05 EST"
    assert "네이버" in digest.title


@pytest.mark.parametrize(
    ("subscription", "expected"),
    [
        ({"companies": ["kt"]}, {"kt-1", "kt-naver"}),
        ({"companies": ["kt"], "topics": ["layoffs"], "match": "any"}, {"kt-1", "kt-naver", "naver-1"}),
        ({"companies": ["kt", "naver"], "match": "all"}, {"kt-naver"}),
        ({"companies": ["kt"], "min_score": 0.85}, {"kt-1"}),
        ({"companies": ["kt", "naver"], "include_outlets": ["한겨레"]}, {"kt-naver"}),
        ({"companies": ["kt", "naver"], "exclude_outlets": ["한겨레"]}, {"kt-1", "naver-1"}),
    ],
)
def test_subscription_filters(any_db: Database, tmp_path: Path, subscription: dict, expected: set[str]) -> None:
    stored = Stored(any_db)
    kt_article(stored, title="kt-1")
    naver_article(stored, title="naver-1")
    stored.article("kt-naver", outlet="한겨레", tags=[
        ("company", "kt", 0.6, "KT와 네이버가 손잡았다.", ["KT"]),
        ("company", "naver", 0.6, "KT와 네이버가 손잡았다.", ["네이버"]),
    ])
    config = make_config(tmp_path, [{"name": "team", **subscription}])

    digest = digest_of(any_db, config)

    assert {i.title for g in digest.groups for i in g.items} == expected


def test_matched_words_are_emphasised_in_every_format(db: Database, tmp_path: Path) -> None:
    kt_article(Stored(db))
    config = make_config(tmp_path, [{"name": "team", "companies": ["kt"], "topics": ["llm"]}])
    digest = digest_of(db, config)

    assert "[KT]는 28일 자체 [거대언어모델]" in render(digest, "text").body
    assert "**KT**는 28일 자체 **거대언어모델**" in render(digest, "markdown").body
    assert "*KT*는 28일 자체 *거대언어모델*" in json.dumps(render(digest, "slack").blocks, ensure_ascii=False)
    html = render(digest, "html").body
    assert ">KT</mark>는 28일 자체 <mark" in html and ">거대언어모델</mark>" in html
    assert 'href="https://news.example.kr/1"' in html


def test_a_title_cannot_inject_markup_links_or_mentions(db: Database, tmp_path: Path) -> None:
    kt_article(Stored(db), title=EVIL, url="https://news.example.kr/a?b=1&c=2")
    config = make_config(tmp_path, [{"name": "team", "companies": ["kt"]}])
    digest = digest_of(db, config)

    slack = json.dumps(render(digest, "slack").blocks, ensure_ascii=False)
    assert "<!channel>" not in slack and "<@U024BE7LH>" not in slack and "<https://evil" not in slack
    assert "&lt;!channel&gt;" in slack and "@\u2060everyone" in slack
    assert "\u2217굵게\u2217 \u223c취소\u223c" in slack  # mrkdwn markers from a title are look-alikes
    assert "<https://news.example.kr/a?b=1&c=2|" in slack  # our own link survives

    html = render(digest, "html").body
    assert "<script>" not in html and 'href="https://evil' not in html and "&lt;script&gt;" in html

    as_html = markdown.markdown(render(digest, "markdown").body)
    assert "<script>" not in as_html and 'href="https://evil' not in as_html and "&lt;!channel&gt;" in as_html
    assert "@everyone" not in render(digest, "markdown").body

    text = render(digest, "text").body
    assert EVIL in text  # the console shows the title as it is: plain text has no markup to inject


def test_a_javascript_url_is_never_linked(db: Database, tmp_path: Path) -> None:
    kt_article(Stored(db), url="javascript:alert(1)")
    config = make_config(tmp_path, [{"name": "team", "companies": ["kt"]}])
    digest = digest_of(db, config)
    for fmt in ("html", "markdown", "slack"):
        rendered = render(digest, fmt)
        assert "javascript:" not in rendered.body + json.dumps(rendered.blocks or [])


def test_a_long_digest_goes_out_in_numbered_messages_that_each_fit_and_together_hold_every_story(
    db: Database, tmp_path: Path
) -> None:
    stored = Stored(db)
    titles = [f"KT 기사 {n:03d} " + "가나다라마바사 " * 19 + "가나다라마바사" for n in range(300)]
    for title in titles:
        kt_article(stored, title=title)
    config = make_config(tmp_path, [{"name": "team", "companies": ["kt"], "max_entries": 500},
                                    {"name": "capped", "companies": ["kt"], "max_entries": 10}])
    digest = digest_of(db, config)
    assert digest.stories == 300 and digest.waiting == 0

    slack = render_parts(digest, "slack")
    assert len(slack) > 1
    for number, part in enumerate(slack, 1):
        assert len(part.blocks) <= SLACK_MAX_BLOCKS and len(json.dumps(part.blocks, ensure_ascii=False)) <= 35_000
        assert (part.part, part.parts) == (number, len(slack))
        assert part.blocks[0]["text"]["text"].endswith(f"({number}/{len(slack)})")
    slack_text = json.dumps([p.blocks for p in slack], ensure_ascii=False)
    assert all(slack_text.count(title) == 1 for title in titles)
    discord = render_parts(digest, "markdown", limit=2000)
    assert all(len(p.body) <= 2000 for p in discord) and sum(p.entries for p in discord) == 300
    assert all("".join(p.body for p in discord).count(escape_markdown(t)) == 1 for t in titles)
    assert f"Continued in the next message (2/{len(discord)})" in discord[0].body.replace("\\", "")

    capped = digest_of(db, config, "capped")
    assert capped.stories == 10 and capped.waiting == 290 and len(capped.article_ids) == 10
    [text] = render_parts(capped, "text")
    assert "…and 290 more stories (over this subscription's max_entries) come in the next digest." in text.body


def test_an_entry_too_large_for_a_message_is_shortened_not_dropped(db: Database, tmp_path: Path) -> None:
    stored = Stored(db)
    kt_article(stored, title="KT 첫 기사")
    kt_article(stored, title="KT 두 번째 " + "아주 긴 제목 " * 400, url="https://news.example.kr/" + "p" * 1900)
    kt_article(stored, title="KT 세 번째")
    config = make_config(tmp_path, [{"name": "team", "companies": ["kt"]}])
    digest = digest_of(db, config)

    parts = render_parts(digest, "markdown", limit=1000)

    assert all(len(p.body) <= 1000 for p in parts)
    body = "".join(p.body for p in parts)
    assert "KT 첫 기사" in body and "KT 세 번째" in body and "KT 두 번째 아주 긴 제목" in body


def test_console_gets_the_digest_once_and_nothing_when_nothing_is_new(any_db: Database, tmp_path: Path) -> None:
    kt_article(Stored(any_db))
    config = make_config(tmp_path, [{"name": "team", "companies": ["kt"]}])
    out = io.StringIO()

    first = run_digests(any_db, config, console=out)
    printed = out.getvalue()
    second = run_digests(any_db, config, console=out)

    assert [r.deliveries for r in first] == [{"console": "sent"}]
    assert "KT, 거대언어모델 '믿:음' 공개" in printed and "2025-12-28 09:31 KST" in printed
    assert second == [] and out.getvalue() == printed


def test_dry_run_prints_but_records_nothing(any_db: Database, tmp_path: Path) -> None:
    kt_article(Stored(any_db))
    config = make_config(tmp_path, [{"name": "team", "companies": ["kt"]}])
    out = io.StringIO()

    reports = run_digests(any_db, config, console=out, dry_run=True)

    assert reports[0].dry_run and "믿:음" in out.getvalue()
    with any_db.session() as s:
        assert s.scalar(select(func.count()).select_from(t.DigestRow)) == 0
    assert run_digests(any_db, config, console=io.StringIO())[0].deliveries == {"console": "sent"}


def test_when_selects_the_subscriptions_of_one_schedule(any_db: Database, tmp_path: Path) -> None:
    kt_article(Stored(any_db))
    config = make_config(tmp_path, [{"name": "now", "companies": ["kt"]},
                                    {"name": "morning", "companies": ["kt"], "when": "daily"}])
    quiet = io.StringIO()
    assert [r.subscription for r in run_digests(any_db, config, when="after_ingest", console=quiet)] == ["now"]
    assert [r.subscription for r in run_digests(any_db, config, when="daily", console=quiet)] == ["morning"]


def test_a_later_article_goes_out_in_the_next_digest_only(any_db: Database, tmp_path: Path) -> None:
    stored = Stored(any_db)
    kt_article(stored)
    config = make_config(tmp_path, [{"name": "team", "companies": ["kt"]}])
    run_digests(any_db, config, console=io.StringIO())
    kt_article(stored, title="KT 후속 보도", published_at=BASE_TIME)
    out = io.StringIO()

    reports = run_digests(any_db, config, console=out)

    assert reports[0].stories == 1 and "KT 후속 보도" in out.getvalue() and "믿:음" not in out.getvalue()


def test_preview_writes_html_and_records_nothing(db: Database, tmp_path: Path) -> None:
    kt_article(Stored(db), title=EVIL)
    config = make_config(tmp_path, [{"name": "team", "companies": ["kt"]}])

    path = write_preview(db, config, tmp_path / "out" / "preview.html")

    html = path.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<script>" not in html and "거대언어모델" in html
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(t.DigestRow)) == 0


def test_notice_goes_to_the_console_when_no_channel_is_configured(tmp_path: Path) -> None:
    config = make_config(tmp_path, [{"name": "team", "companies": ["kt"]}])
    out = io.StringIO()

    errors = send_notice(config.subscriptions, "source 연합 failed 3 times",
                         "https://example.kr/rss: 503 Service Unavailable", console=out)

    assert errors == [] and "source 연합 failed 3 times" in out.getvalue() and "503" in out.getvalue()


def test_two_channels_may_not_share_a_label(tmp_path: Path) -> None:
    from newsmon.errors import ConfigError

    with pytest.raises(ConfigError, match=r"channels: label\(s\) \['env:A'\] used twice"):
        make_config(tmp_path, [{"name": "team", "channels": [{"env": "A"}, {"env": "A", "format": "text"}]}])


def test_a_story_is_shown_through_the_article_that_matters_most_to_the_subscriber(
    any_db: Database, tmp_path: Path
) -> None:
    stored = Stored(any_db)
    stored.article("네이버 중심 기사", outlet="연합뉴스", story_key="s", tags=[
        ("company", "naver", 0.95, "네이버가 주도했다.", ["네이버"]), ("company", "kt", 0.3, "KT도 참여.", ["KT"])])
    stored.article("KT 중심 기사", outlet="한겨레", story_key="s", tags=[("company", "kt", 0.8, "KT가 주도했다.", ["KT"])])
    config = make_config(tmp_path, [{"name": "team", "companies": ["kt"]}])

    [group] = digest_of(any_db, config).groups

    assert [(i.title, i.evidence, [c.outlet for c in i.also_in]) for i in group.items] == [
        ("KT 중심 기사", "KT가 주도했다.", ["연합뉴스"])]


def test_old_matches_such_as_a_backfill_are_stored_but_not_sent(any_db: Database, tmp_path: Path) -> None:
    stored = Stored(any_db)
    now = datetime.now(timezone.utc)
    kt_article(stored, "KT, 지난달 기사", published_at=now - timedelta(days=30))
    kt_article(stored, "KT, 오늘 기사", published_at=now - timedelta(hours=2))
    config = make_config(tmp_path, [{"name": "team", "companies": ["kt"], "max_age_hours": 72}])
    out = io.StringIO()

    reports = run_digests(any_db, config, console=out)

    assert [r.articles for r in reports] == [1]
    assert "오늘 기사" in out.getvalue() and "지난달 기사" not in out.getvalue()
    unlimited = make_config(tmp_path, [{"name": "archive", "companies": ["kt"]}])  # max_age_hours None
    assert [r.articles for r in run_digests(any_db, unlimited, console=io.StringIO())] == [2]
