"""Search requests to Elasticsearch bodies and responses to the ``dateline search --json`` contract. Pure.

The CLI and the HTTP API both build their bodies here, so the same request gives the same hits and facet counts.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import orjson

from schemas import to_rfc3339

# Facet name (CLI, API) -> keyword field in the index.
FACET_FIELDS: dict[str, str] = {
    "persons": "persons",
    "organizations": "organizations",
    "places": "places",
    "countries": "countries",
    "country_pairs": "country_pairs",
    "topics": "topics.code",
    "topic_labels": "topics.label",
    "source": "source.name",
    "agency": "source.agency",
    "language": "language",
}
# Facets over the quotations (nested documents): name -> the keyword field; counts are of articles.
QUOTE_FACET_FIELDS: dict[str, str] = {"speakers": "quotes.speaker"}
QUOTES_PATH = "quotes"
QUOTE_TEXT_FIELD = "quotes.text"
QUOTE_SPEAKER_FIELD = "quotes.speaker"
# Quotations shown per hit when searching by speaker.
QUOTES_PER_HIT = 3
SEARCH_FIELDS = ["title^2", "body"]
# Field names a query may name (``title:tariff``); anything else (``_id:*``, a facet, ``*``) is refused.
QUERYABLE_FIELDS = ("title", "body")
# A prefix* needs this many characters before the star, and at most as many as the template's index_prefixes keep:
# a shorter or longer prefix would walk the term dictionary (and is refused under allow_expensive_queries=false).
MIN_PREFIX_CHARS = 3
MAX_PREFIX_CHARS = 10
MAX_QUERY_CHARS = 500
MAX_QUERY_TERMS = 40
# Per-shard time budget of a search; Elasticsearch returns what it found by then, flagged `timed_out`.
SEARCH_TIMEOUT = "5s"
# Quoted phrases in a query string match the unstemmed sub-field: "talks" finds "talks", not "talk".
QUOTE_FIELD_SUFFIX = ".exact"
FACET_SIZE = 20
COLLAPSE_FIELD = "story_id"
DATE_FIELD = "published_at"
# Elasticsearch's index.max_result_window: from + size may not pass it. Collapsed results page with `from`
# (search_after cannot be combined with collapse on a relevance sort), so they stop here.
MAX_RESULT_WINDOW = 10_000
PIT_KEEP_ALIVE = "2m"
Interval = Literal["day", "week", "month", "year"]
Sort = Literal["relevance", "newest"]


class UnknownFacet(ValueError):
    pass


class InvalidCursor(ValueError):
    pass


class InvalidQuery(ValueError):
    """Query text using syntax a public search box does not offer (regular expressions, leading wildcards, fuzzy
    terms, ranges, fields outside ``QUERYABLE_FIELDS``), or unbalanced quotes or parentheses."""


# Outside quotes: characters of Lucene's query syntax that only expensive or out-of-bounds queries need.
_REFUSED = {
    "/": "regular expressions (/.../) are not supported",
    "~": "fuzzy and proximity searches (~) are not supported",
    "?": "single-character wildcards (?) are not supported; use a prefix* instead",
    "[": "ranges ([a TO b]) are not supported; use since/until for dates",
    "]": "ranges ([a TO b]) are not supported; use since/until for dates",
    "{": "ranges ({a TO b}) are not supported; use since/until for dates",
    "}": "ranges ({a TO b}) are not supported; use since/until for dates",
    "<": "ranges (<, >) are not supported; use since/until for dates",
    ">": "ranges (<, >) are not supported; use since/until for dates",
    "=": "'=' is not part of the query syntax",
}
_OPERATORS = {"AND", "OR", "NOT", "&&", "||", "!", "+", "-"}


def check_query_text(text: str) -> None:
    """Refuses (``InvalidQuery``, with a message for the person who typed it) query text beyond words, AND/OR/NOT,
    +/-, parentheses, "phrases", prefix* and the fields ``title:``/``body:``. ``*`` alone (everything) is fine."""
    text = text.strip()
    if not text or text == "*":
        return
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidQuery(f"the query is longer than {MAX_QUERY_CHARS} characters")
    terms = 0
    depth = 0
    term = ""
    i = 0

    def end_term() -> None:
        nonlocal term, terms
        if term:
            _check_term(term)
            if term.lstrip("+-!") not in _OPERATORS:
                terms += 1
        term = ""

    while i < len(text):
        char = text[i]
        if char == "\\":
            if i + 1 >= len(text):
                raise InvalidQuery("the query ends with a lone backslash")
            term += text[i : i + 2]
            i += 2
            continue
        if char == '"':
            closing = _closing_quote(text, i + 1)
            if closing < 0:
                raise InvalidQuery('unbalanced quotes: a phrase is opened with " and not closed')
            if term and not term.endswith(":"):
                raise InvalidQuery(f'a phrase must stand apart from the word before it ({term}"...)')
            if term:
                _check_field(term[:-1])
                term = ""
            terms += 1
            i = closing + 1
            if i < len(text) and not (text[i].isspace() or text[i] == ")"):
                raise InvalidQuery(f"nothing may follow a closing quote directly (found {text[i]!r})")
            continue
        if char.isspace():
            end_term()
        elif char == "(":
            if term and not term.endswith(":"):
                raise InvalidQuery(f"'(' must stand apart from the word before it ({term}()")
            if term:
                _check_field(term[:-1])
                term = ""
            depth += 1
        elif char == ")":
            end_term()
            depth -= 1
            if depth < 0:
                raise InvalidQuery("unbalanced parentheses: ')' without '('")
        elif char in _REFUSED:
            raise InvalidQuery(_REFUSED[char])
        else:
            term += char
        i += 1
    end_term()
    if depth:
        raise InvalidQuery("unbalanced parentheses: '(' without ')'")
    if terms > MAX_QUERY_TERMS:
        raise InvalidQuery(f"the query has more than {MAX_QUERY_TERMS} terms")


def _closing_quote(text: str, start: int) -> int:
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == '"':
            return i
        i += 1
    return -1


def _check_field(name: str) -> None:
    if name not in QUERYABLE_FIELDS:
        raise InvalidQuery(
            f"field {name!r} cannot be searched; name {' or '.join(QUERYABLE_FIELDS)}, or use a filter for facets"
        )


def _check_term(term: str) -> None:
    """One bare term (no spaces, no quotes): at most one field name, a trailing prefix star, nothing else special."""
    field, sep, word = _split_field(term)
    if sep:
        _check_field(field)
        if not word:
            raise InvalidQuery(f'{field}: needs a word, a "phrase" or a (group) after it')
        if ":" in _unescaped(word):
            raise InvalidQuery(f"{term!r} names more than one field")
    if word in _OPERATORS or word.lstrip("+-!") in _OPERATORS:
        return
    bare = _unescaped(word.lstrip("+-!"))
    if "*" not in bare:
        return
    if bare == "*":
        raise InvalidQuery("'*' matches everything only as the whole query")
    if bare.startswith("*"):
        raise InvalidQuery(f"leading wildcards ({word}) are not supported; a star may only end a prefix, as in tari*")
    stem = bare[:-1]
    if "*" in stem:
        raise InvalidQuery(f"a star may only end a word, as in tari* (found {word})")
    if not MIN_PREFIX_CHARS <= len(stem) <= MAX_PREFIX_CHARS:
        raise InvalidQuery(
            f"a prefix* needs {MIN_PREFIX_CHARS} to {MAX_PREFIX_CHARS} characters before the star (found {word})"
        )


def _split_field(term: str) -> tuple[str, str, str]:
    """``field:word`` split at the first unescaped colon; ``("", "", term)`` without one."""
    i = 0
    while i < len(term):
        if term[i] == "\\":
            i += 2
            continue
        if term[i] == ":":
            return term[:i], ":", term[i + 1 :]
        i += 1
    return "", "", term


def _unescaped(word: str) -> str:
    """The word with escaped characters replaced by a plain letter: what remains special is unescaped."""
    out = []
    i = 0
    while i < len(word):
        if word[i] == "\\":
            out.append("x")
            i += 2
        else:
            out.append(word[i])
            i += 1
    return "".join(out)


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: a point in time plus either the last hit's sort values or an offset."""

    pit_id: str
    search_after: tuple[Any, ...] | None = None
    offset: int = 0

    def encode(self) -> str:
        payload = {"pit": self.pit_id, "after": list(self.search_after or []) or None, "from": self.offset}
        return base64.urlsafe_b64encode(orjson.dumps(payload)).decode()

    @classmethod
    def decode(cls, token: str) -> Cursor:
        try:
            payload = orjson.loads(base64.urlsafe_b64decode(token.encode()))
            after = payload.get("after")
            return cls(
                pit_id=str(payload["pit"]),
                search_after=tuple(after) if after else None,
                offset=int(payload.get("from") or 0),
            )
        except (binascii.Error, orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InvalidCursor("the cursor is not one this service issued") from exc


@dataclass(frozen=True)
class SearchRequest:
    query: str
    facets: tuple[str, ...] = ()
    filters: tuple[tuple[str, str], ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    size: int = 10
    collapse: bool = True
    histogram: Interval | None = None
    sort: Sort = "relevance"
    cursor: Cursor | None = None
    speaker: str | None = None  # only articles quoting this speaker; the query text then searches the quotations

    def __post_init__(self) -> None:
        known = {**FACET_FIELDS, **QUOTE_FACET_FIELDS}
        for name in (*self.facets, *(name for name, _ in self.filters)):
            if name not in known:
                raise UnknownFacet(f"unknown facet {name!r}; choose from {', '.join(known)}")
        check_query_text(self.query)


def build_query(request: SearchRequest, *, inner_hits: bool = False) -> dict[str, Any]:
    """The ``bool`` query alone: text, facet filters and date range (what hits, facets and histogram share).

    With a speaker, the text must match within one quotation by that speaker (a ``nested`` query), and
    ``inner_hits`` asks for the matching quotations with the hits.
    """
    text = request.query.strip()
    if request.speaker:
        must = [_speaker_query(text, request.speaker, inner_hits=inner_hits)]
    else:
        must = [_text_query(text, SEARCH_FIELDS)]
    filters: list[dict[str, Any]] = [_filter(name, value) for name, value in request.filters]
    if request.since or request.until:
        bounds = {}
        if request.since:
            bounds["gte"] = to_rfc3339(request.since)
        if request.until:
            bounds["lte"] = to_rfc3339(request.until)
        filters.append({"range": {DATE_FIELD: bounds}})
    return {"bool": {"must": must, "filter": filters}}


def _text_query(text: str, fields: list[str]) -> dict[str, Any]:
    if not text or text == "*":
        return {"match_all": {}}
    return {
        "query_string": {
            "query": text,
            "fields": fields,
            "quote_field_suffix": QUOTE_FIELD_SUFFIX,
            "default_operator": "AND",
            "lenient": True,
            # Checked by check_query_text already; kept so that a path around it stays cheap too.
            "allow_leading_wildcard": False,
            "fuzzy_max_expansions": 10,
            "max_determinized_states": 1000,
        }
    }


def _speaker_query(text: str, speaker: str, *, inner_hits: bool) -> dict[str, Any]:
    nested: dict[str, Any] = {
        "path": QUOTES_PATH,
        "query": {
            "bool": {
                "must": [_text_query(text, [QUOTE_TEXT_FIELD])],
                "filter": [_speaker_term(speaker)],
            }
        },
    }
    if inner_hits:
        nested["inner_hits"] = {
            "size": QUOTES_PER_HIT,
            "_source": ["quotes.text", "quotes.speaker", "quotes.speaker_type"],
            "highlight": {
                "pre_tags": ["<em>"],
                "post_tags": ["</em>"],
                "fields": {QUOTE_TEXT_FIELD: {"number_of_fragments": 0}},
            },
        }
    return {"nested": nested}


def _speaker_term(speaker: str) -> dict[str, Any]:
    # Canonical names are what the speakers facet lists; case is forgiven ("lee jae-myung").
    return {"term": {QUOTE_SPEAKER_FIELD: {"value": speaker, "case_insensitive": True}}}


def _filter(name: str, value: str) -> dict[str, Any]:
    if name in QUOTE_FACET_FIELDS:
        return {"nested": {"path": QUOTES_PATH, "query": _speaker_term(value)}}
    return {"term": {FACET_FIELDS[name]: value}}


def build_search_body(request: SearchRequest, *, timeout: str = SEARCH_TIMEOUT) -> dict[str, Any]:
    """The body of an Elasticsearch ``_search`` call for the request (with ``pit`` when paging a cursor).

    ``timeout`` bounds each shard's work: a query that takes longer returns what it found, with ``timed_out``."""
    newest_first = {DATE_FIELD: {"order": "desc", "missing": "_last"}}
    body: dict[str, Any] = {
        "query": build_query(request, inner_hits=True),
        "timeout": timeout,
        "size": request.size,
        "track_total_hits": True,
        "_source": ["id", "story_id", "title", "source", "published_at", "url", "topics", "countries", "language"],
        "highlight": {
            "pre_tags": ["<em>"],
            "post_tags": ["</em>"],
            "fields": {
                "title": {"number_of_fragments": 0},
                "body": {"fragment_size": 160, "number_of_fragments": 2},
            },
        },
        "sort": ["_score", newest_first] if request.sort == "relevance" else [newest_first, "_score"],
    }
    if request.collapse:
        body["collapse"] = {"field": COLLAPSE_FIELD}
        body["aggs"] = {"stories": {"cardinality": {"field": COLLAPSE_FIELD}}}
    cursor = request.cursor
    if cursor is not None:
        body["pit"] = {"id": cursor.pit_id, "keep_alive": PIT_KEEP_ALIVE}
        if request.collapse:
            body["from"] = cursor.offset
        elif cursor.search_after is not None:
            body["search_after"] = list(cursor.search_after)
    if request.facets:
        body.setdefault("aggs", {}).update({name: _facet_aggregation(name) for name in request.facets})
    if request.histogram:
        body.setdefault("aggs", {})["histogram"] = {
            "date_histogram": {"field": DATE_FIELD, "calendar_interval": request.histogram, "min_doc_count": 1}
        }
    return body


def _facet_aggregation(name: str) -> dict[str, Any]:
    if name in QUOTE_FACET_FIELDS:
        # Buckets count articles (reverse_nested), not quotations, like every other facet.
        terms = {"field": QUOTE_FACET_FIELDS[name], "size": FACET_SIZE, "order": {"articles": "desc"}}
        return {
            "nested": {"path": QUOTES_PATH},
            "aggs": {name: {"terms": terms, "aggs": {"articles": {"reverse_nested": {}}}}},
        }
    return {"terms": {"field": FACET_FIELDS[name], "size": FACET_SIZE}}


def _facet_buckets(aggregations: dict[str, Any], name: str) -> list[dict[str, Any]]:
    if name in QUOTE_FACET_FIELDS:
        buckets = aggregations.get(name, {}).get(name, {}).get("buckets", [])
        return [{"value": b["key"], "count": b["articles"]["doc_count"]} for b in buckets]
    return [{"value": b["key"], "count": b["doc_count"]} for b in aggregations.get(name, {}).get("buckets", [])]


def _matched_quotes(hit: dict[str, Any]) -> list[dict[str, Any]]:
    """The quotations a speaker search matched in this hit, with the matched words marked."""
    inner = hit.get("inner_hits", {}).get(QUOTES_PATH, {}).get("hits", {}).get("hits", [])
    return [
        {
            "text": quote["_source"].get("text"),
            "speaker": quote["_source"].get("speaker"),
            "speaker_type": quote["_source"].get("speaker_type"),
            "highlight": (quote.get("highlight", {}).get(QUOTE_TEXT_FIELD) or [None])[0],
        }
        for quote in inner
    ]


def parse_search_response(response: dict[str, Any], facets: tuple[str, ...]) -> dict[str, Any]:
    """The stable JSON contract: ``{"total", "hits": [...], "facets": {NAME: [{"value", "count"}]}}``.

    Each hit's ``quotes`` are the quotations a speaker search matched (empty otherwise).
    """
    hits = []
    for hit in response["hits"]["hits"]:
        source = hit.get("_source", {})
        hits.append(
            {
                "id": hit["_id"],
                "title": source.get("title"),
                "source": source.get("source", {}),
                "published_at": source.get("published_at"),
                "url": source.get("url"),
                "score": hit.get("_score"),
                "highlight": hit.get("highlight", {}),
                "quotes": _matched_quotes(hit),
            }
        )
    aggregations = response.get("aggregations", {})
    return {
        "total": response["hits"]["total"]["value"],
        "hits": hits,
        "facets": {name: _facet_buckets(aggregations, name) for name in facets},
    }


def parse_search_page(response: dict[str, Any], request: SearchRequest) -> dict[str, Any]:
    """The API's page: the CLI contract plus ``stories``, ``histogram``, per-hit story fields and ``next``.

    ``next`` is an opaque cursor for the following page (``None`` on the last one); it needs the PIT id the
    response carries, so it is only given for requests made inside a point in time.
    """
    page = parse_search_response(response, request.facets)
    for result, hit in zip(page["hits"], response["hits"]["hits"], strict=True):
        source = hit.get("_source", {})
        result["story_id"] = source.get("story_id")
        result["countries"] = source.get("countries", [])
        result["language"] = source.get("language")
    aggregations = response.get("aggregations", {})
    page["stories"] = aggregations["stories"]["value"] if "stories" in aggregations else page["total"]
    page["histogram"] = [
        {"date": b["key_as_string"], "count": b["doc_count"]}
        for b in aggregations.get("histogram", {}).get("buckets", [])
    ]
    page["next"] = None
    pit_id = response.get("pit_id")
    hits = response["hits"]["hits"]
    if pit_id and len(hits) == request.size and hits:
        offset = (request.cursor.offset if request.cursor else 0) + request.size
        if request.collapse:
            if offset < min(page["stories"], MAX_RESULT_WINDOW):
                page["next"] = Cursor(pit_id=pit_id, offset=offset).encode()
        elif offset < page["total"]:
            page["next"] = Cursor(pit_id=pit_id, search_after=tuple(hits[-1]["sort"]), offset=offset).encode()
    return page
