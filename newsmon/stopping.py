"""A stop asked for by a signal, remembered, so a signal whose exception was swallowed still ends the run."""

from __future__ import annotations

_requested: list[int] = []


def request_stop(signum: int) -> None:
    _requested.append(signum)


def stop_requested() -> int | None:
    return _requested[-1] if _requested else None


def raise_if_stopping() -> None:
    """Between batches: end the run here when a signal asked for it. A signal handler's exception raised while the
    interpreter runs a finaliser (`__del__`) is printed and dropped, so the exception alone cannot be relied on."""
    if _requested:
        raise KeyboardInterrupt("SIGTERM")


def clear() -> None:
    _requested.clear()
