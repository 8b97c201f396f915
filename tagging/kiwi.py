"""The process-wide Kiwi analyser: loaded once (2-3 s, ~0.5 GB), shared by every tagger in the process."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from functools import lru_cache

from kiwipiepy import Kiwi

_lock = threading.Lock()
# Names already registered, per Kiwi instance (a test may pass its own).
_added: dict[int, set[str]] = {}


@lru_cache(maxsize=1)
def shared_kiwi() -> Kiwi:
    """The one Kiwi instance of this process (created on first use; call early to warm it)."""
    kiwi = Kiwi(num_workers=1)
    # A first analysis pays the model's lazy initialisation here rather than inside the first tagging call.
    kiwi.tokenize("KT는 마이크로소프트와 협력한다.")
    return kiwi


def add_names(kiwi: Kiwi, names: Iterable[str]) -> None:
    """Register names (`KT&G`, `GPT-4o`, `LGU+`, `네이버웹툰`) as proper nouns so Kiwi keeps each one a single token.

    Names with spaces cannot be user words and are skipped; adding a name twice is harmless.
    """
    with _lock:
        added = _added.setdefault(id(kiwi), set())
        for name in names:
            if " " in name or name in added:
                continue
            added.add(name)
            kiwi.add_user_word(name, "NNP")
