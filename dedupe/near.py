"""Near-duplicates: MinHash LSH over character shingles finds candidates; numbers, names, leads and titles decide.

Similarity alone cannot tell a wire copy from two articles cut from one template (market reports, photo captions of
different scenes): both share most characters. What differs is what: copies differ in bylines, e-mail addresses, headers
and light rewording, while template siblings differ in the numbers, the names and the scene the lead describes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from datetime import datetime
from typing import Hashable

import numpy as np

from dedupe.features import TextFeatures
from dedupe.settings import DedupeSettings

_SCHEME = "affine32"


_SHINGLE_BASE = np.uint64(1_000_003)


def shingle_hashes(core: str, k: int) -> np.ndarray:
    """32-bit hashes of the character k-grams of `core`, computed over code points with numpy (a
    polynomial hash folded to 32 bits): stable across processes, and no Python call per shingle."""
    h = _polynomial_hashes(core, k)
    return (h ^ (h >> np.uint64(32))) & np.uint64(0xFFFFFFFF)  # repeats are harmless to a minimum


def _polynomial_hashes(text: str, k: int) -> np.ndarray:
    """The 64-bit polynomial hash of each character k-gram of `text` in text order (of all of it when it is shorter
    than k; none when it is empty)."""
    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if len(points) <= k:
        if not len(points):
            return np.empty(0, dtype=np.uint64)
        windows = [points]
        count = 1
    else:
        count = len(points) - k + 1
        windows = [points[i : i + count] for i in range(k)]
    h = np.zeros(count, dtype=np.uint64)
    for window in windows:
        h = h * _SHINGLE_BASE + window  # wraps modulo 2**64, as intended
    return h


def _found(needles: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """Which of `needles` occur in `pool` (sorted, non-empty)."""
    at = np.minimum(np.searchsorted(pool, needles), len(pool) - 1)
    return pool[at] == needles


Permutations = tuple[np.ndarray, np.ndarray]


def permutations(settings: DedupeSettings) -> Permutations:
    """datasketch's affine32 permutations (`a`, `b`) for the settings' seed and number of permutations."""
    # Imported here: datasketch imports scipy (half a second per process), which only the first Signer and Bands of a
    # process need; worker processes get the permutations from their parent instead (ingest.workers).
    from datasketch import MinHash

    a, b = MinHash(num_perm=settings.num_perm, seed=settings.seed, scheme=_SCHEME).permutations
    return a, b


class Signer:
    """Computes MinHash signatures with one fixed set of permutations (built once, shared by every signature; pass
    them in where they were built already)."""

    def __init__(self, settings: DedupeSettings, given: Permutations | None = None) -> None:
        self.settings = settings
        self.permutations = given if given is not None else permutations(settings)

    def hashvalues(self, core: str) -> np.ndarray:
        """The MinHash of `core`'s shingles: what datasketch's affine32 `update_batch` computes (pre-mix, then
        `a * h + b` wrapping at 2**32, minimum per permutation), done in one numpy expression."""
        hashes = shingle_hashes(core, self.settings.shingle).astype(np.uint32)
        if not len(hashes):
            return np.full(self.settings.num_perm, 0xFFFFFFFF, dtype=np.uint32)
        a, b = self.permutations
        # One permutation per row, reduced along the row (contiguous), in place: a fifth less time than the
        # shingles-by-permutations product with its temporary sum.
        values = np.multiply.outer(a, _fmix32(hashes))
        values += b[:, None]
        return values.min(axis=1)


def _fmix32(h: np.ndarray) -> np.ndarray:
    """The MurmurHash3 32-bit finalizer (a bijection that spreads similar inputs), as datasketch applies it."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


# The signature format: bump it whenever shingling, hashing or signing changes, so stored signatures made the old way
# are re-signed at rebuild instead of compared with new ones.
# M2: "(C)" after a name in a caption is no longer cut as a copyright line; M3: agency picture marks ("epaselect
# epa12616531") are no longer in the core.
SIGNATURE_FORMAT = b"M3"


def pack(hashvalues: np.ndarray) -> bytes:
    """The `articles.minhash` column form: the format tag, then the hash values as little-endian unsigned 32-bit ints."""
    return SIGNATURE_FORMAT + np.asarray(hashvalues, dtype="<u4").tobytes()


def unpack(blob: bytes, num_perm: int) -> np.ndarray | None:
    """Hash values from the column, or None when the blob was made another way (format, number of permutations)."""
    tag = len(SIGNATURE_FORMAT)
    if blob[:tag] != SIGNATURE_FORMAT or len(blob) != tag + 4 * num_perm:
        return None
    return np.frombuffer(blob[tag:], dtype="<u4").astype(np.uint32)


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """One article as the index sees it: its signature plus the few features the decision compares."""

    hashvalues: np.ndarray
    size: int
    lead: str
    numbers: np.ndarray  # sorted distinct hashes
    names: np.ndarray
    title_terms: frozenset[str]
    published_at: datetime | None = None
    publisher: str | None = None
    core: str = ""
    people: frozenset[str] = frozenset()
    name_runs: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.uint32))

    @property
    def signature(self) -> bytes:
        return pack(self.hashvalues)


def fingerprint(
    feats: TextFeatures,
    hashvalues: np.ndarray,
    settings: DedupeSettings,
    published_at: datetime | None = None,
    publisher: str | None = None,
) -> Fingerprint:
    return Fingerprint(
        hashvalues=hashvalues,
        size=max(1, len(feats.core) - settings.shingle + 1),
        lead=feats.lead,
        numbers=feats.numbers,
        names=feats.names,
        title_terms=feats.title_terms,
        published_at=published_at,
        publisher=publisher or None,
        core=feats.core,
        people=feats.people,
        name_runs=feats.name_runs,
    )


@dataclass(frozen=True, slots=True)
class DuplicateMatch:
    """The kept copy an article duplicates (`kept` is the index key: a stored id or a provisional batch key) and why."""

    kept: Hashable
    similarity: float
    containment: float
    reason: str
    kept_size: int = 0  # the kept copy's shingle count


@dataclass(frozen=True, slots=True)
class Verdict:
    duplicate: bool
    similarity: float
    containment: float
    reason: str
    # Not a copy, but the same occasion: captions of one ceremony showing other people, or a text sharing a good part
    # of its sentences and all its numbers with the other. Such a pair joins one story.
    same_event: bool = False


# A first sentence is at least this long (shorter "sentences" are headline fragments); tried 50 and 70 as well:
# more article pairs accepted, about a quarter of the gain doubtful, so left here.
FIRST_SENTENCE_MIN = 20
_SENTENCE_END = re.compile(r"(?<!\d)[.!?](?!\d)")


def first_sentence(lead: str, probe: int) -> str:
    """The lead's first sentence (at most `probe` characters): where an article states its news, and where two
    captions cut from one template describe different scenes."""
    end = _SENTENCE_END.search(lead, FIRST_SENTENCE_MIN, probe)
    return lead[: end.end()] if end else lead[:probe]


def lead_containment(a: str, b: str, probe: int, k: int) -> float:
    """How much of one lead's first sentence reappears in the other's lead, the larger of the two ways: a copy keeps
    its first sentence though a header or subtitle may push it back; a template sibling rewrites it."""
    if not a or not b:  # an empty lead has one "k-gram", the empty text, found only in another empty lead
        return float(a == b)
    best = 0.0
    for first, second in ((a, b), (b, a)):
        start, _ = _lead_grams(first, probe, k)
        best = max(best, np.count_nonzero(_found(start, _lead_grams(second, probe, k)[1])) / len(start))
    return best


@lru_cache(maxsize=1024)
def _lead_grams(lead: str, probe: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct k-gram hashes of a lead's first sentence (a prefix of it) and of the whole lead, sorted (a lead
    is compared with many others: its grams are hashed once while it is among the recent ones)."""
    hashes = _polynomial_hashes(lead, k)
    sentence = first_sentence(lead, probe)
    return np.unique(hashes[: max(1, len(sentence) - k + 1)]), np.unique(hashes)


def _agreement(shorter: np.ndarray, longer: np.ndarray) -> float:
    if not len(shorter):
        return 1.0
    return len(np.intersect1d(shorter, longer, assume_unique=True)) / len(shorter)


_SENTENCE_BREAK = re.compile(r"(?<!\d)[.!?](?!\d)")


@lru_cache(maxsize=512)
def _shingles(core: str, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The core's shingle hashes in text order, the same sorted without repeats, and where its sentences end (a new
    article is compared with many candidates, a recent one is a candidate of many: each is cut and hashed once)."""
    hashes = shingle_hashes(core, k).astype(np.uint32)
    ends = [m.end() for m in _SENTENCE_BREAK.finditer(core)]
    if not ends or ends[-1] < len(core):
        ends.append(len(core))
    return hashes, np.unique(hashes), np.array(ends, dtype=np.int64)


def sentence_share(shorter: str, longer: str, settings: DedupeSettings) -> tuple[float, int]:
    """The share of `shorter`'s sentences found in `longer` (a sentence is found when `sentence_found` of its
    shingles occur in `longer`), and how many sentences it has."""
    k = settings.shingle
    hashes, _, ends = _shingles(shorter, k)
    _, pool, _ = _shingles(longer, k)
    if not len(hashes) or not len(pool):
        return 0.0, 0
    starts = np.concatenate(([0], ends[:-1]))
    sentences = ends - starts >= settings.sentence_min
    total = int(np.count_nonzero(sentences))
    if not total:
        return 0.0, 0
    # A sentence's shingles are those starting in it and ending by its end.
    present = np.concatenate(([0], np.cumsum(_found(hashes, pool))))
    first, last = starts[sentences], np.clip(ends[sentences] - k + 1, 0, len(hashes))
    spans = last - first
    held = spans > 0
    counts = present[last[held]] - present[first[held]]
    found = np.count_nonzero(counts / spans[held] >= settings.sentence_found)
    return found / total, total


def compare(new: Fingerprint, old: Fingerprint, settings: DedupeSettings) -> Verdict:
    """Decide whether `new` is a near-duplicate of `old`: similar by characters (Jaccard, containment) or by sentences
    (most of the shorter text's sentences found in the longer), and then what template siblings differ in must agree:
    the numbers, the names, for two short texts the people and places named, and the lead unless most sentences are
    shared. A pair that is no copy may still be of one occasion (`Verdict.same_event`)."""
    similarity = float(np.count_nonzero(new.hashvalues == old.hashvalues)) / len(new.hashvalues)
    small, large = sorted((new.size, old.size))
    containment = min(1.0, similarity / (1.0 + similarity) * (small + large) / small)
    short = large < settings.short_core  # both short: captions, notices (not a feed item cut from an article)
    sentences = _Sentences(new, old, settings, enabled=not short and (
        similarity >= settings.sentence_floor or containment >= settings.sentence_floor_contained))

    def verdict(duplicate: bool, reason: str, same_event: bool = False) -> Verdict:
        measured = f"J={similarity:.2f}, C={containment:.2f}{sentences.described}"
        return Verdict(duplicate, similarity, containment, reason.format(measured=measured), same_event)

    if short:
        by_chars = similarity >= settings.short_similar or containment >= settings.short_contained
    else:
        by_chars = similarity >= settings.similar or containment >= settings.contained
    # Sentences are counted only when characters do not decide (or the lead check fails below): it costs a pass over
    # both texts.
    event_only = False
    if not by_chars and not sentences.shared_most:
        event_only = (similarity >= settings.event_similar or containment >= settings.event_contained
                      or sentences.share >= settings.event_sentences)
        if not event_only:
            return verdict(False, "not similar ({measured})")
    shorter, longer = (new, old) if len(new.numbers) <= len(old.numbers) else (old, new)
    numbers = _agreement(shorter.numbers, longer.numbers)
    if numbers < settings.numbers_shared:  # another day's report, another count: not even one story
        return verdict(False, f"numbers differ ({numbers:.0%} shared; {{measured}})")
    if event_only:
        lead = lead_containment(new.lead, old.lead, settings.lead_probe, settings.shingle)
        return verdict(False, f"not similar enough for a copy ({{measured}}, lead {lead:.0%})",
                       same_event=lead >= settings.event_lead)
    shorter, longer = (new, old) if len(new.names) <= len(old.names) else (old, new)
    missing = len(np.setdiff1d(shorter.names, longer.names, assume_unique=True))
    if short:
        # Captions: another named player or guest in the shot is another picture, whichever caption names more. But
        # names that differ only within one run of capitalised words are one added phrase (the object of the shot,
        # "a Taiwan Air Force Mirage 2000 fighter"; or one person more, as the people rule allows), not two names.
        missing = len(np.setxor1d(new.names, old.names, assume_unique=True))
        allowed = settings.short_names_differ
        if missing > allowed and len(np.setxor1d(new.name_runs, old.name_runs, assume_unique=True)) <= 1:
            missing = allowed
    else:
        allowed = max(settings.names_missing, int(settings.names_missing_share * len(shorter.names)))
    if missing > allowed:
        return verdict(False, f"names differ ({missing} not in the other; {{measured}})", same_event=True)
    if short:
        # Two captions of one shot name the same people, one perhaps one more; another recipient, guest or player
        # is another picture.
        differ = new.people ^ old.people
        if len(differ) > settings.people_differ or (differ and not new.people & old.people):
            return verdict(False, f"people or places differ ({', '.join(sorted(differ))}; {{measured}})",
                           same_event=True)
    lead = lead_containment(new.lead, old.lead, settings.lead_probe, settings.shingle)
    if lead < settings.lead_shared and not sentences.shared_most:
        return verdict(False, f"leads differ ({lead:.0%} shared; {{measured}})", same_event=lead >= settings.event_lead)
    kind = "copy" if similarity >= settings.similar else "contained"
    if not by_chars or lead < settings.lead_shared:
        kind = "sentences shared"
    return verdict(True, f"{kind} ({{measured}}, lead {lead:.0%})")


class _Sentences:
    """The sentence evidence of one comparison, counted on first use."""

    def __init__(self, new: Fingerprint, old: Fingerprint, settings: DedupeSettings, *, enabled: bool) -> None:
        self._pair = (new, old) if new.size <= old.size else (old, new)
        self._settings = settings
        self._enabled = enabled
        self._counted: tuple[float, int] | None = None

    def _count(self) -> tuple[float, int]:
        if self._counted is None:
            shorter, longer = self._pair
            self._counted = sentence_share(shorter.core, longer.core, self._settings) if self._enabled else (0.0, 0)
        return self._counted

    @property
    def share(self) -> float:
        share, count = self._count()
        return share if count >= self._settings.sentence_texts else 0.0

    @property
    def shared_most(self) -> bool:
        return self.share >= self._settings.sentence_shared

    @property
    def described(self) -> str:
        if self._counted is None or not self._counted[1]:
            return ""
        return f", sentences {self._counted[0]:.0%} of {self._counted[1]}"


@dataclass(slots=True, eq=False)
class _Entry:
    fingerprint: Fingerprint
    key: Hashable
    slot: int
    kept: "_Entry | None" = None  # the kept copy this entry duplicates; None when it is one
    story_key: str | None = None
    # On a kept copy: the people its copies name that it does not (a caption of one shot may name one more person;
    # two copies naming two others are pictures of two people).
    added_people: frozenset[str] = frozenset()

    @property
    def root(self) -> "_Entry":
        return self.kept or self


class _Buckets:
    """Int keys to the slots filed under them, a lone slot stored bare: a few dozen bytes per filing, where
    datasketch's MinHashLSH keeps a bytes key and a set per band (about 6 KB per article at 25 bands)."""

    def __init__(self, cap: int | None = None) -> None:
        self._map: dict[int, int | list[int]] = {}
        self._cap = cap  # keep at most this many newest slots per key

    def add(self, key: int, slot: int) -> None:
        held = self._map.get(key)
        if held is None:
            self._map[key] = slot
        elif isinstance(held, list):
            held.append(slot)
            if self._cap is not None and len(held) > self._cap:
                del held[0]
        else:
            self._map[key] = [held, slot]

    def get(self, key: int) -> list[int]:
        held = self._map.get(key)
        if held is None:
            return []
        return held if isinstance(held, list) else [held]

    def remove(self, key: int, slot: int) -> None:
        held = self._map.get(key)
        if held == slot:
            del self._map[key]
        elif isinstance(held, list) and slot in held:
            held.remove(slot)
            if len(held) == 1:
                self._map[key] = held[0]


class Bands:
    """MinHash LSH banding: `b` bands of `r` hash values each (datasketch's optimal split for the threshold); two
    signatures are candidates when any band agrees. A band is reduced to one 64-bit key (random linear combination of
    its values, different per band), so the index holds ints, not byte strings."""

    def __init__(self, threshold: float, num_perm: int, seed: int) -> None:
        from datasketch.lsh import _optimal_param  # imports scipy: see `permutations`

        self.b, self.r = _optimal_param(threshold, num_perm, 0.5, 0.5)
        rng = np.random.default_rng(seed)
        self._mix = rng.integers(1, 2**63, size=(self.b, self.r), dtype=np.uint64) | np.uint64(1)
        self._buckets = _Buckets()

    def keys(self, hashvalues: np.ndarray) -> list[int]:
        rows = hashvalues[: self.b * self.r].astype(np.uint64).reshape(self.b, self.r)
        return (rows * self._mix).sum(axis=1).tolist()  # wraps modulo 2**64, as intended

    def insert(self, slot: int, hashvalues: np.ndarray) -> None:
        for key in self.keys(hashvalues):
            self._buckets.add(key, slot)

    def query(self, hashvalues: np.ndarray) -> set[int]:
        found: set[int] = set()
        for key in self.keys(hashvalues):
            found.update(self._buckets.get(key))
        return found

    def remove(self, slot: int, hashvalues: np.ndarray) -> None:
        for key in self.keys(hashvalues):
            self._buckets.remove(key, slot)


class NearDuplicateIndex:
    """Recent articles' fingerprints under the caller's keys (a stored id, or a provisional key for a batch item).

    LSH and the lead buckets hold internal slot numbers, so a provisional key can become the stored id (`rekey`)
    without touching them, and duplicates point at their kept copy's entry, not at its key."""

    def __init__(self, settings: DedupeSettings | None = None) -> None:
        self.settings = settings or DedupeSettings()
        self._by_key: dict[Hashable, _Entry] = {}
        self._by_slot: dict[int, _Entry] = {}
        self._lead_keys = _Buckets(cap=self.settings.lead_key_bucket)
        self._next_slot = 0
        self._lsh = Bands(self.settings.lsh_threshold, self.settings.num_perm, self.settings.seed)
        s = self.settings
        self._kept_settings = replace(s, similar=s.event_similar, contained=s.event_contained,
                                      short_similar=s.event_similar, short_contained=s.event_contained)

    def __len__(self) -> int:
        return len(self._by_key)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._by_key

    def find(self, fp: Fingerprint) -> DuplicateMatch | None:
        """The kept copy `fp` duplicates (the most similar candidate that passes); None when none does."""
        return self.find_with_event(fp)[0]

    def find_with_event(self, fp: Fingerprint) -> tuple[DuplicateMatch | None, Hashable | None]:
        """The kept copy `fp` duplicates, or else the key of the most similar candidate of the same occasion (its
        story is `fp`'s: `Verdict.same_event`); (None, None) when there is neither."""
        event: Hashable | None = None
        for entry, verdict in self._judged(fp, stop_at_first=False):
            if not verdict.duplicate:
                if verdict.same_event and event is None:
                    event = entry.key
                continue
            root = entry.root
            # A copy of a copy must be a copy of the kept copy too: otherwise captions of one ceremony chain into one
            # group (each differs from the next by one person), and every article of a group is one reader's copy.
            # Against the kept copy, similarity of one occasion is enough (an outlet's re-issue rewords a clause the
            # first version had, a caption of the shoot its object); numbers, names, people and lead are checked.
            if root is not entry and not self._joins_group(fp, root.fingerprint):
                continue
            # A second person more than the kept copy names, in one group, is another picture: a rule for captions
            # (short texts, as in `compare`); in a longer report the names found are not who is in a shot.
            added = fp.people - root.fingerprint.people if fp.size < self.settings.short_core else frozenset()
            if added - root.added_people and len(root.added_people | added) > self.settings.people_differ:
                continue
            return DuplicateMatch(root.key, verdict.similarity, verdict.containment, verdict.reason,
                                  root.fingerprint.size), None
        return None, event

    def _joins_group(self, fp: Fingerprint, kept: Fingerprint) -> bool:
        """Whether a copy of one of `kept`'s copies joins `kept`'s group. Two captions must be copies, by one-occasion
        similarity if they name the same people and places (another shot of one shoot, a re-issue), by copy
        similarity if not (a caption of citizens at a booth is no copy of one naming the official there, though each
        is one clause from a caption between them). Longer texts need only be of one occasion: a wire copy's copy,
        trimmed and edited again, keeps fewer of the kept copy's sentences than of its own source's."""
        short = max(fp.size, kept.size) < self.settings.short_core
        if short and fp.people != kept.people:
            return compare(fp, kept, self.settings).duplicate
        verdict = compare(fp, kept, self._kept_settings)
        return verdict.duplicate or (verdict.same_event and not short)

    def candidates(self, fp: Fingerprint) -> list[tuple[Hashable, Verdict]]:
        """Every candidate (LSH and lead key) close enough for a rule, with the decision's verdict, most similar first
        (reports, tuning)."""
        return [(entry.key, verdict) for entry, verdict in self._judged(fp, stop_at_first=False)]

    def _judged(self, fp: Fingerprint, *, stop_at_first: bool):
        if fp.size < self.settings.min_core:
            return
        slots = self._lsh.query(fp.hashvalues)
        lead_key = self._lead_key(fp)
        if lead_key is not None:
            slots.update(self._lead_keys.get(lead_key))
        if not slots:
            return
        entries = [self._by_slot[s] for s in slots]
        stacked = np.stack([e.fingerprint.hashvalues for e in entries])
        agree = np.count_nonzero(stacked == fp.hashvalues, axis=1)
        # Candidates too far apart for any rule (copy, sentences, one occasion) are dropped here, without a call each.
        jaccard = agree / len(fp.hashvalues)
        sizes = np.array([e.fingerprint.size for e in entries], dtype=np.float64)
        contained = jaccard / (1.0 + jaccard) * (sizes + fp.size) / np.minimum(sizes, fp.size)
        s = self.settings
        worth = (jaccard >= min(s.sentence_floor, s.event_similar, s.short_similar, s.similar)) | (
            contained >= min(s.sentence_floor_contained, s.event_contained, s.short_contained, s.contained))
        for i in np.argsort(-agree, kind="stable")[: self.settings.max_candidates]:
            if not worth[i]:
                continue
            entry = entries[int(i)]
            verdict = compare(fp, entry.fingerprint, self.settings)
            yield entry, verdict
            if stop_at_first and verdict.duplicate:
                return

    def add(
        self, key: Hashable, fp: Fingerprint, *, kept: Hashable | None = None, story_key: str | None = None
    ) -> None:
        """Index `fp` under `key`; `kept` is the kept copy's key when `fp` is its duplicate (it must be indexed)."""
        if key in self._by_key:
            raise ValueError(f"near-duplicate index: key {key!r} is already indexed")
        root = self._by_key[kept].root if kept is not None and kept in self._by_key else None
        entry = _Entry(fp, key, self._next_slot, root, story_key)
        if root is not None and fp.size < self.settings.short_core and fp.people - root.fingerprint.people:
            root.added_people |= fp.people - root.fingerprint.people
        self._next_slot += 1
        self._by_key[key] = entry
        self._by_slot[entry.slot] = entry
        if fp.size >= self.settings.min_core:
            self._lsh.insert(entry.slot, fp.hashvalues)
        lead_key = self._lead_key(fp)
        if lead_key is not None:
            self._lead_keys.add(lead_key, entry.slot)

    def remove_many(self, keys: list[Hashable]) -> None:
        """Drop entries; duplicates of a dropped kept copy become kept copies themselves."""
        gone: set[int] = set()
        for key in keys:
            entry = self._by_key.pop(key)
            del self._by_slot[entry.slot]
            if entry.fingerprint.size >= self.settings.min_core:
                self._lsh.remove(entry.slot, entry.fingerprint.hashvalues)
            gone.add(entry.slot)
            lead_key = self._lead_key(entry.fingerprint)
            if lead_key is not None:
                self._lead_keys.remove(lead_key, entry.slot)
        for other in self._by_key.values():
            if other.kept is not None and other.kept.slot in gone:
                other.kept = None

    def rekey(self, old: Hashable, new: Hashable) -> None:
        """Give an entry its stored id in place of a provisional key; duplicates pointing at it follow."""
        if new in self._by_key:
            raise ValueError(f"near-duplicate index: key {new!r} is already indexed")
        entry = self._by_key.pop(old)
        entry.key = new
        self._by_key[new] = entry

    def story_of(self, key: Hashable) -> str | None:
        return self._by_key[key].story_key

    def evict_before(self, cutoff: datetime) -> int:
        """Drop entries published before `cutoff` (entries with no time stay); returns how many went."""
        old = [k for k, e in self._by_key.items()
               if e.fingerprint.published_at is not None and e.fingerprint.published_at < cutoff]
        self.remove_many(old)
        return len(old)

    def _lead_key(self, fp: Fingerprint) -> int | None:
        """Articles whose leads start alike are candidates too (a truncated feed item may share little else)."""
        if len(fp.lead) < self.settings.lead_key_chars:
            return None
        return hash(fp.lead[: self.settings.lead_key_chars])
