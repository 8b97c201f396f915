"""The `newsmon` command as cron and scripts see it, each case a real child process: the exit codes of the README's
table, the first lines it prints, quiet output by default (Prefect's logs with -v), named errors before any flow
runs, `--config` after the command, and Ctrl-C/SIGTERM ending a run or `serve` cleanly."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from flows.outcome import ExitCode
from test_flows import make_project

ROOT = Path(__file__).resolve().parent.parent
PREFECT_LOG_LINE = " | INFO    | "


def newsmon(*args: str, api: str | None, cwd: Path, env: dict[str, str] | None = None, timeout: float = 240
            ) -> subprocess.CompletedProcess[str]:
    """`newsmon ARGS` with no NEWSMON_CONFIG: the configuration comes from the command line only."""
    child = {k: v for k, v in os.environ.items()
             if k not in ("NEWSMON_CONFIG", "NEWSMON_DATABASE_URL", "PREFECT_API_URL")}
    if api:
        child["PREFECT_API_URL"] = api
    child.update(env or {})
    return subprocess.run([sys.executable, "-m", "flows.cli", *args], capture_output=True, text=True, env=child,
                          stdin=subprocess.DEVNULL, timeout=timeout, cwd=cwd)


def articles(config: Path) -> int:
    try:
        with sqlite3.connect(config.parent / "var" / "newsmon.db") as conn:
            return conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    except sqlite3.OperationalError:  # not migrated yet
        return 0


def one_error_line(done: subprocess.CompletedProcess[str], code: ExitCode) -> str:
    assert done.returncode == code, done.stderr[-3000:]
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("newsmon: error: "), done.stderr[-3000:]
    return lines[0]


@pytest.mark.flow
def test_a_run_is_quiet_exit_0_and_prints_the_digest_and_one_summary(tmp_path: Path, prefect_api: str) -> None:
    config = make_project(tmp_path)
    done = newsmon("run", "--config", str(config), api=prefect_api, cwd=tmp_path)  # --config after the command
    assert done.returncode == ExitCode.OK, done.stderr[-3000:]
    assert "MS와 거대언어 개발, '믿음'은 소형언어 공략" in done.stdout
    assert done.stderr.splitlines() == [
        "seeds: 2 read, 2 new, 0 already seen",
        "inbox: 3 read, 3 new, 0 already seen",
        "5 new articles from 2 sources",
        # Our own articles are dated January 2026: tagged and stored, too old for a digest, and it says so.
        "digest default: digest of 2 stories (2 articles); sent to console; "
        "2 matches older than max_age_hours=72 not sent",
    ]
    again = newsmon("run", "-c", str(config), "-v", api=prefect_api, cwd=tmp_path)
    assert again.returncode == ExitCode.OK, again.stderr[-3000:]
    assert again.stdout == ""
    assert "nothing new (2 sources read)" in again.stderr
    assert PREFECT_LOG_LINE in again.stderr  # -v: Prefect's own logs as well
    assert PREFECT_LOG_LINE not in done.stderr
    assert "for flow 'ingest'" in again.stderr and "for flow 'digest'" not in again.stderr  # no digest pass
    # Nothing is sent, and the digest says why when there were matches.
    digest = newsmon("digest", "-c", str(config), api=prefect_api, cwd=tmp_path)
    assert digest.returncode == ExitCode.OK, digest.stderr[-3000:]
    assert digest.stdout == ""
    assert digest.stderr.splitlines() == [
        "digest default: nothing new to send; 2 matches older than max_age_hours=72 not sent"]


@pytest.mark.flow
def test_a_failed_source_is_exit_1_and_names_the_resolved_path(tmp_path: Path, prefect_api: str) -> None:
    config = make_project(tmp_path, broken_source=True)
    done = newsmon("--config", str(config), "run", "--no-digest", api=prefect_api, cwd=tmp_path)
    assert done.returncode == ExitCode.SOURCE_FAILED, done.stderr[-3000:]
    assert f"gone: FAILED: {tmp_path / 'no' / 'such' / 'folder'}: path does not exist" in done.stderr.splitlines()
    assert "5 new articles from 3 sources, 1 failed" in done.stderr
    assert articles(config) == 5  # the other sources were stored


@pytest.mark.flow
def test_an_undelivered_digest_is_exit_3_and_names_the_channel(tmp_path: Path, prefect_api: str) -> None:
    config = make_project(tmp_path)
    channel = '\nchannels = [{ name = "team-mail", env = "NEWSMON_TEST_UNSET_MAIL_URL", attempts = 1 }]'
    config.write_text(config.read_text(encoding="utf-8").replace('when = "after_ingest"',
                                                                 'when = "after_ingest"' + channel),
                      encoding="utf-8")
    done = newsmon("run", "--config", str(config), api=prefect_api, cwd=tmp_path)
    assert done.returncode == ExitCode.NOT_DELIVERED, done.stderr[-3000:]
    line = next(x for x in done.stderr.splitlines() if x.startswith("digest default: "))
    assert "not delivered to team-mail" in line and "NEWSMON_TEST_UNSET_MAIL_URL" in line
    # The digest stays in the outbox: the next run tries it again, and is still exit 3 while the channel fails.
    again = newsmon("digest", "--config", str(config), api=prefect_api, cwd=tmp_path)
    assert again.returncode == ExitCode.NOT_DELIVERED, again.stderr[-3000:]
    assert "resumed" in again.stderr and "not delivered to team-mail" in again.stderr


@pytest.mark.parametrize(("args", "expected"), [
    (["run", "--source", "nope"], "no source named 'nope'; configured sources: ['seeds', 'inbox']"),
    (["backfill", "--since", "2026-01-01", "--until", "2026-01-02", "--source", "nope"], "no source named 'nope'"),
    (["digest", "--subscription", "nobody"], "no subscription named ['nobody']; configured subscriptions: "
                                             "['default']"),
    (["digest", "--dry-run", "--subscription", "nobody"], "no subscription named ['nobody']"),
])
def test_an_unknown_name_is_one_line_exit_2_before_any_flow_runs(tmp_path: Path, args: list[str],
                                                                 expected: str) -> None:
    config = make_project(tmp_path)
    # No Prefect server is given: one would only start (and say so) if a flow were about to run.
    done = newsmon(*args, "--config", str(config), api=None, cwd=tmp_path, timeout=120)
    assert expected in one_error_line(done, ExitCode.CONFIG_ERROR)
    assert not (tmp_path / "var" / "newsmon.db").exists()  # refused before anything was opened


def test_an_invalid_cron_stops_serve_before_any_server_starts(tmp_path: Path) -> None:
    config = make_project(tmp_path)
    config.write_text(config.read_text(encoding="utf-8").replace('daily_digest_cron = "0 8 * * *"',
                                                                 'daily_digest_cron = "0 25 * * *"'),
                      encoding="utf-8")
    done = newsmon("serve", "--config", str(config), "--port", "1", api=None, cwd=tmp_path, timeout=120)
    line = one_error_line(done, ExitCode.CONFIG_ERROR)
    assert line == (f"newsmon: error: {config}: schedule.daily_digest_cron: '0 25 * * *' is not a cron schedule: "
                    "hour '25' is out of range (allowed: 0-23)")
    assert done.stdout == ""  # "starting a Prefect server" never printed


def test_load_and_tag_exit_4_on_bad_input_and_0_when_all_is_read(tmp_path: Path) -> None:
    config = make_project(tmp_path)
    inbox = tmp_path / "inbox"
    ok = newsmon("load", str(inbox), "--config", str(config), api=None, cwd=tmp_path)
    assert ok.returncode == ExitCode.OK, ok.stderr[-3000:]
    assert ok.stderr.splitlines() == [f"{inbox}: 3 read, 3 new, 0 already seen"]

    missing = newsmon("load", "absent.jsonl", str(inbox), "-c", str(config), api=None, cwd=tmp_path)
    assert missing.returncode == ExitCode.BAD_INPUT, missing.stderr[-3000:]
    assert missing.stderr.splitlines() == [f"absent.jsonl: FAILED: {tmp_path / 'absent.jsonl'}: path does not exist",
                                           f"{inbox}: 3 read, 0 new, 3 already seen"]

    bad = tmp_path / "bad.jsonl"
    bad.write_text((inbox / "articles.jsonl").read_text(encoding="utf-8") + "{broken\n", encoding="utf-8")
    skipped = newsmon("load", str(bad), "-c", str(config), api=None, cwd=tmp_path)
    assert skipped.returncode == ExitCode.BAD_INPUT
    assert f"{bad}:4" in skipped.stderr and "3 already seen, 1 skipped with errors" in skipped.stderr

    no_file = newsmon("tag", "absent.jsonl", "-c", str(config), api=None, cwd=tmp_path)
    assert one_error_line(no_file, ExitCode.BAD_INPUT) == "newsmon: error: absent.jsonl: no such file"
    exported = newsmon("export", "--config", str(config), api=None, cwd=tmp_path)
    assert exported.returncode == ExitCode.OK
    assert sorted(json.loads(x)["id"] for x in exported.stdout.splitlines()) == ["t-001", "t-002", "t-003"]


@pytest.mark.flow
def test_sigterm_during_a_run_stops_it_with_a_warning_and_nothing_half_stored(tmp_path: Path,
                                                                            prefect_api: str) -> None:
    config = make_project(tmp_path)
    many = 1500  # three batches of 500: the signal lands while some are stored and others are not
    with (tmp_path / "inbox" / "articles.jsonl").open("a", encoding="utf-8") as out:
        for i in range(many):
            out.write(json.dumps({
                "id": f"b-{i}", "title": f"KT 인공지능 소식 {i}번째", "publisher": "테스트일보", "author": "기자",
                "published_at": "2026-01-01 09:00", "url": f"https://news.example.com/b/{i}",
                "body": f"KT는 {i}번째 발표에서 새 서비스 {i * 7}종을 공개했다. 회사는 가입자 {i * 13}명을 목표로 "
                        f"한다고 밝혔다. 업계 반응은 {i % 17}갈래로 나뉜다."}, ensure_ascii=False) + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("NEWSMON_CONFIG", "NEWSMON_DATABASE_URL")}
    env["PREFECT_API_URL"] = prefect_api
    proc = subprocess.Popen([sys.executable, "-m", "flows.cli", "run", "--config", str(config)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                            cwd=tmp_path)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None:
            if (tmp_path / "var" / "newsmon.db").exists() and articles(config) > 0:  # the seeds are in
                break
            time.sleep(0.2)
        assert proc.poll() is None, "the run ended before it could be stopped"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == ExitCode.TERMINATED, err[-3000:]
    assert err.strip().splitlines()[-1] == ("newsmon: warning: stopped by SIGTERM; what was stored is complete, the "
                                            "next run reads and sends the rest")
    assert "Traceback" not in err and "never awaited" not in err
    stored = articles(config)
    assert stored < 2 + 3 + many
    with sqlite3.connect(config.parent / "var" / "newsmon.db") as conn:
        untagged = conn.execute("SELECT count(*) FROM articles a WHERE a.external_id LIKE 'b-%' AND NOT EXISTS "
                                "(SELECT 1 FROM tags t WHERE t.article_id = a.id AND t.label = 'kt')").fetchone()[0]
    assert untagged == 0  # every stored article came with its tags

    rest = newsmon("run", "--config", str(config), api=prefect_api, cwd=tmp_path)
    assert rest.returncode == ExitCode.OK, rest.stderr[-3000:]
    assert articles(config) == 2 + 3 + many  # the rest, and nothing twice


@pytest.mark.flow
def test_sigterm_stops_serve_with_a_warning_and_exit_0(tmp_path: Path, prefect_api: str) -> None:
    config = make_project(tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("NEWSMON_CONFIG", "NEWSMON_DATABASE_URL")}
    # Against the test session's Prefect server: serve starts none of its own.
    env.update(PREFECT_API_URL=prefect_api, PREFECT_HOME=str(tmp_path / "prefect"))
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "flows.cli", "serve", "--config", str(config)], env=env,
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
                                cwd=tmp_path)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None:
            if _deployment_exists(prefect_api, "backfill", "on-demand"):  # the last one added before the runner starts
                break
            time.sleep(0.5)
        time.sleep(5)  # the runner takes over SIGTERM as it starts
        assert proc.poll() is None, log.read_text()[-3000:]
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = log.read_text()
    assert proc.returncode == ExitCode.OK, text[-3000:]
    assert "newsmon: warning: SIGTERM received: stopping; flow runs in progress are cancelled" in text
    assert "never awaited" not in text and "Traceback" not in text, text[-3000:]
    assert not (tmp_path / "prefect" / "newsmon-serve.json").exists()


def _deployment_exists(api: str, flow: str, name: str) -> bool:
    try:
        return httpx.get(f"{api}/deployments/name/{flow}/{name}", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.flow
@pytest.mark.usefixtures("prefect_api")
def test_a_flow_run_asked_for_an_unknown_name_fails_with_that_line_and_no_traceback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    from datetime import date

    from flows.ingest import backfill, digest, ingest
    from newsmon.errors import ConfigError

    monkeypatch.delenv("NEWSMON_DATABASE_URL", raising=False)
    config = str(make_project(tmp_path))
    with caplog.at_level("INFO"):
        run = ingest(config_path=config, sources=["archive"], return_state=True)
        sent = digest(config_path=config, subscriptions=["nobody"], return_state=True)
        # The README's by-hand deployment run of a backfill, with a source the configuration lacks.
        past = backfill(since=date(2025, 12, 1), until=date(2025, 12, 2), sources=["archive"], config_path=config,
                        return_state=True)
    assert past.is_failed() and past.message.startswith("no source named 'archive'")
    assert run.is_failed() and run.message == "no source named 'archive'; configured sources: ['seeds', 'inbox']"
    assert sent.is_failed() and sent.message.startswith("no subscription named ['nobody']")
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records if r.exc_info]
    with pytest.raises(ConfigError, match="no source named 'archive'"):
        ingest(config_path=config, sources=["archive"])  # a caller in this process gets the error itself
    assert not (tmp_path / "var" / "newsmon.db").exists()  # refused before the database was opened
