from __future__ import annotations

import re

from spacy.language import Language

from services.enrich.steps.entities import Entity, Mention, extract_entities
from services.enrich.steps.extract import extract_articles
from services.enrich.steps.quotes import Quote, extract_quotes


def entity(body: str, name: str, type_: str, *spellings: str) -> Entity:
    """An entity with a mention at every whole-word occurrence of its spellings (the name when none is given)."""
    mentions = [
        Mention(start=m.start(), end=m.end(), text=m.group())
        for spelling in spellings or (name,)
        for m in re.finditer(rf"(?<!\w){re.escape(spelling)}(?!\w)", body)
    ]
    return Entity(name=name, type=type_, mentions=tuple(sorted(set(mentions), key=lambda m: m.start)))


def said(quotes: list[Quote]) -> list[tuple[str, str | None]]:
    return [(q.text, q.speaker) for q in quotes]


def test_quote_then_name_said_maps_the_short_form_to_the_canonical_name() -> None:
    body = (
        "South Korean President Lee Jae-myung spoke in Seoul.\n\n"
        '"Let\'s meet frequently when needed, reduce misunderstandings," Lee said on Thursday.'
    )
    (quote,) = extract_quotes(body, [entity(body, "Lee Jae-myung", "PERSON", "Lee Jae-myung", "Lee")])
    assert quote.text == "Let's meet frequently when needed, reduce misunderstandings"
    assert (quote.speaker, quote.speaker_type) == ("Lee Jae-myung", "PERSON")
    assert body[quote.start : quote.end] == quote.text


def test_said_before_the_name_and_a_title_between() -> None:
    body = '"It was a vicious incident that ignores the human rights," said Governor Denny Tamaki, adding more.'
    (quote,) = extract_quotes(body, [entity(body, "Denny Tamaki", "PERSON")])
    assert quote.speaker == "Denny Tamaki"


def test_name_said_colon_before_the_quote_with_curly_marks() -> None:
    body = "At a briefing, Hayashi told reporters: “We think this visit contributes to the peace of the region.”"
    (quote,) = extract_quotes(body, [entity(body, "Yoshimasa Hayashi", "PERSON", "Hayashi")])
    assert quote.speaker == "Yoshimasa Hayashi"
    assert quote.text == "We think this visit contributes to the peace of the region."


def test_he_said_is_the_subject_of_the_previous_sentence_not_its_object() -> None:
    body = (
        "Trade Commissioner Maros Sefcovic said he would speak with Commerce Secretary Howard Lutnick soon. "
        '"Tariffs are taxes. They raise prices on both sides," he told reporters in Brussels.'
    )
    entities = [entity(body, "Maros Sefcovic", "PERSON"), entity(body, "Howard Lutnick", "PERSON")]
    (quote,) = extract_quotes(body, entities)
    assert quote.speaker == "Maros Sefcovic"
    # The full stop inside the quotation does not end the sentence of the attribution.
    assert quote.text == "Tariffs are taxes. They raise prices on both sides"


def test_he_said_looks_back_one_paragraph_only() -> None:
    body = (
        "Taro Kono met his counterpart.\n\n"
        "The talks were long.\n\n"
        "The ministers spoke again.\n\n"
        '"There are still many problems to solve", he said after the talks.'
    )
    (quote,) = extract_quotes(body, [entity(body, "Taro Kono", "PERSON")])
    assert quote.speaker is None  # the quotation is kept, unattributed


def test_a_name_inside_a_quotation_is_not_its_speaker() -> None:
    body = 'Shigeru Ishiba spoke on NHK. "We hope Donald Trump takes our investment into consideration," he said.'
    entities = [entity(body, "Shigeru Ishiba", "PERSON"), entity(body, "Donald Trump", "PERSON")]
    assert said(extract_quotes(body, entities)) == [
        ("We hope Donald Trump takes our investment into consideration", "Shigeru Ishiba")
    ]


def test_scare_quotes_and_short_titles_are_not_quotations() -> None:
    body = 'Lee stressed the need for a "flexible and rational" approach and "shuttle diplomacy" with "Japan".'
    assert extract_quotes(body, [entity(body, "Lee Jae-myung", "PERSON", "Lee")]) == []


def test_partial_quote_takes_the_subject_of_the_speech_verb_not_the_nearest_name() -> None:
    body = (
        "Presiding Judge Kenji Morimoto said the defendant, Hiroyuki Tanabe, had "
        '"seriously damaged public trust in the fairness of public works" by leaking prices.'
    )
    entities = [entity(body, "Kenji Morimoto", "PERSON"), entity(body, "Hiroyuki Tanabe", "PERSON")]
    (quote,) = extract_quotes(body, entities)
    assert quote.speaker == "Kenji Morimoto"


def test_appositive_between_the_name_and_the_verb() -> None:
    body = (
        "South Korean President Lee Jae-myung, who has pledged to lower tensions with Pyongyang, said the drills "
        'were needed "so that peace can be secured from a position of strength".'
    )
    entities = [entity(body, "Lee Jae-myung", "PERSON"), entity(body, "Pyongyang", "GPE")]
    assert said(extract_quotes(body, entities)) == [
        ("so that peace can be secured from a position of strength", "Lee Jae-myung")
    ]


def test_organisations_speak_by_name_or_by_description() -> None:
    body = (
        "The Ministry of Foreign Affairs issued guidance. "
        '"Travellers should avoid the border area for now," the ministry said. '
        'In a statement, the Japanese government said, "We reaffirmed the positions of both countries."'
    )
    quotes = extract_quotes(body, [entity(body, "Ministry of Foreign Affairs", "ORG")])
    assert [(q.speaker, q.speaker_type) for q in quotes] == [
        ("Ministry of Foreign Affairs", "ORG"),
        ("Japanese government", "ORG"),
    ]


def test_unnamed_speaker_keeps_the_quotation_with_no_speaker() -> None:
    body = '"We are not asking for special treatment, only fairness," a trade ministry official told reporters.'
    (quote,) = extract_quotes(body, [])
    assert (quote.speaker, quote.speaker_type) == (None, None)


def test_a_second_quotation_after_the_attribution_continues_the_speaker() -> None:
    body = (
        '"We held productive discussions on trade expansion," Akazawa said. '
        '"The two countries will continue to cooperate proactively."\n\n'
        "Separately, Scott Bessent flew to Geneva."
    )
    entities = [entity(body, "Ryosei Akazawa", "PERSON", "Akazawa"), entity(body, "Scott Bessent", "PERSON")]
    assert [q.speaker for q in extract_quotes(body, entities)] == ["Ryosei Akazawa", "Ryosei Akazawa"]


def test_quotation_over_two_paragraphs_is_one_quote() -> None:
    body = (
        'Akazawa told reporters, "We are not setting a deadline for negotiations, but\n\n'
        '"We will continue the negotiations with July 9 in mind," he said.'
    )
    (quote,) = extract_quotes(body, [entity(body, "Ryosei Akazawa", "PERSON", "Akazawa")])
    assert quote.text == (
        "We are not setting a deadline for negotiations, but We will continue the negotiations with July 9 in mind"
    )
    assert quote.speaker == "Ryosei Akazawa"
    assert body[quote.start : quote.end].startswith("We are not") and body[quote.end - 4 : quote.end] == "mind"


def test_unclosed_quote_mark_in_a_paragraph_is_ignored() -> None:
    body = 'He measured 5" of rain, a record for the region this month.\n\nNothing else happened in the town today.'
    assert extract_quotes(body, []) == []


def test_abbreviations_do_not_end_the_sentence_of_the_attribution() -> None:
    body = 'U.S. Commerce Secretary Howard Lutnick said on Thursday the U.S. was in "no hurry to lower the tariff".'
    (quote,) = extract_quotes(body, [entity(body, "Howard Lutnick", "PERSON")])
    assert quote.speaker == "Howard Lutnick"


def test_seed_000_lee_quotes_are_his(nlp: Language, seed_text) -> None:
    articles = extract_articles(seed_text("000"), content_type="text/plain")
    first = articles[0]
    quotes = extract_quotes(first.body, extract_entities(nlp(first.body)))
    assert said(quotes) == [
        (
            "I had actually planned to visit Japan soon, but I have heard they got very busy with an election, "
            "so we haven't been able to finalize the date yet",
            "Lee Jae-myung",
        ),
        (
            "Let's meet frequently when needed, reduce misunderstandings, talk about issues, "
            "and cooperate wherever we can",
            "Lee Jae-myung",
        ),
    ]
    # "flexible and rational", "shuttle diplomacy", "inseparable neighbors": scare quotes, not quotations.
    for quote in quotes:
        assert first.body[quote.start : quote.end] == quote.text


def test_seed_004_multi_paragraph_quote_and_the_government_statement(nlp: Language, seed_text) -> None:
    (article,) = extract_articles(seed_text("004"), content_type="text/plain")
    quotes = extract_quotes(article.body, extract_entities(nlp(article.body)))

    def starting(words: str) -> Quote:
        (found,) = [q for q in quotes if q.text.startswith(words)]
        return found

    assert starting("Following the discussions held").speaker == "Japanese government"
    spanning = starting("We are not setting a deadline")
    assert spanning.speaker == "Ryosei Akazawa"
    assert "but We will continue the negotiations" in spanning.text
    assert starting("We believe that a 25% tariff").speaker == "Ryosei Akazawa"


def test_seed_001_he_said_after_a_paragraph_about_lavrov(nlp: Language, seed_text) -> None:
    (article,) = extract_articles(seed_text("001"), content_type="text/plain")
    quotes = extract_quotes(article.body, extract_entities(nlp(article.body)))
    assert quotes[0].text.startswith("Certainly, the intensification")
    assert quotes[0].speaker == "Sergei Lavrov"


def test_according_to_names_the_speaker_and_an_unnamed_source_does_not_stop_the_search() -> None:
    body = (
        '"The ceasefire must hold through the winter months," according to Antonio Guterres. '
        "Aid agencies said convoys were stuck. "
        'According to the report, Tedros later said, "Aid convoys are still waiting at the border."'
    )
    entities = [
        entity(body, "Antonio Guterres", "PERSON"),
        entity(body, "Tedros Adhanom Ghebreyesus", "PERSON", "Tedros"),
    ]
    assert [q.speaker for q in extract_quotes(body, entities)] == ["Antonio Guterres", "Tedros Adhanom Ghebreyesus"]
