"""No story is lost to a channel's size limit: an oversized entry is shortened, a long digest goes out as numbered
messages, each story is recorded as sent only once the channel accepted the message holding it, and a delivery cut
off by a crash or a failing channel resumes at the next part. Real SMTP (aiosmtpd), Slack's payload on a local
receiver, json:// on a local receiver, and runs in child processes that are killed mid-delivery."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from alerts.deliver import IDEMPOTENCY_HEADER, AppriseNotifier
from alerts.render import SLACK_MAX_BLOCKS
from alerts.run import run_digests
from digest_fixtures import Stored, make_config, receiver, slack_to, smtp_server
from models import tables as t
from models.db import Database

ROOT = Path(__file__).resolve().parent.parent
SLACK_URL = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/"
EVIDENCE = ("KT는 28일 서울 광화문 사옥에서 열린 이사회에서 올해 두 번째 희망퇴직을 받기로 하고, 대상과 보상 기준을 "
            "노동조합과 협의하겠다고 밝혔다. ") * 6


def mail_env(port: int) -> dict[str, str]:
    return {"MAIL": f"mailto://127.0.0.1:{port}?from=newsmon@example.kr&to=team@example.kr&mode=insecure"}


def no_throttle(plugin) -> None:  # type: ignore[no-untyped-def]
    plugin.request_rate_per_sec = 0


def store_many(db: Database, count: int, prefix: str = "KT 기사") -> list[str]:
    stored = Stored(db)
    titles = [f"{prefix} {n:03d}호" for n in range(count)]
    for title in titles:
        stored.article(title, tags=[("company", "kt", 0.9, EVIDENCE, ["KT", "희망퇴직"])])
    return titles


def entries_recorded(db: Database) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(t.DigestEntryRow)) or 0


def progress(db: Database) -> dict[str, dict | None]:
    with db.session() as s:
        return dict(s.execute(select(t.DeliveryRow.channel, t.DeliveryRow.progress)).tuples().all())


def slack_messages(slack) -> list[str]:  # type: ignore[no-untyped-def]
    return [json.dumps(r.json()["attachments"][0]["blocks"], ensure_ascii=False) for r in slack.requests]


# -- the reported case: one 600,000-character title among five stories ----------------------------------------------


def test_one_oversized_title_no_longer_hides_the_other_stories_in_mail_or_slack(db: Database, tmp_path: Path) -> None:
    stored = Stored(db)
    titles = ["KT, 새 요금제 출시", "KT " + "아주 긴 제목 " * 100_000, "KT 인공지능 투자", "KT 희망퇴직 2천명 신청",
              "KT 위성 사업 확대"]
    for title in titles:  # stored as rows written before the field bounds were: whole
        stored.article(title, tags=[("company", "kt", 0.9, "KT는 밝혔다.", ["KT"])])
    config = make_config(tmp_path, [{"name": "team", "companies": ["kt"], "channels": [
        {"name": "mail", "env": "MAIL"}, {"name": "slack", "env": "SLACK"}]}])
    with smtp_server() as (inbox, port), receiver() as slack:
        env = {**mail_env(port), "SLACK": SLACK_URL}
        [report] = run_digests(db, config, env=env, notifier=AppriseNotifier(env, prepare=slack_to(slack.port)))

    assert report.deliveries == {"mail": "sent", "slack": "sent"} and report.stories == 5
    [mail] = inbox.messages
    [posted] = slack_messages(slack)
    plain, html = mail.get_body(("plain",)).get_content(), mail.get_body(("html",)).get_content()
    for body in (plain, html, posted):
        assert all(title in body for title in (titles[0], titles[2], titles[3], titles[4]))
        assert "KT 아주 긴 제목 아주 긴 제목" in body and "not shown" not in body
    assert len(posted) < 35_000 and len(html.encode()) < 100_000
    assert entries_recorded(db) == 5


# -- long digests: numbered messages, every story in one of them ----------------------------------------------------


def test_a_digest_too_long_for_one_email_goes_as_numbered_emails(db: Database, tmp_path: Path) -> None:
    titles = store_many(db, 180)
    config = make_config(tmp_path, [{"name": "team", "companies": ["kt"], "channels": [{"name": "mail", "env": "MAIL"}]}])
    with smtp_server() as (inbox, port):
        env = mail_env(port)
        # apprise waits between messages to one service (politeness); the test's own server needs no wait.
        [report] = run_digests(db, config, env=env, notifier=AppriseNotifier(env, prepare=no_throttle))

    assert report.deliveries == {"mail": "sent"} and len(inbox.messages) > 1
    count = len(inbox.messages)
    htmls = [m.get_body(("html",)).get_content() for m in inbox.messages]
    assert [m["Subject"] for m in inbox.messages] == [
        f"newsmon · team · 180 new stories · KT ({n}/{count})" for n in range(1, count + 1)]
    assert all(len(h.encode()) <= 100_000 for h in htmls)
    assert all(sum(h.count(f">{title}</a>") for h in htmls) == 1 for title in titles)
    assert all("Continued in the next message" in h for h in htmls[:-1])
    assert entries_recorded(db) == 180 and progress(db)["mail"]["sent"] == count


def test_a_digest_over_slacks_limits_goes_as_numbered_posts(db: Database, tmp_path: Path) -> None:
    titles = store_many(db, 150)
    config = make_config(tmp_path, [{"name": "team", "companies": ["kt"], "channels": [{"name": "slack",
                                                                                        "env": "SLACK"}]}])
    with receiver() as slack:
        env = {"SLACK": SLACK_URL}
        [report] = run_digests(db, config, env=env, notifier=AppriseNotifier(env, prepare=slack_to(slack.port)))

    posts = [r.json()["attachments"][0]["blocks"] for r in slack.requests]
    assert report.deliveries == {"slack": "sent"} and len(posts) > 1
    for number, blocks in enumerate(posts, 1):
        assert len(blocks) <= SLACK_MAX_BLOCKS and len(json.dumps(blocks, ensure_ascii=False)) <= 35_000
        assert blocks[0]["text"]["text"].endswith(f"({number}/{len(posts)})")
    text = "".join(slack_messages(slack))
    assert all(text.count(f"|{title}>") == 1 for title in titles)


def test_a_channel_failing_after_two_parts_resumes_at_the_third_on_the_next_run(db: Database, tmp_path: Path) -> None:
    titles = store_many(db, 150)
    config = make_config(tmp_path, [{"name": "team", "companies": ["kt"], "channels": [
        {"name": "slack", "env": "SLACK", "attempts": 1}]}])
    with receiver() as slack:
        env = {"SLACK": SLACK_URL}
        notifier = AppriseNotifier(env, prepare=slack_to(slack.port))
        accepted = []

        def refuse_after_two(label: str) -> None:
            accepted.append(label)
            if len(accepted) == 2:
                slack.fail_next = 100  # Slack is down from now on

        [first] = run_digests(db, config, env=env, notifier=notifier, after_send=refuse_after_two)
        assert first.deliveries == {"slack": "failed"} and len(slack.requests) == 2
        assert progress(db)["slack"]["sent"] == 2
        slack.fail_next = 0
        [second] = run_digests(db, config, env=env, notifier=notifier)

    posts = slack_messages(slack)
    assert second.resumed and second.deliveries == {"slack": "sent"} and len(posts) >= 3
    parts = len(posts)
    assert [json.loads(p)[0]["text"]["text"][-5:] for p in posts] == [f"({n}/{parts})"[-5:] for n in
                                                                      range(1, parts + 1)]
    assert all("".join(posts).count(f"|{title}>") == 1 for title in titles)  # nothing twice, nothing lost


# -- a run killed between a part's acceptance and its record --------------------------------------------------------

CHILD = """
import json, os, signal, sys
from pathlib import Path
from alerts.deliver import AppriseNotifier
from alerts.run import run_digests
from digest_fixtures import make_config, slack_to
from models.db import Database

args = json.loads(sys.argv[1])
config = make_config(Path(args["tmp"]), args["subscriptions"], args["db"])
accepted = []

def after_send(label):
    accepted.append(label)
    if len(accepted) == args["kill_after_parts"]:
        os.kill(os.getpid(), signal.SIGKILL)

notifier = AppriseNotifier(args["env"], prepare=slack_to(args["slack_port"]))
run_digests(Database(args["db"]), config, env=args["env"], notifier=notifier, after_send=after_send)
"""


def killed_child(tmp_path: Path, url: str, subscriptions: list, env: dict, kill_after_parts: int,
                 slack_port: int = 0) -> int:
    args = {"tmp": str(tmp_path), "db": url, "subscriptions": subscriptions, "env": env,
            "kill_after_parts": kill_after_parts, "slack_port": slack_port}
    child_env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), str(ROOT)])}
    done = subprocess.run([sys.executable, "-c", CHILD, json.dumps(args)], cwd=ROOT, env=child_env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr[-3000:]
    return done.returncode


def test_killed_after_part_two_a_keyed_channel_resends_part_two_under_its_key_then_part_three(
    sqlite_url: str, db: Database, tmp_path: Path
) -> None:
    titles = store_many(db, 150)
    subs = [{"name": "team", "companies": ["kt"], "channels": [{"name": "hook", "env": "HOOK", "format": "markdown"}]}]
    config = make_config(tmp_path, subs, sqlite_url)
    with receiver() as hook:
        env = {"HOOK": f"json://127.0.0.1:{hook.port}/in"}
        killed_child(tmp_path, sqlite_url, subs, env, kill_after_parts=2)
        assert len(hook.requests) == 2 and progress(db)["hook"]["sent"] == 1  # part 2 arrived, not recorded
        [report] = run_digests(db, config, env=env)

    keys = [r.headers[IDEMPOTENCY_HEADER] for r in hook.requests]
    parts = int(keys[-1].rsplit("/", 1)[1])
    assert parts >= 3 and report.resumed and report.deliveries == {"hook": "sent"}
    digest_key = keys[0].split(":")[0]
    assert keys == [f"{digest_key}:1/{parts}", f"{digest_key}:2/{parts}", f"{digest_key}:2/{parts}"] + [
        f"{digest_key}:{n}/{parts}" for n in range(3, parts + 1)]
    # A receiver that keeps one message per key holds every story exactly once.
    kept = {r.headers[IDEMPOTENCY_HEADER]: r.json()["message"] for r in hook.requests}
    text = "".join(kept.values()).replace("\\\\", "")
    assert all(text.count(title) == 1 for title in titles)


def test_killed_after_part_two_slack_does_not_repeat_it_but_still_gets_part_three(
    sqlite_url: str, db: Database, tmp_path: Path
) -> None:
    titles = store_many(db, 150)
    subs = [{"name": "team", "companies": ["kt"], "channels": [{"name": "slack", "env": "SLACK"}]}]
    config = make_config(tmp_path, subs, sqlite_url)
    with receiver() as slack:
        env = {"SLACK": SLACK_URL}
        killed_child(tmp_path, sqlite_url, subs, env, kill_after_parts=2, slack_port=slack.port)
        assert len(slack.requests) == 2
        notifier = AppriseNotifier(env, prepare=slack_to(slack.port))
        [report] = run_digests(db, config, env=env, notifier=notifier)
        later = run_digests(db, config, env=env, notifier=notifier)

    posts = slack_messages(slack)
    parts = len(posts)
    assert parts >= 3 and later == []
    assert [json.loads(p)[0]["text"]["text"][-5:] for p in posts] == [f"({n}/{parts})"[-5:] for n in
                                                                      range(1, parts + 1)]
    assert all("".join(posts).count(f"|{title}>") == 1 for title in titles)
    assert report.deliveries == {"slack": "unconfirmed"} and f"part 2 of {parts}" in report.errors["slack"]
    with db.session() as s:
        assert s.scalar(select(t.DeliveryRow.status)) == "unconfirmed"


def test_a_run_that_died_between_parts_resumes_at_the_next_part_without_doubt(db: Database, tmp_path: Path) -> None:
    """Part 2 was accepted and recorded, part 3 not begun, when the run died: Slack, which has no idempotency key,
    gets part 3 and the delivery ends sent (nothing was in flight)."""
    store_many(db, 150)
    config = make_config(tmp_path, [{"name": "team", "companies": ["kt"], "channels": [{"name": "slack",
                                                                                        "env": "SLACK"}]}])
    with receiver() as slack:
        env = {"SLACK": SLACK_URL}
        notifier = AppriseNotifier(env, prepare=slack_to(slack.port))
        slack.fail_next = 0
        calls = []

        def stop_after_two(label: str) -> None:
            calls.append(label)
            if len(calls) == 2:
                slack.fail_next = 100

        run_digests(db, config, env=env, notifier=notifier, after_send=stop_after_two, sleep=lambda _s: None)
        # What a run killed right after recording part 2 leaves: claimed by a dead process, part 2 recorded.
        recorded = progress(db)["slack"]
        assert recorded is not None and recorded["sent"] == 2
        with db.session() as s:
            s.execute(t.DeliveryRow.__table__.update().values(status="sending", claimed_by="elsewhere:1:x",
                                                           claimed_at=None, progress={**recorded, "sending": 0}))
        slack.fail_next = 0
        [report] = run_digests(db, config, env=env, notifier=notifier)

    assert report.deliveries == {"slack": "sent"} and len(slack.requests) >= 3
    assert len({p for p in slack_messages(slack)}) == len(slack.requests)  # no part twice
