"""Read queries of the web view: full-text search over stored articles, one story with its outlets, stories per day.

Written against the tables (not the ORM classes) so they read any writer's rows. Text search is the database's own
(migration 0007_search): SQLite FTS5 with the trigram tokenizer; on PostgreSQL a GIN index of each article's
two-character pieces (`article_bigrams`), its candidates rechecked by LIKE. Both match a query word as a substring,
which is what Korean needs: particles are glued to the word (`희망퇴직을`, `KT는`), so `희망퇴직` finds `희망퇴직을`.
Words of one or two characters (`감원`, `KT`) are looked up too (see _sqlite_words, _postgres_text).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from sqlalchemy import (
    ARRAY,
    Column,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    Text,
    and_,
    any_,
    case,
    cast,
    column,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from models.tables import Base, UtcDateTime
from newsmon.records import Tag

articles = Base.metadata.tables["articles"]
tags = Base.metadata.tables["tags"]
sources = Base.metadata.tables["sources"]
articles_fts = table("articles_fts", column("rowid"))
articles_fts_terms = table("articles_fts_terms", column("term"), column("doc"))
# PostgreSQL: each article's distinct two-character pieces, lower-cased, GIN-indexed (migration 0007_search).
article_bigrams = Table("article_bigrams", MetaData(), Column("article_id", Integer, primary_key=True),
                        Column("grams", ARRAY(Text)))
# One narrow row per article, kept by triggers (migration 0007_search): what the view filters, groups and counts by,
# without reading an article's long row (on SQLite the columns after the body sit in its overflow pages).
keys = Table(
    "article_keys", MetaData(),
    Column("article_id", Integer, primary_key=True), Column("source_id", Integer), Column("filed_at", UtcDateTime),
    Column("grp", Integer), Column("story", String), Column("publisher", String),
)

# Trigram indexes need words of at least this many characters.
TRIGRAM = 3
MAX_TERMS = 8
MAX_TERM_CHARS = 100
# A story page lists at most this many articles (a story key shared by thousands would be a dedupe fault).
MAX_STORY_ARTICLES = 500
# SQLite ranks the newest this many matches of a query (see _matches).
RANK_WINDOW = 1000
# A short word is looked up through at most this many trigrams it begins (SQLite), else matched by a scan.
MAX_EXPANSION = 2000
# PostgreSQL matches a word by LIKE over each of its spellings in ASCII case up to this many such letters (2**N
# spellings), else by ILIKE (see _contains).
MAX_CASED = 4
# ... or when it is common: the trigrams it begins are in more than this share of the articles, counted with
# repeats (see _sqlite_words), beside a long word / with short words only.
RANKED_COMMON = 0.2
SCANNED_COMMON = 0.1
# Title matches weigh this many times a body match in the ranking.
TITLE_WEIGHT = 3.0


def filed_at() -> ColumnElement[datetime]:
    """When an article is filed under: its published time, else when it was stored (indexed: ix_articles_filed_at)."""
    return func.coalesce(articles.c.published_at, articles.c.fetched_at)


def outlet() -> ColumnElement[str]:
    """The outlet shown for an article: its publisher, else its source's name."""
    return func.coalesce(articles.c.publisher, sources.c.name)


def story_of() -> ColumnElement[str]:
    """The story an article belongs to; an article without a story key is a story of its own (`article:ID`)."""
    return func.coalesce(articles.c.story_key, literal_column("'article:'", String) + cast(articles.c.id, String))


def utc(when: datetime | None) -> datetime | None:
    """A stored time as an aware UTC time (SQLite hands back the stored UTC time naive)."""
    if when is None:
        return None
    return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)


def search_terms(text: str) -> tuple[str, ...]:
    """The words of a query: whitespace separates words, "double quotes" keep a phrase together; NFC, at most
    MAX_TERMS distinct words of at most MAX_TERM_CHARS characters each."""
    text = unicodedata.normalize("NFC", text or "")
    found: list[str] = []
    for phrase, word in re.findall(r'"([^"]*)"|(\S+)', text):
        term = " ".join((phrase or word).replace('"', " ").split())[:MAX_TERM_CHARS]
        if term and term.casefold() not in {t.casefold() for t in found}:
            found.append(term)
    return tuple(found[:MAX_TERMS])


@dataclass(frozen=True, slots=True)
class ArticleFilter:
    """What to search for. `since`/`until` are a half-open range [since, until) of filed times, in UTC."""

    text: str = ""
    company: str | None = None
    topic: str | None = None
    outlet: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    fold_duplicates: bool = True
    limit: int = 20
    offset: int = 0


@dataclass(frozen=True, slots=True)
class ArticleHit:
    """A found article. `copies` is how many matching articles it stands for when duplicates are folded (itself
    included); `score` orders the hits (higher first; 0 where there was nothing to rank by)."""

    id: int
    title: str
    body: str
    url: str | None
    outlet: str
    filed_at: datetime | None
    story: str
    duplicate_of_id: int | None
    tags: tuple[Tag, ...]
    score: float
    copies: int = 1


@dataclass(frozen=True, slots=True)
class SearchPage:
    hits: list[ArticleHit]
    terms: tuple[str, ...]
    more: bool
    # True when no query word was long enough for the trigram index (the words were matched by a scan).
    scanned: bool = False


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _has_case(term: str) -> bool:
    return term.lower() != term.upper()


def _case_variants(term: str) -> list[str] | None:
    """Every spelling of `term` in upper and lower ASCII case, where it has at most MAX_CASED ASCII letters and no
    other letter with case; else None."""
    if any(c.lower() != c.upper() and not c.isascii() for c in term):
        return None
    variants = [""]
    for c in term:
        options = {c.lower(), c.upper()} if c.isascii() and c.lower() != c.upper() else {c}
        variants = [v + o for v in variants for o in sorted(options)]
        if len(variants) > 2 ** MAX_CASED:
            return None
    return variants


def _sqlite_like(term: str) -> ColumnElement[bool]:
    """SQLite: title or body holds `term` (its LIKE ignores ASCII case, as the trigram index does)."""
    pattern = f"%{_escape_like(term)}%"
    return or_(articles.c.title.like(pattern, escape="\\"), articles.c.body.like(pattern, escape="\\"))


def _fts_string(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _trigrams_starting(session: Session, term: str) -> tuple[list[str], int]:
    """SQLite: the indexed trigrams that begin with `term` (one or two characters), and how many articles hold
    them (an upper bound: an article holding two of them counts twice). The index appends two line feeds to each
    column (migration 0007_search), so every occurrence of the term begins a trigram."""
    folded = term.lower()
    found = session.execute(
        select(articles_fts_terms.c.term, articles_fts_terms.c.doc)
        .where(articles_fts_terms.c.term >= folded, articles_fts_terms.c.term < folded + "\U0010ffff")
        .limit(MAX_EXPANSION + 1)).all()
    return [r.term for r in found], sum(r.doc for r in found)


@dataclass(frozen=True, slots=True)
class _SqliteWords:
    """How SQLite matches the words of a query: `ranked`, the FTS5 query of the long words (bm25 ranks by it);
    `short`, the FTS5 query of the short words looked up through the trigrams they begin; `scans`, LIKE conditions
    for the short words better matched by reading the text."""

    ranked: str | None
    short: str | None
    scans: list[ColumnElement[bool]]


def _sqlite_words(session: Session, terms: tuple[str, ...]) -> _SqliteWords | None:
    """The words as SQLite matches them; None where a word occurs nowhere. A long word is a quoted string (a
    substring, for the trigram tokenizer); a short word is any of the trigrams it begins (none: it occurs nowhere).
    A common short word is matched by reading the text instead, where merging its trigrams' lists would cost
    more: beside a long word when its trigrams are in more than RANKED_COMMON of the articles (the long word's
    newest matches hold it often enough), alone (with other short words as common) when in more than
    SCANNED_COMMON (the articles read newest first fill a page after a few hundred rows); and always when it
    begins more than MAX_EXPANSION trigrams."""
    long_terms = [t for t in terms if len(t) >= TRIGRAM]
    short: list[tuple[str, list[str], int]] = []
    for term in (t for t in terms if len(t) < TRIGRAM):
        pieces, holding = _trigrams_starting(session, term)
        if not pieces:
            return None
        short.append((term, pieces, holding))
    stored = (session.scalar(select(func.max(keys.c.article_id))) or 0) if short else 0
    all_common = all(holding > SCANNED_COMMON * stored for _, _, holding in short)
    looked_up, scans = [], []
    for term, pieces, holding in short:
        common = holding > RANKED_COMMON * stored if long_terms else all_common
        if common or len(pieces) > MAX_EXPANSION:
            scans.append(_sqlite_like(term))
        else:
            looked_up.append("(" + " OR ".join(_fts_string(p) for p in pieces) + ")")
    return _SqliteWords(" AND ".join(_fts_string(t) for t in long_terms) or None,
                        " AND ".join(looked_up) or None, scans)


def _sqlite_matches(session: Session, f: ArticleFilter, terms: tuple[str, ...], base: Select,
                    conds: list[ColumnElement[bool]]) -> _Matches:
    """SQLite: the matches read from `article_keys`, the words through FTS5 (see _sqlite_words)."""
    words = _sqlite_words(session, terms) if terms else _SqliteWords(None, None, [])
    if words is None:
        return _Matches(base.add_columns(literal(0.0).label("score")).where(literal(False)), False,
                        not any(len(t) >= TRIGRAM for t in terms))
    match = literal_column("articles_fts").op("MATCH")
    if words.scans:
        base = base.join(articles, articles.c.id == keys.c.article_id)
        conds = conds + words.scans
    if words.ranked is None:
        if words.short is not None:
            conds.append(keys.c.article_id.in_(select(articles_fts.c.rowid).where(match(words.short))))
        return _Matches(base.add_columns(literal(0.0).label("score")).where(*conds), False, bool(terms))
    if words.short is not None:
        # `rowid + 0`: a bare rowid IN would be handed to FTS5 as one lookup of the ranked query per short match.
        conds.append((articles_fts.c.rowid + 0).in_(select(articles_fts.c.rowid).where(match(words.short))))
    # bm25 (of the long words only: it costs per word looked up) is lower for better matches; the title column
    # weighs TITLE_WEIGHT times the body. Only the RANK_WINDOW most recently stored matches (after the filters)
    # are ranked: FTS5 hands matches over newest rowid first and stops there, so a common word costs no more than
    # a rare one.
    rank = -func.bm25(literal_column("articles_fts"), TITLE_WEIGHT, 1.0)
    stmt = (base.add_columns(rank.label("score"))
            .join(articles_fts, articles_fts.c.rowid == keys.c.article_id)
            .where(match(words.ranked), *conds)
            .order_by(articles_fts.c.rowid.desc()).limit(RANK_WINDOW))
    return _Matches(stmt, True, False)


def _pieces(term: str) -> list[str]:
    """The two-character pieces of a word, lower-cased, as newsmon_bigrams cuts them."""
    folded = term.lower()
    return sorted({folded[i : i + 2] for i in range(len(folded) - 1)})


def _postgres_candidates(terms: tuple[str, ...]) -> Select | None:
    """PostgreSQL: the ids of the articles holding every two-character piece of every word of two or more
    characters (`article_bigrams`, GIN): exactly the matches of a two-character word, candidates for a longer one
    (to recheck by LIKE). None where no word has two characters."""
    pieces = sorted({p for t in terms if len(t) >= 2 for p in _pieces(t)})
    if not pieces:
        return None
    return select(article_bigrams.c.article_id).where(
        article_bigrams.c.grams.op("@>")(cast(array(pieces), ARRAY(Text))))


def _postgres_rechecks(terms: tuple[str, ...]) -> list[ColumnElement[bool]]:
    """PostgreSQL: LIKE for the words the candidates do not settle: longer than two characters, or a single one
    (matched by LIKE alone: a scan, narrowed by the other conditions). Each word is looked for in title and body
    joined by a line feed (which no query word holds, so nothing matches across the join), as `LIKE ANY` of its
    spellings (see _contains): the stored body is then read and decompressed once per word, where `title LIKE ..
    OR body LIKE ..` reads it once per spelling (half the time for one spelling, a third for eight)."""
    joined = articles.c.title + "\n" + articles.c.body
    conds: list[ColumnElement[bool]] = []
    for term in (t for t in terms if len(t) != 2):
        variants = _case_variants(term) if _has_case(term) else [term]
        if variants is None:
            conds.append(joined.ilike(f"%{_escape_like(term)}%"))
        else:
            conds.append(joined.like(any_(cast(array([f"%{_escape_like(v)}%" for v in variants]), ARRAY(Text)))))
    return conds


def _postgres_text(terms: tuple[str, ...]) -> list[ColumnElement[bool]]:
    """Each word in title or body (see _postgres_candidates, _postgres_rechecks)."""
    candidates = _postgres_candidates(terms)
    return _postgres_rechecks(terms) + ([articles.c.id.in_(candidates)] if candidates is not None else [])


def _occurrences(col: ColumnElement[str], term: str) -> ColumnElement[float]:
    """How often `term` occurs in `col` (ignoring case), counted in bytes (octet_length needs no character count:
    cheaper); a word with letters in case has each spelling removed in turn (see _contains)."""
    variants = _case_variants(term) if _has_case(term) else [term]
    if variants is None:
        text_: ColumnElement[str] = func.lower(col)
        removed = func.replace(text_, term.lower(), "")
    else:
        text_ = removed = col
        for v in variants:
            removed = func.replace(removed, v, "")
    return (func.octet_length(text_) - func.octet_length(removed)) / float(len(term.encode()))


@dataclass(frozen=True, slots=True)
class _Base:
    """Where a search reads an article's id, group, filed time and outlet: `article_keys` on SQLite (narrow rows),
    `articles` on PostgreSQL (whose heap rows are narrow already: long text is stored apart, TOAST)."""

    id: ColumnElement[int]
    grp: ColumnElement[int]
    filed: ColumnElement[datetime]
    publisher: ColumnElement[str]
    source_id: ColumnElement[int]

    @staticmethod
    def of(dialect: str) -> _Base:
        if dialect == "sqlite":
            return _Base(keys.c.article_id, keys.c.grp, keys.c.filed_at, keys.c.publisher, keys.c.source_id)
        return _Base(articles.c.id, func.coalesce(articles.c.duplicate_of_id, articles.c.id), filed_at(),
                     articles.c.publisher, articles.c.source_id)


def _filters(f: ArticleFilter, b: _Base) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if f.since is not None:
        conds.append(b.filed >= utc(f.since))
    if f.until is not None:
        conds.append(b.filed < utc(f.until))
    for kind, label in (("company", f.company), ("topic", f.topic)):
        if label:
            conds.append(exists().where(tags.c.article_id == b.id, tags.c.kind == kind, tags.c.label == label))
    if f.outlet:
        # The outlet as a condition on the row itself (no join): checked before any text is read.
        conds.append(or_(b.publisher == f.outlet, and_(b.publisher.is_(None), b.source_id.in_(
            select(sources.c.id).where(sources.c.name == f.outlet)))))
    return conds


@dataclass(frozen=True, slots=True)
class _Matches:
    """A select of (id, grp, filed, score) for the articles matching a filter; `ranked` when a word was long enough
    to rank by; `scanned` when no word was (the matches are then listed newest first). On PostgreSQL a ranked
    search gives `window` instead: the select limited to the newest RANK_WINDOW matches above an id (see
    _postgres_window)."""

    stmt: Select
    ranked: bool
    scanned: bool
    window: Callable[[int], Select] | None = None


def _matches(session: Session, f: ArticleFilter, terms: tuple[str, ...]) -> _Matches:
    long_terms = [t for t in terms if len(t) >= TRIGRAM]
    dialect = session.get_bind().dialect.name
    b = _Base.of(dialect)
    conds = _filters(f, b)
    base = select(b.id.label("id"), b.grp.label("grp"), b.filed.label("filed"))
    if dialect == "sqlite":
        return _sqlite_matches(session, f, terms, base, conds)
    if not long_terms:
        return _Matches(base.add_columns(literal(0.0).label("score")).where(*conds, *_postgres_text(terms)), False,
                        bool(terms))
    # PostgreSQL: ranked by how often the words occur, title occurrences weighing TITLE_WEIGHT, divided by the
    # body's length in units of 3,000 bytes (about a thousand Korean characters) plus one. As on SQLite only the
    # RANK_WINDOW most recently stored matches are ranked; _postgres_window finds how far back they reach.
    weight = sum((TITLE_WEIGHT * _occurrences(articles.c.title, t) + _occurrences(articles.c.body, t)
                  for t in long_terms), literal(0.0))
    rank = weight / (1.0 + func.octet_length(articles.c.body) / 3000.0)
    ranked = base.add_columns(rank.label("score")).where(*conds, *_postgres_rechecks(terms))
    candidates = _postgres_candidates(terms)
    assert candidates is not None  # a long word has pieces

    def window(floor: int) -> Select:
        # The candidates above `floor`, newest first, each rechecked in turn (a LATERAL subquery: a nested loop in
        # the candidates' order) until RANK_WINDOW match: a common word's older candidates are never read.
        newest = (candidates.where(article_bigrams.c.article_id > floor)
                  .order_by(article_bigrams.c.article_id.desc()).offset(0).subquery("c"))
        one = ranked.where(articles.c.id == newest.c.article_id).offset(0).lateral("a")
        return (select(one.c.id, one.c.grp, one.c.filed, one.c.score).select_from(newest).join(one, literal(True))
                .order_by(newest.c.article_id.desc()).limit(RANK_WINDOW))

    return _Matches(ranked, True, False, window=window)


def search_articles(session: Session, f: ArticleFilter) -> SearchPage:
    """Articles matching the filter, best first (newest first where no word was long enough to rank by); with
    duplicates folded, each near-duplicate group appears once, through its best-ranked (or newest) member."""
    terms = search_terms(f.text)
    matched = _matches(session, f, terms)
    if matched.window is not None:
        rows = _postgres_window(session, matched.window, f)
    elif matched.ranked:
        rows = _ranked_page(session, matched.stmt, f, count=False)[0]
    else:
        rows = _newest_page(session, matched.stmt, f)
    more = len(rows) > f.limit
    rows = rows[: f.limit]
    details = _articles_by_id(session, [i for i, _, _ in rows])
    hits = [ArticleHit(**{**details[i], "score": float(score or 0.0), "copies": copies})
            for i, score, copies in rows if i in details]
    return SearchPage(hits=hits, terms=terms, more=more, scanned=matched.scanned)


def _postgres_window(session: Session, window: Callable[[int], Select], f: ArticleFilter
                     ) -> list[tuple[int, float, int]]:
    """The ranked page over the newest RANK_WINDOW matches, on PostgreSQL: the candidates newest first, each
    rechecked in turn until RANK_WINDOW match (see _matches), so a common word costs its index lookup and about
    RANK_WINDOW rechecks, a rare one all of its candidates."""
    return _ranked_page(session, window(0), f)[0]


def _ranked_page(session: Session, matched: Select, f: ArticleFilter, *, count: bool = True
                 ) -> tuple[list[tuple[int, float, int]], int]:
    """(id, score, copies) of the page, ranked by the words; folding numbers each group's members by rank. Also
    how many matches were ranked (with `count`; else 0)."""
    m = matched.cte("m")
    found = select(func.count()).select_from(m).scalar_subquery() if count else literal(0)
    if not f.fold_duplicates:
        stmt = (select(m.c.id, m.c.score, literal(1), found)
                .order_by(m.c.score.desc(), m.c.filed.desc(), m.c.id.desc()))
    else:
        numbered = select(
            m.c.id, m.c.score, m.c.filed,
            func.row_number().over(partition_by=m.c.grp, order_by=[m.c.score.desc(), m.c.filed.desc(),
                                                                    m.c.id.desc()]).label("rn"),
            func.count().over(partition_by=m.c.grp).label("copies"),
        ).subquery("r")
        stmt = (select(numbered.c.id, numbered.c.score, numbered.c.copies, found).where(numbered.c.rn == 1)
                .order_by(numbered.c.score.desc(), numbered.c.filed.desc(), numbered.c.id.desc()))
    rows = session.execute(stmt.limit(f.limit + 1).offset(f.offset)).all()
    return [(r[0], r[1], int(r[2])) for r in rows], (int(rows[0][3]) if rows else 0)


def _newest_page(session: Session, matched: Select, f: ArticleFilter) -> list[tuple[int, float, int]]:
    """(id, score, copies) of the page, newest first, reading matches newest first only as far as the page needs:
    a scan for a short word stops as soon as it has found enough. Folded, `copies` counts the group's members
    among the matches read (a group's older members beyond the page may be uncounted)."""
    m = matched.subquery("m")
    stmt = select(m.c.id, m.c.grp).order_by(m.c.filed.desc(), m.c.id.desc())
    if not f.fold_duplicates:
        return [(r.id, 0.0, 1) for r in session.execute(stmt.limit(f.limit + 1).offset(f.offset))]
    groups: dict[int, list[int]] = {}  # group -> [id shown, members read]
    start, chunk = 0, 4 * (f.offset + f.limit + 1)
    while len(groups) <= f.offset + f.limit:
        rows = session.execute(stmt.limit(chunk).offset(start)).all()
        for r in rows:
            groups.setdefault(r.grp, [r.id, 0])[1] += 1
        if len(rows) < chunk:
            break
        start, chunk = start + chunk, chunk * 2
    ordered = list(groups.values())[f.offset : f.offset + f.limit + 1]
    return [(shown, 0.0, members) for shown, members in ordered]


def _tags_by_article(session: Session, ids: Sequence[int]) -> dict[int, list[Tag]]:
    found: dict[int, list[Tag]] = {i: [] for i in ids}
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        for row in session.execute(
            select(tags.c.article_id, tags.c.kind, tags.c.label, tags.c.score, tags.c.evidence, tags.c.terms)
            .where(tags.c.article_id.in_(chunk))
            .order_by(tags.c.score.desc(), tags.c.kind, tags.c.label)
        ):
            found[row.article_id].append(Tag(row.kind, row.label, row.score, row.evidence or "",
                                                   tuple(row.terms or ())))
    return found


def _article_columns() -> list[ColumnElement]:
    return [articles.c.id, articles.c.title, articles.c.body, articles.c.url, outlet().label("outlet"),
            filed_at().label("filed_at"), story_of().label("story"), articles.c.duplicate_of_id]


def _articles_by_id(session: Session, ids: Sequence[int]) -> dict[int, dict]:
    if not ids:
        return {}
    rows = session.execute(
        select(*_article_columns()).join(sources, sources.c.id == articles.c.source_id).where(articles.c.id.in_(ids))
    ).all()
    tag_map = _tags_by_article(session, ids)
    return {
        r.id: {"id": r.id, "title": r.title, "body": r.body, "url": r.url, "outlet": r.outlet,
               "filed_at": utc(r.filed_at), "story": r.story, "duplicate_of_id": r.duplicate_of_id,
               "tags": tuple(tag_map[r.id])}
        for r in rows
    }


# --- stories ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoryArticle:
    """An article of a story as its page shows it."""

    id: int
    title: str
    url: str | None
    outlet: str
    filed_at: datetime | None
    duplicate_of_id: int | None
    tags: tuple[Tag, ...]


@dataclass(frozen=True, slots=True)
class Report:
    """An independent report of a story (a primary article) and the other outlets' copies of it (near-duplicates)."""

    article: StoryArticle
    copies: tuple[StoryArticle, ...] = ()


@dataclass(frozen=True, slots=True)
class Story:
    """A story: its lead report (the earliest), then the other independent reports, earliest first."""

    key: str
    lead: Report
    reports: tuple[Report, ...] = field(default_factory=tuple)
    truncated: bool = False

    @property
    def articles(self) -> int:
        return sum(1 + len(r.copies) for r in (self.lead, *self.reports))

    @property
    def outlets(self) -> list[str]:
        """Every outlet that carried the story, in the order they appear on its page."""
        return list(dict.fromkeys(a.outlet for r in (self.lead, *self.reports) for a in (r.article, *r.copies)))


def story(session: Session, key: str) -> Story | None:
    """The story `key` (a story key, or `article:ID` for an article without one), or None where nothing has it."""
    if key.startswith("article:"):
        try:
            root = int(key.removeprefix("article:"))
        except ValueError:
            return None
        where = or_(articles.c.id == root, articles.c.duplicate_of_id == root)
    else:
        where = articles.c.story_key == key
    rows = session.execute(
        select(*_article_columns()).join(sources, sources.c.id == articles.c.source_id).where(where)
        .order_by(filed_at(), articles.c.id).limit(MAX_STORY_ARTICLES + 1)
    ).all()
    if not rows:
        return None
    truncated = len(rows) > MAX_STORY_ARTICLES
    rows = rows[:MAX_STORY_ARTICLES]
    tag_map = _tags_by_article(session, [r.id for r in rows])
    found = [StoryArticle(r.id, r.title, r.url, r.outlet, utc(r.filed_at), r.duplicate_of_id, tuple(tag_map[r.id]))
             for r in rows]
    ids = {a.id for a in found}
    primaries = [a for a in found if a.duplicate_of_id is None or a.duplicate_of_id not in ids]
    copies: dict[int, list[StoryArticle]] = {a.id: [] for a in primaries}
    for a in found:
        if a.duplicate_of_id is not None and a.duplicate_of_id in copies:
            copies[a.duplicate_of_id].append(a)
    reports = [Report(a, tuple(copies[a.id])) for a in primaries]
    return Story(key=key, lead=reports[0], reports=tuple(reports[1:]), truncated=truncated)


# --- trends ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Day:
    """A calendar day in the configured zone as a half-open range of UTC instants."""

    day: date
    start: datetime
    end: datetime


def _day_index(when: ColumnElement[datetime], days: Sequence[Day], lo: int, hi: int) -> ColumnElement[int]:
    """Which of days[lo:hi] `when` falls in, as a balanced CASE (a binary search: log2 of the days comparisons per
    row). The boundaries come from the zone database in Python, so days are right on SQLite (which has no zones)
    and across daylight-saving changes alike."""
    if hi - lo == 1:
        return literal(lo)
    mid = (lo + hi) // 2
    return case((when < days[mid].start, _day_index(when, days, lo, mid)), else_=_day_index(when, days, mid, hi))


@dataclass(frozen=True, slots=True)
class Series:
    """Stories per day for one tag, aligned with the requested days."""

    kind: str
    label: str
    counts: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.counts)


def stories_per_day(session: Session, days: Sequence[Day], *, labels: Sequence[str] = ()) -> list[Series]:
    """For each company and topic tag (only `labels` if given), how many distinct stories had an article filed on
    each of `days` (consecutive). A story counts once a day however many outlets carried it that day. Tags that
    never occur in the range are absent."""
    if not days:
        return []
    when = keys.c.filed_at
    inner = (
        select(tags.c.kind, tags.c.label, _day_index(when, days, 0, len(days)).label("day"), keys.c.story)
        .join(keys, keys.c.article_id == tags.c.article_id)
        .where(when >= days[0].start, when < days[-1].end)
        .distinct()
    )
    if labels:
        inner = inner.where(tags.c.label.in_(list(labels)))
    sub = inner.subquery("d")
    counts: dict[tuple[str, str], list[int]] = {}
    for kind, label, day, n in session.execute(
        select(sub.c.kind, sub.c.label, sub.c.day, func.count()).group_by(sub.c.kind, sub.c.label, sub.c.day)
    ):
        counts.setdefault((kind, label), [0] * len(days))[int(day)] = int(n)
    return [Series(kind, label, tuple(c)) for (kind, label), c in sorted(counts.items())]


@dataclass(frozen=True, slots=True)
class TopStory:
    """A story of a day: its lead article and how widely it was carried that day."""

    key: str
    lead: StoryArticle
    articles: int
    outlets: int


def top_stories(session: Session, start: datetime, end: datetime, *, labels: Sequence[str] = (),
                limit: int = 10) -> list[TopStory]:
    """The stories with an article filed in [start, end) tagged with any of `labels` (any tag if none), the most
    widely carried first (articles that day, then outlets)."""
    when = keys.c.filed_at
    tagged = exists().where(tags.c.article_id == keys.c.article_id)
    if labels:
        tagged = tagged.where(tags.c.label.in_(list(labels)))
    key = keys.c.story
    carried = func.count(func.distinct(func.coalesce(keys.c.publisher, sources.c.name)))
    grouped = session.execute(
        select(key.label("story"), func.count().label("n"), carried.label("outlets"),
               func.min(keys.c.article_id).label("first"))
        .join(sources, sources.c.id == keys.c.source_id)
        .where(when >= utc(start), when < utc(end), tagged)
        .group_by(key)
        .order_by(func.count().desc(), carried.desc(), func.min(keys.c.article_id))
        .limit(limit)
    ).all()
    if not grouped:
        return []
    # The lead shown: the earliest primary article of the story that day (else its earliest article).
    leads: dict[str, int] = {}
    for story_key, article_id in session.execute(
        select(key, keys.c.article_id)
        .where(key.in_([g.story for g in grouped]), when >= utc(start), when < utc(end))
        .order_by(keys.c.grp != keys.c.article_id, when, keys.c.article_id)
    ):
        leads.setdefault(story_key, article_id)
    details = _articles_by_id(session, list(leads.values()))
    out = []
    for g in grouped:
        d = details.get(leads.get(g.story, -1))
        if d is None:
            continue
        lead = StoryArticle(d["id"], d["title"], d["url"], d["outlet"], d["filed_at"], d["duplicate_of_id"],
                            d["tags"])
        out.append(TopStory(key=g.story, lead=lead, articles=int(g.n), outlets=int(g.outlets)))
    return out


def outlets(session: Session, limit: int = 500) -> list[str]:
    """The outlets stored, the most frequent first (for the search form's outlet choices)."""
    name = func.coalesce(keys.c.publisher, sources.c.name)
    return [row[0] for row in session.execute(
        select(name).join(sources, sources.c.id == keys.c.source_id).where(name.is_not(None))
        .group_by(name).order_by(func.count().desc(), name).limit(limit)
    )]


def tag_labels(session: Session) -> list[tuple[str, str]]:
    """The (kind, label) pairs that occur in stored tags."""
    return [(k, lbl) for k, lbl in session.execute(select(tags.c.kind, tags.c.label).distinct()
                                                   .order_by(tags.c.kind, tags.c.label))]


def latest_filed_at(session: Session) -> datetime | None:
    """The newest filed time stored (where a trend's default range ends)."""
    return utc(session.scalar(select(func.max(keys.c.filed_at))))
