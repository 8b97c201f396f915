"""`newsmon serve`: a Prefect server as a child process (unless PREFECT_API_URL names one), the scheduled
deployments served against it and the web view beside them, all stopped cleanly on Ctrl-C or SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import timedelta
from pathlib import Path
from types import FrameType

import httpx

from app.config import Config, config_path
from newsmon.errors import NewsmonError

SERVER_START_TIMEOUT = 120.0


def serve_state_file() -> Path:
    """Where a running `newsmon serve` says which Prefect API it serves against (under PREFECT_HOME)."""
    return Path(os.environ["PREFECT_HOME"]).expanduser() / "newsmon-serve.json"


def use_running_server() -> str | None:
    """Point this process at the Prefect server of a running `newsmon serve`, if there is one and it is healthy, so
    a `newsmon run` or `backfill` by hand skips starting a temporary server (10-20 s) and shows up in the same UI.
    Must run before Prefect is imported. Returns the API URL used, or None."""
    if os.environ.get("PREFECT_API_URL"):
        return None
    try:
        state = json.loads(serve_state_file().read_text(encoding="utf-8"))
        os.kill(int(state["pid"]), 0)
        api_url = str(state["api_url"])
        if httpx.get(f"{api_url}/health", timeout=2).status_code != 200:
            return None
    except (OSError, ValueError, KeyError, TypeError, httpx.HTTPError):
        return None
    os.environ["PREFECT_API_URL"] = api_url
    return api_url


class ServerError(NewsmonError):
    """The Prefect server newsmon started did not become healthy."""


def start_prefect_server(port: int, log_file: Path) -> subprocess.Popen[bytes]:
    """Start `prefect server start` on 127.0.0.1:port with Prefect's state under PREFECT_HOME."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
    env.pop("PREFECT_API_URL", None)
    with log_file.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, start_new_session=True,
        )


def wait_until_healthy(api_url: str, server: subprocess.Popen[bytes] | None, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server is not None and server.poll() is not None:
            raise ServerError(f"the Prefect server exited with code {server.returncode} before becoming healthy")
        try:
            if httpx.get(f"{api_url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise ServerError(f"the Prefect server at {api_url} was not healthy after {timeout:.0f} s")


def stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def build_deployments(config: Config, path: str):  # type: ignore[no-untyped-def]
    """The scheduled deployments: ingest on an interval, digests on their crons (daily, hourly, weekly), backfill on
    demand."""
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.deployments.runner import EntrypointType
    from prefect.schedules import Cron, Interval

    from flows.ingest import backfill, digest, ingest

    params = {"config_path": path}
    zone = config.schedule.timezone
    common = {"entrypoint_type": EntrypointType.MODULE_PATH, "tags": ["newsmon"]}
    # One run of each at a time: a poll that comes due while the previous one still runs is dropped, not queued,
    # so a slow source never piles runs up behind it (the next poll catches up anyway).
    one_at_a_time = ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW)
    return [
        ingest.to_deployment(
            "scheduled", schedule=Interval(timedelta(minutes=config.schedule.ingest_every_minutes), timezone=zone),
            parameters=params, description="Read every source and send after-ingest digests.",
            concurrency_limit=one_at_a_time, **common,
        ),
        digest.to_deployment(
            "daily", schedule=Cron(config.schedule.daily_digest_cron, timezone=zone),
            parameters={**params, "when": "daily"}, description="Digests of subscriptions with when = daily.",
            concurrency_limit=one_at_a_time, **common,
        ),
        digest.to_deployment(
            "hourly", schedule=Cron(config.schedule.hourly_digest_cron, timezone=zone),
            parameters={**params, "when": "hourly"}, description="Digests of subscriptions with when = hourly.",
            concurrency_limit=one_at_a_time, **common,
        ),
        digest.to_deployment(
            "weekly", schedule=Cron(config.schedule.weekly_digest_cron, timezone=zone),
            parameters={**params, "when": "weekly"}, description="Digests of subscriptions with when = weekly.",
            concurrency_limit=one_at_a_time, **common,
        ),
        # Backfills queue behind each other (one at a time, never dropped) and, with serve's limit of 2 runs, leave
        # the scheduled ingest its own slot; each backfill also fetches within [backfill] max_connections.
        backfill.to_deployment(
            "on-demand", parameters=params,
            description="Run by hand: prefect deployment run 'backfill/on-demand' -p since=YYYY-MM-DD -p until=YYYY-MM-DD",
            concurrency_limit=ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE),
            **common,
        ),
    ]


@contextmanager
def web_view_running(config: Config, host: str, port: int) -> Iterator[str]:
    """The web view served in a thread of this process while the block runs; yields its address. Raises (before
    binding) when the address needs a token and none is set."""
    from web.app import build_server, start_in_thread

    server = build_server(config, host, port)
    thread = start_in_thread(server)
    try:
        yield f"http://{host if ':' not in host else f'[{host}]'}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


STOP_WARNING = ("newsmon: warning: {signal} received: stopping; flow runs in progress are cancelled (what they "
                "stored is complete, the next run reads the rest)")


def serve_deployments(deployments: list, limit: int) -> None:  # type: ignore[type-arg]
    """Prefect's `serve`, with SIGTERM stopping the runner the way it stops itself: its own handler calls the
    runner's async stop from a signal handler without awaiting it ("coroutine 'Runner.astop' was never awaited")
    and exits mid-loop. Here SIGTERM schedules the stop on the runner's loop, so runs in progress are cancelled,
    the schedules paused and the loop ends; Ctrl-C ends it as in Prefect."""
    import asyncio

    from prefect.runner import Runner

    class _Runner(Runner):
        def handle_sigterm(self, *args: object, **kwargs: object) -> None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # the loop has ended already: stopping the server is under way
                raise KeyboardInterrupt from None
            if self.stopping:
                return
            print(STOP_WARNING.format(signal="SIGTERM"), file=sys.stderr, flush=True)
            loop.call_soon_threadsafe(lambda: loop.create_task(self.astop()))

    runner = _Runner(limit=limit)
    for deployment in deployments:
        runner.add_deployment(deployment)
    try:
        asyncio.run(runner.start())
    except KeyboardInterrupt:
        print(STOP_WARNING.format(signal="SIGINT"), file=sys.stderr, flush=True)


def serve_forever(config: Config, explicit_path: str | None, port: int = 4200, *, web: bool = True,
                  web_host: str | None = None, web_port: int | None = None) -> None:
    """Serve the deployments (and, unless `web` is False, the web view on [web] host and port) until stopped."""
    path = str(config_path(explicit_path).resolve())
    host, view_port = web_host or config.web.host, web_port or config.web.port
    # The view first: a binding that needs a missing token stops serve before any Prefect process starts.
    with web_view_running(config, host, view_port) if web else nullcontext(None) as view:
        if view:
            print(f"newsmon: web view at {view}", flush=True)
        _serve_deployments(config, path, port)
    if view:
        print("newsmon: web view stopped", flush=True)


def _serve_deployments(config: Config, path: str, port: int) -> None:
    server = None
    api_url = os.environ.get("PREFECT_API_URL")
    if not api_url:
        api_url = f"http://127.0.0.1:{port}/api"
        log_file = Path(os.environ["PREFECT_HOME"]) / "server.log"
        print(f"newsmon: starting a Prefect server on 127.0.0.1:{port} (log: {log_file})", flush=True)
        server = start_prefect_server(port, log_file)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        wait_until_healthy(api_url, server, SERVER_START_TIMEOUT)
        os.environ["PREFECT_API_URL"] = api_url  # before Prefect is first imported, below
        ui = api_url.removesuffix("/api")
        print(f"newsmon: Prefect UI at {ui}  (Ctrl-C stops)", flush=True)
        serve_state_file().write_text(json.dumps({"api_url": api_url, "pid": os.getpid()}), encoding="utf-8")
        serve_deployments(build_deployments(config, path), limit=2)
    except KeyboardInterrupt:  # before the runner started: while waiting for the server
        print(STOP_WARNING.format(signal="a stop signal"), file=sys.stderr, flush=True)
    finally:
        serve_state_file().unlink(missing_ok=True)
        if server is not None:
            stop(server)
            print("newsmon: Prefect server stopped", flush=True)
