"""The one place the dedupe thresholds live: MinHash shape, what makes a near-duplicate, what joins a story."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DedupeSettings:
    # MinHash over character shingles of the whitespace-free core text. Changing num_perm, shingle or seed makes
    # stored signatures incomparable: stored rows are then re-signed from their bodies at rebuild (for num_perm; for
    # shingle or seed, bump dedupe.near.SIGNATURE_FORMAT too).
    num_perm: int = 128
    shingle: int = 5
    seed: int = 1
    # LSH candidate threshold on estimated Jaccard (25 bands x 5 rows for 128 permutations).
    lsh_threshold: float = 0.3
    # A candidate is similar enough when its Jaccard reaches `similar`, or when the shorter text is contained in the
    # longer one to `contained` (a feed item carrying the first part of an article).
    similar: float = 0.5
    contained: float = 0.8
    # Articles whose leads start with the same `lead_key_chars` characters are candidates too (truncations), at most
    # `lead_key_bucket` of the newest per key.
    lead_key_chars: int = 40
    lead_key_bucket: int = 32
    # Cores shorter than this (an empty body, a one-line flash) carry no signal for MinHash: exact dedupe only.
    min_core: int = 20
    # Sentence-level evidence: the share of the shorter text's sentences (of at least `sentence_min` characters) found
    # in the longer one, a sentence being found when `sentence_found` of its shingles are (light edits keep most of
    # them). A press release reproduced by two outlets, or a wire copy cut to half, shares most sentences at a Jaccard
    # of 0.3-0.6. Judged for texts of at least `sentence_texts` sentences, on candidates with a Jaccard of at least
    # `sentence_floor` or a containment of at least `sentence_floor_contained`.
    sentence_shared: float = 0.6
    sentence_found: float = 0.6
    sentence_min: int = 15
    sentence_texts: int = 3
    sentence_floor: float = 0.2
    sentence_floor_contained: float = 0.4
    # The decision, on what template siblings differ in: the shorter text's numbers must appear in the longer to
    # `numbers_shared`; at most `names_missing` of its Latin-letter names may be absent from the longer (players in
    # two captions of one match), or `names_missing_share` of them for long texts; and, for texts that are similar
    # by their characters rather than their sentences, one lead's first sentence (at most `lead_probe` characters)
    # must reappear in the other's lead to `lead_shared` (5-character shingle containment).
    numbers_shared: float = 0.8
    names_missing: int = 1
    names_missing_share: float = 0.2
    lead_probe: int = 150
    lead_shared: float = 0.6
    # Two short texts (both under `short_core` core characters: captions, one-paragraph notices) are similar at a
    # Jaccard of `short_similar` or a containment of `short_contained` (two captions of one shot differ by a clause),
    # but then the people and places they name may differ by at most `people_differ` (one more person in the shot;
    # not if they share nobody, and a group of copies may add no more than that to its kept copy), and their
    # Latin-letter names by at most `short_names_differ` either way (a capitalised word opening a sentence, "People
    # participate" / "Participants form", counts as a name: so two).
    short_core: int = 300
    short_similar: float = 0.45
    short_contained: float = 0.7
    people_differ: int = 1
    short_names_differ: int = 2
    # Not copies, but one occasion (their pair joins one story): captions of one ceremony showing other people
    # (similar but for the people or names), or texts similar to a Jaccard of `event_similar`, a containment of
    # `event_contained` or `event_sentences` of the shorter's sentences, with all their numbers shared and one first
    # sentence found in the other's lead to `event_lead`.
    event_similar: float = 0.3
    event_contained: float = 0.55
    event_sentences: float = 0.3
    event_lead: float = 0.4
    # Candidates examined per query, most similar first.
    max_candidates: int = 30
    # Stories: articles published within `story_window_hours` that share at least `story_min_shared` title terms,
    # whose title terms overlap to `story_title_overlap` and title and lead terms to `story_overlap` (idf-weighted,
    # over the smaller side) join one story.
    story_window_hours: float = 36.0
    story_title_overlap: float = 0.5
    story_overlap: float = 0.2
    story_min_shared: int = 2
    # A term in more than this fraction of indexed articles, or in more than `story_max_postings` of them, does not
    # count for finding a story (a posting list keeps that many newest articles).
    story_max_df: float = 0.02
    story_max_postings: int = 100
    # A process indexes the articles published or stored within the last `index_days` (rebuilt from the database on
    # first use); older articles are neither near-duplicate nor story candidates.
    index_days: float = 3.0
    # A near-duplicate with this many times its kept copy's text (the full article after a truncated feed item) is
    # tagged itself; other near-duplicates carry their kept copy's tags.
    fuller_ratio: float = 1.5
