"""Draws the weekly digest's chart, stories per day as grouped bars, into a PNG with the standard library alone.

Email clients show PNG images (Gmail and Outlook do not show SVG), so the chart travels as a PNG attached inline
(cid:). Drawing it needs no imaging library and no fonts: the picture holds bars and gridlines only; the names, days
and counts go beside it as HTML text, where Korean renders in the reader's own fonts."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

WIDTH, HEIGHT = 640, 220
PAD = 12
# The same palette as the web view's trend chart (web/chart.py), in order.
COLORS = ("#1a55c4", "#d9480f", "#2b8a3e", "#9c36b5", "#e67700", "#0b7285", "#c2255c", "#5c940d", "#364fc7",
          "#862e9c")
BACKGROUND = (255, 255, 255)
GRID = (221, 225, 230)
AXIS = (120, 126, 134)


def color(index: int) -> str:
    return COLORS[index % len(COLORS)]


def _rgb(hex_color: str) -> tuple[int, int, int]:
    value = int(hex_color.lstrip("#"), 16)
    return value >> 16, (value >> 8) & 0xFF, value & 0xFF


def grid_step(top: int) -> int:
    """Gridline spacing: 1, 2, 5, 10, 20, 50... so that there are at most five lines."""
    step = 1
    while top / step > 5:
        for factor in (2, 2.5, 2):
            step = int(step * factor)
            if top / step <= 5:
                break
    return step


def bar_layout(days: int, series: int, width: int = WIDTH) -> list[list[tuple[int, int]]]:
    """For each day, for each series, the bar's [left, right) columns."""
    group = (width - 2 * PAD) / max(1, days)
    gap = max(2, int(group * 0.2))
    bar = max(1, int((group - gap) / max(1, series)))
    return [[(int(PAD + d * group + gap / 2 + s * bar), int(PAD + d * group + gap / 2 + (s + 1) * bar))
             for s in range(series)] for d in range(days)]


def bar_height(count: int, top: int, height: int = HEIGHT) -> int:
    """Pixels for `count` when `top` reaches the plot's top (the picture's height less the padding)."""
    return round(count / top * (height - 2 * PAD)) if top else 0


def draw_bars(counts: Sequence[Sequence[int]], *, width: int = WIDTH, height: int = HEIGHT) -> bytes:
    """A PNG: one group of bars per day, one bar per series (`counts[series][day]`), in COLORS, over gridlines."""
    days = max((len(c) for c in counts), default=0)
    top = max((n for c in counts for n in c), default=0)
    top = max(1, top)
    step = grid_step(top)
    top = -(-top // step) * step  # the highest gridline at or above the tallest bar
    rows = [bytearray(bytes(BACKGROUND) * width) for _ in range(height)]

    def fill(x0: int, x1: int, y0: int, y1: int, rgb: tuple[int, int, int]) -> None:
        for y in range(max(0, y0), min(height, y1)):
            row = rows[y]
            for x in range(max(0, x0), min(width, x1)):
                row[3 * x : 3 * x + 3] = bytes(rgb)

    base = height - PAD
    for value in range(step, top + 1, step):
        y = base - bar_height(value, top, height)
        fill(PAD, width - PAD, y, y + 1, GRID)
    for d, bars in enumerate(bar_layout(days, len(counts), width)):
        for s, (left, right) in enumerate(bars):
            n = counts[s][d] if d < len(counts[s]) else 0
            fill(left, right - 1, base - bar_height(n, top, height), base, _rgb(color(s)))
    fill(PAD, width - PAD, base, base + 1, AXIS)
    return _png(width, height, rows)


def _png(width: int, height: int, rows: Sequence[bytes]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes(row) for row in rows)  # filter type 0 on every scanline
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
