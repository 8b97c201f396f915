"""Delivery claims: the name a run puts on the claims it takes, and whether the process behind a claim is gone."""

from __future__ import annotations

import os
import socket
import uuid


def _process_gone(pid: int) -> bool:
    """Whether no process `pid` runs here (a zombie, killed but not yet reaped, counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[-1].split()[0] in {"Z", "X"}
    except OSError:
        return False


def claim_owner() -> str:
    """This run's name on the claims it takes: host, process and a token unique to the run."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def owner_is_dead(owner: str | None) -> bool:
    """A claim's run is certainly gone: it ran on this host, in another process that no longer exists. A claim from
    another host is left to the claim timeout."""
    if not owner:
        return False
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    return _process_gone(int(pid))
