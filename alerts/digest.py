"""Builds a digest from a subscription's new matches: one entry per story, grouped by company or topic, with counts."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from urllib.parse import quote
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from alerts.config import Subscription
from alerts.weekly import WeekChart
from models.outbox import Match
from newsmon.bounds import MAX_EVIDENCE_CHARS, MAX_OUTLET_CHARS, MAX_TITLE_CHARS, shorten
from newsmon.records import Tag
from tagging.rules import Watchlist

# C0/C1 control characters (ANSI escapes, bells, bidi overrides) never reach a channel or a terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SPACES = re.compile(r"\s+")


def clean_text(value: str | None) -> str:
    """Article text as one safe line: NFC, no control characters, single spaces."""
    if not value:
        return ""
    value = unicodedata.normalize("NFC", value)
    return _SPACES.sub(" ", _CONTROL.sub(" ", value)).strip()


def safe_url(url: str | None) -> str | None:
    """The URL if it is a plain http(s) link with no spaces or control characters; otherwise no link at all."""
    if not url:
        return None
    url = url.strip()
    if not re.match(r"^https?://[^\s<>\"'`|\x00-\x1f\x7f]+$", url, re.IGNORECASE):
        return None
    return url


@dataclass(frozen=True, slots=True)
class TagView:
    kind: str
    label: str
    name: str
    score: float


@dataclass(frozen=True, slots=True)
class Copy:
    outlet: str
    url: str | None


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One story: its kept article, the other outlets that carried it, and why it matched."""

    title: str
    url: str | None
    outlet: str
    published: str | None  # already in the subscriber's time zone, e.g. "2025-12-28 09:30 KST"
    tags: tuple[TagView, ...]
    evidence: str
    terms: tuple[str, ...]
    also_in: tuple[Copy, ...] = ()
    # The story's key in the web view (a story key, or "article:ID" for an article of its own).
    story: str = ""


@dataclass(frozen=True, slots=True)
class DigestGroup:
    kind: str
    label: str
    name: str
    items: tuple[DigestItem, ...]


@dataclass(frozen=True, slots=True)
class Digest:
    """Everything a renderer needs; plain data, so it is stored with the outbox and re-rendered identically."""

    subscription: str
    key: str
    title: str
    created: str
    timezone: str
    company_counts: tuple[tuple[str, int], ...]
    topic_counts: tuple[tuple[str, int], ...]
    groups: tuple[DigestGroup, ...]
    stories: int
    articles: int
    article_ids: tuple[int, ...] = field(default=())
    # Stories over the subscription's max_entries: left unsent (not in article_ids) for the next digest.
    waiting: int = 0
    # Their lead articles, so the digest's page in the web view can list them too.
    waiting_ids: tuple[int, ...] = ()
    # The web view's address ([web] base_url): entries link to their story page, the last message to the whole
    # digest's page. Kept with the digest, so a resend renders the same links.
    base_url: str | None = None
    # "digest", or "spike" for a spike notice (alerts/spikes.py), whose `note` says what surged against what.
    kind: str = "digest"
    note: str = ""
    # A weekly digest's chart: stories per day over the week before it, per company and topic (alerts/weekly.py).
    week: WeekChart | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Digest":
        groups = tuple(
            DigestGroup(
                g["kind"], g["label"], g["name"],
                tuple(
                    DigestItem(
                        title=i["title"], url=i["url"], outlet=i["outlet"], published=i["published"],
                        tags=tuple(TagView(**x) for x in i["tags"]), evidence=i["evidence"], terms=tuple(i["terms"]),
                        also_in=tuple(Copy(**c) for c in i["also_in"]), story=i.get("story", ""),
                    )
                    for i in g["items"]
                ),
            )
            for g in data["groups"]
        )
        return cls(
            subscription=data["subscription"], key=data["key"], title=data["title"], created=data["created"],
            timezone=data["timezone"],
            company_counts=tuple(tuple(c) for c in data["company_counts"]),  # type: ignore[misc]
            topic_counts=tuple(tuple(c) for c in data["topic_counts"]),  # type: ignore[misc]
            groups=groups, stories=data["stories"], articles=data["articles"],
            article_ids=tuple(data.get("article_ids", ())), waiting=data.get("waiting", 0),
            waiting_ids=tuple(data.get("waiting_ids", ())), base_url=data.get("base_url"),
            kind=data.get("kind", "digest"), note=data.get("note", ""),
            week=WeekChart.from_dict(data["week"]) if data.get("week") else None,
        )

    @property
    def page_url(self) -> str | None:
        """This digest's page in the web view (everything it covered), when the view's address is configured."""
        return f"{self.base_url}/digests/{self.key}" if self.base_url else None

    def story_url(self, item: DigestItem) -> str | None:
        """The entry's story page in the web view (every outlet, the independent reports)."""
        return story_url(self.base_url, item.story) if self.base_url and item.story else None


def story_url(base_url: str, key: str) -> str:
    return f"{base_url}/stories/{quote(key, safe=':')}"


def digest_key(subscription: str, article_ids: Sequence[int]) -> str:
    """The idempotency key: the same subscription and articles give the same key, in every run."""
    raw = subscription + ":" + ",".join(str(i) for i in sorted(article_ids))
    return hashlib.sha256(raw.encode()).hexdigest()


def digest_title(subscription: str, stories: int, names: Sequence[str]) -> str:
    """The subject line: who it is for, how many stories, and the first few companies and topics by name."""
    shown = ", ".join(names[:3]) + (" …" if len(names) > 3 else "")
    head = f"newsmon · {subscription} · {stories} new {'story' if stories == 1 else 'stories'}"
    return f"{head} · {shown}" if shown else head


def display_name(watchlist: Watchlist, kind: str, label: str) -> str:
    rules = watchlist.companies if kind == "company" else watchlist.topics
    rule = rules.get(label)
    return rule.name if rule else label


def local_time(when: datetime, zone: str) -> str:
    """`when` (timezone-aware, as storage hands it back) as the subscriber reads it, e.g. "2025-12-28 09:30 KST"."""
    return when.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")


def _terms(tags: Sequence[Tag]) -> tuple[str, ...]:
    """The matched words of `tags`, cleaned, each once, in order."""
    return tuple(dict.fromkeys(filter(None, (clean_text(x) for g in tags for x in g.terms))))


def _stories(matches: Sequence[Match]) -> list[list[Match]]:
    """Matches grouped by story (story_key; an article without one is its own story), in first-seen order."""
    stories: dict[str, list[Match]] = {}
    for m in matches:
        stories.setdefault(m.story_key or f"article:{m.article_id}", []).append(m)
    return list(stories.values())


def build_digest(
    subscription: Subscription, matches: Sequence[Match], watchlist: Watchlist, *, now: datetime,
    base_url: str | None = None, week: WeekChart | None = None,
) -> Digest:
    """One digest of `matches` for `subscription`: a story is listed once under every wanted company and topic it
    matches (its section), strongest first; the header counts are the sections' sizes. At most max_entries stories
    (the oldest first); the others are left out of it, unsent, for the next digest."""
    wanted = {("company", c) for c in subscription.companies} | {("topic", x) for x in subscription.topics}
    zone = subscription.timezone
    groups: dict[tuple[str, str], list[tuple[float, DigestItem]]] = {}
    stories = waiting = 0
    ids: list[int] = []
    waiting_ids: list[int] = []

    def relevant_tags(m: Match) -> list[Tag]:
        return [g for g in m.tags if g.score >= subscription.min_score and (not wanted or (g.kind, g.label) in wanted)]

    for story in _stories(matches):
        if stories >= subscription.max_entries:
            waiting += 1  # not recorded: its articles stay unsent and lead the next digest
            waiting_ids.append(story[0].article_id)
            continue
        ids.extend(m.article_id for m in story)
        # The story is shown through its article that matters most to this subscription (earliest on a tie).
        lead = max(story, key=lambda m: (max((g.score for g in relevant_tags(m)), default=-1.0), -m.article_id))
        relevant = relevant_tags(lead) or list(lead.tags)
        if not relevant:
            continue
        top = relevant[0]  # tags come strongest first
        # The story's sections: every wanted tag of any of its articles (the lead's first, then the others' by score).
        story_tags: dict[tuple[str, str], Tag] = {}
        for g in relevant + sorted((g for m in story if m is not lead for g in relevant_tags(m)),
                                   key=lambda g: -g.score):
            story_tags.setdefault((g.kind, g.label), g)
        seen_outlets = {shorten(clean_text(lead.outlet), MAX_OUTLET_CHARS)}
        also: list[Copy] = []
        for m in story:
            copies = [(m.outlet, m.url)] if m is not lead else []
            copies += [(c.outlet, c.url) for c in m.also_in]
            for outlet, url in copies:
                outlet = shorten(clean_text(outlet), MAX_OUTLET_CHARS)
                if outlet not in seen_outlets:
                    seen_outlets.add(outlet)
                    also.append(Copy(outlet, safe_url(url)))
        tag_views = tuple(TagView(g.kind, g.label, clean_text(display_name(watchlist, g.kind, g.label)), g.score)
                          for g in story_tags.values())
        # Rows stored before the field bounds may be any size: what is shown is bounded here too.
        item = DigestItem(
            title=shorten(clean_text(lead.title), MAX_TITLE_CHARS) or "(untitled)",
            url=safe_url(lead.url),
            outlet=shorten(clean_text(lead.outlet), MAX_OUTLET_CHARS),
            published=local_time(lead.published_at, zone) if lead.published_at else None,
            tags=tag_views,
            evidence=shorten(clean_text(top.evidence), MAX_EVIDENCE_CHARS),
            terms=_terms(relevant),
            also_in=tuple(also),
            story=lead.story_key or f"article:{lead.article_id}",
        )
        stories += 1
        for key, tag in story_tags.items():
            # Each section shows its own tag's sentence: under Layoffs the layoffs evidence, not the KT one.
            own = shorten(clean_text(tag.evidence), MAX_EVIDENCE_CHARS)
            shown = replace(item, evidence=own, terms=_terms([tag])) if own else item
            groups.setdefault(key, []).append((tag.score, shown))
    ordered = sorted(groups.items(), key=lambda kv: (kv[0][0] != "company", -len(kv[1]), kv[0][1]))
    digest_groups = tuple(
        DigestGroup(kind, label, clean_text(display_name(watchlist, kind, label)),
                    tuple(item for _, item in sorted(items, key=lambda si: -si[0])))
        for (kind, label), items in ordered
    )
    taken = {*ids}
    return Digest(
        subscription=subscription.name,
        key=digest_key(subscription.name, ids),
        title=digest_title(subscription.name, stories, [g.name for g in digest_groups])
        + (f" · week {week.days[0]}..{week.days[-1]}" if week else ""),
        created=local_time(now, zone),
        timezone=zone,
        # The header counts are the sections' sizes, so they always agree.
        company_counts=tuple((g.name, len(g.items)) for g in digest_groups if g.kind == "company"),
        topic_counts=tuple((g.name, len(g.items)) for g in digest_groups if g.kind == "topic"),
        groups=digest_groups,
        stories=stories,
        articles=len(ids) + sum(len(m.also_in) for m in matches if m.article_id in taken),
        article_ids=tuple(ids),
        waiting=waiting,
        waiting_ids=tuple(waiting_ids),
        base_url=base_url,
        week=week,
    )


def emphasis_segments(text: str, terms: Sequence[str]) -> list[tuple[str, bool]]:
    """`text` cut into (segment, is_matched_term) pieces, longest terms first, case-insensitively."""
    terms = sorted({x for x in terms if x}, key=len, reverse=True)
    if not terms or not text:
        return [(text, False)] if text else []
    pattern = re.compile("|".join(re.escape(x) for x in terms), re.IGNORECASE)
    out: list[tuple[str, bool]] = []
    pos = 0
    for m in pattern.finditer(text):
        if m.start() > pos:
            out.append((text[pos : m.start()], False))
        out.append((m.group(0), True))
        pos = m.end()
    if pos < len(text):
        out.append((text[pos:], False))
    return out
