"""The watchlist schema: per-company aliases and exclusions, per-topic terms and co-occurrence rules."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CompanyRule(Strict):
    name: str
    aliases: list[str] = Field(min_length=1)
    exclude: list[str] = []


class TopicRule(Strict):
    name: str
    terms: list[str] = Field(min_length=1)
    exclude: list[str] = []


class Watchlist(Strict):
    companies: dict[str, CompanyRule]
    topics: dict[str, TopicRule] = {}
