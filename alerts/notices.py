"""Operational notices (a source that keeps failing): one message to every subscriber channel, tried once."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TextIO

from alerts.config import Channel, Subscription
from alerts.deliver import AppriseNotifier, Notifier, scrub
from alerts.digest import clean_text
from alerts.render import render_notice
from newsmon.errors import DeliveryError

log = logging.getLogger("newsmon.alerts")


def send_notice(
    subscriptions: Sequence[Subscription],
    subject: str,
    body: str,
    *,
    base_dir: Path | None = None,
    env: Mapping[str, str] = os.environ,
    console: TextIO | None = None,
    notifier: Notifier | None = None,
) -> list[str]:
    """Send a one-off operational notice to every distinct channel of every subscription (the console when there is
    none). One try per channel, nothing recorded; failures are logged without secrets and returned, never raised.
    `base_dir` resolves relative apprise configuration paths (the configuration file's folder)."""
    notifier = notifier or AppriseNotifier(env, base_dir=base_dir)
    console = console or sys.stdout
    channels: dict[tuple[str | None, str | None], Channel] = {}
    for sub in subscriptions:
        for channel in sub.channels:
            channels.setdefault((channel.env, channel.apprise_config), channel)
    if not channels:
        notice = render_notice(subject, body, "text")
        console.write(notice.title + "\n" + notice.body + "\n")
        console.flush()
        return []
    errors = []
    for channel in channels.values():
        try:
            notifier.send_notice(channel, subject, body)
        except DeliveryError as exc:
            error = scrub(str(exc))
        except Exception as exc:  # a notice must never break the flow that sends it
            error = scrub(f"channel {channel.label}: {type(exc).__name__}: {exc}")
        else:
            continue
        log.warning("notice %r not delivered: %s", clean_text(subject)[:80], error)
        errors.append(error)
    return errors
