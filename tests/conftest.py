"""Shared fixtures: paths to ../shared material (skipped with a reason where absent) and a fresh SQLite database."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--shared", default=os.environ.get("NEWSMON_SHARED", str(ROOT.parent / "shared")),
                     help="folder holding the shared development material (corpus, feeds, pages)")
    parser.addoption("--corpus", default=None,
                     help="path to a corpus .jsonl.gz (default: <shared>/corpus/naver-2025-12-28.jsonl.gz)")


@pytest.fixture(scope="session")
def shared_dir(pytestconfig: pytest.Config) -> Path:
    path = Path(pytestconfig.getoption("--shared"))
    if not path.is_dir():
        pytest.skip(f"shared material not found at {path} (pass --shared PATH)")
    return path


@pytest.fixture(scope="session")
def corpus_path(pytestconfig: pytest.Config, shared_dir: Path) -> Path:
    path = Path(pytestconfig.getoption("--corpus") or shared_dir / "corpus" / "naver-2025-12-28.jsonl.gz")
    if not path.is_file():
        pytest.skip(f"corpus not found at {path} (pass --corpus PATH)")
    return path


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'newsmon.db'}"
