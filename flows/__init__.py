"""Wires the stages into Prefect flows and the `newsmon` command line; no domain logic lives here.

Prefect reads its settings when it is first imported, so this package sets newsmon's defaults first: Prefect's own
state under the project's var/prefect (kept apart from newsmon's database) and telemetry off.
"""

import os

from newsmon.config import PROJECT_ROOT

os.environ.setdefault("PREFECT_HOME", str(PROJECT_ROOT / "var" / "prefect"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_UI_ENABLED", "true")
