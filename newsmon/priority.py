"""Scheduling priority for helpers of a process whose own thread is the critical path.

A parallel load (`newsmon load --jobs N`) waits on its reading thread, which decides and stores in file order; the
tagging workers run chunks ahead of it and only fill the time it leaves. Lowering their priority lets the scheduler
give the reading thread its core whenever it can run (on 2 cores the load took about 5% less time). The full-text
indexing thread is not lowered: it follows the reading thread rather than running ahead, and when it fell behind a
load ended with seconds of indexing on one core (docs/scaling.md); it gives way to the reading thread's writes
instead (`models.db.WriteTurns`). Linux sets a niceness per thread; elsewhere, or where the call is refused, nothing
changes.
"""

from __future__ import annotations

import os
import threading

# How much lower helpers run than the process that starts them (niceness 0-19; +5 is about a third of the weight).
HELPER_NICENESS = 5


def lower_this_thread(by: int = HELPER_NICENESS) -> None:
    """Run the calling thread `by` steps nicer than now (a worker process's main thread: the whole worker)."""
    if not hasattr(os, "setpriority"):
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + by))
    except OSError:  # not allowed here: the helper runs at the caller's priority, as before
        pass
