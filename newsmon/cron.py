"""Cron strings as the configuration names them: one check, before any scheduler starts, that a string is a cron
schedule the scheduler will accept, with the field at fault named otherwise.

Standard five-field cron (minute hour day-of-month month day-of-week) and the aliases `@hourly`, `@daily`,
`@midnight`, `@weekly`, `@monthly`, `@yearly`, `@annually`. A field is `*`, a number or name, a range `a-b`, any of
those with a step `/n`, or a comma list of them; day-of-month may also be `L` (the last day) and `?`, day-of-week
`?` and `N#k` (the k-th weekday N of the month). This accepts a subset of what Prefect's scheduler reads (its
seconds and year fields and hashed expressions are left out), so a schedule that passes here never fails there.
"""

from __future__ import annotations

ALIASES = ("@hourly", "@daily", "@midnight", "@weekly", "@monthly", "@yearly", "@annually")
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# (name, lowest, highest, names counted from `lowest`)
FIELDS = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, MONTHS),
    ("day of week", 0, 7, DAYS),
)


def check_cron(value: str) -> str:
    """`value` itself when it is a cron schedule newsmon can serve; ValueError naming the field and its range."""
    text = value.strip()
    if text.lower() in ALIASES:
        return value
    parts = text.split()
    if len(parts) != 5:
        raise ValueError(f"{value!r} is not a cron schedule: it has {len(parts)} field(s), cron has five "
                         "(minute hour day-of-month month day-of-week, e.g. '0 8 * * *'), or use @daily/@hourly")
    for part, (name, low, high, names) in zip(parts, FIELDS):
        for item in part.split(","):
            problem = _item_problem(item.lower(), name, low, high, names)
            if problem:
                raise ValueError(f"{value!r} is not a cron schedule: {name} {item!r} {problem}")
    return value


def _item_problem(item: str, name: str, low: int, high: int, names: tuple[str, ...]) -> str | None:
    """What is wrong with one comma-separated item of a field, or None."""
    if name == "day of month" and item in ("l", "?"):
        return None
    if name == "day of week":
        if item == "?":
            return None
        if "#" in item:
            day, _, nth = item.partition("#")
            if _number(day, low, high, names) is None or not nth.isdigit() or not 1 <= int(nth) <= 5:
                return "is not a weekday#week (e.g. 5#2, the second Friday)"
            return None
    span, slash, step = item.partition("/")
    if slash and (not step.isdigit() or int(step) == 0):
        return "has a step that is not a whole number above 0"
    if span == "*":
        return None
    first, dash, last = span.partition("-")
    for bound in (first, last) if dash else (first,):
        if _number(bound, low, high, names) is None:
            allowed = f"{low}-{high}" + (f" or {names[0]}-{names[-1]}" if names else "")
            return f"is out of range (allowed: {allowed})"
    return None


def _number(text: str, low: int, high: int, names: tuple[str, ...]) -> int | None:
    if text in names:
        return names.index(text) + (low if names is MONTHS else 0)
    if text.isdigit() and low <= int(text) <= high:
        return int(text)
    return None
