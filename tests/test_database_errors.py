"""A database newsmon cannot use stops the command with one line naming the setting and what to do, exit code 2,
before any Prefect server starts; checked on the real command in a child process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from digest_fixtures import closed_port
from test_flows import make_project

ROOT = Path(__file__).resolve().parent.parent


def newsmon(config: Path, *args: str, database_url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NEWSMON_DATABASE_URL", "PREFECT_API_URL")}
    if database_url is not None:
        env["NEWSMON_DATABASE_URL"] = database_url
    return subprocess.run([sys.executable, "-m", "flows.cli", "--config", str(config), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=240)


def with_database_url(config: Path, url: str) -> Path:
    text = config.read_text(encoding="utf-8")
    start = text.index("database_url = ")
    end = text.index("\n", start)
    config.write_text(text[:start] + f'database_url = "{url}"' + text[end:], encoding="utf-8")
    return config


def assert_one_line_error(done: subprocess.CompletedProcess[str], *expected: str) -> str:
    assert done.returncode == 2, done.stderr[-3000:]
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr[-3000:]  # no traceback, and no Prefect server was started
    for part in expected:
        assert part in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("command", [["run"], ["load", "inbox"], ["digest"]])
def test_an_unknown_database_scheme_is_one_line_naming_the_setting(tmp_path: Path, command: list[str]) -> None:
    config = with_database_url(make_project(tmp_path), "foo://bar")
    args = [str(tmp_path / a) if a == "inbox" else a for a in command]
    line = assert_one_line_error(newsmon(config, *args), "newsmon: error: storage.database_url: foo://bar: ",
                                 "unknown database URL scheme 'foo'", "sqlite:///PATH or postgresql://")
    assert line.startswith("newsmon: error: storage.database_url:")


def test_a_refused_postgresql_connection_is_one_line_without_the_password(tmp_path: Path) -> None:
    url = f"postgresql://newsmon:pa55-w0rd@127.0.0.1:{closed_port()}/news"
    done = newsmon(make_project(tmp_path), "run", database_url=url)
    line = assert_one_line_error(done, "newsmon: error: NEWSMON_DATABASE_URL: cannot open the database "
                                       "postgresql://newsmon:***@127.0.0.1:", "Connection refused",
                                 "check that the server runs at 127.0.0.1:")
    assert "pa55-w0rd" not in done.stderr + done.stdout and line


def test_the_environment_variable_is_named_when_it_holds_the_url(tmp_path: Path) -> None:
    done = newsmon(make_project(tmp_path), "run", database_url="mysql://u:secret@127.0.0.1/db")
    assert_one_line_error(done, "newsmon: error: NEWSMON_DATABASE_URL: mysql://u:***@127.0.0.1/db: ",
                          "needs the driver")
    assert "secret" not in done.stderr
