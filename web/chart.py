"""The trend chart: stories per day as an SVG line chart drawn server-side by pygal, inlined in the page.

pygal draws in Python, so the chart needs no JavaScript, no CDN and no network: it works offline and under a
Content-Security-Policy without scripts. Its tooltip script is dropped; its stylesheet stays inline in the SVG and
is admitted by its SHA-256 hash in the page's policy. Each dot links to that day's top stories."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import pygal
from lxml import etree
from markupsafe import Markup
from pygal.style import Style

from models.search import Series

FONT = "'Noto Sans CJK KR', 'Noto Sans KR', 'Apple SD Gothic Neo', 'Malgun Gothic', sans-serif"
STYLE = Style(
    background="transparent",
    plot_background="#ffffff",
    foreground="#33373d",
    foreground_strong="#1d1f23",
    foreground_subtle="#d0d4da",
    font_family=FONT,
    label_font_family=FONT,
    major_label_font_family=FONT,
    legend_font_family=FONT,
    title_font_family=FONT,
    value_font_family=FONT,
    tooltip_font_family=FONT,
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=14,
    colors=("#1a55c4", "#d9480f", "#2b8a3e", "#9c36b5", "#e67700", "#0b7285", "#c2255c", "#5c940d", "#364fc7",
            "#862e9c"),
)


@dataclass(frozen=True, slots=True)
class Chart:
    svg: Markup
    style_hash: str  # base64 SHA-256 of the inline <style>, for the Content-Security-Policy


def trend_chart(days: Sequence[date], series: Sequence[tuple[str, Series]], day_link: Callable[[date], str],
                *, title: str = "") -> Chart:
    """A line per series (named) over `days`, one dot per day (a day without stories is a 0, not a gap)."""
    chart = pygal.Line(
        style=STYLE, js=[], width=900, height=380, title=title or None, show_legend=True, legend_at_bottom=True,
        legend_at_bottom_columns=min(4, max(1, len(series))), x_label_rotation=0, show_minor_x_labels=len(days) <= 10,
        x_labels_major_every=max(1, len(days) // 7), truncate_legend=24, dots_size=3.5, min_scale=1, max_scale=6,
        print_values=False, truncate_label=-1, disable_xml_declaration=True, no_data_text="no stories in this range",
        allow_interruptions=False, include_x_axis=True,
    )
    chart.x_labels = [d.strftime("%m-%d") for d in days]
    for name, s in series:
        chart.add(name, [{"value": n, "xlink": {"href": day_link(d), "target": "_self"}, "label": d.isoformat()}
                         for d, n in zip(days, s.counts, strict=True)])
    tree = chart.render_tree()
    # pygal's tooltip script and the hidden group it animates (an inline style attribute) have no use without
    # scripts; a native <title> per dot tells the day and the count on hover instead.
    for node in [*tree.iter("{*}script", "script"),
                 *(g for g in tree.iter("{*}g", "g") if "tooltip" in (g.get("class") or "").split())]:
        node.getparent().remove(node)
    for dots in (g for g in tree.iter("{*}g", "g") if g.get("class") == "dots"):
        descs = {(d.get("class") or "").split(" ")[0]: d.text for d in dots.iter("{*}desc", "desc")}
        hint = etree.SubElement(next(iter(dots)), "title")
        hint.text = f"{descs.get('x_label', '')}: {descs.get('value', '')}"
    styles = [el for el in tree.iter("{*}style", "style")]
    css = "".join(el.text or "" for el in styles)
    if len(styles) > 1:  # keep one element so one hash admits it
        for extra in styles[1:]:
            extra.getparent().remove(extra)
        styles[0].text = css
    tree.set("role", "img")
    tree.set("aria-label", title or "stories per day")
    tree.set("data-days", str(len(days)))
    svg = etree.tostring(tree, encoding="unicode")
    digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")
    return Chart(svg=Markup(svg), style_hash=digest)
