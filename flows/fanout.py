"""The scheduled ingest on a work pool: one child run of `ingest/part` per group of sources (any worker takes any
group, as many at once as the server-held limit allows), then the after-ingest digests, once, in the parent."""

from __future__ import annotations

import time
from typing import Any

from prefect import flow, get_run_logger

from app.config import load_config
from flows.recovery import refuse_after_attempts
from ingest.fanout import source_groups

PART_DEPLOYMENT = "ingest/part"
POLL_SECONDS = 2.0
# A child run crashed (its worker lost) is set to run again by the re-run automation within seconds; one still
# crashed after this long is not coming back (no automation, or its attempts are used up).
CRASHED_GRACE_SECONDS = 60.0
DONE = {"COMPLETED", "FAILED", "CANCELLED"}


def start_parts(groups: list[list[str]], parent_id: str, config_path: str | None) -> list[Any]:
    """Create one child run per group. The idempotency key is the parent run and the group: a parent re-run after
    its worker was lost finds the children it had already created instead of reading their sources again."""
    from prefect.deployments import run_deployment

    return [
        run_deployment(PART_DEPLOYMENT, parameters={"sources": group, "send_digest": False, "config_path": config_path,
                                                      "shared_politeness": True},
                       timeout=0, idempotency_key=f"{parent_id}:part-{i}", flow_run_name=f"part-{i}-of-{len(groups)}")
        for i, group in enumerate(groups)
    ]


def wait_for_parts(run_ids: list[Any], max_attempts: int) -> dict[str, str]:
    """Wait until every child run is done (or crashed for good); returns each run's name and final state."""
    from prefect.client.orchestration import get_client

    pending = set(run_ids)
    crashed_since: dict[Any, float] = {}
    finals: dict[str, str] = {}
    with get_client(sync_client=True) as client:
        while pending:
            for run_id in list(pending):
                run = client.read_flow_run(run_id)
                kind = run.state.type.value if run.state else "PENDING"
                if kind == "CRASHED":
                    first = crashed_since.setdefault(run_id, time.monotonic())
                    if run.run_count < max_attempts and time.monotonic() - first < CRASHED_GRACE_SECONDS:
                        continue
                else:
                    crashed_since.pop(run_id, None)
                    if kind not in DONE:
                        continue
                finals[run.name] = run.state.name if run.state else kind
                pending.discard(run_id)
            if pending:
                time.sleep(POLL_SECONDS)
    return finals


@flow(name="ingest-fanout")
def ingest_fanout(config_path: str | None = None, send_digest: bool = True) -> dict[str, Any]:
    """Read every enabled source as child runs spread over the work pool, then send after-ingest digests."""
    from prefect.runtime import flow_run

    from flows import resources
    from flows.ingest import digest, spikes

    config = load_config(config_path)
    refuse_after_attempts(config.pool.max_attempts)
    resources.database(config)  # migrated once here, not by every child at the same moment
    logger = get_run_logger()
    groups = source_groups(config.selected_sources(None), config.pool.sources_per_run)
    children = start_parts(groups, str(flow_run.get_id()), config_path)
    logger.info("%d sources in %d child runs of %s", sum(map(len, groups)), len(groups), PART_DEPLOYMENT)
    finals = wait_for_parts([c.id for c in children], config.pool.max_attempts)
    failed = sorted(name for name, state in finals.items() if state != "Completed")
    for name in failed:
        logger.error("child run %s ended %s", name, finals[name])
    summary: dict[str, Any] = {"parts": finals, "failed": failed}
    # As in a one-machine ingest: spikes are checked once per scheduled ingest, here, not by every part.
    if send_digest and any(s.spikes for s in config.subscriptions):
        summary["spikes"] = spikes(config_path)
    if send_digest and config.schedule.digest_after_ingest:
        summary["digests"] = digest(config_path, when="after_ingest")
    return summary
