"""The `newsmon` command line: run, backfill, digest, spikes, serve, web, load, export (and the stage tools tag, eval,
extract)."""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

import flows  # noqa: F401  (sets Prefect's home and telemetry before Prefect is imported)
from app.config import Config, load_config
from flows.outcome import ExitCode, load_exit_code, run_exit_code, signal_exit_code, undelivered
from newsmon.errors import InputError, NewsmonError

if TYPE_CHECKING:
    from models.db import Database

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="newsmon: fetch, dedupe, tag and digest Korean news about the companies and topics you watch.")
state: dict[str, Any] = {"config": None, "verbose": False}

# Every command takes these, before or after its name (`newsmon --config F run` and `newsmon run --config F`).
ConfigOption = Annotated[Optional[Path], typer.Option(
    "--config", "-c", help="configuration file (default: $NEWSMON_CONFIG, else newsmon.toml in the project)")]
VerboseOption = Annotated[bool, typer.Option("--verbose", "-v", help="also show Prefect's own logs")]


@app.callback()
def _options(config: ConfigOption = None, verbose: VerboseOption = False) -> None:
    state["config"] = str(config) if config else None
    state["verbose"] = verbose


def _use(config: Path | None, verbose: bool) -> None:
    """Take the options given after the command (they win over those before it)."""
    if config is not None:
        state["config"] = str(config)
    state["verbose"] = state["verbose"] or verbose


def _config() -> Config:
    return load_config(state["config"])


def _quiet_prefect() -> None:
    """Unless -v: Prefect's console logs (its INFO lines, the temporary server's banner) are not shown, so the
    output is the digest and newsmon's summary. Logs still reach the Prefect server and its UI. Before Prefect is
    imported; a PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL set by the user wins."""
    if not state["verbose"]:
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    from newsmon.stopping import request_stop

    request_stop(signum)
    raise KeyboardInterrupt("SIGTERM")


def _remember_prefects_sigterm() -> None:
    """Prefect installs its own SIGTERM handler while a flow runs; have it remember the signal too, so a signal whose
    exception Python dropped (raised inside a finaliser) still stops the run at the next batch."""
    import prefect.utilities.engine as engine

    from newsmon.stopping import request_stop

    original = engine._prefect_sigterm_handler
    if getattr(original, "newsmon_remembers", False):
        return

    def remembering(sig_num: int, *args: object):  # type: ignore[no-untyped-def]
        request_stop(sig_num)
        original(sig_num, *args)

    remembering.newsmon_remembers = True  # type: ignore[attr-defined]
    engine._prefect_sigterm_handler = remembering


def _stop_signal(exc: BaseException) -> int | None:
    """The signal that ended a run, if one did: Ctrl-C, our SIGTERM, or Prefect's own SIGTERM bridge (installed
    while a flow runs), also when Prefect's engine turned it into an error of its own while handling it."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, KeyboardInterrupt):
            return signal.SIGTERM if seen.args == ("SIGTERM",) else signal.SIGINT
        if type(seen).__name__ == "TerminationSignal":  # prefect.exceptions.TerminationSignal
            return int(getattr(seen, "signal", signal.SIGTERM))
        seen = seen.__cause__ or seen.__context__
    return None


@contextmanager
def _stoppable() -> Iterator[None]:
    """Ctrl-C or SIGTERM during a run ends it with one warning and exit code 130 / 143. Each batch is stored in one
    transaction and each digest is recorded before it is sent, so nothing is half-stored: the next run reads what
    this one did not store and sends what it did not send."""
    from newsmon.stopping import stop_requested

    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    _remember_prefects_sigterm()
    try:
        yield
        if stop_requested():  # the signal's exception was dropped; the run still ends as stopped
            raise KeyboardInterrupt("SIGTERM")
    except (typer.Exit, SystemExit, NewsmonError):
        raise
    except BaseException as exc:
        signum = _stop_signal(exc)
        if signum is None:
            raise
        typer.echo(f"newsmon: warning: stopped by {signal.Signals(signum).name}; what was stored is complete, the "
                   "next run reads and sends the rest", err=True)
        raise typer.Exit(signal_exit_code(signum)) from None
    finally:
        signal.signal(signal.SIGTERM, previous)


def _database_ready(config: Config) -> None:
    """Open (and migrate) the database before Prefect starts, so a wrong URL or a server that is down is one line
    naming the setting, not a flow's traceback; the flows reuse this process's engine."""
    from flows import resources

    resources.database(config)


def _prefect_server() -> None:
    """Run flows against a running `newsmon serve`'s Prefect server when there is one (no temporary server)."""
    from flows.serve import use_running_server

    api_url = use_running_server()
    if api_url:
        typer.echo(f"newsmon: using the Prefect server of the running `newsmon serve` ({api_url})", err=True)


def _echo_reports(summary: dict) -> None:
    for line in summary["sources"].values():
        typer.echo(line, err=True)
    sources = len(summary["sources"])
    failed = f", {len(summary['failed'])} failed" if summary["failed"] else ""
    if summary["new"]:
        typer.echo(f"{summary['new']} new articles from {sources} sources{failed}", err=True)
    else:
        typer.echo(f"nothing new ({sources} sources read{failed})", err=True)
    _echo_digests(summary.get("digests") or [])


def _echo_digests(digests: list[dict]) -> None:
    from alerts.run import DigestReport

    for report in digests:
        typer.echo(DigestReport(**report).summary(), err=True)


def _exit(code: ExitCode) -> None:
    if code != ExitCode.OK:
        raise typer.Exit(int(code))


@app.command()
def run(
    source: Annotated[Optional[list[str]], typer.Option("--source", "-s", help="only this source (repeatable)")] = None,
    no_digest: Annotated[bool, typer.Option("--no-digest", help="store only; send no digest")] = False,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Run one ingest cycle: read every source, store what is new, send digests of new matches."""
    _use(config, verbose)
    settings = _config()
    settings.selected_sources(source)  # an unknown --source is one line naming the configured ones, exit code 2
    _database_ready(settings)  # fail fast, before Prefect starts, on a bad configuration or database
    _quiet_prefect()
    _prefect_server()
    with _stoppable():
        from flows.ingest import ingest

        summary = ingest(config_path=state["config"], sources=source, send_digest=not no_digest)
    _echo_reports(summary)
    _exit(run_exit_code(summary["failed"], summary.get("digests") or []))


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (use YYYY-MM-DD)") from None


@app.command()
def backfill(
    since: Annotated[str, typer.Option(help="first day, YYYY-MM-DD (in the configured time zone)")],
    until: Annotated[str, typer.Option(help="last day, YYYY-MM-DD, inclusive")],
    source: Annotated[Optional[list[str]], typer.Option("--source", "-s", help="only this source (repeatable)")] = None,
    digest: Annotated[bool, typer.Option("--digest/--no-digest", help="also send digests of what it finds")] = False,
    refresh: Annotated[bool, typer.Option("--refresh", help="read days an earlier backfill finished again")] = False,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="processes: this one and N-1 tagging workers, one "
                                      "Kiwi (~0.5 GB) each; worth it for a large range")] = 1,
) -> None:
    """Load the articles published in a date range: sitemaps and dated listings day by day (a backfill stopped at any
    point continues where it stopped), feeds as far back as they reach. Re-running it stores nothing twice."""
    _use(config, verbose)
    first, last = _day(since), _day(until)
    if last < first:
        raise typer.BadParameter(f"--until {until} is before --since {since}")
    settings = _config()
    for name in source or []:
        settings.source(name)
    _database_ready(settings)
    _quiet_prefect()
    _prefect_server()
    with _stoppable():
        from flows.ingest import backfill as backfill_flow

        summary = backfill_flow(since=first, until=last, sources=source, config_path=state["config"],
                                send_digest=digest, refresh=refresh, jobs=jobs)
    _echo_reports(summary)
    typer.echo(f"backfill {first}..{last}: {summary['new']} new articles", err=True)
    if summary["failed"]:
        typer.echo(f"backfill: not finished for {summary['failed']}; run it again to retry what failed", err=True)
    _exit(run_exit_code(summary["failed"], summary.get("digests") or []))


@app.command()
def digest(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print what would be sent; record and send nothing")] = False,
    subscription: Annotated[Optional[list[str]], typer.Option("--subscription", help="only this one")] = None,
    preview: Annotated[Optional[Path], typer.Option("--preview", help="write the next digest as HTML to this file; "
                                                    "record and send nothing")] = None,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Send each subscription its new matches (printed to the console where no channel is set)."""
    from alerts.run import run_digests, select_subscriptions

    _use(config, verbose)
    settings = _config()
    select_subscriptions(settings, subscription, None)  # an unknown name: one line naming the configured ones
    if preview is not None:
        from flows import resources

        written = write_preview(resources.database(settings), settings, preview,
                                subscription[0] if subscription else None)
        typer.echo(f"wrote {written}", err=True)
        return
    if dry_run:
        from flows import resources

        reports = run_digests(resources.database(settings), settings, subscriptions=subscription, dry_run=True)
        _echo_digests([r.as_dict() for r in reports])
        return
    _database_ready(settings)
    _quiet_prefect()
    _prefect_server()
    with _stoppable():
        from flows.ingest import digest as digest_flow

        digests = digest_flow(config_path=state["config"], subscriptions=subscription)
    _echo_digests(digests)
    if not digests:
        typer.echo("nothing new to send", err=True)
    _exit(ExitCode.NOT_DELIVERED if undelivered(digests) else ExitCode.OK)


@app.command()
def spikes(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print the notices; record and send nothing")] = False,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Check for spikes now (every ingest does too) and tell the subscriptions that watch for them."""
    _use(config, verbose)
    settings = _config()
    if dry_run:
        from alerts.spikes import run_spike_alerts
        from flows import resources

        for report in run_spike_alerts(resources.database(settings), settings, dry_run=True):
            typer.echo(f"{report.subscription} {report.kind} {report.label}: {report.stories} stories in the window, "
                       f"usually {report.baseline:.1f}, a spike from {report.threshold}"
                       + (" (SPIKE)" if report.notice else ""), err=True)
        return
    _database_ready(settings)
    _quiet_prefect()
    _prefect_server()
    with _stoppable():
        from flows.ingest import spikes as spikes_flow

        spikes_flow(config_path=state["config"])


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="port of the Prefect server newsmon starts")] = 4200,
    web: Annotated[bool, typer.Option("--web/--no-web", help="also serve the web view ([web] host and port)")] = True,
    web_host: Annotated[Optional[str], typer.Option(help="the web view's address (default: [web] host)")] = None,
    web_port: Annotated[Optional[int], typer.Option(help="the web view's port (default: [web] port)")] = None,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Run the flows on their schedules: start a Prefect server (unless PREFECT_API_URL is set) and serve the
    ingest, digest and backfill deployments, and the web view, until Ctrl-C or SIGTERM. Prefect's logs are shown:
    they are the service's log."""
    from flows.serve import serve_forever

    _use(config, verbose)
    settings = _config()
    _database_ready(settings)
    serve_forever(settings, state["config"], port=port, web=web, web_host=web_host, web_port=web_port)


@app.command()
def deploy(
    pool: Annotated[Optional[str], typer.Option(help="the process work pool (default: [pool] name, newsmon); "
                                                "created when missing")] = None,
) -> None:
    """Register the deployments (scheduled ingest fanned out over the pool, digests, backfill), the work pool and
    the crash automations on the Prefect server at PREFECT_API_URL; then start workers with `newsmon worker`."""
    from flows.deploy import deploy as register

    config = _config()
    _database_ready(config)  # migrated once now, before any worker opens it
    done = register(config, pool)
    for name, deployment_id in done.deployments.items():
        typer.echo(f"deployment {name} ({deployment_id})")
    typer.echo(f"work pool {done.pool}; {len(done.automations)} automations (crash detection, re-run)")
    typer.echo(f"start workers with: newsmon worker --pool {done.pool}   (or: prefect worker start --pool {done.pool})")


@app.command()
def worker(
    pool: Annotated[Optional[str], typer.Option(help="the work pool (default: [pool] name, newsmon)")] = None,
    limit: Annotated[Optional[int], typer.Option(min=1, help="flow runs at once on this machine (each child run "
                                                 "loads its own Kiwi, ~0.5 GB); default: no limit")] = None,
) -> None:
    """`prefect worker start --pool NAME --type process` with this checkout's Python, so its flow runs import this
    checkout; reads NEWSMON_CONFIG (or newsmon.toml here) and PREFECT_API_URL like every command."""
    import os

    name = pool or _config().pool.name
    if state["config"]:
        os.environ["NEWSMON_CONFIG"] = str(Path(state["config"]).resolve())
    command = [sys.executable, "-m", "prefect", "worker", "start", "--pool", name, "--type", "process"]
    if limit:
        command += ["--limit", str(limit)]
    # exec, not a child: signals (Ctrl-C, a service manager's SIGTERM) reach the worker itself.
    os.execv(sys.executable, command)


@app.command(name="web")
def web_view(
    host: Annotated[str, typer.Option(help="address to listen on; other than loopback needs NEWSMON_WEB_TOKEN")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8080,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Serve the read-only web view (search, story pages, trends, JSON API under /api/) until Ctrl-C."""
    from web.app import run_web

    _use(config, verbose)
    run_web(_config(), host=host, port=port)


@app.command()
def load(
    paths: Annotated[list[Path], typer.Argument(help="JSON Lines files, text files or folders of them")],
    source: Annotated[str, typer.Option(help="the source name to store them under")] = "files",
    config: ConfigOption = None,
    verbose: VerboseOption = False,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", min=1, help="processes: this one and N-1 "
                                                "tagging workers, one Kiwi (~0.5 GB) each (default: the number of "
                                                "cores)")] = None,
) -> None:
    """Store articles from files into the configured database (dedupe, tag, store; no digest). Exit code 4 when a
    path is missing or records were skipped (everything readable is stored)."""
    from zoneinfo import ZoneInfo

    from flows import resources
    from ingest.loading import load_paths
    from ingest.workers import default_jobs

    _use(config, verbose)
    settings = _config()
    # Building the context is cheap: Kiwi loads (and tagging processes start) only when something new is tagged.
    reports: list = []
    with resources.parallel_ingest_context(settings, jobs or default_jobs()) as context:
        for line in load_paths(context, paths, source, ZoneInfo(settings.schedule.timezone), reports):
            typer.echo(line, err=True)
    _exit(load_exit_code(sum(1 for r in reports if r.failure), sum(len(r.errors) for r in reports)))


@app.command()
def export(config: ConfigOption = None, verbose: VerboseOption = False) -> None:
    """Print the stored articles as JSON lines (id, url, title, publisher, companies, topics, duplicate_of, story)."""
    from flows import resources
    from models.articles_store import iter_export

    _use(config, verbose)
    out = sys.stdout
    with resources.database(_config()).session() as session:
        for row in iter_export(session):
            out.write(json.dumps(row.as_record(), ensure_ascii=False) + "\n")


@app.command()
def tag(
    path: Annotated[Path, typer.Argument(help="JSON Lines file (.jsonl or .jsonl.gz) in the corpus shape")],
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Tag each article of a file; print one JSON line per article: id, companies, topics, evidence."""
    from tagging.evaluate import tag_jsonl

    _use(config, verbose)
    _require_file(path)
    try:
        count = tag_jsonl(path, _config().watchlist, sys.stdout)
    except ValueError as exc:  # a malformed line: tag/eval score whole files, so they stop and name it
        raise InputError(str(exc)) from None
    typer.echo(f"tagged {count} articles", err=True)


@app.command(name="eval")
def evaluate(
    path: Annotated[Optional[Path], typer.Argument(help="JSON Lines file (.jsonl or .jsonl.gz) holding the labelled "
                                                   "articles (with --labels)")] = None,
    labels: Annotated[Optional[Path], typer.Option("--labels", help="JSON Lines hand labels: id, companies, "
                                                   "topics")] = None,
    pairs: Annotated[Optional[Path], typer.Option("--pairs", help="JSON Lines labelled pairs: a, b, relation "
                                                  "(duplicate, same_story, different); scores the configured "
                                                  "database after `newsmon load`")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="scores only, without the misses and false alarms")] = False,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Score the tagger against hand labels (--labels, per label and micro-averaged), or the stored dedupe decisions
    against labelled pairs (--pairs: duplicates merged, false merges, pairs in one story, false groupings)."""
    if pairs is not None:
        if labels is not None or path is not None:
            raise typer.BadParameter("--pairs scores the database: give no article file and no --labels with it")
        _require_file(pairs)
        from dedupe.evaluate import format_pair_report
        from flows import resources
        from ingest.evaluation import evaluate_pairs

        try:
            pair_report = evaluate_pairs(resources.database(_config()), pairs)
        except ValueError as exc:
            raise InputError(str(exc)) from None
        typer.echo(format_pair_report(pair_report, details=not quiet))
        return
    if labels is None or path is None:
        raise typer.BadParameter("give an article file and --labels LABELS.jsonl, or --pairs PAIRS.jsonl")
    from tagging.evaluate import evaluate as run_eval
    from tagging.evaluate import format_report

    _use(config, verbose)
    _require_file(path)
    _require_file(labels)
    try:
        report = run_eval(labels, path, _config().watchlist)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    typer.echo(format_report(report, details=not quiet))


@app.command()
def extract(
    target: Annotated[str, typer.Argument(help="a saved HTML file or an http(s) URL")],
    url: Annotated[Optional[str], typer.Option("--url", help="the page's address, for a saved file "
                                               "(picks the site profile and resolves links)")] = None,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Print what extraction finds in one article page (title, body, published time, author, outlet) as JSON."""
    from scrapers.pages import extract_target

    _use(config, verbose)
    result = extract_target(target, url, _config().fetch)
    typer.echo(json.dumps(result, ensure_ascii=False, indent=2))


def write_preview(db: Database, config: Config, path: Path, subscription: str | None = None) -> Path:
    """Write the next digest of `subscription` (default: the first) as an HTML file; records and sends nothing."""
    from alerts.run import preview_html

    html = preview_html(db, config, subscription)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path


def _require_file(path: Path) -> None:
    if not path.is_file():
        raise InputError(f"{path}: no such file")


def main() -> None:
    try:
        app()
    except InputError as exc:
        typer.echo(f"newsmon: error: {exc}", err=True)
        sys.exit(ExitCode.BAD_INPUT)
    except NewsmonError as exc:
        typer.echo(f"newsmon: error: {exc}", err=True)
        sys.exit(ExitCode.CONFIG_ERROR)


if __name__ == "__main__":
    main()
