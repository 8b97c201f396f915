"""Tags articles with watchlist companies and topics: exact matching finds candidates, Kiwi settles the doubtful ones.

How one article is tagged:
1. The text the tagger reads is the title and the body's article lines (`tagging.text`: no footers, subscription
   prompts, photo credits, hashtags or related-article lists).
2. One Aho-Corasick pass over that text finds every watchlist word (aliases, affiliates, exclusions, terms, context
   words). Nothing else looks at the whole text.
3. A hit inside a longer exclusion (`KT&G`, `금감원`, `네이버 블로그`, `점유율(MS)`) is dropped.
4. Word edges. Latin names are case-sensitive and must not touch another Latin letter or digit (`KT` not in `KTX`,
   `SKT`), nor be glued after Hangul (`광화문KT빌딩`, a nickname `하GPT`), nor sit in an address (`pf.kakao.com`).
   A Hangul name glued to Hangul on its right is accepted at once when what follows is a plain particle (`네이버는`,
   `카카오와`); any other glued Hangul edge (`카카오톡`, `감원` in `금감원`) is decided by Kiwi's token boundaries in
   the hit's sentence, each sentence tokenised once.
5. Contexts (vetoes, requirements, channel use) are checked in the hit's sentence, a window of sentences or the
   article. Sentences come from a cheap splitter on sentence-final punctuation (`tagging.text.sentence_spans`),
   computed only for articles that have a hit.
6. A company is tagged on its accepted hits; a topic is a candidate when one accepted hit comes from a rule that may
   stand alone, or a supporting one sits in the title, and is tagged when its salience (`tagging.salience`: where and
   how the mentions occur) reaches the topic's `min_salience`. Each tag keeps its score, the terms that fired and the
   evidence sentence (the first body sentence that fired, else the title).

Kiwi is loaded on first need (`tagging.kiwi.shared_kiwi`), so building a Tagger costs milliseconds and a run with
nothing new to tag never loads it.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import ahocorasick
from kiwipiepy import Kiwi

from newsmon.records import Article, Tag
from tagging.kiwi import add_names, shared_kiwi
from tagging.rules import CompanyRule, Context, TermRule, TopicRule, Watchlist
from tagging.salience import Mention, SalienceModel, features, shipped_model
from tagging.text import article_lines, sentence_spans

# Particles (and the copula) that may follow a name directly: `네이버는`, `카카오와의`, `삼성전자에서`. A name followed
# by one of these and then a non-Hangul character is a whole word without asking Kiwi.
_PARTICLE = re.compile(
    r"(?:은|는|이|가|을|를|의|와|과|도|만|에|에서|에게|에는|에도|에선|으로|로|으로서|로서|과의|와의|에서의|으로의|로의|"
    r"까지|부터|보다|처럼|이나|나|이랑|랑|이며|이고|이다|이었다|였다|측|측은|측이|이란|란|조차|마저|이라는|라는)"
    r"(?![\uac00-\ud7a3])"
)


def _is_latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _in_address(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] is part of a web or mail address (`pf.kakao.com`, `news@kt.com`, `/naver/`)."""
    before = text[start - 2 : start] if start >= 2 else ""
    after = text[end : end + 2]
    return (len(before) == 2 and before[1] in "./@_" and _is_latin(before[0])) or (
        len(after) == 2 and after[0] in "./@_" and _is_latin(after[1])
    )


def _is_hangul(ch: str) -> bool:
    return "\uac00" <= ch <= "\ud7a3" or "\u3131" <= ch <= "\u318e"


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or _is_hangul(ch)


_OPENERS = " \t'\"‘“「『<([{"
_CLOSERS = "'\"’”」』>)]}"
# Delimiters of an enumeration (`A, B, C`, `A·B`, `△A △B`, `A/B`).
_LIST_MARKS = ",·△▲▷/、ㆍ"
# What may follow an item of an enumeration or an example: `A 등`, `A 및 B`, `A나 B`, `A처럼`, `A 같은`.
# `등` may carry a particle (`챗GPT 등을 통해`) and follow one generic noun (`생성형 AI 기술 등`); the first of two
# examples closed by `등` is one too (`챗GPT와 구글 스프레드시트 등 협업 도구`).
_EXAMPLE_AFTER = re.compile(
    r"(?:(?:\s*(?:기술|서비스|도구|툴|솔루션|플랫폼|모델))?\s*등(?:을|를|이|의|에|에서|으로|과|도|은)?(?![\uac00-\ud7a3])"
    r"|\s*및\s|(?:이)?나\s|처럼|\s*같은\s|\s*같이\s"
    r"|(?:와|과)\s+[^\s,.]{1,12}(?:\s[^\s,.]{1,12})?\s+등(?:을|를|이|의|에|에서|으로|과|도|은)?(?![\uac00-\ud7a3]))"
)
# A subject or topic particle right after a term: `LLM은`, `챗GPT가`, `딥시크는`.
_SUBJECT_AFTER = re.compile(r"(?:은|는|이|가)(?![\uac00-\ud7a3])")


def _skip_parenthetical(text: str, pos: int, end: int) -> int:
    """Past the closing quotes and one parenthetical gloss after a term (`비전언어모델(VLM)`, `‘챗GPT’`)."""
    while pos < end and text[pos] in _CLOSERS:
        pos += 1
    if pos < end and text[pos] == "(":
        close = text.find(")", pos, min(end, pos + 40))
        if close != -1:
            pos = close + 1
    while pos < end and text[pos] in _CLOSERS:
        pos += 1
    return pos


# Marks that open an item or a section glued into a line ("▶ 한국콜마, ...", "◇AI가 바꾼 게임의 법칙").
_ITEM_MARKS = "▶▷◇◆■□●○"
# A quotation of someone's words: a double-quoted stretch long enough to be speech, not a name or a title.
_SPEECH = re.compile(r'“[^”]{16,}”|"[^"\n]{16,}"')


def in_speech(text: str, start: int, end: int, sent_start: int, sent_end: int) -> bool:
    """Whether text[start:end] lies inside a quotation of someone's words in its sentence."""
    return any(m.start() < start and end <= m.end() for m in _SPEECH.finditer(text, sent_start, sent_end))


_QUOTE_PAIRS = {"'": "'", "‘": "’", "“": "”", '"': '"', "「": "」", "『": "』", "<": ">", "《": "》"}


def _quoted_item(text: str, start: int, end: int, sent_start: int, sent_end: int) -> tuple[int, int]:
    """The quoted title holding text[start:end] (`'생성형 AI 민원 안내 챗봇'`), else the term itself."""
    for i in range(start - 1, max(sent_start, start - 40) - 1, -1):
        close = _QUOTE_PAIRS.get(text[i])
        if close is None:
            continue
        j = text.find(close, end, min(sent_end, end + 40))
        if j != -1 and text.find(close, i + 1, start) == -1:
            return i, j + 1
        break
    return start, end


def _short_item_before(text: str, comma: int, start: int) -> bool:
    """Whether the text before a comma at `comma` (back to the previous delimiter) is a short noun-like item or a
    quoted title."""
    if comma > start and text[comma - 1] in _CLOSERS:
        return True
    i = comma - 1
    while i >= start and text[i] not in _LIST_MARKS and comma - i <= 24:
        i -= 1
    return text[i + 1 : comma].strip().count(" ") <= 2 and comma - i <= 24


def in_enumeration(text: str, start: int, end: int, sent_start: int, sent_end: int) -> bool:
    """Whether text[start:end] is one item of an enumeration or an example rather than what the sentence says:
    `로보틱스, 비전언어모델(VLM), 3D 비전`, `챗GPT·제미나이`, `△생성형 AI 활용 △운영`, `챗GPT 등`, `챗GPT와 구글
    스프레드시트 등`, `챗GPT처럼`,
    and a quoted title among others (`'하천 조기경보 체계', '생성형 AI 민원 챗봇', ...`)."""
    q0, q1 = _quoted_item(text, start, end, sent_start, sent_end)
    return _listed(text, start, end, sent_start, sent_end) or (
        (q0, q1) != (start, end) and _listed(text, q0, q1, sent_start, sent_end)
    )


def _listed(text: str, start: int, end: int, sent_start: int, sent_end: int) -> bool:
    # The whole word holding the term (`비전언어모델` for `언어모델`).
    w0 = start
    while w0 > sent_start and _is_word_char(text[w0 - 1]):
        w0 -= 1
    before = w0 - 1
    while before >= sent_start and text[before] in _OPENERS:
        before -= 1
    if before >= sent_start and text[before] in _LIST_MARKS:
        if text[before] != "," or _short_item_before(text, before, sent_start):
            return True
    if _EXAMPLE_AFTER.match(text, end, sent_end):
        return True
    after = _skip_parenthetical(text, end, sent_end)
    if _EXAMPLE_AFTER.match(text, after, sent_end):
        return True
    while after < sent_end and text[after] == " ":
        after += 1
    return after < sent_end and text[after] in _LIST_MARKS and text[after] != "/"


def opens_or_subject(text: str, start: int, end: int, sent_start: int, sent_end: int) -> bool:
    """Whether the term is what its sentence is about: it opens the sentence or a subject/topic particle follows."""
    i = sent_start
    while i < start and (text[i] in _OPENERS or text[i] in "[]■◆▲△◇○●-"):
        i += 1
    if i == start:
        return True
    return bool(_SUBJECT_AFTER.match(text, _skip_parenthetical(text, end, sent_end)))


def _distinct(found: list[tuple["_Hit", TermRule]]) -> list[tuple["_Hit", TermRule]]:
    """One mention per place: a hit inside another (`언어모델` in `대규모언어모델`, `파운데이션 모델` overlapping
    `독자 AI 파운데이션`) or a gloss right after one (`대규모언어모델(LLM)`) is the same mention, credited to the
    strongest rule among them (standalone before supporting, specific before broad)."""
    def strength(rule: TermRule) -> tuple[bool, bool]:
        return rule.alone, not rule.broad

    kept: list[tuple[_Hit, TermRule]] = []
    for hit, rule in sorted(found, key=lambda f: (f[0].start, -(f[0].end - f[0].start))):
        if kept and hit.start <= kept[-1][0].end + 1:
            last, last_rule = kept[-1]
            span = _Hit(last.start, max(last.end, hit.end), last.word)
            kept[-1] = (span, rule if strength(rule) > strength(last_rule) else last_rule)
            continue
        kept.append((hit, rule))
    return kept


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int
    end: int
    word: str


@dataclass(slots=True)
class _Doc:
    """One article's text, its raw hits, and its sentences (split on first use)."""

    text: str
    title_end: int
    hits: dict[str, list[_Hit]]
    _spans: list[tuple[int, int]] | None = None
    _starts: list[int] = field(default_factory=list)

    @property
    def spans(self) -> list[tuple[int, int]]:
        if self._spans is None:
            self._spans = sentence_spans(self.text)
            self._starts = [s for s, _ in self._spans]
        return self._spans

    def sentence_index(self, pos: int) -> int:
        spans = self.spans
        return max(0, min(len(spans) - 1, bisect_right(self._starts, pos) - 1))

    def window(self, pos: int, size: int) -> tuple[int, int]:
        """The span from `size` sentences before the one holding `pos` to `size` sentences after it."""
        i = self.sentence_index(pos)
        spans = self.spans
        return spans[max(0, i - size)][0], spans[min(len(spans) - 1, i + size)][1]

    def sentence_text(self, pos: int) -> str:
        s, e = self.spans[self.sentence_index(pos)]
        return self.text[s:e].strip()

    def paragraphs(self, first: int) -> list[int]:
        """The paragraph of each sentence from `first` on: a new one starts at a line break or at an item or section
        mark glued into a line (`▶`, `◇`, `■`...)."""
        out, current = [], 0
        for i, (s, e) in enumerate(self.spans[first:]):
            head = self.text[s:e].lstrip()
            if i and (s == 0 or self.text[s - 1] == "\n" or (head[:1] and head[0] in _ITEM_MARKS)):
                current += 1
            out.append(current)
        return out

    @property
    def title_sentences(self) -> int:
        """How many of the sentences are the title's (the title is the first line)."""
        spans = self.spans
        return bisect_right(self._starts, self.title_end - 1) if self.title_end else 0


@dataclass(frozen=True, slots=True)
class TopicSalience:
    """How a topic occurs in one article: its accepted hits, the mentions salience read from them, the features and
    the score (`tagging.salience`)."""

    hits: list[_Hit]
    # One per mention, aligned with `mentions`: a place may hold several hits (`대규모언어모델(LLM)`).
    places: list[_Hit]
    mentions: list[Mention]
    features: dict[str, float]
    score: float


class Tagger:
    """Tags articles against a watchlist. Build one per watchlist and reuse it; building it does not load Kiwi."""

    def __init__(self, watchlist: Watchlist, kiwi: Kiwi | None = None, salience: SalienceModel | None = None) -> None:
        self.watchlist = watchlist
        self.salience = salience or shipped_model()
        self._kiwi_given = kiwi
        self._kiwi: Kiwi | None = None
        # How much work Kiwi did (sentences tokenised, characters), for the benchmark.
        self.stats: Counter[str] = Counter()
        self._automaton = ahocorasick.Automaton()
        words: set[str] = {w for ctx in watchlist.company_veto for w in (*ctx.any, *ctx.unless)}
        for company in watchlist.companies.values():
            words.update(company.aliases, company.affiliates, company.exclude, company.channel, company.channel_veto)
            for ctx in company.veto:
                words.update(ctx.any, ctx.unless)
        for topic in watchlist.topics.values():
            words.update(topic.exclude)
            words.update(topic.related)
            for ctx in topic.passing:
                words.update(ctx.any, ctx.unless)
            for rule in topic.rules:
                words.update(rule.terms)
                for ctx in (*rule.require, *rule.veto):
                    words.update(ctx.any, ctx.unless)
        for word in words:
            self._automaton.add_word(word, word)
        self._automaton.make_automaton()
        self._patterns: dict[str, re.Pattern[str]] = {}
        # Names with symbols or glued parts must stay whole Kiwi tokens, or their edges would be misjudged.
        self._user_words = sorted(
            {
                w
                for c in watchlist.companies.values()
                for w in (*c.aliases, *c.affiliates, *c.channel, *c.exclude)
                if not (w.isascii() and w.isalnum())
            }
        )
        self._boundaries: dict[str, frozenset[int]] = {}

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
            found = self._salience(doc, topic_id, topic, accepted)
            if found is not None and found.score >= topic.min_salience:
                tags.append(self._topic_tag(doc, topic_id, found))
        return tags

    def topic_salience(self, article: Article) -> dict[str, "TopicSalience"]:
        """For each topic with a standalone mention, its mentions, salience features and score, whether or not the
        score reaches the topic's `min_salience` (what `tag` decides from; the training script reads this)."""
        doc = self._doc(article)
        if doc is None:
            return {}
        accepted = {cid: self._company_hits(doc, c) for cid, c in self.watchlist.companies.items()}
        out = {}
        for topic_id, topic in self.watchlist.topics.items():
            found = self._salience(doc, topic_id, topic, accepted)
            if found is not None:
                out[topic_id] = found
        return out

    def tag_many(self, articles: Iterable[Article]) -> list[list[Tag]]:
        """`tag` for each article, in order; a sentence repeated across the batch is tokenised once."""
        try:
            return [self.tag(article) for article in articles]
        finally:
            self._boundaries.clear()

    @property
    def kiwi_loaded(self) -> bool:
        """Whether this tagger has needed Kiwi yet."""
        return self._kiwi is not None

    @property
    def kiwi(self) -> Kiwi:
        """The Kiwi analyser, loaded (and given the watchlist's names) on first use."""
        if self._kiwi is None:
            kiwi = self._kiwi_given or shared_kiwi()
            add_names(kiwi, self._user_words)
            self._kiwi = kiwi
        return self._kiwi

    # -- text and hits ----------------------------------------------------------------------------------------------

    def _doc(self, article: Article) -> _Doc | None:
        lines = article_lines(article)
        if not lines:
            return None
        text = "\n".join(lines)
        hits: dict[str, list[_Hit]] = defaultdict(list)
        for end, word in self._automaton.iter(text):
            hits[word].append(_Hit(end - len(word) + 1, end + 1, word))
        if not hits:
            return None
        title = article.title.strip() if article.title else ""
        return _Doc(text, len(title) if title else 0, hits)

    def _token_boundaries(self, sentence: str) -> frozenset[int]:
        cached = self._boundaries.get(sentence)
        if cached is None:
            edges: set[int] = set()
            for token in self.kiwi.tokenize(sentence):
                edges.add(token.start)
                edges.add(token.start + token.len)
            cached = frozenset(edges)
            self.stats["kiwi sentences"] += 1
            self.stats["kiwi characters"] += len(sentence)
            if len(self._boundaries) > 100_000:
                self._boundaries.clear()
            self._boundaries[sentence] = cached
        return cached

    def _on_kiwi_boundaries(self, doc: _Doc, hit: _Hit, need_start: bool, need_end: bool) -> bool:
        s, e = doc.spans[doc.sentence_index(hit.start)]
        edges = self._token_boundaries(doc.text[s:e])
        if need_start and hit.start - s not in edges:
            return False
        return not (need_end and hit.end - s not in edges)

    def _on_boundaries(self, doc: _Doc, hit: _Hit, check_end: bool) -> bool:
        text = doc.text
        before = text[hit.start - 1] if hit.start > 0 else " "
        after = text[hit.end] if hit.end < len(text) else " "
        first, last = hit.word[0], hit.word[-1]
        if _is_latin(first) and (_is_latin(before) or _is_hangul(before)):
            return False
        if _is_latin(last) and _is_latin(after):
            return False
        if _is_latin(first) and _in_address(text, hit.start, hit.end):
            return False
        need_start = _is_hangul(first) and _is_hangul(before)
        need_end = check_end and _is_hangul(last) and _is_hangul(after)
        if need_end and not need_start and _PARTICLE.match(text, hit.end):
            need_end = False
        if need_start or need_end:
            return self._on_kiwi_boundaries(doc, hit, need_start, need_end)
        return True

    def _candidates(self, doc: _Doc, words: Iterable[str], exclude: list[str], check_end: bool) -> list[_Hit]:
        masks = [(h.start, h.end) for word in exclude for h in doc.hits.get(word, ())]
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

    def _pattern(self, source: str) -> re.Pattern[str]:
        pattern = self._patterns.get(source)
        if pattern is None:
            pattern = self._patterns[source] = re.compile(source)
        return pattern

    def _holds(self, doc: _Doc, ctx: Context, hit: _Hit, accepted: dict[str, list[_Hit]]) -> bool:
        after = ctx.scope == "after"
        if ctx.scope == "article":
            start, end = 0, len(doc.text)
        elif after:
            start, end = hit.end, min(hit.end + ctx.reach, doc.window(hit.start, 0)[1])
        else:
            start, end = doc.window(hit.start, 0 if ctx.scope == "sentence" else ctx.window)

        def inside(h: _Hit) -> bool:
            if after:
                return start <= h.start < end
            return start <= h.start and h.end <= end and not (h.start == hit.start and h.end == hit.end)

        if any(inside(h) for word in ctx.unless for h in doc.hits.get(word, ())):
            return False
        count = 0
        for word in ctx.any:
            if any(inside(h) for h in doc.hits.get(word, ())):
                count += 1
                if count >= ctx.min:
                    return True
        for source in ctx.patterns:
            pattern = self._pattern(source)
            if (pattern.match if after else pattern.search)(doc.text, start, end):
                count += 1
        if ctx.company and any(inside(h) for h in accepted.get(ctx.company, ())):
            count += 1
        return count >= ctx.min

    # -- companies and topics ---------------------------------------------------------------------------------------

    def _company_hits(self, doc: _Doc, company: CompanyRule) -> list[_Hit]:
        hits = self._candidates(doc, (*company.aliases, *company.affiliates, *company.channel), company.exclude,
                                check_end=True)
        if not hits:
            return hits
        channel = set(company.channel)
        kept = []
        for h in hits:
            if h.word in channel and company.channel_veto:
                s, e = doc.window(h.start, 0)
                if any(s <= v.start and v.end <= e for w in company.channel_veto for v in doc.hits.get(w, ())):
                    continue
            if any((not c.names or h.word in c.names) and self._holds(doc, c, h, {}) for c in company.veto):
                continue
            if any(self._holds(doc, c, h, {}) for c in self.watchlist.company_veto):
                continue
            kept.append(h)
        return kept

    def _topic_hits(self, doc: _Doc, topic: TopicRule, accepted: dict[str, list[_Hit]]) -> list[tuple[_Hit, TermRule]]:
        """Accepted hits of the topic, each with the rule that accepted it."""
        found: list[tuple[_Hit, TermRule]] = []
        for rule in topic.rules:
            for hit in self._candidates(doc, rule.terms, topic.exclude, check_end=False):
                if self._rule_holds(doc, rule, hit, accepted):
                    found.append((hit, rule))
        found.sort(key=lambda f: f[0].start)
        return found

    def _salience(self, doc: _Doc, topic_id: str, topic: TopicRule,
                  accepted: dict[str, list[_Hit]]) -> "TopicSalience | None":
        found = self._topic_hits(doc, topic, accepted)
        # A supporting word cannot raise the topic from the body, but a title is what the article is about
        # ("소프트뱅크, 오픈AI에 400억달러 투자 완료", "中, 정서교류 AI챗봇 감독 강화").
        if not any(rule.alone or h.start < doc.title_end for h, rule in found):
            return None
        hits = [h for h, _ in found]
        if self._weight(doc, hits, topic.title_weight) < topic.min_hits:
            return None
        n_title = doc.title_sentences
        places = _distinct(found)
        mentions = []
        for hit, rule in places:
            index = doc.sentence_index(hit.start)
            s, e = doc.spans[index]
            # A title is what the article is about by definition: only body mentions can be passing.
            passing = index >= n_title and (in_enumeration(doc.text, hit.start, hit.end, s, e) or any(
                (not c.names or hit.word in c.names) and self._holds(doc, c, hit, accepted) for c in topic.passing
            ))
            mentions.append(Mention(
                sentence=index - n_title if index >= n_title else -1,
                term=hit.word,
                standalone=rule.alone,
                broad=rule.broad,
                passing=passing,
                subject=opens_or_subject(doc.text, hit.start, hit.end, s, e),
                quoted=in_speech(doc.text, hit.start, hit.end, s, e),
            ))
        # A supporting word in a sentence whose standalone mentions are all passing ("오픈AI의 챗GPT가 출시된 이후")
        # shares their use.
        background = {m.sentence for m in mentions if m.standalone and m.passing} - {
            m.sentence for m in mentions if m.standalone and not m.passing
        }
        mentions = [replace(m, passing=True) if not m.standalone and m.sentence in background else m for m in mentions]
        field = {max(-1, doc.sentence_index(h.start) - n_title) for w in topic.related for h in doc.hits.get(w, ())}
        feats = features(mentions, len(doc.spans) - n_title, field, doc.paragraphs(n_title))
        score = self.salience.score(topic_id, feats)
        return TopicSalience(hits=hits, places=[h for h, _ in places], mentions=mentions, features=feats, score=score)

    def _rule_holds(self, doc: _Doc, rule: TermRule, hit: _Hit, accepted: dict[str, list[_Hit]]) -> bool:
        if not all(self._holds(doc, c, hit, accepted) for c in rule.require):
            return False
        return not any(self._holds(doc, c, hit, accepted) for c in rule.veto)

    # -- output -----------------------------------------------------------------------------------------------------

    def _weight(self, doc: _Doc, hits: list[_Hit], title_weight: int) -> int:
        """Hits counted once per sentence, a title hit `title_weight` times."""
        sentences = {doc.sentence_index(h.start) for h in hits}
        return len(sentences) + (title_weight - 1 if any(h.start < doc.title_end for h in hits) else 0)

    def _topic_tag(self, doc: _Doc, label: str, found: "TopicSalience") -> Tag:
        """A topic tag: the salience score, the evidence sentence is the first non-passing body mention's (else the
        first body mention's, else the title), the terms are those of the non-passing mentions (else all)."""
        pairs = list(zip(found.places, found.mentions, strict=True))
        real = [(h, m) for h, m in pairs if not m.passing] or pairs
        body = [(h, m) for h, m in real if m.sentence >= 0] or [(h, m) for h, m in pairs if m.sentence >= 0] or real
        evidence = body[0][0]
        spans = [(h.start, h.end) for h, _ in real]
        terms = [h.word for h in found.hits if any(s <= h.start and h.end <= e for s, e in spans)]
        return Tag(
            kind="topic",
            label=label,
            score=round(found.score, 3),
            evidence=doc.sentence_text(evidence.start),
            terms=tuple(dict.fromkeys(terms)),
        )

    def _make_tag(self, doc: _Doc, kind: str, label: str, hits: list[_Hit]) -> Tag:
        body_hits = [h for h in hits if h.start >= doc.title_end]
        evidence_hit = body_hits[0] if body_hits else hits[0]
        weight = self._weight(doc, hits, 2)
        terms = tuple(dict.fromkeys(h.word for h in hits))
        return Tag(
            kind=kind,  # type: ignore[arg-type]
            label=label,
            score=round(1 - 0.5**weight, 3),
            evidence=doc.sentence_text(evidence_hit.start),
            terms=terms,
        )
