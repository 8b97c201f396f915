"""scrapers.robots: robots.txt answers read as RFC 9309 says (missing allows all, unreachable disallows all)."""

from __future__ import annotations

from scrapers.robots import RobotsRules, rules_from_response

AGENT = "newsmon/0.1 (+https://github.com/newsmon/newsmon; self-hosted news monitor)"
ROBOTS = """
User-agent: *
Disallow: /private/
Crawl-delay: 2

User-agent: newsmon
Disallow: /members/
Crawl-delay: 5
"""


def test_disallowed_paths_are_refused_with_the_reason_and_others_allowed() -> None:
    rules = rules_from_response(200, ROBOTS, fetched_at=1.0)
    assert rules.refuses("https://news.example.kr/members/1", AGENT) == "disallowed by robots.txt"
    assert rules.refuses("https://news.example.kr/article/1", AGENT) is None
    assert rules.fetched_at == 1.0


def test_the_group_naming_the_agent_applies_instead_of_the_catch_all() -> None:
    rules = rules_from_response(200, ROBOTS, fetched_at=0.0)
    assert rules.refuses("https://news.example.kr/private/1", AGENT) is None
    assert rules.crawl_delay(AGENT) == 5.0
    assert rules.refuses("https://news.example.kr/private/1", "OtherBot/1.0") == "disallowed by robots.txt"
    assert rules.crawl_delay("OtherBot/1.0") == 2.0


def test_a_missing_robots_txt_allows_everything_without_delay() -> None:
    for status in (404, 403, 401):
        rules = rules_from_response(status, "", fetched_at=0.0)
        assert rules.refuses("https://news.example.kr/private/1", AGENT) is None
        assert rules.crawl_delay(AGENT) == 0.0


def test_an_unreachable_robots_txt_refuses_the_whole_site_naming_the_status() -> None:
    rules = rules_from_response(503, "", fetched_at=0.0)
    reason = rules.refuses("https://news.example.kr/article/1", AGENT)
    assert reason is not None and "HTTP 503" in reason and "disallowed" in reason


def test_no_rules_at_all_allow_everything() -> None:
    assert RobotsRules().refuses("https://news.example.kr/x", AGENT) is None
    assert RobotsRules().crawl_delay(AGENT) == 0.0
