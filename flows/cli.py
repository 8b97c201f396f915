"""The `newsmon` command line: run, backfill, digest, serve, web, load, export (and the stage tools tag, eval, extract)."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

import flows  # noqa: F401  (sets Prefect's home and telemetry before Prefect is imported)
from app.config import Config, load_config
from newsmon.errors import InputError, NewsmonError

if TYPE_CHECKING:
    from models.db import Database

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="newsmon: fetch, dedupe, tag and digest Korean news about the companies and topics you watch.")
state: dict[str, Optional[str]] = {"config": None}


@app.callback()
def _options(
    config: Annotated[Optional[Path], typer.Option("--config", "-c", help="configuration file (default: "
                                                   "$NEWSMON_CONFIG, else newsmon.toml in the project)")] = None,
) -> None:
    state["config"] = str(config) if config else None


def _config() -> Config:
    return load_config(state["config"])


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


@app.command()
def run(
    source: Annotated[Optional[list[str]], typer.Option("--source", "-s", help="only this source (repeatable)")] = None,
    no_digest: Annotated[bool, typer.Option("--no-digest", help="store only; send no digest")] = False,
) -> None:
    """Run one ingest cycle: read every source, store what is new, send digests of new matches."""
    _database_ready(_config())  # fail fast, before Prefect starts, on a bad configuration or database
    _prefect_server()
    from flows.ingest import ingest

    summary = ingest(config_path=state["config"], sources=source, send_digest=not no_digest)
    _echo_reports(summary)
    if summary["failed"]:
        raise typer.Exit(1)


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
) -> None:
    """Load the articles published in a date range; re-running it stores nothing twice."""
    first, last = _day(since), _day(until)
    if last < first:
        raise typer.BadParameter(f"--until {until} is before --since {since}")
    config = _config()
    for name in source or []:
        config.source(name)
    _database_ready(config)
    _prefect_server()
    from flows.ingest import backfill as backfill_flow

    summary = backfill_flow(since=first, until=last, sources=source, config_path=state["config"], send_digest=digest)
    _echo_reports(summary)
    typer.echo(f"backfill {first}..{last}: {summary['new']} new articles", err=True)


@app.command()
def digest(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print what would be sent; record and send nothing")] = False,
    subscription: Annotated[Optional[list[str]], typer.Option("--subscription", help="only this one")] = None,
    preview: Annotated[Optional[Path], typer.Option("--preview", help="write the next digest as HTML to this file; "
                                                    "record and send nothing")] = None,
) -> None:
    """Send each subscription its new matches (printed to the console where no channel is set)."""
    config = _config()
    if preview is not None:
        from flows import resources

        written = write_preview(resources.database(config), config, preview,
                                subscription[0] if subscription else None)
        typer.echo(f"wrote {written}", err=True)
        return
    if dry_run:
        from alerts.run import run_digests
        from flows import resources

        run_digests(resources.database(config), config, subscriptions=subscription, dry_run=True)
        return
    _database_ready(config)
    _prefect_server()
    from flows.ingest import digest as digest_flow

    digest_flow(config_path=state["config"], subscriptions=subscription)


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="port of the Prefect server newsmon starts")] = 4200,
) -> None:
    """Run the flows on their schedules: start a Prefect server (unless PREFECT_API_URL is set) and serve the
    ingest, digest and backfill deployments until Ctrl-C or SIGTERM."""
    from flows.serve import serve_forever

    config = _config()
    _database_ready(config)
    serve_forever(config, state["config"], port=port)


@app.command(name="web")
def web_view(
    host: Annotated[str, typer.Option(help="address to listen on; other than loopback needs NEWSMON_WEB_TOKEN")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8080,
) -> None:
    """Serve the read-only web view (search, story pages, trends, JSON API under /api/) until Ctrl-C."""
    from web.app import run_web

    run_web(_config(), host=host, port=port)


@app.command()
def load(
    paths: Annotated[list[Path], typer.Argument(help="JSON Lines files, text files or folders of them")],
    source: Annotated[str, typer.Option(help="the source name to store them under")] = "files",
) -> None:
    """Store articles from files into the configured database (dedupe, tag, store; no digest)."""
    from zoneinfo import ZoneInfo

    from flows import resources
    from ingest.loading import load_paths

    config = _config()
    # Building the context is cheap: Kiwi loads only when something new is tagged.
    context = resources.ingest_context(config)
    for line in load_paths(context, paths, source, ZoneInfo(config.schedule.timezone)):
        typer.echo(line, err=True)


@app.command()
def export() -> None:
    """Print the stored articles as JSON lines (id, url, title, publisher, companies, topics, duplicate_of, story)."""
    from flows import resources
    from models.articles_store import iter_export

    out = sys.stdout
    with resources.database(_config()).session() as session:
        for row in iter_export(session):
            out.write(json.dumps(row.as_record(), ensure_ascii=False) + "\n")


@app.command()
def tag(
    path: Annotated[Path, typer.Argument(help="JSON Lines file (.jsonl or .jsonl.gz) in the corpus shape")],
) -> None:
    """Tag each article of a file; print one JSON line per article: id, companies, topics, evidence."""
    from tagging.evaluate import tag_jsonl

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
) -> None:
    """Print what extraction finds in one article page (title, body, published time, author, outlet) as JSON."""
    from scrapers.pages import extract_target

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
        raise typer.BadParameter(f"{path}: no such file")


def main() -> None:
    try:
        app()
    except NewsmonError as exc:
        typer.echo(f"newsmon: error: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
