"""Delivering digests through real channels: SMTP, Slack's payload and json:// on local servers; failures, crashes,
concurrent runs and secrets."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select, text

from alerts.deliver import DIGEST_HEADER, IDEMPOTENCY_HEADER, AppriseNotifier
from alerts.notices import send_notice
from alerts.run import run_digests
from digest_fixtures import Stored, closed_port, kt_article, make_config, receiver, slack_to, smtp_server
from models import tables as t
from models.db import Database

ROOT = Path(__file__).resolve().parent.parent
SLACK_TOKEN_C = "TIiajkdnlazkcOXrIdevi7FQ"
SLACK_URL = f"slack://T1JJ3T3L2/A1BRTD4JD/{SLACK_TOKEN_C}/"
HOOK_SECRET = "hk_5ecr3t_9f2e"
SUBJECT_KO = "KT, 거대언어모델 '믿:음' 공개"


def states(db: Database) -> dict[str, str]:
    with db.session() as s:
        return dict(s.execute(select(t.DeliveryRow.channel, t.DeliveryRow.status)).tuples().all())


def no_sleep(seconds: float) -> None:
    pass


def test_email_digest_arrives_as_multipart_text_and_html_with_korean_intact(db: Database, tmp_path: Path) -> None:
    kt_article(Stored(db))
    config = make_config(tmp_path, [{"name": "team", "companies": ["kt"], "channels": [{"name": "mail",
                                                                                        "env": "NEWSMON_MAIL"}]}])
    with smtp_server() as (inbox, port):
        env = {"NEWSMON_MAIL": f"mailto://127.0.0.1:{port}?from=newsmon@example.kr&to=team@example.kr&mode=insecure"}
        reports = run_digests(db, config, env=env)

    assert reports[0].deliveries == {"mail": "sent"}
    [message] = inbox.messages
    assert inbox.envelopes[0][1] == ["team@example.kr"]
    assert message["Subject"] == "newsmon · team · 1 new story · KT"
    assert message[DIGEST_HEADER] == reports[0].digest_key
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert SUBJECT_KO in plain and "KT는 28일 자체 거대언어모델 믿음을 공개했다." in plain
    assert "https://news.example.kr/1" in plain  # the plain-text reader still gets the link
    assert SUBJECT_KO.replace("'", "&#39;") in html and "<mark" in html and "2025-12-28 09:31 KST" in html


def test_korean_subject_survives_the_mail_headers(db: Database, tmp_path: Path) -> None:
    stored = Stored(db)
    stored.article("네이버 기사", tags=[("company", "naver", 0.7, "네이버는 밝혔다.", ["네이버"])])
    config = make_config(tmp_path, [{"name": "team", "companies": ["naver"],
                                     "channels": [{"name": "mail", "env": "NEWSMON_MAIL"}]}])
    with smtp_server() as (inbox, port):
        env = {"NEWSMON_MAIL": f"mailto://127.0.0.1:{port}?from=newsmon@example.kr&to=team@example.kr&mode=insecure"}
        run_digests(db, config, env=env)
    assert inbox.messages[0]["Subject"] == "newsmon · team · 1 new story · 네이버"
    assert "네이버 기사" in inbox.messages[0].get_body(("plain",)).get_content()


def test_slack_gets_one_block_kit_message_where_a_title_cannot_mention_or_link(db: Database, tmp_path: Path) -> None:
    evil = "KT <!channel> <https://evil.example|click here> <script>x</script> {{app_body}}"
    kt_article(Stored(db), title=evil)
    config = make_config(tmp_path, [{"name": "team", "companies": ["kt"], "channels": [{"name": "slack",
                                                                                        "env": "NEWSMON_SLACK"}]}])
    with receiver() as slack:
        env = {"NEWSMON_SLACK": SLACK_URL}
        reports = run_digests(db, config, env=env, notifier=AppriseNotifier(env, prepare=slack_to(slack.port)))

    assert reports[0].deliveries == {"slack": "sent"}
    [request] = slack.requests
    assert request.path == f"/services/T1JJ3T3L2/A1BRTD4JD/{SLACK_TOKEN_C}"
    attachment = request.json()["attachments"][0]
    assert attachment["fallback"].startswith("newsmon · team · 1 new story")
    blocks = attachment["blocks"]
    assert blocks[0]["type"] == "header" and blocks[0]["text"]["text"].startswith("newsmon · team")
    body = json.dumps(blocks, ensure_ascii=False)
    assert "<!channel>" not in body and "<https://evil.example|" not in body and "<script>" not in body
    assert "&lt;!channel&gt;" in body and "{{app_body}}" in body
    assert "<https://news.example.kr/1|KT &lt;!channel&gt;" in body
    assert "*KT*는 28일 자체" in body


def test_json_channel_gets_the_digest_key_as_header_and_field(db: Database, tmp_path: Path) -> None:
    kt_article(Stored(db))
    config = make_config(tmp_path, [{"name": "team", "companies": ["kt"], "channels": [{"name": "hook",
                                                                                        "env": "NEWSMON_HOOK"}]}])
    with receiver() as hook:
        reports = run_digests(db, config, env={"NEWSMON_HOOK": f"json://127.0.0.1:{hook.port}/in/{HOOK_SECRET}"})

    [request] = hook.requests
    payload = request.json()
    assert request.headers[IDEMPOTENCY_HEADER] == payload["digest_key"] == reports[0].digest_key
    assert payload["title"].startswith("newsmon · team") and SUBJECT_KO in payload["message"]


def test_channels_from_an_apprise_config_file(db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    kt_article(Stored(db))
    down = closed_port()
    with receiver() as hook:
        (tmp_path / "apprise.yml").write_text(
            f"urls:\n  - json://127.0.0.1:{hook.port}/a/{HOOK_SECRET}\n  - json://127.0.0.1:{down}/b/{HOOK_SECRET}x\n",
            encoding="utf-8")
        config = make_config(tmp_path, [{"name": "team", "companies": ["kt"], "channels": [
            {"name": "ops", "apprise_config": "apprise.yml", "attempts": 3, "backoff_seconds": 0}]}])
        with caplog.at_level(logging.DEBUG):
            reports = run_digests(db, config, env={}, sleep=no_sleep)
    # The file's second URL refuses: the channel fails, but its retries did not repeat the first URL's message.
    assert reports[0].deliveries == {"ops": "failed"} and len(hook.requests) == 1
    assert HOOK_SECRET not in caplog.text and HOOK_SECRET not in reports[0].errors["ops"]


def test_a_refused_channel_is_retried_next_run_without_holding_up_the_other(
    db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    kt_article(Stored(db))
    down_port = closed_port()
    channels = [{"name": "flaky", "env": "FLAKY", "attempts": 3, "backoff_seconds": 1.5}, {"name": "ok", "env": "OK"}]
    config = make_config(tmp_path, [{"name": "team", "companies": ["kt"], "channels": channels}])
    waits: list[float] = []
    with receiver() as good:
        env = {"FLAKY": f"json://127.0.0.1:{down_port}/x/{HOOK_SECRET}", "OK": f"json://127.0.0.1:{good.port}/ok"}
        with caplog.at_level(logging.WARNING, logger="newsmon.alerts"):
            first = run_digests(db, config, env=env, sleep=waits.append)
            again = run_digests(db, config, env=env, sleep=waits.append)
        assert len(good.requests) == 1
        with receiver(down_port) as recovered:
            third = run_digests(db, config, env=env, sleep=waits.append)
            fourth = run_digests(db, config, env=env, sleep=waits.append)

    assert first[0].deliveries == {"flaky": "failed", "ok": "sent"}
    assert waits[:2] == [1.5, 3.0]  # backoff doubles between a run's tries
    assert again[0].resumed and again[0].deliveries == {"flaky": "failed"}
    failures = [r.getMessage() for r in caplog.records if "not delivered" in r.getMessage()]
    assert len(failures) == 1 and "flaky" in failures[0] and HOOK_SECRET not in caplog.text
    assert third[0].deliveries == {"flaky": "sent"} and third[0].resumed
    assert len(recovered.requests) == 1 and len(good.requests) == 1
    assert fourth == [] and states(db) == {"flaky": "sent", "ok": "sent"}


def test_a_503_is_retried_within_the_run(db: Database, tmp_path: Path) -> None:
    kt_article(Stored(db))
    config = make_config(tmp_path, [{"name": "team", "companies": ["kt"],
                                     "channels": [{"name": "hook", "env": "HOOK", "backoff_seconds": 0}]}])
    with receiver() as hook:
        hook.fail_next = 1
        reports = run_digests(db, config, env={"HOOK": f"json://127.0.0.1:{hook.port}/in"}, sleep=no_sleep)
    assert reports[0].deliveries == {"hook": "sent"} and len(hook.requests) == 1
    with db.session() as s:
        assert s.scalar(select(t.DeliveryRow.attempts)) == 2


CHILD = """
import json, os, signal, sys, time
from pathlib import Path
from alerts.deliver import AppriseNotifier
from alerts.run import run_digests
from digest_fixtures import make_config, slack_to
from models.db import Database

args = json.loads(sys.argv[1])
config = make_config(Path(args["tmp"]), args["subscriptions"], args["db"])
if args.get("gate"):  # start together: say ready, wait for the go
    Path(args["gate"] + f".{os.getpid()}").touch()
    while not Path(args["gate"]).exists():
        time.sleep(0.01)

def after_send(label):
    if label == args["kill_after"]:
        os.kill(os.getpid(), signal.SIGKILL)

notifier = AppriseNotifier(args["env"], prepare=slack_to(args["slack_port"]))
run_digests(Database(args["db"]), config, env=args["env"], notifier=notifier, after_send=after_send)
"""


def child_run(tmp_path: Path, url: str, subscriptions: list, env: dict, *, kill_after: str | None = None,
              slack_port: int = 0, gate: Path | None = None) -> subprocess.Popen:
    """A digest run in its own process (optionally killed right after `kill_after` accepted the digest)."""
    args = {"tmp": str(tmp_path), "db": url, "subscriptions": subscriptions, "env": env, "kill_after": kill_after,
            "slack_port": slack_port, "gate": str(gate) if gate else None}
    child_env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), str(ROOT)])}
    return subprocess.Popen([sys.executable, "-c", CHILD, json.dumps(args)], cwd=ROOT, env=child_env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def run_killed_child(tmp_path: Path, url: str, subscriptions: list, env: dict, kill_after: str, slack_port: int) -> int:
    child = child_run(tmp_path, url, subscriptions, env, kill_after=kill_after, slack_port=slack_port)
    child.communicate(timeout=60)
    return child.returncode


def test_killed_after_sending_a_keyed_channel_is_resent_with_the_same_key(
    sqlite_url: str, db: Database, tmp_path: Path
) -> None:
    kt_article(Stored(db))
    subs = [{"name": "team", "companies": ["kt"], "channels": [{"name": "a", "env": "A"}, {"name": "b", "env": "B"}]}]
    config = make_config(tmp_path, subs, sqlite_url)
    with receiver() as a, receiver() as b:
        env = {"A": f"json://127.0.0.1:{a.port}/in/{HOOK_SECRET}", "B": f"json://127.0.0.1:{b.port}/b"}
        assert run_killed_child(tmp_path, sqlite_url, subs, env, "a", 0) == -9
        assert len(a.requests) == 1 and states(db)["a"] == "sending"

        reports = run_digests(db, config, env=env)  # the restart: the dead run's claim is taken over at once
        later = run_digests(db, config, env=env)

    assert reports[0].resumed and reports[0].deliveries["a"] == "sent"
    keys = [r.headers[IDEMPOTENCY_HEADER] for r in a.requests]
    assert len(keys) == 2 and len(set(keys)) == 1  # a receiver keeping one message per key shows it once
    # Channel b ran in its own lane: the kill caught it before or after it sent; either way it has it, under one key.
    assert len(b.requests) >= 1 and {r.headers[IDEMPOTENCY_HEADER] for r in b.requests} == set(keys)
    assert later == [] and states(db) == {"a": "sent", "b": "sent"}


def test_killed_after_sending_to_slack_is_not_resent_but_reported_once(
    sqlite_url: str, db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    kt_article(Stored(db))
    subs = [{"name": "team", "companies": ["kt"], "channels": [{"name": "slack", "env": "SLACK"}]}]
    config = make_config(tmp_path, subs, sqlite_url)
    with receiver() as slack:
        env = {"SLACK": SLACK_URL}
        assert run_killed_child(tmp_path, sqlite_url, subs, env, "slack", slack.port) == -9
        notifier = AppriseNotifier(env, prepare=slack_to(slack.port))
        with caplog.at_level(logging.WARNING, logger="newsmon.alerts"):
            reports = run_digests(db, config, env=env, notifier=notifier)
            later = run_digests(db, config, env=env, notifier=notifier)

    assert len(slack.requests) == 1
    assert reports[0].deliveries == {"slack": "unconfirmed"} and "no idempotency key" in reports[0].errors["slack"]
    assert later == [] and states(db) == {"slack": "unconfirmed"}
    assert len([r for r in caplog.records if "died after sending" in r.getMessage()]) == 1


def test_two_runs_at_once_send_once(database_url: str, tmp_path: Path) -> None:
    first = Database(database_url)
    stored = Stored(first)
    subs = [{"name": "team", "companies": ["kt"], "channels": [{"name": "hook", "env": "HOOK"}]},
            {"name": "other", "companies": ["kt"], "channels": [{"name": "hook", "env": "HOOK"}]}]
    config = make_config(tmp_path, subs, database_url)
    with receiver() as hook:
        env = {"HOOK": f"json://127.0.0.1:{hook.port}/in"}
        for round_ in range(3):
            kt_article(stored, title=f"KT 라운드 {round_}")
            gate = threading.Barrier(2)
            results: list = []

            def one_run() -> None:
                db = Database(database_url, migrate_schema=False)
                try:
                    gate.wait()
                    results.append(run_digests(db, config, env=env))
                finally:
                    db.dispose()

            runs = [threading.Thread(target=one_run) for _ in range(2)]
            for r in runs:
                r.start()
            for r in runs:
                r.join(60)
            assert len(results) == 2
            sent = [(rep.subscription, ch) for res in results for rep in res for ch, st in rep.deliveries.items()
                    if st == "sent"]
            assert sorted(sent) == [("other", "hook"), ("team", "hook")]
        keys = [(q.json()["title"], q.headers[IDEMPOTENCY_HEADER]) for q in hook.requests]
    assert len(keys) == 6 and len(set(keys)) == 6
    with first.session() as s:
        assert s.scalar(text("select count(*) from digests")) == 6
    first.dispose()


def test_secrets_never_reach_logs_reports_or_the_database(
    db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    kt_article(Stored(db))
    down = closed_port()
    channels = [{"name": "slack", "env": "SLACK"}, {"name": "hook", "env": "HOOK"},
                {"env": "DOWN", "attempts": 2, "backoff_seconds": 0}, {"name": "unset", "env": "NOT_SET"}]
    config = make_config(tmp_path, [{"name": "team", "companies": ["kt"], "channels": channels}])
    with receiver() as slack, receiver() as hook:
        env = {"SLACK": SLACK_URL, "HOOK": f"json://user:pa55w0rd@127.0.0.1:{hook.port}/in/{HOOK_SECRET}",
               "DOWN": f"json://127.0.0.1:{down}/x/{HOOK_SECRET}?token=tok_abcdef123"}
        with caplog.at_level(logging.DEBUG):
            reports = run_digests(db, config, env=env, notifier=AppriseNotifier(env, prepare=slack_to(slack.port)))
            errors = send_notice(config.subscriptions, "source seeds failed", "3 times in a row", env=env,
                                 notifier=AppriseNotifier(env, prepare=slack_to(slack.port)))
        assert len(slack.requests) == 2 and len(hook.requests) == 2

    assert reports[0].deliveries == {"slack": "sent", "hook": "sent", "env:DOWN": "failed", "unset": "failed"}
    assert "NOT_SET is not set" in reports[0].errors["unset"]
    assert len(errors) == 2 and any("env:DOWN" in e for e in errors)
    with db.session() as s:
        dump = "\n".join(str(tuple(row)) for table in t.Base.metadata.sorted_tables
                         for row in s.execute(select(table)))
    assert "Slack POST" in caplog.text or "127.0.0.1" in caplog.text  # the debug logs were really captured
    for secret in (SLACK_TOKEN_C, HOOK_SECRET, "pa55w0rd", "tok_abcdef123", "A1BRTD4JD", "T1JJ3T3L2"):
        assert secret not in caplog.text
        assert secret not in dump
        assert secret not in json.dumps([r.as_dict() for r in reports]) + json.dumps(errors)


def test_notice_goes_to_each_distinct_channel_once(db: Database, tmp_path: Path) -> None:
    with receiver() as hook, receiver() as slack:
        shared = {"name": "hook", "env": "HOOK"}
        config = make_config(tmp_path, [{"name": "a", "companies": ["kt"], "channels": [shared]},
                                        {"name": "b", "companies": ["kt"],
                                         "channels": [shared, {"name": "slack", "env": "SLACK"}]}])
        env = {"HOOK": f"json://127.0.0.1:{hook.port}/in", "SLACK": SLACK_URL}
        reason = "https://news.example.kr/rss: 503 <!channel> 실패"
        errors = send_notice(config.subscriptions, "source 연합 failed 3 times in a row", reason, env=env,
                             notifier=AppriseNotifier(env, prepare=slack_to(slack.port)))

    assert errors == []
    assert len(hook.requests) == 1 and "실패" in hook.requests[0].json()["message"]
    blocks = json.dumps(slack.requests[0].json()["attachments"][0]["blocks"], ensure_ascii=False)
    assert "&lt;!channel&gt;" in blocks and "<!channel>" not in blocks


class BrokenNotifier:
    """A notifier with a bug: the run must record the failure, not leave the delivery claimed."""

    def send(self, channel, message):  # type: ignore[no-untyped-def]
        raise KeyError(f"boom {HOOK_SECRET}")

    def send_notice(self, channel, subject, body):  # type: ignore[no-untyped-def]
        raise KeyError("boom")

    def can_deduplicate(self, channel):  # type: ignore[no-untyped-def]
        return False


def test_a_notifier_bug_is_a_recorded_failure(db: Database, tmp_path: Path) -> None:
    kt_article(Stored(db))
    config = make_config(tmp_path, [{"name": "team", "companies": ["kt"],
                                     "channels": [{"name": "hook", "env": "HOOK", "attempts": 2}]}])
    reports = run_digests(db, config, env={}, notifier=BrokenNotifier(), sleep=no_sleep)
    assert reports[0].deliveries == {"hook": "failed"} and "KeyError" in reports[0].errors["hook"]
    assert states(db) == {"hook": "failed"}
    errors = send_notice(config.subscriptions, "s", "b", notifier=BrokenNotifier())
    assert errors == ["channel hook: KeyError: 'boom'"]


def test_two_processes_started_at_once_send_once(sqlite_url: str, db: Database, tmp_path: Path) -> None:
    stored = Stored(db)
    for n in range(5):
        kt_article(stored, title=f"KT 기사 {n}")
    subs = [{"name": "team", "companies": ["kt"], "channels": [{"name": "hook", "env": "HOOK"}, {"name": "b",
                                                                                                "env": "HOOK"}]}]
    gate = tmp_path / "go"
    with receiver() as hook:
        env = {"HOOK": f"json://127.0.0.1:{hook.port}/in"}
        children = [child_run(tmp_path, sqlite_url, subs, env, gate=gate) for _ in range(2)]
        deadline = time.monotonic() + 60
        while len(list(tmp_path.glob("go.*"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        gate.touch()
        for child in children:
            _, err = child.communicate(timeout=60)
            assert child.returncode == 0, err[-2000:]
    assert len(hook.requests) == 2  # one digest, two channels, each once
    assert states(db) == {"hook": "sent", "b": "sent"}
