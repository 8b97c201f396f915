"""Whether an article is about a topic: salience features of the topic's accepted hits and the linear model that scores them.

A topic's terms occur in many articles that are not about it: one item of a list of trends, the tool a product is
"based on", a time marker ("챗GPT 이후"), a past cut told as background. The tagger first decides which hits are real
mentions of the topic (`tagging.tagger`: exclusions, word edges, contexts); this module then measures how central
those mentions are to the article and turns that into a probability-like score with a small logistic model trained
from the labelled sets (`bench/train_salience.py` writes `tagging/salience_weights.py`).

Features (all in [0, 1] or small counts, so the weights read directly):
- `title`: a hit in the title that is not passing;
- `lead`: a hit in the first `LEAD_SENTENCES` body sentences that is not passing;
- `sentences`: log2(1 + body sentences with a standalone hit that is not passing);
- `specific`: log2(1 + body sentences with a standalone, non-passing hit of a specific (not `broad`) term);
- `share`: body sentences with a non-passing hit / body sentences (a short caption about the topic scores high);
- `support`: log2(1 + body sentences with only supporting hits, e.g. `챗봇`, `오픈AI`);
- `passing`: share of the hit sentences whose every hit is passing (the topic's `passing` contexts: a modifier, a time
  marker, a past event, a ceremony) or an item of an enumeration (`A, B, C`, `A·B`, `△A △B`, `A 등`);
- `terms`: log2(1 + distinct terms that fired);
- `late`: where the first non-passing body hit sits, 0 (first sentence) to 1 (last; also when there is none);
- `subject`: a non-passing standalone hit that is what its sentence is about (it opens the sentence, or a
  subject/topic particle follows it: `LLM은`, `챗GPT가`);
- `field`: share of body sentences with one of the topic's `related` words (an AI story that names an LLM once is
  about it more often than a pension story that does);
- `field_title`: a `related` word in the title;
- `paragraph`: the largest share of a paragraph's sentences (paragraphs of two or more body sentences) that hold a
  non-passing mention: a roundup item or a section about the topic scores high in a long article about other things;
- `para_lead`: a non-passing standalone mention opens a paragraph or an item (`▶`, `◇`) after the lead: a section
  about the topic, not a clause in one;
- `quoted`: share of the sentences with a non-passing standalone mention where every such mention sits inside a
  quotation of someone's words (a source naming the topic as an example, not the article's statement);
- `focus`: body sentences with a non-passing mention / body sentences with a `related` word (at most 1): within its
  field, whether the article talks about the topic or about the field at large (an AI-chip story says `AI` in
  every sentence and `LLM` in one).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

FEATURES = ("title", "lead", "sentences", "specific", "share", "support", "passing", "terms", "late", "subject",
            "field", "field_title", "paragraph", "para_lead", "quoted", "focus")
LEAD_SENTENCES = 3


@dataclass(frozen=True, slots=True)
class Mention:
    """One accepted hit of a topic, as salience sees it."""

    sentence: int          # index among the body sentences; -1 for the title
    term: str
    standalone: bool       # from a rule that may raise the topic alone (not a supporting term)
    passing: bool          # a passing use: a passing context holds, or the hit is one item of an enumeration
    broad: bool            # from a rule of the field's general words (`broad = true`)
    subject: bool          # the hit opens its sentence or carries a subject/topic particle
    quoted: bool = False   # the hit sits inside a quotation of someone's words


def features(mentions: Sequence[Mention], body_sentences: int, field_sentences: set[int],
             paragraph_of: Sequence[int] = ()) -> dict[str, float]:
    """The salience features of one topic's mentions in an article with `body_sentences` body sentences, of which
    `field_sentences` (indices, -1 for the title) hold a related word; `paragraph_of[i]` is the paragraph of body
    sentence i (all one paragraph when not given)."""
    n = max(1, body_sentences)
    paragraph_of = list(paragraph_of) or [0] * n
    real = [m for m in mentions if not m.passing]
    body_real = [m for m in real if m.sentence >= 0]
    standalone_sentences = {m.sentence for m in body_real if m.standalone}
    real_sentences = {m.sentence for m in body_real}
    all_sentences = {m.sentence for m in mentions}
    support_only = {m.sentence for m in mentions if m.sentence >= 0} - {
        m.sentence for m in mentions if m.standalone and m.sentence >= 0
    }
    passing_sentences = all_sentences - {m.sentence for m in real}
    first = min(real_sentences) if real_sentences else n
    sizes: dict[int, int] = {}
    for p in paragraph_of:
        sizes[p] = sizes.get(p, 0) + 1
    with_mention: dict[int, int] = {}
    for i in real_sentences:
        p = paragraph_of[i] if i < len(paragraph_of) else -1
        with_mention[p] = with_mention.get(p, 0) + 1
    paragraph = max((k / sizes[p] for p, k in with_mention.items() if sizes.get(p, 0) >= 2), default=0.0)
    opens = {i for i in range(1, len(paragraph_of)) if paragraph_of[i] != paragraph_of[i - 1]}
    standalone_real = [m for m in body_real if m.standalone]
    quoted_sentences = {m.sentence for m in standalone_real} - {m.sentence for m in standalone_real if not m.quoted}
    return {
        "title": float(any(m.sentence < 0 for m in real)),
        "lead": float(any(m.sentence < LEAD_SENTENCES for m in body_real)),
        "sentences": math.log2(1 + len(standalone_sentences)),
        "specific": math.log2(1 + len({m.sentence for m in body_real if m.standalone and not m.broad})),
        "share": len(real_sentences) / n,
        "support": math.log2(1 + len(support_only)),
        "passing": len(passing_sentences) / max(1, len(all_sentences)),
        "terms": math.log2(1 + len({m.term for m in mentions})),
        "late": min(1.0, first / n),
        "subject": float(any(m.subject and m.standalone for m in real)),
        "field": len([i for i in field_sentences if i >= 0]) / n,
        "field_title": float(-1 in field_sentences),
        "paragraph": paragraph,
        "para_lead": float(any(m.sentence in opens and m.sentence >= LEAD_SENTENCES for m in standalone_real)),
        "quoted": len(quoted_sentences) / max(1, len(standalone_sentences)),
        "focus": min(1.0, len(real_sentences) / max(1, len([i for i in field_sentences if i >= 0]))),
    }


@dataclass(frozen=True)
class SalienceModel:
    """Logistic regression over `FEATURES`: one weight vector shared by all topics, one intercept per topic.

    Topics the model was not trained on use `default_bias`. Scores are probabilities that the labelled sets would
    call the article about the topic (calibrated on them, so 0.5 is the even point)."""

    weights: Mapping[str, float]
    biases: Mapping[str, float]
    default_bias: float

    @classmethod
    def from_dict(cls, data: Mapping) -> "SalienceModel":
        unknown = set(data["weights"]) - set(FEATURES)
        if unknown:
            raise ValueError(f"salience model has unknown features {sorted(unknown)}; known: {FEATURES}")
        return cls(dict(data["weights"]), dict(data["biases"]), float(data["default_bias"]))

    def score(self, topic: str, feats: Mapping[str, float]) -> float:
        z = self.biases.get(topic, self.default_bias) + sum(self.weights.get(k, 0.0) * v for k, v in feats.items())
        return 1.0 / (1.0 + math.exp(-z))


def shipped_model() -> SalienceModel:
    """The model trained from the shared labels (`tagging/salience_weights.py`)."""
    from tagging.salience_weights import MODEL

    return SalienceModel.from_dict(MODEL)
