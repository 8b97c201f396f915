"""robots.txt rules for one site, read as RFC 9309 says: missing allows all, unreachable disallows all."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.robotparser import RobotFileParser


@dataclass(frozen=True, slots=True)
class RobotsRules:
    """The rules of one origin. `parser` None with `refusal` None allows everything."""

    parser: RobotFileParser | None = None
    refusal: str | None = None
    fetched_at: float = 0.0

    def refuses(self, url: str, user_agent: str) -> str | None:
        """Why `url` may not be fetched, or None when it may."""
        if self.refusal:
            return self.refusal
        if self.parser is not None and not self.parser.can_fetch(user_agent, url):
            return "disallowed by robots.txt"
        return None

    def crawl_delay(self, user_agent: str) -> float:
        if self.parser is None:
            return 0.0
        delay = self.parser.crawl_delay(user_agent)
        return float(delay) if delay else 0.0


def rules_from_response(status: int, text: str, fetched_at: float) -> RobotsRules:
    """Rules from the answer to GET /robots.txt (after redirects)."""
    if 200 <= status < 300:
        parser = RobotFileParser()
        parser.parse(text.splitlines())
        return RobotsRules(parser=parser, fetched_at=fetched_at)
    if 400 <= status < 500:
        # "Unavailable": no rules, crawl freely (RFC 9309 2.3.1.3), including 401/403.
        return RobotsRules(fetched_at=fetched_at)
    return RobotsRules(refusal=f"robots.txt unreachable (HTTP {status}); the site is treated as disallowed",
                       fetched_at=fetched_at)
