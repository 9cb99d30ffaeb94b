"""The language of an article, by py3langid (a small n-gram model shipped inside the package)."""

from __future__ import annotations

from functools import cache
from typing import Any

DEFAULT_LANGUAGE = "en"
# Below this many letters the n-gram statistics are noise; such texts get DEFAULT_LANGUAGE.
MIN_LETTERS = 20
# The opening of an article tells its language as well as the whole does, at a fraction of the cost (the n-gram
# count is linear in the text and was the largest step after NER).
SAMPLE_CHARS = 2000


def detect_language(text: str) -> str:
    """ISO 639-1 code of ``text``'s language; ``DEFAULT_LANGUAGE`` when the text is too short to tell.

    The schema requires a two-letter code on every article, hence a default rather than "und".
    """
    sample = text[:SAMPLE_CHARS]
    if sum(ch.isalpha() for ch in sample) < MIN_LETTERS:
        return DEFAULT_LANGUAGE
    code, _score = _identifier().classify(sample)
    return str(code) if len(str(code)) == 2 else DEFAULT_LANGUAGE


@cache
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=False)
