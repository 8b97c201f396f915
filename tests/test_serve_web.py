"""`newsmon serve` starts the web view beside its flows: it answers while serve runs and is gone after, a binding
that needs a missing token stops serve before any Prefect process starts, and `--no-web` leaves it out."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from app.config import load_config
from flows.cli import app as cli
from flows.serve import serve_forever, web_view_running
from test_flows import make_project
from web.security import WebSetupError
from web_archive import free_port


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.delenv("NEWSMON_DATABASE_URL", raising=False)
    monkeypatch.delenv("NEWSMON_WEB_TOKEN", raising=False)
    return load_config(make_project(tmp_path))


def test_the_web_view_answers_while_serve_runs_and_is_gone_after(config) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    with web_view_running(config, "127.0.0.1", port) as base:
        assert base == f"http://127.0.0.1:{port}"
        answer = httpx.get(f"{base}/api/articles", params={"q": "KT"}, timeout=30)
        assert answer.status_code == 200 and answer.json()["count"] == 0  # nothing stored yet, but it answers
        assert httpx.get(f"{base}/search", timeout=30).status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/search", timeout=5)


def test_a_binding_without_its_token_stops_serve_before_prefect_starts(config, capsys, outside_attempts) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(WebSetupError, match="NEWSMON_WEB_TOKEN"):
        serve_forever(config, None, port=free_port(), web_host="0.0.0.0", web_port=free_port())
    assert "Prefect" not in capsys.readouterr().out


def test_serve_takes_no_web_and_the_view_address() -> None:
    help_text = CliRunner().invoke(cli, ["serve", "--help"], terminal_width=200).output
    for option in ("--no-web", "--web-host", "--web-port"):
        assert option in help_text
