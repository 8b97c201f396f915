"""Renders a digest per format (plain text, Markdown, Slack Block Kit, HTML), escaped and within a size limit."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import escape as escape_html

from alerts.digest import Digest, DigestGroup, DigestItem, clean_text, emphasis_segments

# Size budgets where the channel does not tell its own (apprise's body_maxlen is used when it does); html in bytes.
DEFAULT_LIMITS: dict[str, int] = {"text": 1_000_000, "markdown": 32_000, "slack": 35_000, "html": 100_000}
# Block Kit: at most 50 blocks, a section's text at most 3,000 characters, a header's 150.
SLACK_MAX_BLOCKS = 50
SLACK_SECTION_CHARS = 3000
SLACK_HEADER_CHARS = 150

TEMPLATES = Path(__file__).resolve().parent / "templates"
_jinja = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]),
                     trim_blocks=True, lstrip_blocks=True)


@dataclass(frozen=True, slots=True)
class Rendered:
    """A digest in one format. `blocks` is the Slack Block Kit payload when the format is slack."""

    format: str
    title: str
    body: str
    shown: int
    hidden: int
    blocks: list[dict] | None = None


# ---------------------------------------------------------------------------------------------------------------
# Escaping: article text is data, never markup, links or mentions.
# ---------------------------------------------------------------------------------------------------------------

# Inline CommonMark punctuation. Block markers (`#`, `-`, `1.`) only act at a line's start, where article text never
# stands (every line opens with our own markup), so `.` and `-` stay readable in dates and names.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#|~!&])")


def escape_markdown(text: str) -> str:
    """Backslash-escape CommonMark punctuation (so `<script>`, `[x](url)` and `&lt;` stay text); break @mentions
    (Discord and friends ping on `@everyone`)."""
    return _MD_SPECIAL.sub(r"\\\1", text).replace("@", "@\u200b")


# mrkdwn has no escape for its markers; article text gets look-alikes so a title cannot bold, strike or code-format
# (and so unbalance) our own markup around it.
_SLACK_MARKERS = str.maketrans({"*": "\u2217", "~": "\u223c", "`": "\u02cb"})


def escape_slack(text: str) -> str:
    """Slack's three control characters; `<!channel>`, `<@U1>` and `<url|text>` need a literal `<`. A word joiner
    after `@` keeps `@channel`/`@here` from being read as a mention by clients that parse plain names."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("@", "@\u2060")
    return text.translate(_SLACK_MARKERS)


def _more_line(hidden: int) -> str:
    return f"…and {hidden} more {'entry' if hidden == 1 else 'entries'} not shown in this message."


def _counts_line(digest: Digest) -> str:
    parts = []
    if digest.company_counts:
        parts.append("Companies: " + ", ".join(f"{n} {c}" for n, c in digest.company_counts))
    if digest.topic_counts:
        parts.append("Topics: " + ", ".join(f"{n} {c}" for n, c in digest.topic_counts))
    return " | ".join(parts)


def entries(digest: Digest) -> int:
    """How many entries the digest lists: a story appears once in each of its sections."""
    return sum(len(g.items) for g in digest.groups)


def take(digest: Digest, shown: int) -> list[DigestGroup]:
    """The first `shown` entries, in group order, as groups (empty groups dropped)."""
    out = []
    left = shown
    for g in digest.groups:
        if left <= 0:
            break
        items = g.items[:left]
        left -= len(items)
        out.append(DigestGroup(g.kind, g.label, g.name, items))
    return out


def _meta(item: DigestItem) -> list[str]:
    return [x for x in (item.outlet, item.published, ", ".join(t.name for t in item.tags)) if x]


def _evidence(item: DigestItem, escape: Callable[[str], str], before: str, after: str) -> str:
    """The item's evidence, escaped for the format, with each matched term between `before` and `after`."""
    return "".join(f"{before}{escape(s)}{after}" if hit else escape(s)
                   for s, hit in emphasis_segments(item.evidence, item.terms))


# ---------------------------------------------------------------------------------------------------------------
# Plain text (the console)
# ---------------------------------------------------------------------------------------------------------------


def _text(digest: Digest, shown: int) -> str:
    lines = [digest.title, f"{digest.created} · {_counts_line(digest)}", ""]
    for group in take(digest, shown):
        lines.append(f"== {group.name} ({'company' if group.kind == 'company' else 'topic'}) ==")
        for item in group.items:
            lines.append(f"* {item.title}")
            lines.append("  " + " · ".join(_meta(item)))
            if item.url:
                lines.append(f"  {item.url}")
            if item.evidence:
                lines.append(f"  \u201c{_evidence(item, str, '[', ']')}\u201d")
            if item.also_in:
                lines.append("  also in: " + ", ".join(c.outlet for c in item.also_in))
        lines.append("")
    hidden = entries(digest) - shown
    if hidden > 0:
        lines.append(_more_line(hidden))
    return "\n".join(lines).rstrip() + "\n"


# ---------------------------------------------------------------------------------------------------------------
# Markdown (other apprise targets)
# ---------------------------------------------------------------------------------------------------------------


def _md_link(text: str, url: str | None) -> str:
    if not url:
        return escape_markdown(text)
    return f"[{escape_markdown(text)}]({url.replace('(', '%28').replace(')', '%29')})"


def _markdown(digest: Digest, shown: int) -> str:
    header = escape_markdown(f"{digest.created} · {_counts_line(digest)}")
    lines = [f"**{escape_markdown(digest.title)}**", "", header, ""]
    for group in take(digest, shown):
        lines.append(f"### {escape_markdown(group.name)}")
        lines.append("")
        for item in group.items:
            lines.append(f"- **{_md_link(item.title, item.url)}**  ")
            lines.append("  " + escape_markdown(" · ".join(_meta(item))) + "  ")
            if item.evidence:
                lines.append(f"  \u201c{_evidence(item, escape_markdown, '**', '**')}\u201d  ")
            if item.also_in:
                lines.append("  also in: " + ", ".join(_md_link(c.outlet, c.url) for c in item.also_in))
        lines.append("")
    hidden = entries(digest) - shown
    if hidden > 0:
        lines.append(f"_{escape_markdown(_more_line(hidden))}_")
    return "\n".join(lines).rstrip() + "\n"


# ---------------------------------------------------------------------------------------------------------------
# Slack: mrkdwn, laid out as Block Kit sections
# ---------------------------------------------------------------------------------------------------------------


def _slack_link(text: str, url: str | None) -> str:
    # safe_url already refused `|`, `<`, `>` and spaces in URLs.
    return f"<{url}|{escape_slack(text)}>" if url else escape_slack(text)


def _slack_item(item: DigestItem) -> str:
    lines = [f"• *{_slack_link(item.title, item.url)}*", escape_slack(" · ".join(_meta(item)))]
    if item.evidence:
        lines.append(">" + _evidence(item, escape_slack, "*", "*"))
    if item.also_in:
        lines.append("also in: " + ", ".join(_slack_link(c.outlet, c.url) for c in item.also_in))
    return "\n".join(lines)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _slack_blocks(digest: Digest, shown: int) -> list[dict]:
    blocks: list[dict] = [
        {"type": "header",
         "text": {"type": "plain_text", "text": _cut(digest.title, SLACK_HEADER_CHARS), "emoji": False}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": _cut(escape_slack(
            f"{digest.created} · {_counts_line(digest)}"), SLACK_SECTION_CHARS)}]},
    ]
    for group in take(digest, shown):
        chunk = f"*{escape_slack(group.name)}*"
        for item in group.items:
            entry = _cut(_slack_item(item), SLACK_SECTION_CHARS - 100)
            if len(chunk) + 2 + len(entry) > SLACK_SECTION_CHARS:
                blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": chunk}})
                chunk = entry
            else:
                chunk += "\n\n" + entry
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": chunk}})
    hidden = entries(digest) - shown
    if hidden > 0:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": escape_slack(_more_line(hidden))}]})
    return blocks


def _slack_text(blocks: list[dict]) -> str:
    texts = []
    for b in blocks[1:]:
        if b["type"] == "section":
            texts.append(b["text"]["text"])
        elif b["type"] == "context":
            texts.append("_" + b["elements"][0]["text"] + "_")
    return "\n\n".join(texts) + "\n"


# ---------------------------------------------------------------------------------------------------------------
# HTML (email and the preview file)
# ---------------------------------------------------------------------------------------------------------------


def _html(digest: Digest, shown: int) -> str:
    groups = [
        {"name": g.name, "kind": g.kind,
         "items": [{"item": i, "evidence": emphasis_segments(i.evidence, i.terms), "meta": " · ".join(_meta(i))}
                   for i in g.items]}
        for g in take(digest, shown)
    ]
    hidden = entries(digest) - shown
    return _jinja.get_template("digest.html.j2").render(
        digest=digest, groups=groups, counts=_counts_line(digest), more=_more_line(hidden) if hidden > 0 else None
    )


# ---------------------------------------------------------------------------------------------------------------


def _fit(digest: Digest, max_items: int, fits: Callable[[int], bool]) -> int:
    """The most stories (up to max_items) for which `fits` holds; binary search, rendering O(log n) times."""
    hi = min(max_items, entries(digest))
    if fits(hi):
        return hi
    lo = 0
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


def render(digest: Digest, fmt: str, *, limit: int | None = None, max_items: int = 200) -> Rendered:
    """`digest` in `fmt`, at most `max_items` stories and `limit` characters; the rest become a "…and N more" line."""
    limit = limit or DEFAULT_LIMITS[fmt]
    if fmt == "slack":
        def slack_fits(n: int) -> bool:
            blocks = _slack_blocks(digest, n)
            return len(blocks) <= SLACK_MAX_BLOCKS and len(json.dumps(blocks, ensure_ascii=False)) <= limit

        shown = _fit(digest, max_items, slack_fits)
        blocks = _slack_blocks(digest, shown)
        return Rendered(fmt, digest.title, _slack_text(blocks), shown, entries(digest) - shown, blocks)
    renderer = {"text": _text, "markdown": _markdown, "html": _html}[fmt]
    # Mail clients clip by bytes (Gmail at ~102 KB), chat services count characters.
    size = (lambda body: len(body.encode("utf-8"))) if fmt == "html" else len
    shown = _fit(digest, max_items, lambda n: size(renderer(digest, n)) <= limit)
    return Rendered(fmt, digest.title, renderer(digest, shown), shown, entries(digest) - shown)


def render_notice(subject: str, body: str, fmt: str, *, limit: int | None = None) -> Rendered:
    """A one-off operational notice (a source failing, say) in `fmt`: its words are data, escaped like article text."""
    limit = limit or DEFAULT_LIMITS[fmt]
    subject = clean_text(subject)
    lines = [clean_text(line) for line in body.splitlines()] or [""]
    if fmt == "slack":
        text = _cut(escape_slack("\n".join(lines)), min(limit, SLACK_SECTION_CHARS))
        blocks = [{"type": "header", "text": {"type": "plain_text", "text": _cut(subject, SLACK_HEADER_CHARS),
                                              "emoji": False}},
                  {"type": "section", "text": {"type": "mrkdwn", "text": text or " "}}]
        return Rendered(fmt, subject, text, 0, 0, blocks)
    if fmt == "html":
        title = escape_html(subject)
        html = (f'<!DOCTYPE html><html lang="ko"><head><meta charset="utf-8"><title>{title}</title></head>'
                f'<body><h1 style="font-size:18px;">{title}</h1>'
                + "".join(f'<p style="margin:4px 0;overflow-wrap:anywhere;">{escape_html(line)}</p>' for line in lines)
                + "</body></html>")
        return Rendered(fmt, subject, _cut(html, limit), 0, 0)
    if fmt == "markdown":
        return Rendered(fmt, subject, _cut("  \n".join(escape_markdown(line) for line in lines), limit), 0, 0)
    return Rendered(fmt, subject, _cut("\n".join(lines), limit), 0, 0)
