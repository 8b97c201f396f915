"""The watchlist schema: per-company aliases and vetoes, per-topic terms with co-occurrence rules.

The vocabulary (which words mean what) lives in the `[watchlist.*]` tables of the configuration file; the mechanism that
applies it lives in `tagging.tagger`. Every model forbids unknown keys so a misspelt key is an error, not a silent no-op.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_word(value: str) -> str:
    if not value.strip():
        raise ValueError("empty word (remove it)")
    if value != value.strip():
        raise ValueError(f"{value!r} has leading or trailing spaces")
    return value


# A word or phrase of the watchlist vocabulary.
Word = Annotated[str, AfterValidator(_check_word)]


def _check_pattern(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"{value!r} is not a valid regular expression: {exc}") from None
    return value


# A regular expression (Python syntax), searched in the context's text.
Pattern = Annotated[str, AfterValidator(_check_pattern)]


class Context(Strict):
    """Words that must (or must not) occur near a hit.

    `scope` is where to look: the hit's sentence, `window` sentences either side of it, the whole article, or `after`:
    the `reach` characters right after the hit (cut at the end of its sentence), where a pattern must match at the
    hit's end (`re.match`) and a word must start inside the reach: the hit's own phrase ("네이버 대표이사 출신",
    "생성형 AI 기반", "챗GPT 출시 이후").
    Each distinct word of `any` found there counts one, each of `patterns` that matches counts one, and an accepted
    mention of `company` counts one; the context holds when the count reaches `min` and none of `unless` is there
    (a past-cut marker "당시" that does not hold where the sentence says "이번"/"올해").
    """

    any: list[Word] = []
    patterns: list[Pattern] = []
    scope: Literal["sentence", "window", "article", "after"] = "sentence"
    window: int = Field(default=1, ge=0, le=5)
    # Characters after the hit that `scope = "after"` looks at.
    reach: int = Field(default=24, ge=1, le=200)
    min: int = Field(default=1, ge=1)
    # A company id: the context also holds where that company has an accepted mention (e.g. Microsoft for ms_dependence).
    company: str | None = None
    # In a company's `veto`: the names the veto applies to (only the ambiguous `MS`); in a topic's `passing`: the terms
    # it applies to (only the broad `생성형 AI` in `생성형 AI 기반`). Empty means all of them.
    names: list[Word] = []
    # Words that, found in the same scope, stop the context from holding.
    unless: list[Word] = []

    @model_validator(mode="after")
    def _min_reachable(self) -> "Context":
        reachable = len(self.any) + len(self.patterns) + (1 if self.company else 0)
        if reachable == 0:
            raise ValueError("a context needs at least one of `any`, `patterns` or `company`")
        if self.min > reachable:
            raise ValueError(f"min={self.min} but only {reachable} word(s), pattern(s) or company can count")
        return self


class CompanyRule(Strict):
    """How a watched company is written, and when a written name is not the company.

    - `aliases`: names of the company itself. Latin names match case-sensitively and only as whole Latin words
      (`KT` not in `SKT`, `KTX`); Hangul names must start and end on a word boundary (`카카오` not in `카카오톡`).
    - `affiliates`: branded affiliates and products that count as the company (`KT클라우드`, `카카오뱅크`).
    - `exclude`: longer names or phrases that contain an alias but mean something else (`KT&G`, `점유율(MS)`,
      `네이버 블로그`); a hit inside one of them is dropped.
    - `veto`: contexts that, when they hold around a hit, drop it (sports coverage, finance meaning of `MS`, a
      former employer in a biography); a context's `names` limits it to those names (only the ambiguous `MS`).
    - `channel`: names that count only where the sentence is not about using them as a channel (`카카오톡` sending
      a message): `channel_veto` lists the words that mark that use; a channel hit is dropped where one is in its
      sentence.
    """

    name: str
    aliases: list[Word] = Field(min_length=1)
    affiliates: list[Word] = []
    exclude: list[Word] = []
    veto: list[Context] = []
    channel: list[Word] = []
    channel_veto: list[Word] = []
    min_mentions: int = Field(default=1, ge=1)


    @model_validator(mode="after")
    def _veto_names_known(self) -> "CompanyRule":
        known = set(self.aliases) | set(self.affiliates) | set(self.channel)
        for i, ctx in enumerate(self.veto):
            unknown = sorted(set(ctx.names) - known)
            if unknown:
                raise ValueError(f"veto[{i}].names {unknown} are not among this company's aliases, affiliates or channel")
        return self


class TermRule(Strict):
    """One way a topic shows up: any of `terms`, provided every `require` context holds and no `veto` does.

    `alone = false` marks supporting terms (a generic `챗봇`): their hits add evidence to a topic that another rule
    already raised, but cannot raise it on their own.
    """

    terms: list[Word] = Field(min_length=1)
    require: list[Context] = []
    veto: list[Context] = []
    alone: bool = True
    # `broad = true` marks the field's general words (`생성형 AI`, a plain `해고` with a headcount): they raise the topic,
    # but salience weighs them apart from the specific ones (`LLM`, `챗GPT`, `희망퇴직`), which a story about the
    # topic names and a passing mention rarely does.
    broad: bool = False



class TopicRule(Strict):
    """A topic: one or more term rules; `exclude` phrases contain a term but do not mean the topic (`금감원`).

    Whether the article is about the topic is decided by its salience score (`tagging.salience`): the topic is tagged
    when the score reaches `min_salience`. `passing` contexts mark a hit as told in passing (a modifier "X 기반", a
    time marker "X 이후", a past event, a ceremony): such a hit still counts as a mention, but not toward aboutness.
    """

    name: str
    rules: list[TermRule] = Field(min_length=1)
    exclude: list[Word] = []
    passing: list[Context] = []
    # The topic's field: words whose density in the article tells a story in the field (`AI`, `인공지능` for llm)
    # from one where a term strays in; a salience feature, never a mention.
    related: list[Word] = []
    min_salience: float = Field(default=0.5, ge=0.0, le=1.0)
    # How many accepted hits (in distinct sentences) the article needs before salience is asked; a hit in the title
    # counts `title_weight`.
    min_hits: int = Field(default=1, ge=1)
    title_weight: int = Field(default=1, ge=1)



class Watchlist(Strict):
    companies: dict[str, CompanyRule]
    topics: dict[str, TopicRule] = {}
    # Vetoes that apply to every company's hits (a former employer in a biography), checked after each one's own.
    company_veto: list[Context] = []

    @model_validator(mode="after")
    def _company_references(self) -> "Watchlist":
        known = set(self.companies)
        for i, ctx in enumerate(self.company_veto):
            if ctx.names:
                raise ValueError(f"company_veto[{i}].names: a veto for every company cannot name names")
            if ctx.company and ctx.company not in known:
                raise ValueError(f"company_veto[{i}].company: unknown company id {ctx.company!r}; known: {sorted(known)}")
        for company_id, company in self.companies.items():
            for i, ctx in enumerate(company.veto):
                if ctx.company and ctx.company not in known:
                    raise ValueError(
                        f"companies.{company_id}.veto[{i}].company: unknown company id {ctx.company!r}; "
                        f"known: {sorted(known)}"
                    )
        for topic_id, topic in self.topics.items():
            terms = {t for rule in topic.rules for t in rule.terms}
            for i, ctx in enumerate(topic.passing):
                unknown_terms = sorted(set(ctx.names) - terms)
                if unknown_terms:
                    raise ValueError(
                        f"topics.{topic_id}.passing[{i}].names {unknown_terms} are not among the topic's terms"
                    )
                if ctx.company and ctx.company not in known:
                    raise ValueError(
                        f"topics.{topic_id}.passing[{i}].company: unknown company id {ctx.company!r}; known: {sorted(known)}"
                    )
            for r, rule in enumerate(topic.rules):
                for field, contexts in (("require", rule.require), ("veto", rule.veto)):
                    for i, ctx in enumerate(contexts):
                        if ctx.company and ctx.company not in known:
                            raise ValueError(
                                f"topics.{topic_id}.rules[{r}].{field}[{i}].company: unknown company id "
                                f"{ctx.company!r}; known: {sorted(known)}"
                            )
        return self
