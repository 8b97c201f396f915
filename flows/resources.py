"""Process-wide resources the flows share: one database engine per URL, one tagger (one Kiwi) per watchlist."""

from __future__ import annotations

import threading
from functools import lru_cache

from models.db import Database
from newsmon.config import Config
from newsmon.errors import StorageError
from tagging.rules import Watchlist

_lock = threading.Lock()


@lru_cache(maxsize=8)
def _database(url: str) -> Database:
    return Database(url)


def database(config: Config) -> Database:
    """The configured database, migrated; StorageError names the setting it came from when it cannot be used."""
    with _lock:
        try:
            return _database(config.database_url())
        except StorageError as exc:
            raise StorageError(f"{config.database_setting()}: {exc}") from None


@lru_cache(maxsize=4)
def _tagger(watchlist_json: str):  # type: ignore[no-untyped-def]
    from tagging.tagger import Tagger

    return Tagger(Watchlist.model_validate_json(watchlist_json))


def tagger(config: Config):  # type: ignore[no-untyped-def]
    with _lock:
        return _tagger(config.watchlist.model_dump_json())
