"""Direct quotations of one article and who said them.

No parser is loaded (the pipeline has NER only), so attribution is wire-style patterns over the text, anchored on
the entity mentions the ``entities`` step found. Per quotation, in order:

1. after it, in the same sentence: ``"...," Lee said`` / ``"...," said Lee`` / ``"...," he said`` /
   ``"...," according to the ministry``;
2. before it, in the same sentence: ``Lee said, "..."`` / ``Ishiba told parliament that he would "..."`` /
   ``..., saying "..."`` (the sentence's subject);
3. a quotation that follows another with only attribution between them continues that speaker.

A subject is a PERSON, ORG or GPE mention under its canonical name ("Lee" -> "Lee Jae-myung"), a pronoun ("he",
"she": the first person named in the nearest sentence before that names one, within this or the previous sentence
or paragraph; "it": the same for an ORG), or an organisation described by a common noun ("the Japanese
government"). Anything else ("a trade ministry official") leaves the speaker null; the quotation is kept.
Quotations of fewer than ``MIN_WORDS`` words are scare quotes or titles ("shuttle diplomacy") and are not kept.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

from services.enrich.steps.entities import Entity

MIN_WORDS = 4
SPEAKER_TYPES = frozenset({"PERSON", "ORG", "GPE"})
# How far an attribution may sit from its quotation (characters); wire attributions are a few words.
_ATTRIBUTION_REACH = 160
_PRONOUN_REACH = 1200

_OPENING = '"“'
_CLOSING = '"”'
_VERBS = (
    r"said|says|say|told|tells|added|adds|stressed|stresses|noted|notes|warned|warns|insisted|insists|asked|asks|"
    r"wrote|writes|explained|explains|declared|stated|states|announced|argued|argues|replied|responded|commented|"
    r"claimed|claims|acknowledged|admitted|cautioned|emphasi[sz]ed|emphasi[sz]es|remarked|posted|tweeted|"
    r"continued|concluded|recalled|pointed out|[Aa]ccording to"
)
_PARTICIPLES = r"saying|adding|noting|stressing|warning|telling|insisting|asking|writing|explaining|arguing"
_SPEECH_VERB = re.compile(rf"\b(?:(?P<verb>{_VERBS})|(?P<participle>{_PARTICIPLES}))\b")
_VERB_FIRST = re.compile(rf"^\s*,?\s*(?:{_VERBS})\b")
# Between a subject and its verb: an appositive (", Japan's top government spokesman,"), adverbs, a time.
_SUBJECT_GAP = re.compile(
    r"^(?:\s*,[^,\"“”]{1,120},)?"
    r"(?:\s+(?:also|again|later|earlier|then|further|previously|separately|once|has|had|have|"
    r"in a (?:\w+ )?statement|on \w+))*\s*$"
)
# Between a verb and the subject after it: a title the entities step split off ("said Prime Minister ...").
_TITLE_GAP = re.compile(r"^\s*(?:(?:[A-Z][\w.\-]*|of|the|and|for)\s+){0,6}$")
_PRONOUN_BEFORE = re.compile(r"\b(?P<pronoun>he|she|it|He|She|It)(?:\s+(?:also|again|later|then))?\s*$")
_PRONOUN_AFTER = re.compile(r"^\s*(?P<pronoun>he|she|it)\b")
_ORG_NOUNS = (
    r"government|ministry|agency|office|court|company|firm|police|military|army|embassy|party|commission|council|"
    r"committee|department|administration|cabinet|spokesperson|group|association|union|bank|board|authority|"
    r"authorities|regulator|secretariat|prosecutors|prosecutor's office|team|club|federation"
)
_FUNCTION_WORD = r"(?:in|of|the|a|an|for|at|on|with|by|to|from|and|or|that|which|who|said|told)\b"
_ORG_WORD = rf"(?:[A-Z][\w.\-]*(?:'s|’s)?|(?!{_FUNCTION_WORD})[a-z][a-z\-]*(?:'s|’s)?)"
_ORG_BEFORE = re.compile(rf"\b(?:[Tt]he\s+)?(?P<name>(?:{_ORG_WORD}\s+){{0,3}}(?:{_ORG_NOUNS}))\s*$")
_ORG_AFTER = re.compile(rf"^\s*(?:[Tt]he\s+)(?P<name>(?:{_ORG_WORD}\s+){{0,3}}(?:{_ORG_NOUNS}))\b")
# A full stop ends a sentence unless it ends an abbreviation ("U.S.", "Mr.", "Gen.") or an initial.
_SENTENCE_END = re.compile(r"[.!?][\"”]?(?=\s+[\"“A-Z0-9(])|\n")
_ABBREVIATION = re.compile(r"(?:\b[A-Z]|\.[A-Za-z]|\b(?:Mr|Mrs|Ms|Dr|Gen|Col|Lt|Sgt|St|No|Jr|Sr|Inc|Co|Corp|Ltd|vs))$")
_CONTINUATION_GAP = 80


@dataclass(frozen=True)
class Quote:
    """A direct quotation: its words, who said them (canonical name or None) and where it is in the body.

    ``start``/``end`` span the quoted words without the marks; ``text`` is ``body[start:end]``, except that a
    quotation running over paragraphs has its paragraph breaks and reopening marks folded into single spaces.
    """

    text: str
    speaker: str | None
    speaker_type: str | None
    start: int
    end: int


@dataclass(frozen=True)
class _Span:
    start: int  # first quoted character
    end: int  # after the last quoted character
    open_mark: int  # the opening mark
    close_mark: int  # after the closing mark
    text: str


@dataclass(frozen=True)
class _Speaker:
    name: str | None
    type: str | None


_UNKNOWN = _Speaker(None, None)


def extract_quotes(body: str, entities: Sequence[Entity]) -> list[Quote]:
    """The direct quotations of ``body`` in order, each with its speaker when the text names one.

    ``entities`` are the ``entities`` step's output for the same body (mentions are offsets into it).
    """
    spans = [span for span in _quoted_spans(body) if len(span.text.split()) >= MIN_WORDS]
    if not spans:
        return []
    mentions = _Mentions(entities, spans)
    boundaries = _sentence_boundaries(body, spans)
    quotes: list[Quote] = []
    previous: tuple[_Span, _Speaker] | None = None
    for index, span in enumerate(spans):
        following = spans[index + 1].open_mark if index + 1 < len(spans) else len(body)
        preceding = spans[index - 1].close_mark if index else 0
        speaker = _after(body, span, following, boundaries, mentions)
        if speaker is None:
            speaker = _before(body, span, preceding, boundaries, mentions)
        if speaker is None and previous is not None and previous[1].name:
            between = body[previous[0].close_mark : span.open_mark]
            others = mentions.names_in(previous[0].close_mark, span.open_mark) - {previous[1].name}
            if len(between) <= _CONTINUATION_GAP and not others:
                speaker = previous[1]
        speaker = speaker or _UNKNOWN
        quotes.append(Quote(span.text, speaker.name, speaker.type, span.start, span.end))
        previous = (span, speaker)
    return quotes


def _quoted_spans(body: str) -> list[_Span]:
    """Every balanced pair of double quotation marks, paragraph by paragraph.

    A paragraph that ends inside a quotation continues it when the next one opens with a mark (the wire
    convention for a quotation over several paragraphs); otherwise the stray mark is ignored.
    """
    spans: list[_Span] = []
    opened: int | None = None  # position of the opening mark
    pieces: list[tuple[int, int]] = []  # quoted stretches of a quotation running over paragraphs
    position = 0
    for line in body.splitlines(keepends=True):
        start_of_line = position
        position += len(line)
        content = line.rstrip("\r\n")
        if not content.strip():
            continue
        leading = len(content) - len(content.lstrip())
        index = 0
        if opened is not None:
            if content[leading] in _OPENING:  # the quotation goes on in this paragraph
                index = leading + 1
                pieces.append((start_of_line + index, -1))
            else:
                opened, pieces = None, []
        while index < len(content):
            char = content[index]
            absolute = start_of_line + index
            if opened is None and char in _OPENING:
                opened = absolute
                pieces = [(absolute + 1, -1)]
            elif opened is not None and char in _CLOSING:
                pieces[-1] = (pieces[-1][0], absolute)
                spans.append(_make_span(body, opened, absolute + 1, pieces))
                opened, pieces = None, []
            index += 1
        if opened is not None:
            pieces[-1] = (pieces[-1][0], start_of_line + len(content))
    return spans


def _make_span(body: str, open_mark: int, close_mark: int, pieces: list[tuple[int, int]]) -> _Span:
    first, last = pieces[0][0], pieces[-1][1]
    # The comma before the attribution ("...we can," Lee said) is the writer's, not the speaker's.
    while last > first and body[last - 1] in ", ":
        last -= 1
    while first < last and body[first].isspace():
        first += 1
    if len(pieces) == 1:
        text = body[first:last]
    else:
        bounded = [(max(a, first), min(b, last)) for a, b in pieces]
        text = " ".join(" ".join(body[a:b].split()) for a, b in bounded if b > a)
    return _Span(start=first, end=last, open_mark=open_mark, close_mark=close_mark, text=text)


def _sentence_boundaries(body: str, spans: Sequence[_Span]) -> list[int]:
    """Positions just after each sentence end outside quotations (a quoted full stop does not end the sentence)."""
    inside = [(span.open_mark, span.close_mark) for span in spans]
    opens = [a for a, _ in inside]
    boundaries = []
    for match in _SENTENCE_END.finditer(body):
        at = match.start()
        k = bisect.bisect_right(opens, at) - 1
        closes_quote = match.group()[-1] in _CLOSING
        if k >= 0 and inside[k][0] <= at < inside[k][1] and not closes_quote:
            continue
        if match.group()[0] == "." and _ABBREVIATION.search(body, max(0, at - 12), at):
            continue
        boundaries.append(match.end())
    return boundaries


class _Mentions:
    """PERSON, ORG and GPE mentions outside the quotations, in body order, for lookups by position."""

    def __init__(self, entities: Sequence[Entity], spans: Sequence[_Span]) -> None:
        quoted = [(span.start, span.end) for span in spans]
        quoted_starts = [start for start, _ in quoted]

        def is_quoted(position: int) -> bool:
            k = bisect.bisect_right(quoted_starts, position) - 1
            return k >= 0 and quoted[k][0] <= position < quoted[k][1]

        found = sorted(
            (mention.start, mention.end, entity)
            for entity in entities
            if entity.type in SPEAKER_TYPES
            for mention in entity.mentions
            if mention.field == "body" and not is_quoted(mention.start)
        )
        self.items = found
        self.starts = [start for start, _, _ in found]

    def ending_in(self, start: int, end: int) -> list[tuple[int, int, Entity]]:
        """Mentions that lie within [start, end], last first."""
        return [item for item in reversed(self.starting_in(start, end)) if item[1] <= end]

    def starting_in(self, start: int, end: int) -> list[tuple[int, int, Entity]]:
        first = bisect.bisect_left(self.starts, start)
        last = bisect.bisect_left(self.starts, end)
        return self.items[first:last]

    def names_in(self, start: int, end: int) -> set[str]:
        return {entity.name for _, stop, entity in self.starting_in(start, end) if stop <= end}

    def subject_before(self, position: int, floor: int, types: frozenset[str], boundaries: list[int]) -> Entity | None:
        """The first mention of the given types in the nearest sentence before ``position`` that has one.

        The first, because a sentence names its subject before its objects: in "Sefcovic said he would call
        Lutnick. "...," he told reporters" the "he" is Sefcovic.
        """
        candidates = [
            (start, entity)
            for start, end, entity in self.starting_in(floor, position)
            if end <= position and entity.type in types
        ]
        if not candidates:
            return None
        sentence = _previous_boundary(boundaries, candidates[-1][0])
        return next(entity for start, entity in candidates if start >= sentence)


def _after(body: str, span: _Span, following: int, boundaries: list[int], mentions: _Mentions) -> _Speaker | None:
    """``"...," Lee said`` / ``"...," said Lee`` / ``"...," he said``: the attribution right after the quotation."""
    # Only a quotation that closes a clause ("...," / "...?" / "...",) takes an attribution after it.
    last_quoted = body[span.open_mark + 1 : span.close_mark - 1].rstrip()[-1:]
    if last_quoted not in (",", "?", "!", ".") and body[span.close_mark : span.close_mark + 1] != ",":
        return None
    limit = min(following, span.close_mark + _ATTRIBUTION_REACH, _next_boundary(boundaries, span.close_mark, body))
    window = body[span.close_mark : limit]
    verb_first = _VERB_FIRST.match(window)
    if verb_first:
        after_verb = span.close_mark + verb_first.end()
        return _subject_after(body, after_verb, limit, boundaries, mentions)
    verb = _SPEECH_VERB.search(window)
    if verb is None or verb.group("participle") or len(window[: verb.start()].split()) > 12:
        return None
    subject = _subject_before(body, span.close_mark, span.close_mark + verb.start(), boundaries, mentions)
    return subject if subject is not None else _UNKNOWN


def _before(body: str, span: _Span, preceding: int, boundaries: list[int], mentions: _Mentions) -> _Speaker | None:
    """``Lee said, "..."`` / ``Ishiba said the government would "..."``: a speech verb earlier in the sentence."""
    sentence_start = max(preceding, _previous_boundary(boundaries, span.open_mark))
    prefix = body[sentence_start : span.open_mark]
    for verb in _SPEECH_VERB.finditer(prefix):
        at = sentence_start + verb.start()
        if verb.group("participle"):
            # "..., saying "..."": the speaker is the sentence's subject, its first named person or body.
            first = mentions.starting_in(sentence_start, at)
            persons = [entity for _, _, entity in first if entity.type == "PERSON"]
            chosen = persons[0] if persons else (first[0][2] if first else None)
            if chosen is not None:
                return _Speaker(chosen.name, chosen.type)
            continue
        found: _Speaker | None
        if verb.group("verb").lower() == "according to":
            found = _subject_after(body, at + len("according to"), span.open_mark, boundaries, mentions)
        else:
            found = _subject_before(body, sentence_start, at, boundaries, mentions)
        if found is not None and found != _UNKNOWN:
            return found
    return None


def _subject_before(body: str, start: int, verb_at: int, boundaries: list[int], mentions: _Mentions) -> _Speaker | None:
    """Who is named right before the verb at ``verb_at`` (not before ``start``)."""
    for _, end, entity in mentions.ending_in(start, verb_at):
        # The nearest name followed only by an appositive or adverbs is the subject.
        if _SUBJECT_GAP.match(_gap(body, end, verb_at)):
            return _Speaker(entity.name, entity.type)
    region = body[start:verb_at]
    pronoun = _PRONOUN_BEFORE.search(region)
    if pronoun and _clause_start(region, pronoun):
        return _resolve_pronoun(body, start + pronoun.start(), pronoun.group("pronoun"), boundaries, mentions)
    organisation = _ORG_BEFORE.search(region)
    if organisation:
        return _organisation(organisation.group("name"), start + organisation.start(), mentions)
    return None


def _subject_after(body: str, after_verb: int, limit: int, boundaries: list[int], mentions: _Mentions) -> _Speaker:
    """Who is named right after the verb: ``said Lee``, ``said Prime Minister Shigeru Ishiba``, ``said he``."""
    for start, _, entity in mentions.starting_in(after_verb, limit):
        if _TITLE_GAP.match(body[after_verb:start]):
            return _Speaker(entity.name, entity.type)
        break
    window = body[after_verb:limit]
    pronoun = _PRONOUN_AFTER.match(window)
    if pronoun:
        found = _resolve_pronoun(body, after_verb, pronoun.group("pronoun"), boundaries, mentions)
        return found or _UNKNOWN
    organisation = _ORG_AFTER.match(window)
    if organisation:
        return _organisation(organisation.group("name"), after_verb, mentions)
    return _UNKNOWN


def _resolve_pronoun(
    body: str, position: int, pronoun: str, boundaries: list[int], mentions: _Mentions
) -> _Speaker | None:
    """ "he"/"she": the nearest PERSON before, in this or the previous sentence or paragraph; "it": an ORG."""
    paragraph_start = _previous_paragraph_start(body, position)
    sentence = _previous_boundary(boundaries, position)
    floor = _previous_boundary(boundaries, max(0, sentence - 1)) if sentence else 0
    if position - paragraph_start <= _PRONOUN_REACH:
        floor = min(floor, paragraph_start)
    types = frozenset({"ORG"}) if pronoun.lower() == "it" else frozenset({"PERSON"})
    entity = mentions.subject_before(position, floor, types, boundaries)
    return _Speaker(entity.name, entity.type) if entity else None


def _clause_start(region: str, pronoun: re.Match[str]) -> bool:
    """The pronoun opens a clause (", he said", "which he said") rather than ending an object ("told him")."""
    before = region[: pronoun.start()].rstrip()
    return before.endswith((",", ";", "which", "that", "and", "but", "as")) or not before


def _gap(body: str, end: int, verb_at: int) -> str:
    text = body[end:verb_at]
    return text[2:] if text.startswith(("'s", "’s")) else text


def _organisation(phrase: str, position: int, mentions: _Mentions) -> _Speaker:
    """ "the ministry": the ORG named earlier whose name has that noun, else the phrase when it says more than
    the noun alone ("the Japanese government" -> "Japanese government"), else unknown."""
    words = phrase.split()
    head = words[-1].casefold()
    for _, _, entity in reversed(mentions.starting_in(max(0, position - _PRONOUN_REACH), position)):
        if entity.type == "ORG" and head in entity.name.casefold().split():
            return _Speaker(entity.name, "ORG")
    return _Speaker(" ".join(words), "ORG") if len(words) >= 2 else _UNKNOWN


def _previous_paragraph_start(body: str, position: int) -> int:
    """Where the paragraph before the one holding ``position`` starts (0 in the first)."""
    this = body.rfind("\n", 0, position)
    if this < 0:
        return 0
    end = len(body[:this].rstrip())
    return body.rfind("\n", 0, end) + 1


def _next_boundary(boundaries: list[int], position: int, body: str) -> int:
    k = bisect.bisect_right(boundaries, position)
    return boundaries[k] if k < len(boundaries) else len(body)


def _previous_boundary(boundaries: list[int], position: int) -> int:
    k = bisect.bisect_right(boundaries, position) - 1
    return boundaries[k] if k >= 0 else 0
