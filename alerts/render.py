"""Renders a digest per format (plain text, Markdown, Slack Block Kit, HTML), escaped, in as many messages as the
channel's size limit needs (numbered 1/3, 2/3, ...): every entry goes in some message, shortened if it cannot fit."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from markupsafe import escape as escape_html

from alerts.barchart import color, draw_bars
from alerts.digest import Copy, Digest, DigestGroup, DigestItem, clean_text, emphasis_segments
from alerts.weekly import CHART_FILE, WeekChart
from newsmon.bounds import shorten

# Size budgets where the channel does not tell its own (apprise's body_maxlen is used when it does); html in bytes.
DEFAULT_LIMITS: dict[str, int] = {"text": 1_000_000, "markdown": 32_000, "slack": 35_000, "html": 100_000}
# Block Kit: at most 50 blocks, a section's text at most 3,000 characters, a header's 150.
SLACK_MAX_BLOCKS = 50
SLACK_SECTION_CHARS = 3000
SLACK_HEADER_CHARS = 150

TEMPLATES = Path(__file__).resolve().parent / "templates"
_jinja = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]),
                     trim_blocks=True, lstrip_blocks=True)

# An entry: the index of its section in digest.groups, its place in that section, and the story.
Entry = tuple[int, int, DigestItem]


@dataclass(frozen=True, slots=True)
class Part:
    """One message's share of a digest: its entries in order, and its number among the digest's messages."""

    number: int
    of: int
    entries: tuple[Entry, ...]


@dataclass(frozen=True, slots=True)
class Rendered:
    """One message of a digest (or a notice) in one format. `blocks` is the Slack Block Kit payload for slack."""

    format: str
    title: str
    body: str
    part: int = 1
    parts: int = 1
    entries: int = 0
    blocks: list[dict] | None = None
    # Images the body shows inline (`cid:NAME` in html): (file name, PNG bytes); email attaches them.
    images: tuple[tuple[str, bytes], ...] = ()


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


def _counts_line(digest: Digest) -> str:
    parts = []
    if digest.company_counts:
        parts.append("Companies: " + ", ".join(f"{n} {c}" for n, c in digest.company_counts))
    if digest.topic_counts:
        parts.append("Topics: " + ", ".join(f"{n} {c}" for n, c in digest.topic_counts))
    return " | ".join(parts)


def digest_entries(digest: Digest) -> list[Entry]:
    """Every entry of the digest in order: a story appears once in each of its sections."""
    return [(index, place, item) for index, group in enumerate(digest.groups) for place, item in enumerate(group.items)]


@dataclass(frozen=True, slots=True)
class _Section:
    name: str
    kind: str
    count: int  # the whole section's size, as the header counts say
    continued: bool  # its first entries went in an earlier message
    items: tuple[DigestItem, ...]


@dataclass(frozen=True, slots=True)
class _Page:
    """What one message shows: its title (numbered when there are several), sections and closing line."""

    title: str
    sections: tuple[_Section, ...]
    footer: str | None
    # The closing link to the digest's own page in the web view (last message only): (words, URL).
    link: tuple[str, str] | None = None
    # A weekly digest's chart, in its first message.
    week: WeekChart | None = None


def _page(digest: Digest, entries: Sequence[Entry], number: int, of: int, *, last: bool) -> _Page:
    runs: list[tuple[int, int, list[DigestItem]]] = []  # (section index, first place, items) per run of one section
    for index, place, item in entries:
        if runs and runs[-1][0] == index:
            runs[-1][2].append(item)
        else:
            runs.append((index, place, [item]))
    sections = tuple(_Section(digest.groups[index].name, digest.groups[index].kind, len(digest.groups[index].items),
                              place > 0, tuple(items)) for index, place, items in runs)
    # Services cut titles (apprise: 250 characters for Slack and webhooks); the number must survive the cut.
    title = digest.title if of == 1 else f"{shorten(digest.title, 200)} ({number}/{of})"
    if not last:
        footer = f"Continued in the next message ({number + 1}/{of})."
    elif digest.waiting and digest.kind == "spike":
        footer = f"…and {digest.waiting} more {'story' if digest.waiting == 1 else 'stories'} of this surge."
    elif digest.waiting:
        footer = (f"…and {digest.waiting} more {'story' if digest.waiting == 1 else 'stories'} (over this "
                  "subscription's max_entries) come in the next digest.")
    else:
        footer = None
    link = None
    if last and digest.page_url:
        link = ("All of them, and this digest's stories, on one page" if digest.waiting
                else "This digest on one page", digest.page_url)
        if digest.kind == "spike":
            link = ("Every story of this surge on one page", digest.page_url)
    return _Page(title, sections, footer, link, digest.week if number == 1 else None)


def _worst_page(digest: Digest, entries: Sequence[Entry]) -> _Page:
    """The page as large as its final numbering can make it, for fitting before the number of messages is known."""
    page = _page(digest, entries, 999, 999, last=False)
    last = _page(digest, entries, 999, 999, last=True)
    return replace(page, footer=max(page.footer or "", last.footer or "", key=len), link=last.link, week=digest.week)


def _meta(item: DigestItem) -> list[str]:
    return [x for x in (item.outlet, item.published, ", ".join(t.name for t in item.tags)) if x]


def _evidence(item: DigestItem, escape: Callable[[str], str], before: str, after: str) -> str:
    """The item's evidence, escaped for the format, with each matched term between `before` and `after`."""
    return "".join(f"{before}{escape(s)}{after}" if hit else escape(s)
                   for s, hit in emphasis_segments(item.evidence, item.terms))


def _week_heading(week: WeekChart) -> str:
    return f"The week: stories per day, {week.days[0]}..{week.days[-1]}"


def _week_lines(week: WeekChart) -> list[str]:
    """The chart's figures as text lines: the days, then each series' count per day and its total."""
    width = max(len(s.name) for s in week.series) if week.series else 0
    lines = [" " * (width + 1) + " ".join(f"{d[5:]:>5}" for d in week.days)]
    lines += [f"{s.name:<{width}} " + " ".join(f"{n:>5}" for n in s.counts) + f"  · {s.total}" for s in week.series]
    return lines


def _section_label(section: _Section) -> str:
    kind = "company" if section.kind == "company" else "topic"
    return f"{kind} · {section.count}" + (" · continued" if section.continued else "")


# ---------------------------------------------------------------------------------------------------------------
# Plain text (the console)
# ---------------------------------------------------------------------------------------------------------------


# An entry's own text is the same in every message that is tried while splitting a digest: rendered once.
@lru_cache(maxsize=4096)
def _text_item(item: DigestItem, story: str | None) -> str:
    lines = [f"* {item.title}", "  " + " · ".join(_meta(item))]
    if item.url:
        lines.append(f"  {item.url}")
    if story:
        lines.append(f"  story: {story}")
    if item.evidence:
        lines.append(f"  \u201c{_evidence(item, str, '[', ']')}\u201d")
    if item.also_in:
        lines.append("  also in: " + ", ".join(c.outlet for c in item.also_in))
    return "\n".join(lines)


def _text(digest: Digest, page: _Page) -> str:
    lines = [page.title, f"{digest.created} · {_counts_line(digest)}", *([digest.note] if digest.note else []), ""]
    if page.week:
        lines += [f"== {_week_heading(page.week)} ==", *_week_lines(page.week)]
        lines += [f"chart: {page.week.link}"] if page.week.link else []
        lines.append("")
    for section in page.sections:
        lines.append(f"== {section.name} ({_section_label(section)}) ==")
        lines.extend(_text_item(item, digest.story_url(item)) for item in section.items)
        lines.append("")
    if page.footer:
        lines.append(page.footer)
    if page.link:
        lines.append(f"{page.link[0]}: {page.link[1]}")
    return "\n".join(lines).rstrip() + "\n"


# ---------------------------------------------------------------------------------------------------------------
# Markdown (other apprise targets)
# ---------------------------------------------------------------------------------------------------------------


def _md_link(text: str, url: str | None) -> str:
    if not url:
        return escape_markdown(text)
    return f"[{escape_markdown(text)}]({url.replace('(', '%28').replace(')', '%29')})"


@lru_cache(maxsize=4096)
def _markdown_item(item: DigestItem, story: str | None) -> str:
    meta = escape_markdown(" · ".join(_meta(item))) + (f" · {_md_link('story page', story)}" if story else "")
    lines = [f"- **{_md_link(item.title, item.url)}**  ", "  " + meta + "  "]
    if item.evidence:
        lines.append(f"  \u201c{_evidence(item, escape_markdown, '**', '**')}\u201d  ")
    if item.also_in:
        lines.append("  also in: " + ", ".join(_md_link(c.outlet, c.url) for c in item.also_in))
    return "\n".join(lines)


def _markdown(digest: Digest, page: _Page) -> str:
    header = escape_markdown(f"{digest.created} · {_counts_line(digest)}")
    lines = [f"**{escape_markdown(page.title)}**", "", header, ""]
    if digest.note:
        lines += [escape_markdown(digest.note), ""]
    if page.week:
        lines += [f"### {escape_markdown(_week_heading(page.week))}", "", "```",
                  *(line.replace("`", "'") for line in _week_lines(page.week)), "```"]
        lines += [_md_link("the chart", page.week.link)] if page.week.link else []
        lines.append("")
    for section in page.sections:
        lines.append(f"### {escape_markdown(section.name)} ({escape_markdown(_section_label(section))})")
        lines.append("")
        lines.extend(_markdown_item(item, digest.story_url(item)) for item in section.items)
        lines.append("")
    if page.footer:
        lines.append(f"_{escape_markdown(page.footer)}_")
    if page.link:
        lines.append(_md_link(page.link[0], page.link[1]))
    return "\n".join(lines).rstrip() + "\n"


# ---------------------------------------------------------------------------------------------------------------
# Slack: mrkdwn, laid out as Block Kit sections
# ---------------------------------------------------------------------------------------------------------------


def _slack_link(text: str, url: str | None) -> str:
    # safe_url already refused `|`, `<`, `>` and spaces in URLs.
    return f"<{url}|{escape_slack(text)}>" if url else escape_slack(text)


@lru_cache(maxsize=4096)
def _slack_item(item: DigestItem, story: str | None) -> str:
    meta = escape_slack(" · ".join(_meta(item))) + (f" · {_slack_link('story page', story)}" if story else "")
    lines = [f"• *{_slack_link(item.title, item.url)}*", meta]
    if item.evidence:
        lines.append(">" + _evidence(item, escape_slack, "*", "*"))
    if item.also_in:
        lines.append("also in: " + ", ".join(_slack_link(c.outlet, c.url) for c in item.also_in))
    return "\n".join(lines)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _slack_blocks(digest: Digest, page: _Page) -> list[dict]:
    blocks: list[dict] = [
        {"type": "header",
         "text": {"type": "plain_text", "text": _cut(page.title, SLACK_HEADER_CHARS), "emoji": False}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": _cut(escape_slack(
            f"{digest.created} · {_counts_line(digest)}"), SLACK_SECTION_CHARS)}]},
    ]
    if digest.note:
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                   "text": _cut(escape_slack(digest.note), SLACK_SECTION_CHARS)}})
    if page.week:
        figures = "\n".join(_week_lines(page.week)).replace("`", "'")
        text = f"*{escape_slack(_week_heading(page.week))}*" + (
            f" · {_slack_link('the chart', page.week.link)}" if page.week.link else "")
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _cut(
            text + "\n```" + escape_slack(figures) + "```", SLACK_SECTION_CHARS)}})
    for section in page.sections:
        chunk = f"*{escape_slack(section.name)}* ({escape_slack(_section_label(section))})"
        for item in section.items:
            # An entry is shortened to fit a section before it gets here; the cut is the last resort.
            entry = _cut(_slack_item(item, digest.story_url(item)), SLACK_SECTION_CHARS - 200)
            if len(chunk) + 2 + len(entry) > SLACK_SECTION_CHARS:
                blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": chunk}})
                chunk = entry
            else:
                chunk += "\n\n" + entry
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": chunk}})
    closing = [escape_slack(page.footer)] if page.footer else []
    if page.link:
        closing.append(_slack_link(page.link[0], page.link[1]))
    if closing:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": " ".join(closing)}]})
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


@lru_cache(maxsize=4096)
def _html_item(item: DigestItem, story: str | None) -> Markup:
    return Markup(_jinja.get_template("digest_entry.html.j2").render(
        item=item, evidence=emphasis_segments(item.evidence, item.terms), meta=" · ".join(_meta(item)),
        story=story).strip())


def _html(digest: Digest, page: _Page) -> str:
    groups = [{"name": sec.name, "kind": sec.kind, "label": _section_label(sec),
               "items": [_html_item(i, digest.story_url(i)) for i in sec.items]} for sec in page.sections]
    week = None
    if page.week:
        week = {"heading": _week_heading(page.week), "file": CHART_FILE, "link": page.week.link,
                "days": [d[5:] for d in page.week.days],
                "series": [{"name": s.name, "color": color(i), "counts": s.counts, "total": s.total}
                           for i, s in enumerate(page.week.series)]}
    return _jinja.get_template("digest.html.j2").render(
        title=page.title, digest=digest, groups=groups, counts=_counts_line(digest), footer=page.footer,
        link=page.link, week=week,
    )


def week_png(week: WeekChart) -> bytes:
    """The chart of a weekly digest as a PNG (bars in the order and colours of the table under it)."""
    return draw_bars([s.counts for s in week.series])


# ---------------------------------------------------------------------------------------------------------------
# Splitting a digest into messages
# ---------------------------------------------------------------------------------------------------------------


def _size(digest: Digest, page: _Page, fmt: str) -> tuple[int, int]:
    """(size, blocks) of `page` in `fmt`: characters, bytes for html (mail clips by bytes), JSON for slack."""
    if fmt == "slack":
        blocks = _slack_blocks(digest, page)
        return len(json.dumps(blocks, ensure_ascii=False)), len(blocks)
    body = {"text": _text, "markdown": _markdown, "html": _html}[fmt](digest, page)
    return (len(body.encode("utf-8")) if fmt == "html" else len(body)), 0


def _fits(digest: Digest, entries: Sequence[Entry], budgets: Sequence[tuple[str, int]]) -> bool:
    page = _worst_page(digest, entries)
    for fmt, limit in budgets:
        size, blocks = _size(digest, page, fmt)
        if size > limit or blocks > SLACK_MAX_BLOCKS:
            return False
    return True


def _shortened(item: DigestItem, level: int) -> DigestItem:
    """`item` made smaller, step by step, for a message it does not fit: evidence, title and other outlets cut, then
    the evidence and other outlets gone, then the link (a URL can be as long as a small channel's whole message)."""
    title, evidence, copies = [(200, 400, 8), (100, 150, 3), (80, 0, 0), (60, 0, 0)][min(level, 3)]
    also = item.also_in[:copies]
    if len(item.also_in) > copies and copies:
        also += (Copy(f"+{len(item.also_in) - copies}", None),)
    return replace(item, title=shorten(item.title, title), evidence=shorten(item.evidence, evidence) if evidence else "",
                   also_in=also, url=item.url if level < 3 else None, story=item.story if level < 3 else "")


def plan_parts(digest: Digest, budgets: Sequence[tuple[str, int]]) -> list[Part]:
    """The digest's entries cut into messages that each fit every (format, limit) in `budgets` (the formats of one
    channel's targets), in order; an entry that does not fit a message on its own is shortened, never dropped."""
    entries = digest_entries(digest)
    chunks: list[tuple[Entry, ...]] = []
    start = 0
    first_try = 2
    while start < len(entries):
        level = 0
        while not _fits(digest, entries[start : start + 1], budgets) and level < 4:
            index, place, item = entries[start]
            entries[start] = (index, place, _shortened(item, level))
            level += 1
        # The longest run from `start` that fits: double while it fits (from the last message's size, as messages of
        # one digest hold about as many entries), then halve the gap.
        good, size = 1, first_try
        while start + good < len(entries):
            size = min(size, len(entries) - start)
            if not _fits(digest, entries[start : start + size], budgets):
                break
            good, size = size, size * 2
        bad = size if start + good < len(entries) else good + 1
        while bad - good > 1:
            middle = (good + bad) // 2
            if _fits(digest, entries[start : start + middle], budgets):
                good = middle
            else:
                bad = middle
        chunks.append(tuple(entries[start : start + good]))
        start += good
        first_try = max(2, good)
    chunks = chunks or [()]
    return [Part(number, len(chunks), chunk) for number, chunk in enumerate(chunks, 1)]


def render_part(digest: Digest, part: Part, fmt: str) -> Rendered:
    """One message of `digest`: `part` in `fmt`."""
    page = _page(digest, part.entries, part.number, part.of, last=part.number == part.of)
    if fmt == "slack":
        blocks = _slack_blocks(digest, page)
        return Rendered(fmt, page.title, _slack_text(blocks), part.number, part.of, len(part.entries), blocks)
    body = {"text": _text, "markdown": _markdown, "html": _html}[fmt](digest, page)
    images = ((CHART_FILE, week_png(page.week)),) if fmt == "html" and page.week else ()
    return Rendered(fmt, page.title, body, part.number, part.of, len(part.entries), images=images)


def render_parts(digest: Digest, fmt: str, *, limit: int | None = None) -> list[Rendered]:
    """`digest` in `fmt` as messages of at most `limit` (default: the format's usual limit)."""
    parts = plan_parts(digest, [(fmt, limit or DEFAULT_LIMITS[fmt])])
    return [render_part(digest, part, fmt) for part in parts]


def render(digest: Digest, fmt: str, *, limit: int | None = None) -> Rendered:
    """The first message of `digest` in `fmt` (the whole digest when it fits one)."""
    return render_parts(digest, fmt, limit=limit)[0]


# ---------------------------------------------------------------------------------------------------------------


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
        return Rendered(fmt, subject, text, blocks=blocks)
    if fmt == "html":
        title = escape_html(subject)
        html = (f'<!DOCTYPE html><html lang="ko"><head><meta charset="utf-8"><title>{title}</title></head>'
                f'<body><h1 style="font-size:18px;">{title}</h1>'
                + "".join(f'<p style="margin:4px 0;overflow-wrap:anywhere;">{escape_html(line)}</p>' for line in lines)
                + "</body></html>")
        return Rendered(fmt, subject, _cut(html, limit))
    if fmt == "markdown":
        return Rendered(fmt, subject, _cut("  \n".join(escape_markdown(line) for line in lines), limit))
    return Rendered(fmt, subject, _cut("\n".join(lines), limit))
