"""The `newsmon` command's exit codes (the README's table) and the one mapping from what a run did to its code."""

from __future__ import annotations

import signal
from collections.abc import Iterable, Mapping
from enum import IntEnum
from typing import Any


class ExitCode(IntEnum):
    OK = 0
    SOURCE_FAILED = 1  # a source could not be read; the others were stored
    CONFIG_ERROR = 2  # the configuration, the database URL, a name or an option is wrong; nothing ran
    NOT_DELIVERED = 3  # a digest was recorded but a channel did not take it; it is retried on the next run
    BAD_INPUT = 4  # a file given on the command line is missing, or records in it were skipped
    INTERRUPTED = 128 + signal.SIGINT  # Ctrl-C: what was stored is whole, the rest is read on the next run
    TERMINATED = 128 + signal.SIGTERM  # SIGTERM, likewise


def undelivered(digests: Iterable[Mapping[str, Any]]) -> list[str]:
    """'subscription -> channel: why' for every channel of these digest reports that did not take its digest (an
    unconfirmed delivery is not counted: it may well have arrived, and it is reported on its own)."""
    lines = []
    for report in digests:
        for channel, error in (report.get("errors") or {}).items():
            if report.get("deliveries", {}).get(channel) != "unconfirmed":
                lines.append(f"{report['subscription']} -> {channel}: {error}")
    return lines


def run_exit_code(failed_sources: Iterable[str], digests: Iterable[Mapping[str, Any]]) -> ExitCode:
    """A run's code: an undelivered digest outranks a failed source (subscribers missed news that was found)."""
    digests = list(digests)
    if undelivered(digests):
        return ExitCode.NOT_DELIVERED
    if list(failed_sources):
        return ExitCode.SOURCE_FAILED
    return ExitCode.OK


def signal_exit_code(signum: int) -> ExitCode:
    return ExitCode.TERMINATED if signum == signal.SIGTERM else ExitCode.INTERRUPTED


def load_exit_code(failed_paths: int, skipped_records: int) -> ExitCode:
    """`newsmon load`: a missing path or a skipped record is bad input (everything readable was stored)."""
    return ExitCode.BAD_INPUT if failed_paths or skipped_records else ExitCode.OK
