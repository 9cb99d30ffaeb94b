"""Named entities of one article, canonicalised within the article.

spaCy gives spans; readers want people, organisations and places, each once, under one name. The rules, in order:

1. junk spans are dropped (no letters, line breaks inside, page furniture), "the" and possessives trimmed;
2. titles and honorifics before a person's name become its ``role`` (``data/roles.json``);
3. spellings in ``data/gazetteer.json`` map to their canonical name ("LDP" -> "Liberal Democratic Party");
4. a short form takes the full name it abbreviates in the same article ("Lee" -> "Lee Jae-myung"), also when the
   model gave the short form a wrong label ("Hayashi" as ORG);
5. person names merge when all parts but one are equal and that one is spelt nearly alike ("Sergey Lavrov" =
   "Sergei Lavrov"; ``FUZZY_THRESHOLD``);
6. a bare surname left over takes a gazetteer person's name only where the gazetteer says in which country's
   news it means them ("Lee" in an article about South Korea -> "Lee Jae-myung"; ``context_aliases``).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

from rapidfuzz import fuzz
from spacy.lang.en.stop_words import STOP_WORDS

from services.enrich.nlp import DATA_DIR, gazetteer_entries
from services.enrich.steps.teams import (
    in_score_line,
    is_national_side,
    is_shire,
    is_sport_name,
    is_sports_report,
    is_venue_or_dateline,
    score_line_teams,
)

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span

KEPT_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT"})
# Similarity (0-100) above which two spellings of the one name part that differs are one person. Transliteration
# variants ("Sergei"/"Sergey", "Myung"/"Myeong") score 80-90; different given names rarely pass with the same initial.
FUZZY_THRESHOLD = 80.0
_MAX_ROLE_LOOKBEHIND = 80
_GENERIC_ROLE = re.compile(
    r"(?:(?:Minister|Secretary) of (?:[A-Z][\w\-]*,? ?)(?:(?:and|for|of|the) |[A-Z][\w\-]*,? ?)*)\s*$"
)
# "Secretary of [State]", "Minister of [Economy, Trade and Industry]": the department is part of a title, not an ORG.
_ROLE_OBJECT = re.compile(r"\b(?:Secretary|Minister) of\s*$")
_LEADING_THE = re.compile(r"^(?:the|The|THE)\s+")
_ACRONYM = re.compile(r"[A-Z]{2,6}")
# "Communications Authority" + " of Kenya": the model often ends an organisation's name before its country.
_OF_PLACE = re.compile(r" of (?:the )?([A-Z][\w'’\-]*(?: [A-Z][\w'’\-]*)*)")
# Two places the model joined into one span: "Kharkiv and Odesa".
_COORDINATED = re.compile(r"(.+?),? and (.+)")
# Name particles: the model often ends a name before them or on them ("Ursula von der", "Andre Correa" + "do Lago").
_PARTICLES = "von|van|der|den|de|da|do|dos|das|del|della|di|du|la|le|bin|bint|ibn|al|Al|el|El|ter|ten|zu"
_NAME_WORD = r"[A-Z][\w'’]*[a-z][\w'’\-]*"
_PARTICLE_TAIL = re.compile(rf"(?:\s+(?:{_PARTICLES}))+\s+{_NAME_WORD}")
_ENDS_WITH_PARTICLE = re.compile(rf"(?<![\w-])(?:{_PARTICLES})$")
_WORD_TAIL = re.compile(rf"\s+{_NAME_WORD}")
# Korean given names the tokenizer cut at the hyphen: "Kim Moon" + "-soo".
_HYPHEN_TAIL = re.compile(r"-[a-z]+(?![\w-])")
_GENERATIONAL = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})
# Common nouns that introduce or follow an organisation's name: "iron ore miner Fortescue", "his Pastef party".
_ORG_BEFORE = re.compile(
    r"\b(?:company|firm|group|party|miner|retailer|carmaker|automaker|maker|manufacturer|bank|lender|insurer|"
    r"airline|carrier|operator|broadcaster|newspaper|agency|developer|supplier|conglomerate|giant|"
    r"union|startup|chipmaker|steelmaker|shipbuilder|utility|producer|exporter|publisher)\s+$"
)
_ORG_AFTER = re.compile(r"(?:\s+(?:party|group|company|bank|union)\b|,\s+(?:a|the)\s+(?:unit|subsidiary|division)\b)")
_MOVEMENT = re.compile(r"[A-Z][a-z]+ists?")  # "Peronist", "Islamist": a movement's adjective, not an organisation
_SENTENCE_END = '.!?"“”—–'  # a dateline's dash opens the first sentence
_POSSESSIVE = re.compile(r"(?:'s|’s|'|’)$")
_SPACED_DASH = re.compile(r"\s+[-–—]+\s+")
_TRAILING_NUMBERS = re.compile(r"(?:\s+[\d.,:/\-]*\d[\d.,:/\-]*)+$")
_CAPITALISED_BEFORE = re.compile(r"[A-Z][\w\-]* $")
_CAPITALISED_AFTER = re.compile(r" [A-Z][\w\-]*")


MentionField = Literal["title", "body"]


@dataclass(frozen=True)
class Mention:
    """Where an entity is named: character offsets into the article's ``field`` ("title" or "body")."""

    start: int
    end: int
    text: str
    field: MentionField = "body"


@dataclass(frozen=True)
class Entity:
    """One entity of the article under its canonical name, with every mention and the role of a person, if any."""

    name: str
    type: str
    mentions: tuple[Mention, ...]
    role: str | None = None


# Every rule that removes a span the model found, with the reason it is no entity. ``extract_entities_counted``
# lists what each removed, so that a rule costing more true mentions than it saves shows in the quality report.
REMOVAL_RULES = {
    "junk": "no letters, or a line break inside: not a name",
    "overlap": 'inside a name already extended over it ("Ursula von der[ Leyen]")',
    "not_entity": "listed in gazetteer.json not_entities (time zones, page furniture)",
    "sport_name": 'a sport, the section slug of a wire headline: "CRICKET - ..."',
    "lower_case_org": "an ORG with no capital letter is a description",
    "role_object": 'the department of a title: "Secretary of [State]"',
    "movement": 'a movement\'s adjective: "Peronist"',
    "role_prefix": 'a department or rank before a title: "[Commerce] Secretary"',
    "place_description": 'a place and lower-case words: "Chinese foreign ministry"',
    "role_only": 'a title with no name after it: "Prime Minister"',
    "sentence_opener": 'a lone capitalised word only ever opening sentences, without role: "Turnout"',
}


@dataclass(frozen=True)
class Removal:
    """A span the model found that a rule removed: the rule's name in ``REMOVAL_RULES``, the text and the label."""

    rule: str
    text: str
    label: str
    field: MentionField = "body"


@dataclass
class _Group:
    name: str
    labels: Counter[str] = field(default_factory=Counter)
    mentions: list[Mention] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    canonical: bool = False  # the name comes from the gazetteer

    @property
    def label(self) -> str:
        return self.labels.most_common(1)[0][0]


def extract_entities(
    doc: Doc, text: str | None = None, *, title_doc: Doc | None = None, title: str | None = None
) -> list[Entity]:
    """The article's PERSON, ORG, GPE, LOC, NORP, FAC and EVENT entities, canonicalised, in order of first mention.

    ``doc`` must come from ``services.enrich.nlp.load_nlp`` (or any pipeline with "ner"), run on the body or on
    its ``case_normalised`` copy; ``text`` is then the body as written, which mention texts are taken from.
    ``title_doc`` and ``title`` are the same for the headline, whose mentions carry ``field="title"``.
    """
    return extract_entities_counted(doc, text, title_doc=title_doc, title=title)[0]


def extract_entities_counted(
    doc: Doc, text: str | None = None, *, title_doc: Doc | None = None, title: str | None = None
) -> tuple[list[Entity], list[Removal]]:
    """``extract_entities`` and the model's spans that ``REMOVAL_RULES`` removed."""
    removed: list[Removal] = []
    groups: dict[str, _Group] = {}
    fields: list[tuple[MentionField, Doc, str]] = [("body", doc, doc.text if text is None else text)]
    if title_doc is not None:
        fields.insert(0, ("title", title_doc, title_doc.text if title is None else title))
    model_texts: dict[MentionField, str] = {}
    for field_name, field_doc, original in fields:
        # Doc.text joins every token on each access: read it once. Rules read the model's (recased) text, mention
        # texts come from the original.
        seen = model_texts[field_name] = field_doc.text
        _collect(field_doc, seen, original, field_name, groups, removed)
    _merge_short_forms(groups)
    _merge_org_suffixes(groups)
    _merge_acronyms(groups)
    _merge_variants(groups)
    _resolve_context_aliases(groups)
    removed += _relabel_leftovers(groups, model_texts)
    originals = {name: original for name, _, original in fields}
    sports = is_sports_report(title, originals["body"])
    if sports:
        _add_table_teams(groups, model_texts, originals)
    _propagate(groups, model_texts, originals)
    entities = []
    for group in groups.values():
        role = Counter(group.roles).most_common(1)[0][0] if group.roles else None
        mentions = sorted(set(group.mentions), key=_mention_order)
        teams = [m for m in mentions if _is_team(group, m, model_texts[m.field])] if sports else []
        places = [m for m in mentions if m not in teams]
        if teams:
            entities.append(Entity(name=group.name, type="ORG", mentions=tuple(teams)))
        if places:
            label = "GPE" if teams and group.label == "PERSON" else group.label
            entities.append(Entity(name=group.name, type=label, mentions=tuple(places), role=role))
    return sorted(entities, key=lambda e: _mention_order(e.mentions[0])), removed


def _is_team(group: _Group, mention: Mention, text: str) -> bool:
    """In a sports report, whether this mention of a place (or of a county the model took for a person) names the
    place's team: not a country's (its national side stays a place), nor after a venue word or on the dateline."""
    if group.label == "ORG" or is_national_side(group.name):
        return False
    if group.label == "PERSON":
        single = len(_tokens(group.name)) == 1
        return single and (is_shire(group.name) or in_score_line(text, mention.start, mention.end))
    if group.label not in ("GPE", "LOC"):
        return False
    return not is_venue_or_dateline(text, mention.start, mention.end)


def _add_table_teams(
    groups: dict[str, _Group], texts: dict[MentionField, str], originals: dict[MentionField, str]
) -> None:
    """Teams in a sports report's standings rows and result lines the model did not tag ("Falkirk 2 1 1 0 3 2 4"):
    the small model misses most names in tables, where there is no sentence around them."""
    taken = {(m.field, i) for group in groups.values() for m in group.mentions for i in range(m.start, m.end)}
    for field_name, text in texts.items():
        for start, end in score_line_teams(text):
            if any((field_name, i) in taken for i in range(start, end)):
                continue
            name = text[start:end]
            group = groups.get(name)
            if group is None:
                group = groups[name] = _Group(name=name)
                group.labels["GPE" if is_national_side(name) else "ORG"] += 1
            group.mentions.append(
                Mention(start=start, end=end, text=originals[field_name][start:end], field=field_name)
            )


def _mention_order(mention: Mention) -> tuple[bool, int, int]:
    return mention.field != "title", mention.start, mention.end


def _collect(
    doc: Doc, seen: str, original: str, field_name: MentionField, groups: dict[str, _Group], removed: list[Removal]
) -> None:
    """Adds the mentions of one field's spans to ``groups`` and the spans a rule removed to ``removed``."""
    covered = 0  # end of the last name, which may extend over spans the model split off ("Al Thani", "of Kenya")
    for span in doc.ents:
        if span.label_ not in KEPT_LABELS:
            continue
        pieces = list(_pieces(span, seen))
        if not pieces:
            removed.append(Removal("junk", original[span.start_char : span.end_char], span.label_, field_name))
        for start, end, text, label in pieces:
            if start < covered:
                removed.append(Removal("overlap", original[start:end], label, field_name))
                continue
            reason = _dropped(seen, start, end, text, label)
            if reason:
                removed.append(Removal(reason, original[start:end], label, field_name))
                continue
            covered = end
            role = None
            if label == "PERSON":
                text, start, role = _split_role(seen, text, start)
                if not text or not _is_name(text):
                    removed.append(Removal("role_only", original[span.start_char : span.end_char], label, field_name))
                    continue
                end = _extend_name(seen, end)
                text = seen[start:end]
                covered = end
            name, canonical, label = _canonical(span.ent_id_, text, label)
            group = groups.setdefault(name, _Group(name=name))
            group.canonical = group.canonical or canonical
            group.labels[label] += 2 if canonical else 1
            group.mentions.append(Mention(start=start, end=end, text=original[start:end], field=field_name))
            if role:
                group.roles.append(role)


def _clean(span: Span) -> tuple[int, int, str] | None:
    text = span.text
    if "\n" in text or not any(ch.isalpha() for ch in text):
        return None
    start, end = span.start_char, span.end_char
    lead = _LEADING_THE.match(text)
    if lead and not _has_article(text):
        start += lead.end()
        text = text[lead.end() :]
    tail = _POSSESSIVE.search(text)
    if tail and len(text) > len(tail.group()) + 1:
        end -= len(tail.group())
        text = text[: -len(tail.group())]
    # A person's or place's name does not end in a number: "Gatting 83", "Durham 114" are a table row's name and
    # score (a club's may: "Schalke 04").
    scores = _TRAILING_NUMBERS.search(text) if span.label_ in ("PERSON", "GPE", "LOC", "NORP") else None
    if scores and scores.start() > 0:
        end -= len(text) - scores.start()
        text = text[: scores.start()]
    # Keep the full stop of an abbreviation ("U.S."), drop a sentence's.
    stripped = text.strip(" -–—,;:\"“”'")
    if stripped.endswith(".") and "." not in stripped[:-1]:
        stripped = stripped[:-1]
    if len(stripped) < 2:
        return None
    offset = text.find(stripped)
    return start + offset, start + offset + len(stripped), stripped


def _split_role(body: str, text: str, start: int) -> tuple[str, int, str | None]:
    """ "Prime Minister Shigeru Ishiba" -> ("Shigeru Ishiba", start moved, "Prime Minister"); also looks left."""
    role = None
    span_start = start
    match = _roles_at_start().match(text)
    if match:
        role = match.group(1)
        start += match.end()
        text = text[match.end() :]
    # Before the span, not before the name: a role inside the span must not be found twice.
    before = body[max(0, span_start - _MAX_ROLE_LOOKBEHIND) : span_start]
    preceding = _roles_at_end().search(before) or _GENERIC_ROLE.search(before)
    if preceding:
        found = preceding.group(0).strip()
        role = f"{found} {role}" if role else found
    return text, start, role


@cache
def _role_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA_DIR / "roles.json").read_text(encoding="utf-8"))
    return data


@cache
def _roles() -> tuple[str, ...]:
    """Every language's roles, each also with its first letter in the other case unless capitalised only."""
    capitalised_only = set(_role_data()["capitalised_only"])
    spellings = set()
    for roles in _role_data()["roles"].values():
        for role in roles:
            spellings.add(role)
            if role not in capitalised_only:
                spellings |= {role[:1].upper() + role[1:], role[:1].lower() + role[1:]}
    return tuple(sorted(spellings, key=len, reverse=True))


@cache
def _honorific() -> re.Pattern[str]:
    """Honorifics only people carry: an ORG span starting with one is a person ("King Felipe VI")."""
    words = "|".join(re.escape(w) for w in _role_data()["honorifics"])
    return re.compile(rf"(?:{words})\.?\s+[A-Z]")


@cache
def _role_after() -> re.Pattern[str]:
    """ "Commerce" in "Commerce Secretary", "Supreme" in "Supreme Leader": a department or rank the model took for
    an ORG."""
    words = "|".join(re.escape(w) for w in _role_data()["role_heads"])
    return re.compile(rf"\s+(?:{words})\b")


@cache
def _roles_at_start() -> re.Pattern[str]:
    alternatives = "|".join(re.escape(role) for role in _roles())
    return re.compile(rf"^({alternatives})(?:\s+|$)")


@cache
def _roles_at_end() -> re.Pattern[str]:
    alternatives = "|".join(re.escape(role) for role in _roles())
    # A role directly before the name, optionally after a qualifier ("Japanese Prime Minister", "U.S. Secretary of
    # State"); the qualifier stays out of the role.
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?:\s+(?:of\s+)?(?:{alternatives}))*\s+$")


def _is_name(text: str) -> bool:
    return any(ch.isupper() for ch in text) and not _roles_at_start().fullmatch(text + " ")


@cache
def _aliases() -> dict[str, tuple[str, str]]:
    table: dict[str, tuple[str, str]] = {}
    for entry in gazetteer_entries():
        for spelling in [entry["name"], *entry.get("aliases", [])]:
            table[spelling] = (entry["name"], entry["label"])
    return table


def _canonical(ent_id: str, text: str, label: str) -> tuple[str, bool, str]:
    """(name, whether it is a gazetteer name, label) for a cleaned span; ``ent_id`` is the gazetteer's id, if any."""
    if ent_id and ent_id in _aliases():
        name, label = _aliases()[ent_id]
        return name, True, label
    found = _aliases().get(text)
    if found:
        return found[0], True, found[1]
    return text, False, label


def _pieces(span: Span, body: str) -> Iterator[tuple[int, int, str, str]]:
    """(start, end, text, label) of the entities in one model span: cleaned, split or relabelled where it erred."""
    cleaned = _clean(span)
    if cleaned is None:
        return
    start, end, text = cleaned
    label = span.label_
    if span.ent_id_:  # the gazetteer's own spans are right as they are
        yield start, end, text, label
        return
    # A spaced dash is never inside a name: "Cricket - Surrey" (a headline's section slug), "Romania - Cosmin Contra"
    # (a squad list). Each side is judged on its own.
    offset = 0
    for dash in [*_SPACED_DASH.finditer(text), None]:
        part_end = dash.start() if dash else len(text)
        part = text[offset:part_end]
        if any(ch.isalpha() for ch in part) and len(part) > 1:
            yield from _piece(body, start + offset, start + part_end, part, label)
        if dash:
            offset = dash.end()


def _piece(body: str, start: int, end: int, text: str, label: str) -> Iterator[tuple[int, int, str, str]]:
    coordinated = _COORDINATED.fullmatch(text)
    if coordinated and label in ("ORG", "PERSON", "GPE", "LOC") and all(map(_is_place, coordinated.groups())):
        for part in (1, 2):
            yield start + coordinated.start(part), start + coordinated.end(part), coordinated.group(part), "GPE"
        return
    if label == "ORG":
        start, end, text = _org_extent(body, start, end, text)
    if label == "ORG" and _honorific().match(text):
        label = "PERSON"
    elif label == "PERSON" and _ACRONYM.fullmatch(text) and not _is_place(text):
        label = "ORG"  # "BNPB": people are not written as acronyms
    elif label in ("ORG", "PERSON") and (label == "ORG" or " " in text) and _is_place(text):
        label = "GPE"  # "Miyagi", "Burkina Faso"; a bare surname that is also a city waits for the merges
    if label in ("GPE", "LOC") and text.isupper() and (start == 0 or body[start - 1] == "\n"):
        text = text.title()  # a dateline: "NEW DELHI" is New Delhi
    yield start, end, text, label


def _org_extent(body: str, start: int, end: int, text: str) -> tuple[int, int, str]:
    """An organisation's name without trailing common words ("La Libertad Avanza [party]") and with the country it
    ends in ("Communications Authority[ of Kenya]")."""
    words = text.split(" ")
    kept = len(words)
    while kept > 1 and words[kept - 1][:1].islower():
        kept -= 1
    trimmed = " ".join(words[:kept])
    if kept < len(words) and any(w[:1].isupper() for w in words[:kept]) and not _is_place(trimmed):
        end = start + len(trimmed)
        text = trimmed
    of_place = _OF_PLACE.match(body, end)
    if of_place and _is_place(of_place.group(1)):
        end = of_place.end()
        text = body[start:end]
    return start, end, text


def _dropped(body: str, start: int, end: int, text: str, label: str) -> str | None:
    """The ``REMOVAL_RULES`` name of why a span is no entity (page furniture, departments inside titles,
    lower-case descriptions), or None."""
    if text in _ignored():
        return "not_entity"
    if is_sport_name(text):
        return "sport_name"
    if label != "ORG":
        return None
    if not any(ch.isupper() for ch in text):
        return "lower_case_org"
    if _ROLE_OBJECT.search(body[max(0, start - _MAX_ROLE_LOOKBEHIND) : start]):
        return "role_object"
    if _MOVEMENT.fullmatch(text):
        return "movement"
    if " " not in text and not text.isupper() and _role_after().match(body, end):
        return "role_prefix"
    words = text.split()
    if len(words) > 1 and all(w[0].islower() for w in words[1:]) and _is_place(words[0]):
        return "place_description"
    return None


def _extend_name(body: str, end: int) -> int:
    """The end of a person's name the model cut short: "Kim Moon[-soo]", "Ursula von der[ Leyen]"."""
    hyphen = _HYPHEN_TAIL.match(body, end)
    if hyphen:
        return hyphen.end()
    before = body[max(0, end - 6) : end]
    tail = (_WORD_TAIL if _ENDS_WITH_PARTICLE.search(before) else _PARTICLE_TAIL).match(body, end)
    return tail.end() if tail else end


@cache
def _ignored() -> frozenset[str]:
    data = json.loads((DATA_DIR / "gazetteer.json").read_text(encoding="utf-8"))
    return frozenset(data.get("not_entities", []))


def _tokens(name: str) -> list[str]:
    return [t for t in re.split(r"[\s\-]+", name.casefold()) if t]


def _merge_short_forms(groups: dict[str, _Group]) -> None:
    """Folds "Lee", "Lula", "Garcia Harfuch" (even labelled ORG or GPE) into the longer person name they shorten.

    A short form belongs to the one person whose name contains it; when several do ("Koizumi" beside Shinjiro and
    Junichiro Koizumi), to the one of them introduced before the short form first appears, as newswire does.
    """
    persons = [g for g in groups.values() if g.label == "PERSON" and len(_tokens(g.name)) >= 2]
    for short in list(groups.values()):
        tokens = _tokens(short.name)
        if short.canonical or short.name not in groups:
            continue
        if len(tokens) > 1 and short.label != "PERSON":
            continue
        if short.label != "PERSON" and (short.label not in ("ORG", "GPE", "LOC") or _is_known_place(short.name)):
            continue
        owners = [p for p in persons if p is not short and p.name in groups and _shortens(tokens, _tokens(p.name))]
        if len({o.name for o in owners}) > 1:
            owners = [o for o in owners if o.mentions[0].start < short.mentions[0].start]
        if len({o.name for o in owners}) == 1:
            _absorb(groups, owners[0], short)


def _shortens(short: list[str], full: list[str]) -> bool:
    """Whether ``short`` is one name part of ``full``, or a run of its parts that leaves more than "Jr." out."""
    if len(short) >= len(full):
        return False
    if len(short) == 1:
        return short[0] in full
    runs = [i for i in range(len(full) - len(short) + 1) if full[i : i + len(short)] == short]
    return any(not set(full[:i] + full[i + len(short) :]) <= _GENERATIONAL for i in runs)


def _merge_org_suffixes(groups: dict[str, _Group]) -> None:
    """Folds "Communist Party" into "Chinese Communist Party", "Commission" into "European Commission", when that
    is the only longer ORG ending so."""
    orgs = [g for g in groups.values() if g.label == "ORG"]
    for short in list(orgs):
        tokens = _tokens(short.name)
        if short.canonical or (len(tokens) == 1 and short.name.isupper()):
            continue
        owners = [
            o
            for o in orgs
            if o is not short
            and o.name in groups
            and len(_tokens(o.name)) > len(tokens)
            and _tokens(o.name)[-len(tokens) :] == tokens
        ]
        if len(owners) == 1 and short.name in groups:
            _absorb(groups, owners[0], short)


def _merge_acronyms(groups: dict[str, _Group]) -> None:
    """Folds "IAEA" into "International Atomic Energy Agency" when the long name is in the same article."""
    orgs = [g for g in groups.values() if g.label == "ORG"]
    for short in orgs:
        if not _ACRONYM.fullmatch(short.name) or short.name not in groups:
            continue
        owners = [o for o in orgs if o is not short and o.name in groups and _initials(o.name) == short.name]
        if len(owners) == 1:
            _absorb(groups, owners[0], short)


def _initials(name: str) -> str:
    return "".join(word[0] for word in re.split(r"[\s\-]+", name) if word[:1].isupper())


def _relabel_leftovers(groups: dict[str, _Group], texts: dict[MentionField, str]) -> list[Removal]:
    """After the merges: a bare "surname" that is a place is the place ("Izmir"), one a common noun introduces is an
    organisation ("miner Fortescue"); a lone capitalised word the model called a person only where it opens
    sentences ("Turnout", "Learn") is no one. Returns the mentions that removed."""
    removed = []
    for group in list(groups.values()):
        if group.label != "PERSON" or group.canonical or len(_tokens(group.name)) > 1:
            continue
        if _is_place(group.name):
            group.labels["GPE"] += sum(group.labels.values()) + 1
        elif any(
            _ORG_BEFORE.search(texts[m.field], max(0, m.start - 30), m.start) or _ORG_AFTER.match(texts[m.field], m.end)
            for m in group.mentions
        ):
            group.labels["ORG"] += sum(group.labels.values()) + 1
        elif not group.roles and all(_opens_sentence(texts[m.field], m.start) for m in group.mentions):
            removed += [Removal("sentence_opener", m.text, group.label, m.field) for m in group.mentions]
            del groups[group.name]
    return removed


def _propagate(groups: dict[str, _Group], texts: dict[MentionField, str], originals: dict[MentionField, str]) -> None:
    """Adds the mentions the model missed of names it found elsewhere in the same article: a name means the same
    thing throughout one story, and the small model often tags it once and misses it in a headline, a table or a
    list. Also a person's surname alone ("Alan Shearer" ... "SHEARER NAMED"), where only one person has it."""
    owners: dict[str, _Group | None] = {}
    for group in groups.values():
        surfaces = {texts[m.field][m.start : m.end] for m in group.mentions}
        if group.label == "PERSON" and len(_tokens(group.name)) > 1:
            surfaces.add(group.name.split()[-1])
        for surface in surfaces:
            if len(surface) > 1 and surface[0].isupper() and surface.casefold() not in STOP_WORDS:
                owners[surface] = group if owners.get(surface, group) is group else None
    wanted = {surface: group for surface, group in owners.items() if group is not None}
    if not wanted:
        return
    taken = {(m.field, i) for group in groups.values() for m in group.mentions for i in range(m.start, m.end)}
    pattern = re.compile(
        r"(?<![\w\-'’])(?:" + "|".join(re.escape(s) for s in sorted(wanted, key=len, reverse=True)) + r")(?![\w\-])"
    )
    for field_name, text in texts.items():
        for match in pattern.finditer(text):
            start, end = match.span()
            if (field_name, start) in taken or (field_name, end - 1) in taken or _next_to_a_name(text, start, end):
                continue
            mention = Mention(start=start, end=end, text=originals[field_name][start:end], field=field_name)
            wanted[match.group()].mentions.append(mention)
            taken.update((field_name, i) for i in range(start, end))


def _next_to_a_name(text: str, start: int, end: int) -> bool:
    """Whether a capitalised word touches the match: it is then part of a longer name ("New England")."""
    before = _CAPITALISED_BEFORE.search(text, max(0, start - 30), start)
    return bool(before) or bool(_CAPITALISED_AFTER.match(text, end))


def _opens_sentence(body: str, start: int) -> bool:
    before = body[max(0, start - 3) : start].rstrip()
    return not before or before[-1] in _SENTENCE_END


def _merge_variants(groups: dict[str, _Group]) -> None:
    """Merges person names that differ only in spelling: hyphenation, case, transliteration."""
    persons = sorted(
        (g for g in groups.values() if g.label == "PERSON"),
        key=lambda g: (not g.canonical, -len(g.mentions), g.mentions[0].start),
    )
    for i, keep in enumerate(persons):
        if keep.name not in groups:
            continue
        for other in persons[i + 1 :]:
            if other.name in groups and other is not keep and _same_person(keep.name, other.name):
                _absorb(groups, keep, other)


def _same_person(a: str, b: str) -> bool:
    ta, tb = _tokens(a), _tokens(b)
    if ta == tb or "".join(ta) == "".join(tb):
        return True
    if len(ta) != len(tb) or len(ta) < 2:
        return False
    differing = [(x, y) for x, y in zip(ta, tb, strict=True) if x != y]
    if len(differing) != 1:
        return False
    x, y = differing[0]
    # One token spelt two ways, same initial, long enough that the similarity means something ("Kim Jong Un" and
    # "Kim Jong Il" differ in a two-letter token and stay apart).
    return x[0] == y[0] and min(len(x), len(y)) >= 4 and fuzz.ratio(x, y) >= FUZZY_THRESHOLD


def _absorb(groups: dict[str, _Group], keep: _Group, other: _Group) -> None:
    keep.mentions.extend(other.mentions)
    keep.roles.extend(other.roles)
    keep.labels[keep.label] += 1  # the absorbed group's label (possibly wrong, "Hayashi" ORG) does not count
    groups.pop(other.name, None)


@cache
def _context_aliases() -> dict[str, list[tuple[str, frozenset[str]]]]:
    """Bare spellings that name a person only in one country's news: spelling -> [(name, country codes)]."""
    table: dict[str, list[tuple[str, frozenset[str]]]] = {}
    for entry in gazetteer_entries():
        for context in entry.get("context_aliases", []):
            table.setdefault(context["alias"], []).append((entry["name"], frozenset(context["countries"])))
    return table


def _resolve_context_aliases(groups: dict[str, _Group]) -> None:
    """Renames a leftover bare surname when exactly one gazetteer person fits the article's countries."""
    from services.enrich.steps.countries import country_of

    countries = {
        code
        for group in groups.values()
        if group.label in ("GPE", "LOC", "NORP")
        for code in [country_of(group.name, group.label)]
        if code
    }
    for short in list(groups.values()):
        if short.label != "PERSON" or short.canonical or short.name not in _context_aliases():
            continue
        fitting = {name for name, needed in _context_aliases()[short.name] if needed & countries}
        if len(fitting) != 1:
            continue
        name = fitting.pop()
        keep = groups.get(name)
        if keep is None:
            keep = groups[name] = _Group(name=name, canonical=True)
            keep.labels["PERSON"] += 1
        _absorb(groups, keep, short)


def _is_known_place(name: str) -> bool:
    from services.enrich.steps.countries import country_of

    return country_of(name, "GPE") is not None


def _is_place(name: str) -> bool:
    from services.enrich.steps.countries import is_place

    return is_place(name)


def _has_article(name: str) -> bool:
    from services.enrich.steps.countries import has_article

    return has_article(name)


def title_to_tag(title: str | None, title_derived: bool, body: str) -> str | None:
    """The headline to run NER on, or None when its words are already the body's: a title made from the lead,
    or one the body repeats as its first paragraph (each name would be counted twice)."""
    if not title or title_derived:
        return None
    first = body.lstrip().split("\n", 1)[0]
    if _comparable(first) == _comparable(title):
        return None
    return title


def _comparable(line: str) -> str:
    return " ".join(line.split()).rstrip(" .").casefold()
