"""Spike alerts over a constructed history, on SQLite and PostgreSQL: quiet days then a surge give one notice,
delivered through the outbox to real SMTP and a real webhook receiver; the next run gives none; a slow rise under
the factor gives none; a spike that ended may be told again after its cool-down."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from alerts.config import SpikeRule
from alerts.deliver import AppriseNotifier
from alerts.run import run_digests
from alerts.spikes import assess, run_spike_alerts
from digest_fixtures import Stored, make_config, receiver, slack_to, smtp_server
from models import tables as t
from models.db import Database
from models.spikes_store import StoryFiling
from web_archive import serve_view

NOW = datetime(2026, 1, 15, 3, 0, tzinfo=timezone.utc)
SLACK_URL = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/"


def kt(evidence: str = "KT가 밝혔다.") -> tuple:
    return ("company", "kt", 0.9, evidence, ["KT"])


def history(stored: Stored, per_day: list[int], today: int, *, label: str = "KT") -> None:
    """`per_day[i]` stories (each its own story) on day i of the 14 days before the last 24 hours, then `today` in
    the last 24 hours, plus a near-duplicate copy of each of today's (a copy is not another story)."""
    days = len(per_day)
    for i, n in enumerate(per_day):
        for k in range(n):
            when = NOW - timedelta(days=days - i + 1) + timedelta(hours=1 + k)
            stored.article(f"{label} 평소 소식 {i}-{k}", tags=[kt()], published_at=when, story_key=f"q{i}-{k}")
    for k in range(today):
        when = NOW - timedelta(hours=20) + timedelta(minutes=30 * k)
        lead = stored.article(f"{label} 급증 {k}", tags=[kt(f"KT 급증 {k}번째 기사.")], published_at=when,
                              story_key=f"s{k}")
        stored.article(f"{label} 급증 {k} (전재)", outlet="뉴스핌", tags=[kt()], published_at=when,
                       duplicate_of=lead, story_key=f"s{k}")


def spike_config(tmp_path: Path, url: str, channels: list[dict] | None = None, **rule: object):  # type: ignore[no-untyped-def]
    sub = {"name": "team", "companies": ["kt"], "topics": ["layoffs"], "spikes": {"max_stories": 5, **rule}}
    if channels:
        sub["channels"] = channels
    return make_config(tmp_path, [sub, {"name": "quiet", "companies": ["kt"]}], database_url=url)


def notices(db: Database) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(t.SpikeRow)) or 0


def test_a_surge_after_quiet_days_is_one_notice_and_the_next_run_none(any_db: Database, tmp_path: Path) -> None:
    history(Stored(any_db), [1] * 14, today=9)
    url = any_db.engine.url.render_as_string(hide_password=False)
    config = spike_config(tmp_path, url, [{"name": "mail", "env": "MAIL"}, {"name": "hook", "env": "HOOK"},
                                          {"name": "slack", "env": "SLACK"}])
    with smtp_server() as (inbox, port), receiver() as hook, receiver() as slack:
        env = {"MAIL": f"mailto://127.0.0.1:{port}?from=n@example.kr&to=t@example.kr&mode=insecure",
               "HOOK": f"json://127.0.0.1:{hook.port}/in", "SLACK": SLACK_URL}
        notifier = AppriseNotifier(env, prepare=slack_to(slack.port))
        first = run_spike_alerts(any_db, config, clock=lambda: NOW, env=env, notifier=notifier)
        again = run_spike_alerts(any_db, config, clock=lambda: NOW + timedelta(hours=1), env=env, notifier=notifier)

    told = [r for r in first if r.notice]
    assert [(r.subscription, r.label, r.stories, r.baseline, r.threshold) for r in told] == \
        [("team", "kt", 9, 1.0, 5)]
    assert told[0].deliveries == {"mail": "sent", "hook": "sent", "slack": "sent"}
    [blocks] = [r.json()["attachments"][0]["blocks"] for r in slack.requests]
    assert blocks[0]["text"]["text"] == "newsmon · team · spike: KT, 9 stories in the last day"
    assert "usually 1.0 per 24 hours" in blocks[2]["text"]["text"]
    # The topic had no stories at all: assessed, nothing told; the subscription without `spikes` is not checked.
    assert {(r.label, r.notice) for r in first} == {("kt", told[0].notice), ("layoffs", None)}
    assert not any(r.notice for r in again) and notices(any_db) == 1

    [mail] = inbox.messages
    assert "spike: KT, 9 stories in the last day" in str(mail["subject"])
    html = mail.get_body(("html",)).get_content()
    assert "usually 1.0 per 24 hours over the 14 days before" in html
    [payload] = [r.json() for r in hook.requests]
    assert payload["digest_key"] == told[0].notice
    shown = [f"KT 급증 {k}" for k in range(9) if f"KT 급증 {k}\\]" in payload["message"]
             or f"KT 급증 {k}]" in payload["message"]]
    assert len(shown) == 5 and "4 more stories of this surge" in payload["message"]
    assert "KT 평소 소식" not in payload["message"]

    # Its page in the web view lists the five shown and the four more.
    with serve_view(url) as served:
        page = httpx.get(f"{served.base}/api/digests/{told[0].notice}", timeout=30, trust_env=False).json()
    assert page["kind"] == "spike" and "usually 1.0 per 24 hours" in page["note"]
    assert [len(sec["items"]) for sec in page["sections"]] == [5] and len(page["waiting"]) == 4
    assert {i["title"] for sec in page["sections"] for i in sec["items"]} | {w["title"] for w in page["waiting"]} \
        == {f"KT 급증 {k}" for k in range(9)}

    # The notice took no digest entries: the daily digest still carries every one of those stories.
    digests = run_digests(any_db, config, subscriptions=["team"], console=io.StringIO(), env={},
                          notifier=AppriseNotifier({}))
    assert digests[0].stories == 14 + 9


def test_a_slow_rise_under_the_factor_is_no_spike(any_db: Database, tmp_path: Path) -> None:
    rising = [1, 1, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 4]  # 40 stories: 2.86 a day; three times that is 8.6
    history(Stored(any_db), rising, today=8)
    config = spike_config(tmp_path, any_db.engine.url.render_as_string(hide_password=False))
    out = io.StringIO()
    [kt_report, _] = run_spike_alerts(any_db, config, clock=lambda: NOW, console=out)
    assert (kt_report.stories, kt_report.threshold, kt_report.notice) == (8, 9, None)
    assert notices(any_db) == 0 and out.getvalue() == ""


def test_few_stories_on_an_empty_baseline_are_no_spike_below_min_count(db: Database, tmp_path: Path) -> None:
    stored = Stored(db)
    history(stored, [0] * 14, today=4)
    config = spike_config(tmp_path, db.engine.url.render_as_string(hide_password=False))
    assert not any(r.notice for r in run_spike_alerts(db, config, clock=lambda: NOW, console=io.StringIO()))
    stored.article("KT 급증 다섯", tags=[kt()], published_at=NOW - timedelta(minutes=5),
                                     story_key="s-five")
    out = io.StringIO()
    assert [r.stories for r in run_spike_alerts(db, config, clock=lambda: NOW, console=out) if r.notice] == [5]
    assert "spike: KT, 5 stories in the last day" in out.getvalue()


def test_an_ended_spike_is_told_again_only_after_its_cool_down(db: Database, tmp_path: Path) -> None:
    stored = Stored(db)
    history(stored, [1] * 14, today=9)
    config = spike_config(tmp_path, db.engine.url.render_as_string(hide_password=False), cooldown_hours=72)
    quiet = io.StringIO()
    run = lambda at: [r for r in run_spike_alerts(db, config, clock=lambda: at, console=quiet) if r.notice]  # noqa: E731
    assert len(run(NOW)) == 1
    assert run(NOW + timedelta(days=1, hours=1)) == []  # the surge left the window: the spike ends
    with db.session() as s:
        assert s.scalar(select(t.SpikeRow.ended_at)) is not None
    # A second surge two days later: inside the 72-hour cool-down, not told; after it, told.
    for k in range(12):
        stored.article(f"KT 두 번째 급증 {k}", tags=[kt()], published_at=NOW + timedelta(days=2, minutes=k),
                       story_key=f"t{k}")
    assert run(NOW + timedelta(days=2, hours=1)) == []
    for k in range(12):
        stored.article(f"KT 세 번째 급증 {k}", tags=[kt()], published_at=NOW + timedelta(days=3, hours=2, minutes=k),
                       story_key=f"u{k}")
    assert [r.stories for r in run(NOW + timedelta(days=3, hours=3))] == [12]
    assert notices(db) == 2


def test_the_hour_window_compares_with_the_average_hour() -> None:
    rule = SpikeRule(window="hour", baseline_days=1, factor=4, min_count=3)
    filings = [StoryFiling(f"b{i}", i, NOW - timedelta(hours=2 + i), 0.5) for i in range(24)]  # one an hour
    filings += [StoryFiling(f"n{i}", 100 + i, NOW - timedelta(minutes=50 - i), 0.5 + i / 10) for i in range(5)]
    a = assess(filings, NOW, rule)
    assert (a.stories, a.threshold, a.spiking) == (5, 5, True)
    assert [f.story for f in a.leads][:2] == ["n4", "n3"]  # strongest first
    assert not assess(filings[:-1], NOW, rule).spiking


@pytest.mark.parametrize("bad", [{"factor": 0.5}, {"window": "week"}, {"min_count": 0}])
def test_a_spike_rule_that_cannot_work_is_refused(tmp_path: Path, bad: dict) -> None:
    from newsmon.errors import ConfigError

    with pytest.raises(ConfigError, match="spikes"):
        spike_config(tmp_path, "sqlite:///x.db", **bad)


def test_every_ingest_checks_for_spikes_in_a_real_flow_run(tmp_path: Path, prefect_api: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from flows.ingest import ingest
    from test_flows import make_project

    monkeypatch.delenv("NEWSMON_DATABASE_URL", raising=False)
    project = make_project(tmp_path / "project")
    # Articles without a published time are filed when stored: now, inside the last day.
    bodies = ["KT는 3일 새 5G 요금제를 발표했다. 데이터 제공량을 늘리고 월 요금은 낮췄다. 회사는 가입자 확대를 기대한다.",
              "KT가 부산에 새 데이터센터를 짓는다. 투자 규모는 3천억원이며 2028년 가동이 목표다. 지역 고용도 늘어난다.",
              "KT 노조가 임금 협상 결렬을 선언했다. 노조는 다음 주 쟁의 찬반 투표를 열기로 했다. 회사는 대화를 제안했다."]
    records = [{"id": f"s-{k}", "title": body.split(".")[0], "publisher": f"테스트{k}일보", "body": body}
               for k, body in enumerate(bodies)]
    (project.parent / "inbox" / "articles.jsonl").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    project.write_text(project.read_text(encoding="utf-8") + '\n[[subscriptions]]\nname = "surge"\n'
                       'companies = ["kt"]\nspikes = { min_count = 2 }\n', encoding="utf-8")

    first = ingest(config_path=str(project), sources=["inbox"])
    second = ingest(config_path=str(project), sources=["inbox"])
    [told] = first["spikes"]
    assert (told["subscription"], told["label"], told["stories"]) == ("surge", "kt", 3)
    assert told["deliveries"] == {"console": "sent"}
    assert second["spikes"] == []


def test_the_database_counts_the_baseline_as_the_rule_defines_it(any_db: Database, tmp_path: Path) -> None:
    from alerts.spikes import SpikeWatch, baseline_start
    from models.spikes_store import label_filings

    stored = Stored(any_db)
    history(stored, [1, 0, 2, 5, 1, 1, 0, 3, 2, 2, 4, 1, 0, 2], today=6)
    # A story filed on three different days counts on each; twice on one day, once.
    for hours in (30, 31, 80, 200):
        stored.article("KT 연재", tags=[kt()], published_at=NOW - timedelta(hours=hours), story_key="serial")
    for window in ("day", "hour"):
        config = spike_config(tmp_path, any_db.engine.url.render_as_string(hide_password=False), window=window)
        sub = config.subscriptions[0]
        with any_db.session() as s:
            everything = label_filings(s, "company", "kt", since=baseline_start(NOW, sub.spikes), until=NOW)
        by_sql = SpikeWatch(any_db, config).assess(sub, "company", "kt", NOW)
        by_rule = assess(everything, NOW, sub.spikes)
        assert (by_sql.stories, by_sql.baseline, by_sql.threshold) == \
            (by_rule.stories, by_rule.baseline, by_rule.threshold), window
        assert [f.article_id for f in by_sql.leads] == [f.article_id for f in by_rule.leads]
    assert by_rule.baseline > 0
