"""Tags articles with watchlist companies and topics: exact matching finds candidates, Kiwi settles the doubtful ones.

How one article is tagged:
1. One Aho-Corasick pass over title and body finds every watchlist word (aliases, exclusions, terms, context words).
2. A hit inside an exclusion (`KT&G`, `금감원`, `네이버 블로그`) is dropped. Latin names are checked against Latin word
   boundaries by looking at the neighbouring characters; a Hangul hit glued to other Hangul is checked against Kiwi's
   token boundaries, so `감원` inside `금감원` or `카카오` inside `카카오톡` does not count.
3. Vetoes and requirements (`Context`) are checked in the hit's sentence, a window of sentences, or the article.
   Sentences come from Kiwi, and only lines that hold a hit needing a sentence are analysed, each line once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import ahocorasick
from kiwipiepy import Kiwi

from newsmon.records import Article, Tag
from tagging.kiwi import add_names, shared_kiwi
from tagging.rules import CompanyRule, Context, TermRule, TopicRule, Watchlist
from tagging.text import article_lines


def _is_latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _is_hangul(ch: str) -> bool:
    return "\uac00" <= ch <= "\ud7a3" or "\u3131" <= ch <= "\u318e"


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int
    end: int
    word: str


@dataclass(slots=True)
class _Line:
    """A line's Kiwi analysis: its sentences (absolute offsets) and the token boundaries inside it."""

    sentences: list[tuple[int, int]]
    boundaries: set[int]


@dataclass(slots=True)
class _Doc:
    """One article's text, its hits, and the lazily computed Kiwi analyses of its lines."""

    text: str
    line_starts: list[int]
    hits: dict[str, list[_Hit]]
    analyse: "callable"
    lines: dict[int, _Line] = field(default_factory=dict)

    def line_of(self, pos: int) -> int:
        lo, hi = 0, len(self.line_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.line_starts[mid] <= pos:
                lo = mid
            else:
                hi = mid - 1
        return lo

    def line_span(self, n: int) -> tuple[int, int]:
        start = self.line_starts[n]
        end = self.line_starts[n + 1] - 1 if n + 1 < len(self.line_starts) else len(self.text)
        return start, end

    def analysis(self, n: int) -> _Line:
        line = self.lines.get(n)
        if line is None:
            start, end = self.line_span(n)
            sentences, boundaries = self.analyse(self.text[start:end])
            line = _Line([(start + s, start + e) for s, e in sentences], {start + b for b in boundaries})
            self.lines[n] = line
        return line

    def sentence_index(self, pos: int) -> tuple[int, int]:
        """(line number, sentence number within the line) of the sentence holding `pos`."""
        n = self.line_of(pos)
        sentences = self.analysis(n).sentences
        for i, (s, e) in enumerate(sentences):
            if pos < e:
                return n, i
        return n, len(sentences) - 1

    def window(self, pos: int, size: int) -> list[tuple[int, int]]:
        """The spans of the sentence holding `pos` and of `size` sentences either side (across lines)."""
        n, i = self.sentence_index(pos)
        before: list[tuple[int, int]] = self.analysis(n).sentences[max(0, i - size) : i]
        m = n - 1
        while len(before) < size and m >= 0:
            before = self.analysis(m).sentences[-(size - len(before)) :] + before
            m -= 1
        after: list[tuple[int, int]] = self.analysis(n).sentences[i + 1 : i + 1 + size]
        m = n + 1
        while len(after) < size and m < len(self.line_starts):
            after = after + self.analysis(m).sentences[: size - len(after)]
            m += 1
        return before + [self.analysis(n).sentences[i]] + after

    def sentence_text(self, pos: int) -> str:
        n, i = self.sentence_index(pos)
        s, e = self.analysis(n).sentences[i]
        return self.text[s:e].strip()


class Tagger:
    """Tags articles against a watchlist. Build one per watchlist and reuse it; it is cheap to call."""

    def __init__(self, watchlist: Watchlist, kiwi: Kiwi | None = None) -> None:
        self.watchlist = watchlist
        self._kiwi = kiwi or shared_kiwi()
        self._automaton = ahocorasick.Automaton()
        words: set[str] = set()
        for company in watchlist.companies.values():
            words.update(company.aliases, company.affiliates, company.exclude)
            for ctx in company.veto:
                words.update(ctx.any)
        for topic in watchlist.topics.values():
            words.update(topic.exclude)
            for rule in topic.rules:
                words.update(rule.terms)
                for ctx in (*rule.require, *rule.veto):
                    words.update(ctx.any)
        for word in words:
            self._automaton.add_word(word, word)
        self._automaton.make_automaton()
        # Names with symbols or glued affixes must stay whole tokens, or their boundaries would be misjudged.
        add_names(
            self._kiwi,
            [
                w
                for c in watchlist.companies.values()
                for w in (*c.aliases, *c.affiliates, *c.exclude)
                if not w.isascii() or not w.isalnum()
            ],
        )
        self._cache: dict[str, tuple[list[tuple[int, int]], set[int]]] = {}

    # -- public surface -------------------------------------------------------------------------------------------

    def tag(self, article: Article) -> list[Tag]:
        """The companies and topics the article refers to, companies first, each with its evidence sentence."""
        doc = self._doc(article)
        if doc is None:
            return []
        tags: list[Tag] = []
        accepted: dict[str, list[_Hit]] = {}
        for company_id, company in self.watchlist.companies.items():
            hits = self._company_hits(doc, company)
            accepted[company_id] = hits
            if len(hits) >= company.min_mentions:
                tags.append(self._make_tag(doc, "company", company_id, hits))
        for topic_id, topic in self.watchlist.topics.items():
            hits = self._topic_hits(doc, topic, accepted)
            weight = self._weight(doc, hits, topic.title_weight)
            if hits and weight >= topic.min_hits:
                tags.append(self._make_tag(doc, "topic", topic_id, hits))
        return tags

    def tag_many(self, articles: Iterable[Article]) -> list[list[Tag]]:
        """`tag` for each article, in order; lines repeated across the batch are analysed once."""
        try:
            return [self.tag(article) for article in articles]
        finally:
            self._cache.clear()

    # -- text and hits ----------------------------------------------------------------------------------------------

    def _doc(self, article: Article) -> _Doc | None:
        lines = article_lines(article)
        text = "\n".join(lines)
        hits: dict[str, list[_Hit]] = defaultdict(list)
        for end, word in self._automaton.iter(text):
            hits[word].append(_Hit(end - len(word) + 1, end + 1, word))
        if not hits:
            return None
        starts, pos = [], 0
        for line in lines:
            starts.append(pos)
            pos += len(line) + 1
        return _Doc(text, starts, hits, self._analyse)

    def _analyse(self, line: str) -> tuple[list[tuple[int, int]], set[int]]:
        cached = self._cache.get(line)
        if cached is None:
            sentences, boundaries = [], set()
            for sent in self._kiwi.split_into_sents(line, return_tokens=True):
                sentences.append((sent.start, sent.end))
                for token in sent.tokens:
                    boundaries.add(token.start)
                    boundaries.add(token.start + token.len)
            cached = (sentences or [(0, len(line))], boundaries)
            if len(self._cache) > 50_000:
                self._cache.clear()
            self._cache[line] = cached
        return cached

    def _masked(self, doc: _Doc, exclude: list[str]) -> list[tuple[int, int]]:
        return [(h.start, h.end) for word in exclude for h in doc.hits.get(word, ())]

    def _on_boundaries(self, doc: _Doc, hit: _Hit, check_end: bool) -> bool:
        text = doc.text
        before = text[hit.start - 1] if hit.start > 0 else " "
        after = text[hit.end] if hit.end < len(text) else " "
        first, last = hit.word[0], hit.word[-1]
        if _is_latin(first) and _is_latin(before):
            return False
        if check_end and _is_latin(last) and _is_latin(after):
            return False
        need_start = _is_hangul(first) and _is_hangul(before)
        need_end = check_end and _is_hangul(last) and _is_hangul(after)
        if need_start or need_end:
            boundaries = doc.analysis(doc.line_of(hit.start)).boundaries
            if need_start and hit.start not in boundaries:
                return False
            if need_end and hit.end not in boundaries:
                return False
        return True

    def _candidates(self, doc: _Doc, words: Iterable[str], exclude: list[str], check_end: bool) -> list[_Hit]:
        masks = self._masked(doc, exclude)
        found = []
        for word in words:
            for hit in doc.hits.get(word, ()):
                if any(ms <= hit.start and hit.end <= me and (me - ms) > (hit.end - hit.start) for ms, me in masks):
                    continue
                if self._on_boundaries(doc, hit, check_end):
                    found.append(hit)
        found.sort(key=lambda h: h.start)
        return found

    # -- contexts ---------------------------------------------------------------------------------------------------

    def _holds(self, doc: _Doc, ctx: Context, hit: _Hit, accepted: dict[str, list[_Hit]]) -> bool:
        if ctx.scope == "article":
            spans = [(0, len(doc.text))]
        elif ctx.scope == "sentence":
            spans = doc.window(hit.start, 0)
        else:
            spans = doc.window(hit.start, ctx.window)

        def inside(h: _Hit) -> bool:
            return any(s <= h.start and h.end <= e for s, e in spans) and not (h.start == hit.start and h.end == hit.end)

        count = sum(1 for word in ctx.any if any(inside(h) for h in doc.hits.get(word, ())))
        if ctx.company and any(inside(h) for h in accepted.get(ctx.company, ())):
            count += 1
        return count >= ctx.min

    # -- companies and topics ---------------------------------------------------------------------------------------

    def _company_hits(self, doc: _Doc, company: CompanyRule) -> list[_Hit]:
        hits = self._candidates(doc, (*company.aliases, *company.affiliates), company.exclude, check_end=True)
        if not company.veto:
            return hits
        vetoable = set(company.veto_aliases)
        return [
            h
            for h in hits
            if (vetoable and h.word not in vetoable) or not any(self._holds(doc, c, h, {}) for c in company.veto)
        ]

    def _topic_hits(self, doc: _Doc, topic: TopicRule, accepted: dict[str, list[_Hit]]) -> list[_Hit]:
        found: list[_Hit] = []
        for rule in topic.rules:
            for hit in self._candidates(doc, rule.terms, topic.exclude, check_end=False):
                if self._rule_holds(doc, rule, hit, accepted):
                    found.append(hit)
        found.sort(key=lambda h: h.start)
        return found

    def _rule_holds(self, doc: _Doc, rule: TermRule, hit: _Hit, accepted: dict[str, list[_Hit]]) -> bool:
        if not all(self._holds(doc, c, hit, accepted) for c in rule.require):
            return False
        return not any(self._holds(doc, c, hit, accepted) for c in rule.veto)

    # -- output -----------------------------------------------------------------------------------------------------

    def _weight(self, doc: _Doc, hits: list[_Hit], title_weight: int) -> int:
        """Hits counted once per sentence (lines stand in for sentences here), title hits `title_weight` times."""
        title_end = doc.line_starts[1] if len(doc.line_starts) > 1 else len(doc.text)
        lines = {doc.line_of(h.start) for h in hits}
        return len(lines) + (title_weight - 1 if any(h.start < title_end for h in hits) else 0)

    def _make_tag(self, doc: _Doc, kind: str, label: str, hits: list[_Hit]) -> Tag:
        title_end = doc.line_starts[1] if len(doc.line_starts) > 1 else len(doc.text)
        body_hits = [h for h in hits if h.start >= title_end]
        evidence_hit = body_hits[0] if body_hits else hits[0]
        weight = len(hits) + sum(1 for h in hits if h.start < title_end)
        terms = tuple(dict.fromkeys(h.word for h in hits))
        return Tag(
            kind=kind,  # type: ignore[arg-type]
            label=label,
            score=round(1 - 0.5**weight, 3),
            evidence=doc.sentence_text(evidence_hit.start),
            terms=terms,
        )


def tag_article(tagger: Tagger, article: Article) -> list[Tag]:
    """The tags of one article (a plain function for pipelines that pass the tagger in)."""
    return tagger.tag(article)
