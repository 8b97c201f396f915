"""newsmon: a self-hosted, scheduled news-monitoring pipeline (shared kernel: records, configuration, errors)."""

__version__ = "0.1.0"
