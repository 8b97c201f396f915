"""Exception types for reading web sources; each message names the source, the URL and the reason."""

from __future__ import annotations

from newsmon.errors import SourceFailure


class FetchError(SourceFailure):
    """A URL of a web source could not be fetched or used. `where` is the URL."""

    def __init__(self, source: str, url: str, reason: str) -> None:
        super().__init__(source, url, reason)
        self.url = url


class FetchTimeout(FetchError):
    """The server did not connect or answer within the configured timeouts (after retries)."""


class ConnectionFailed(FetchError):
    """The connection could not be made or broke off (after retries)."""


class HTTPStatusError(FetchError):
    """The server answered with an error status (4xx, or 5xx/429 after retries)."""

    def __init__(self, source: str, url: str, reason: str, status: int) -> None:
        super().__init__(source, url, reason)
        self.status = status


class TooManyRedirects(FetchError):
    """More redirects than `fetch.max_redirects`, or a redirect loop."""


class ResponseTooLarge(FetchError):
    """The body exceeded `fetch.max_bytes`; the download was stopped."""


class UnexpectedContentType(FetchError):
    """The response's Content-Type is not what this kind of source reads (e.g. a PDF where HTML was expected)."""


class BlockedAddress(FetchError):
    """The URL is not http(s) or resolves to a loopback, private, link-local or otherwise internal address."""


class RobotsDisallowed(FetchError):
    """The site's robots.txt disallows our User-Agent for this URL (set `respect_robots = false` to opt out)."""


class FeedParseError(FetchError):
    """The document fetched as a feed is not a readable RSS or Atom feed."""


class ExtractionError(FetchError):
    """No article (title and body) could be extracted from the page."""
