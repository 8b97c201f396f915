"""`newsmon deploy`: the deployments, a process work pool and the crash automations on the Prefect server at
PREFECT_API_URL, for workers on any number of machines (`prefect worker start --pool NAME` in each checkout)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from app.config import Config
from flows.recovery import TAG, install_automations
from newsmon.errors import NewsmonError


class DeployError(NewsmonError):
    """The deployments could not be registered (no server, or the server refused them)."""


@dataclass(frozen=True)
class Deployed:
    pool: str
    deployments: dict[str, str]  # "flow/name" -> id
    automations: list[str]


def pool_deployments(config: Config) -> list[Any]:
    """The pool's deployments. They carry no configuration path: each worker reads its own (NEWSMON_CONFIG, else
    its checkout's newsmon.toml), so machines may keep it anywhere. Flows are found by module path, through the
    checkout's installed package, so the checkout may sit anywhere too."""
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.deployments.runner import EntrypointType
    from prefect.schedules import Cron, Interval

    from flows.fanout import ingest_fanout
    from flows.ingest import backfill, digest, ingest

    zone, pool = config.schedule.timezone, config.pool
    # Every run sends heartbeats, whichever worker runs it: the crash automation reads them.
    common = {"entrypoint_type": EntrypointType.MODULE_PATH, "tags": [TAG],
              "job_variables": {"env": {"PREFECT_FLOWS_HEARTBEAT_FREQUENCY": str(pool.heartbeat_seconds)}}}
    # As with `newsmon serve`: a scheduled run that comes due while the previous one still runs is dropped.
    one_at_a_time = ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW)
    # Child runs beyond the limit wait (AwaitingConcurrencySlot) for a slot the server hands out.
    parts_at_once = ConcurrencyLimitConfig(limit=pool.parallel_runs, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE)
    return [
        ingest_fanout.to_deployment(
            "scheduled", schedule=Interval(timedelta(minutes=config.schedule.ingest_every_minutes), timezone=zone),
            description="Read every source as child runs of ingest/part across the pool, then after-ingest digests.",
            concurrency_limit=one_at_a_time, **common,
        ),
        ingest.to_deployment(
            "part", description="One group of sources (started by ingest-fanout/scheduled, or by hand with -p "
            "'sources=[...]').", concurrency_limit=parts_at_once, parameters={"send_digest": False, "shared_politeness": True}, **common,
        ),
        digest.to_deployment(
            "daily", schedule=Cron(config.schedule.daily_digest_cron, timezone=zone), parameters={"when": "daily"},
            description="Digests of subscriptions with when = daily.", concurrency_limit=one_at_a_time, **common,
        ),
        digest.to_deployment(
            "hourly", schedule=Cron(config.schedule.hourly_digest_cron, timezone=zone), parameters={"when": "hourly"},
            description="Digests of subscriptions with when = hourly.", concurrency_limit=one_at_a_time, **common,
        ),
        digest.to_deployment(
            "weekly", schedule=Cron(config.schedule.weekly_digest_cron, timezone=zone), parameters={"when": "weekly"},
            description="Digests of subscriptions with when = weekly.", concurrency_limit=one_at_a_time, **common,
        ),
        backfill.to_deployment(
            "on-demand", description="Run by hand: prefect deployment run 'backfill/on-demand' -p since=YYYY-MM-DD "
            "-p until=YYYY-MM-DD [-p jobs=N]", **common,
        ),
    ]


def ensure_pool(client: Any, name: str) -> bool:
    """Create the process work pool `name` unless it exists; True when it was created."""
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    try:
        client.read_work_pool(name)
        return False
    except ObjectNotFound:
        pass
    try:
        client.create_work_pool(WorkPoolCreate(name=name, type="process"))
    except ObjectAlreadyExists:
        return False
    return True


def deploy(config: Config, pool_name: str | None = None) -> Deployed:
    """Register everything on the server at PREFECT_API_URL (run it again after changing schedules: it updates)."""
    import httpx
    from prefect.client.orchestration import get_client
    from prefect.exceptions import PrefectException
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():
        raise DeployError("PREFECT_API_URL is not set: point it at the Prefect server the workers use "
                          "(e.g. http://HOST:4200/api)")
    pool = pool_name or config.pool.name
    try:
        with get_client(sync_client=True) as client:
            ensure_pool(client, pool)
            deployed = {}
            for deployment in pool_deployments(config):
                deployed[f"{deployment.flow_name}/{deployment.name}"] = str(deployment.apply(work_pool_name=pool))
            automations = install_automations(client, deployed.values(), config.pool.crashed_after_seconds)
    except (PrefectException, httpx.HTTPError, OSError) as exc:
        raise DeployError(f"{PREFECT_API_URL.value()}: {type(exc).__name__}: {exc}") from None
    return Deployed(pool, deployed, [str(a) for a in automations])
