"""Exception hierarchy: each names the source, file or key at fault and what to do about it."""


class NewsmonError(Exception):
    """Base of every error newsmon raises on purpose."""


class ConfigError(NewsmonError):
    """The configuration file is missing, unreadable or invalid; the message names the key."""


class SourceFailure(NewsmonError):
    """A source could not be read or fetched; the message names the source, where and why."""

    def __init__(self, source: str, where: str, reason: str) -> None:
        super().__init__(f"{source}: {where}: {reason}")
        self.source = source
        self.where = where
        self.reason = reason


class InputError(NewsmonError):
    """A file given on the command line cannot be read as asked; the message names the file and line."""


class StorageError(NewsmonError):
    """The database cannot be used (an unknown URL scheme, a refused connection); the message names the URL without
    its password, and what to do."""


class DeliveryError(NewsmonError):
    """A channel refused or failed a digest; the message names the channel, never its secret."""
