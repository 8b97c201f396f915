"""Runs lost with their worker (a machine gone, a kill -9): automations on the Prefect server mark a run whose
heartbeats stopped, or that its worker took and never started, as crashed, and set a crashed run of newsmon's deployments to run again, on any worker; each flow
refuses a run past its attempts, so a run that always dies is not re-run forever."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

CRASH_DETECTOR = "newsmon: crashed when heartbeats stop"
STUCK_DETECTOR = "newsmon: crashed when a taken run never starts"
RERUN = "newsmon: re-run crashed runs"
TAG = "newsmon"


class TooManyAttempts(RuntimeError):
    """A flow run that was lost with its worker more often than the configuration allows."""


def refuse_after_attempts(max_attempts: int) -> None:
    """Fail this flow run (no re-run follows a failure) when it has already been tried `max_attempts` times."""
    from prefect.runtime import flow_run

    count = flow_run.get_run_count()
    if count > max_attempts:
        raise TooManyAttempts(f"flow run {flow_run.get_name()}: attempt {count} of at most {max_attempts} "
                              "(pool.max_attempts); it was lost with its worker every time, so it is not run again")


def automations(deployment_ids: Iterable[Any], silent_seconds: int) -> list[Any]:
    """The three automations: a proactive trigger fires when a newsmon flow run that was running or sent a heartbeat
    sends neither another heartbeat nor a final state within `silent_seconds`, and marks it Crashed; another does the same for a run left Pending that never starts; a reactive one
    sets a crashed run of one of `deployment_ids` (not an inline subflow, which no worker could pick up) to
    AwaitingRetry, a scheduled state any worker of the pool takes."""
    from prefect.client.schemas.objects import StateType
    from prefect.events.actions import ChangeFlowRunState
    from prefect.events.schemas.automations import AutomationCore as Automation
    from prefect.events.schemas.automations import EventTrigger, Posture

    finals = {f"prefect.flow-run.{s}" for s in ("Completed", "Failed", "Cancelled", "Crashed")}

    def crashed_when_silent(name: str, description: str, after: set[str], expect: set[str], message: str) -> Automation:
        """Crash a newsmon flow run when, after one of `after`, none of `expect` follows within `silent_seconds`."""
        return Automation(
            name=name,
            description=description,
            trigger=EventTrigger(
                match={"prefect.resource.id": "prefect.flow-run.*"},
                match_related={"prefect.resource.role": "tag", "prefect.resource.id": f"prefect.tag.{TAG}"},
                after=after,
                expect=expect,
                for_each={"prefect.resource.id"},
                posture=Posture.Proactive,
                threshold=1,
                within=timedelta(seconds=silent_seconds),
            ),
            actions=[ChangeFlowRunState(state=StateType.CRASHED, force=True, message=message)],
        )

    detector = crashed_when_silent(
        CRASH_DETECTOR, "A newsmon flow run silent for longer than pool.crashed_after_seconds lost its worker.",
        after={"prefect.flow-run.heartbeat", "prefect.flow-run.Running"},
        expect={"prefect.flow-run.heartbeat", *finals}, message=f"no heartbeat for {silent_seconds} s: its worker is gone")
    # A run the lost worker had taken but not started yet stays Pending ("Submitting") and sends no heartbeat: it is
    # crashed as well when it neither runs nor ends within the same time, so the re-run below takes it too.
    stuck = crashed_when_silent(
        STUCK_DETECTOR, "A newsmon flow run Pending for longer than pool.crashed_after_seconds lost its worker.",
        after={"prefect.flow-run.Pending"},
        expect={"prefect.flow-run.Running", "prefect.flow-run.heartbeat", *finals}, message=f"pending for {silent_seconds} s without starting: its worker is gone")
    rerun = Automation(
        name=RERUN,
        description="Run a crashed newsmon deployment run again on any worker of the pool.",
        trigger=EventTrigger(
            match={"prefect.resource.id": "prefect.flow-run.*"},
            match_related={"prefect.resource.role": "deployment",
                           "prefect.resource.id": [f"prefect.deployment.{i}" for i in deployment_ids]},
            expect={"prefect.flow-run.Crashed"},
            for_each={"prefect.resource.id"},
            posture=Posture.Reactive,
            threshold=1,
        ),
        actions=[ChangeFlowRunState(state=StateType.SCHEDULED, name="AwaitingRetry", force=True,
                                    message="re-run after its worker was lost")],
    )
    return [detector, stuck, rerun]


def install_automations(client: Any, deployment_ids: Iterable[Any], silent_seconds: int) -> list[Any]:
    """Create (or replace, so `newsmon deploy` can be run again) the automations; returns their ids."""
    ids = []
    for automation in automations(deployment_ids, silent_seconds):
        for old in client.read_automations_by_name(automation.name):
            client.delete_automation(old.id)
        ids.append(client.create_automation(automation))
    return ids
