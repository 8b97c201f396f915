"""Shared fixtures: the loopback-only guard, paths to ../shared material (skipped with a reason where absent) and
fresh databases."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import loopback_guard

ROOT = Path(__file__).resolve().parent.parent

# Prefect's own state for the test session lives in a throwaway folder, never in the project's var/prefect.
os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="newsmon-test-prefect-")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--shared", default=os.environ.get("NEWSMON_SHARED", str(ROOT.parent / "shared")),
                     help="folder holding the shared development material (corpus, feeds, pages)")
    parser.addoption("--corpus", default=None,
                     help="path to a corpus .jsonl.gz (default: <shared>/corpus/naver-2025-12-28.jsonl.gz)")


def pytest_configure(config: pytest.Config) -> None:
    # The guard below only records connects; pytest-socket refuses them. Without it a regression would send packets.
    if not config.getoption("--allow-hosts", default=None):
        raise pytest.UsageError("the tests run behind pytest-socket with --allow-hosts=127.0.0.1,::1 (see pyproject's "
                                "addopts); do not disable the socket plugin")


@pytest.fixture(autouse=True)
def outside_attempts() -> Iterator[list[str]]:
    """Every test runs on loopback only: connects beyond it are refused (pytest-socket) and, with name lookups and
    connect_ex, recorded here; a test that made any fails, even if the code under test swallowed the error. A refusal
    test asks for this list to assert that nothing was attempted."""
    attempts: list[str] = []
    uninstall = loopback_guard.install(attempts, block_connect=False)
    try:
        yield attempts
    finally:
        uninstall()
    if attempts:
        pytest.fail(f"the test tried to reach beyond this machine: {sorted(set(attempts))}", pytrace=False)


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


PG_ADMIN_URL = os.environ.get("NEWSMON_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture
def postgres_url() -> str:
    """A fresh schema in the local PostgreSQL `test` database (dropped afterwards); skips where none runs."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        admin.dispose()
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL} ({str(exc).splitlines()[0]})")
    try:
        yield f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each storage test runs on a real SQLite file and on real PostgreSQL (skipped where absent)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'newsmon.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture(scope="session")
def prefect_api() -> str:
    """One Prefect test server for the whole session (a flow run costs about a second; a server start ten).
    Yields its API URL so a child process (the `newsmon` command) can use it instead of starting its own."""
    import flows  # noqa: F401  (Prefect's settings before Prefect is imported)
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield str(PREFECT_API_URL.value())


@pytest.fixture
def db(sqlite_url: str):  # type: ignore[no-untyped-def]
    """A migrated database in a fresh SQLite file, disposed afterwards."""
    from models.db import Database

    database = Database(sqlite_url)
    yield database
    database.dispose()


@pytest.fixture
def any_db(database_url: str):  # type: ignore[no-untyped-def]
    """A migrated database on each backend: a SQLite file, and PostgreSQL where it runs."""
    from models.db import Database

    database = Database(database_url)
    yield database
    database.dispose()
