"""Wires the stages into Prefect flows and the `newsmon` command line; no domain logic lives here.

Prefect reads its settings when it is first imported, so this package sets newsmon's defaults first: Prefect's own
state under the project's var/prefect (kept apart from newsmon's database) and telemetry off.
"""

import os
from pathlib import Path

from app.config import PROJECT_ROOT

os.environ.setdefault("PREFECT_HOME", str(PROJECT_ROOT / "var" / "prefect"))
# Prefect creates its home without parents; on a fresh clone var/ does not exist yet.
Path(os.environ["PREFECT_HOME"]).expanduser().mkdir(parents=True, exist_ok=True)
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
# The temporary server's first start migrates a fresh database; on a busy two-core machine that takes longer than
# Prefect's default 20 s, and a start cut short leaves a half-migrated database behind.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
# newsmon's own loggers (delivery warnings, skipped records) show in the Prefect UI next to the flow's logs.
os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "newsmon")
# Digest delivery logs from its per-channel threads, which carry no flow-run context: keep those local, quietly.
os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
