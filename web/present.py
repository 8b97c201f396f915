"""Turns query results into what the pages and the JSON API show: names, local times, evidence and snippets with
the matched words marked. Pages and API call the same functions, so they always agree."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from alerts.digest import clean_text, display_name, emphasis_segments, safe_url
from models.outbox import Match, StoredDigest
from models.search import ArticleHit, Report, Story, StoryArticle, TopStory
from newsmon.records import Tag
from tagging.rules import Watchlist

SNIPPET_CHARS = 180


def emphasised(text: str, terms: Sequence[str]) -> Markup:
    """`text` escaped, each occurrence of a term (case-insensitively) inside <mark>."""
    return Markup("").join(Markup("<mark>{}</mark>").format(part) if hit else escape(part)
                           for part, hit in emphasis_segments(text, list(terms)))


def mentions(text: str | None, terms: Sequence[str]) -> bool:
    """Whether `text` holds any of the terms (case-insensitively)."""
    folded = (text or "").casefold()
    return any(t.casefold() in folded for t in terms if t)


def snippet(body: str, terms: Sequence[str], width: int = SNIPPET_CHARS) -> str:
    """A stretch of `body` around the first occurrence of any term (its start when none occurs), cut at spaces."""
    text = clean_text(body)
    folded = text.casefold()
    found = [i for i in (folded.find(t.casefold()) for t in terms if t) if i >= 0]
    if not found:
        return text[:width].rsplit(" ", 1)[0] + "…" if len(text) > width else text
    at = min(found)
    start = max(0, at - width // 3)
    if start:
        space = text.rfind(" ", 0, start)
        start = space + 1 if space >= 0 and start - space < 20 else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.find(" ", end)
        end = space if 0 <= space - end < 20 else end
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")


def local_time(when: datetime | None, zone: str) -> str | None:
    """ISO 8601 in the configured zone (`2025-12-29T00:00:00+09:00`)."""
    return when.astimezone(ZoneInfo(zone)).isoformat() if when else None


def shown_time(when: datetime | None, zone: str) -> str:
    """As a reader reads it: `2025-12-29 00:00 KST`."""
    return when.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z") if when else "time unknown"


@dataclass(frozen=True, slots=True)
class Names:
    """Display names of tag labels (from the watchlist; a label no longer watched shows as itself)."""

    watchlist: Watchlist

    def of(self, kind: str, label: str) -> str:
        return clean_text(display_name(self.watchlist, kind, label))

    def choices(self, kind: str) -> list[tuple[str, str]]:
        rules = self.watchlist.companies if kind == "company" else self.watchlist.topics
        return [(label, clean_text(rule.name)) for label, rule in rules.items()]


def pick_evidence(tags: Sequence[Tag], company: str | None = None, topic: str | None = None) -> Tag | None:
    """The tag whose evidence explains the hit: the filtered company's or topic's, else the strongest."""
    for kind, label in (("company", company), ("topic", topic)):
        for t in tags:
            if label and t.kind == kind and t.label == label:
                return t
    return tags[0] if tags else None


def tag_dict(t: Tag, names: Names) -> dict:
    return {"kind": t.kind, "label": t.label, "name": names.of(t.kind, t.label), "score": round(t.score, 3),
            "evidence": clean_text(t.evidence), "terms": [x for x in t.terms if x]}


def story_path(key: str) -> str:
    return "/stories/" + quote(key, safe=":")


def hit_dict(hit: ArticleHit, terms: Sequence[str], names: Names, zone: str,
             company: str | None = None, topic: str | None = None) -> dict:
    """One search hit as the API returns it (the page renders the same dict)."""
    evidence = pick_evidence(hit.tags, company, topic)
    return {
        "id": hit.id,
        "title": clean_text(hit.title) or "(untitled)",
        "url": safe_url(hit.url),
        "outlet": clean_text(hit.outlet),
        "published": local_time(hit.filed_at, zone),
        "story": hit.story,
        "story_url": story_path(hit.story),
        "duplicate_of": hit.duplicate_of_id,
        "copies": hit.copies,
        "score": round(hit.score, 4),
        "companies": [t.label for t in hit.tags if t.kind == "company"],
        "topics": [t.label for t in hit.tags if t.kind == "topic"],
        "tags": [tag_dict(t, names) for t in hit.tags],
        "evidence": tag_dict(evidence, names) if evidence else None,
        "snippet": snippet(hit.body, terms),
        "matched": list(terms),
    }


def article_dict(a: StoryArticle, names: Names, zone: str) -> dict:
    return {"id": a.id, "title": clean_text(a.title) or "(untitled)", "url": safe_url(a.url),
            "outlet": clean_text(a.outlet), "published": local_time(a.filed_at, zone),
            "duplicate_of": a.duplicate_of_id, "tags": [tag_dict(t, names) for t in a.tags]}


def report_dict(r: Report, names: Names, zone: str) -> dict:
    return {**article_dict(r.article, names, zone), "copies": [article_dict(c, names, zone) for c in r.copies]}


def story_dict(s: Story, names: Names, zone: str) -> dict:
    return {"key": s.key, "articles": s.articles, "outlets": [clean_text(o) for o in s.outlets],
            "lead": report_dict(s.lead, names, zone), "reports": [report_dict(r, names, zone) for r in s.reports],
            "truncated": s.truncated}


def top_story_dict(t: TopStory, names: Names, zone: str) -> dict:
    return {"story": t.key, "story_url": story_path(t.key), "articles": t.articles, "outlets": t.outlets,
            "lead": article_dict(t.lead, names, zone)}


def day_label(d: date) -> str:
    return d.strftime("%m-%d")


def _digest_item(item: dict) -> dict:
    story = str(item.get("story") or "")
    return {"title": clean_text(item.get("title")) or "(untitled)", "url": safe_url(item.get("url")),
            "outlet": clean_text(item.get("outlet")), "published": item.get("published"),
            "tags": [{"kind": t["kind"], "label": t["label"], "name": clean_text(t["name"])} for t in item["tags"]],
            "evidence": clean_text(item.get("evidence")), "terms": [x for x in item.get("terms", ()) if x],
            "also_in": [{"outlet": clean_text(c["outlet"]), "url": safe_url(c.get("url"))}
                        for c in item.get("also_in", ())],
            "story": story, "story_url": story_path(story) if story else None}


def digest_dict(found: StoredDigest, waiting: Sequence[Match], zone: str) -> dict:
    """A recorded digest as its page and the API show it: every section with every entry, unshortened (as it was
    built, before any channel's size limit), and the stories over its max_entries that wait for the next one."""
    data = found.content.get("digest", {})
    sections = [{"kind": g["kind"], "label": g["label"], "name": clean_text(g["name"]), "count": len(g["items"]),
                 "items": [_digest_item(i) for i in g["items"]]} for g in data.get("groups", ())]
    return {
        "key": found.key, "subscription": found.subscription, "kind": found.content.get("kind", "digest"),
        "title": clean_text(data.get("title")), "note": clean_text(data.get("note")),
        "recorded": local_time(found.created_at, zone), "stories": data.get("stories", 0),
        "articles": data.get("articles", 0), "sections": sections,
        "waiting": [{"id": m.article_id, "title": clean_text(m.title) or "(untitled)", "url": safe_url(m.url),
                     "outlet": clean_text(m.outlet), "published": local_time(m.published_at, zone),
                     "story": (key := m.story_key or f"article:{m.article_id}"), "story_url": story_path(key)}
                    for m in waiting],
    }
