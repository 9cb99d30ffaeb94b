"""All-caps lines (headlines, datelines, agate tables) case-normalised for the NER model, offsets kept 1:1.

The model learnt names from their capitals, so "SHEARER NAMED AS ENGLAND CAPTAIN" gives it nothing to go on and
"DEFEAT" looks like a name. Each word of an all-caps line is recased the way the same article writes it elsewhere
("England", "captain", "NATO"); a word the article never writes otherwise is lower-cased when it is a function
word and capitalised when not (headline words that appear nowhere else are mostly names). Every character keeps
its position, so the model's offsets are offsets into the original, and mention text is read from the original.
"""

from __future__ import annotations

import re

from spacy.lang.en.stop_words import STOP_WORDS

_LETTERS = re.compile(r"[^\W\d_]+")
_LINE = re.compile(r"[^\n]+")
# A line is all-caps when it has lower-case letters nowhere and at least this many upper-case ones ("AP" alone,
# or "U.S." inside a table row, is not a headline).
_MIN_CAPITALS = 4
_SENTENCE_END = ".!?\"'"


def case_normalised(text: str, context: str = "") -> str:
    """``text`` with each all-caps line recased word by word; same length, same offsets.

    ``context`` is more text of the same article (the body, when ``text`` is its headline) to learn spellings from.
    """
    lines = [m for m in _LINE.finditer(text) if _is_all_caps(m.group())]
    if not lines:
        return text
    spellings = _spellings(text, context)
    chars = list(text)
    for line in lines:
        for word in _LETTERS.finditer(line.group()):
            recased = _recase(word.group(), spellings)
            if len(recased) == len(word.group()):
                start = line.start() + word.start()
                chars[start : start + len(recased)] = recased
    return "".join(chars)


def _is_all_caps(line: str) -> bool:
    capitals = 0
    for ch in line:
        if ch.islower():
            return False
        capitals += ch.isupper()
    return capitals >= _MIN_CAPITALS


def _spellings(text: str, context: str) -> dict[str, str]:
    """Lower-cased word -> how the article writes it in mixed-case lines, inside sentences (not first words)."""
    seen: dict[str, str] = {}
    for source in (text, context):
        for line in _LINE.finditer(source):
            if _is_all_caps(line.group()):
                continue
            previous_end = None
            for word in _LETTERS.finditer(line.group()):
                form = word.group()
                opens = previous_end is None or line.group()[previous_end : word.start()].strip()[-1:] in _SENTENCE_END
                previous_end = word.end()
                if opens and form[:1].isupper() and not form.isupper():
                    continue  # a sentence's first word says nothing about its case
                key = form.lower()
                # lower case anywhere beats a capital ("the Court" vs "a court" is rare; "Take" vs "take" is not)
                if key not in seen or form.islower():
                    seen[key] = form
    return seen


def _recase(word: str, spellings: dict[str, str]) -> str:
    key = word.lower()
    known = spellings.get(key)
    if known is not None:
        return known
    if len(word) == 1:
        return word  # an initial, or a letter of "U.S."
    if key in STOP_WORDS:
        return key
    return word[0] + key[1:]
