"""How a backfill shows its progress: a rich progress bar per source on a terminal, and a Prefect progress
artifact (updated as days finish) in the UI. Display only; the backfill itself is ingest/backfill.py."""

from __future__ import annotations

import sys
import threading
from typing import Any
from uuid import UUID

from newsmon.records import BackfillDay


class BackfillDisplay:
    """A `BackfillProgress` (ingest.backfill) for a flow run: days finished over days in the range, per source on
    the terminal and over all sources in one Prefect progress artifact."""

    def __init__(self, *, artifact: bool = True, terminal: bool | None = None) -> None:
        self._lock = threading.Lock()
        self._totals: dict[str, int] = {}
        self._done: dict[str, int] = {}
        self._artifact: UUID | None = None
        self._use_artifact = artifact
        self._bar: Any = None
        self._tasks: dict[str, Any] = {}
        if terminal if terminal is not None else sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("days"), TimeRemainingColumn(), console=Console(stderr=True))
            self._bar.start()

    def start(self, source: str, days: int) -> None:
        with self._lock:
            self._totals[source] = days
            self._done.setdefault(source, 0)
            if self._bar is not None:
                self._tasks[source] = self._bar.add_task(source, total=days)
            if self._use_artifact and self._artifact is None:
                from prefect.artifacts import create_progress_artifact

                self._artifact = create_progress_artifact(
                    0.0, key="backfill-progress", description="Backfill: days finished, over all archive sources")
            self._update_artifact()

    def day_done(self, day: BackfillDay) -> None:
        with self._lock:
            self._done[day.source] = self._done.get(day.source, 0) + 1
            if self._bar is not None and day.source in self._tasks:
                self._bar.update(self._tasks[day.source], advance=1)
            self._update_artifact()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()

    @property
    def fraction(self) -> float:
        total = sum(self._totals.values())
        return sum(self._done.values()) / total if total else 1.0

    def _update_artifact(self) -> None:
        if self._artifact is None:
            return
        from prefect.artifacts import update_progress_artifact

        update_progress_artifact(self._artifact, round(100.0 * self.fraction, 1))
