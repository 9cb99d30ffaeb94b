from spacy.language import Language

from services.enrich.steps.entities import Entity, extract_entities
from services.enrich.steps.extract import extract_articles


def entities_of(nlp: Language, text: str) -> list[Entity]:
    return extract_entities(nlp(text))


def persons(entities: list[Entity]) -> dict[str, Entity]:
    return {e.name: e for e in entities if e.type == "PERSON"}


def seed_entities(nlp: Language, seed_text, number: str) -> list[list[Entity]]:
    articles = extract_articles(seed_text(number), content_type="text/plain")
    return [extract_entities(doc) for doc in nlp.pipe(a.body for a in articles)]


def test_pipeline_has_only_what_ner_needs(nlp: Language) -> None:
    assert nlp.pipe_names == ["dateline_gazetteer", "ner"]


def test_seed_000_lee_is_one_person_with_his_full_name(nlp: Language, seed_text) -> None:
    teaser = seed_entities(nlp, seed_text, "000")[2]
    people = persons(teaser)
    assert "Lee Jae-myung" in people
    assert not {"Lee", "Lee Jae Myung"} & people.keys()
    assert {m.text for m in people["Lee Jae-myung"].mentions} >= {"Lee Jae-myung", "Lee Jae Myung", "Lee"}
    assert people["Shigeru Ishiba"].role == "Prime Minister"
    assert "Yoon" not in people and "Yoon Suk Yeol" in people


def test_bare_surname_in_korean_news_is_the_president(nlp: Language, seed_text) -> None:
    # The first article of seed 000 only ever says "Lee", in Seoul: the gazetteer's context alias names him.
    first = seed_entities(nlp, seed_text, "000")[0]
    assert "Lee Jae-myung" in persons(first) and "Lee" not in persons(first)


def test_seed_001_lavrov_once_and_kono(nlp: Language, seed_text) -> None:
    (entities,) = seed_entities(nlp, seed_text, "001")
    people = persons(entities)
    assert "Sergei Lavrov" in people and "Sergey Lavrov" not in people and "Lavrov" not in people
    assert len(people["Sergei Lavrov"].mentions) == 3
    assert people["Taro Kono"].role == "Foreign Minister"


def test_mentions_point_into_the_body(nlp: Language, seed_text) -> None:
    article = extract_articles(seed_text("002"), content_type="text/plain")[0]
    for entity in extract_entities(nlp(article.body)):
        for mention in entity.mentions:
            assert article.body[mention.start : mention.end] == mention.text


def test_acronym_and_role_object_and_junk(nlp: Language, seed_text) -> None:
    (entities,) = seed_entities(nlp, seed_text, "003")
    by_name = {e.name: e for e in entities}
    assert "LDP" not in by_name and by_name["Liberal Democratic Party"].type == "ORG"
    assert {m.text for m in by_name["Liberal Democratic Party"].mentions} >= {"LDP"}
    assert "State" not in by_name  # from "Secretary of State Antony Blinken"
    assert by_name["Antony Blinken"].role == "Secretary of State"
    assert all(e.type in {"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT"} for e in entities)


def test_role_split_from_the_name(nlp: Language) -> None:
    entities = entities_of(nlp, "Prime Minister Shigeru Ishiba met Mr. Kenji Watanabe in Osaka on Monday.")
    people = persons(entities)
    assert people["Shigeru Ishiba"].role == "Prime Minister"
    assert all(not name.startswith(("Prime", "Mr")) for name in people)


def test_dates_and_numbers_are_not_entities(nlp: Language) -> None:
    entities = entities_of(nlp, "On June 3, 2025, about 1.37 million cars worth $40 billion were exported by Japan.")
    assert [e.name for e in entities] == ["Japan"]


def test_transliterated_names_merge_but_different_people_do_not(nlp: Language) -> None:
    text = (
        "Dmitri Peskov spoke first. Later Dmitry Peskov said talks would go on. "
        "Kim Jong Un and his late father Kim Jong Il were mentioned."
    )
    people = persons(entities_of(nlp, text))
    assert len([n for n in people if "Peskov" in n]) == 1
    assert "Kim Jong Un" in people and "Kim Jong Il" in people


def test_bare_surname_resolves_only_in_its_countrys_news(nlp) -> None:
    korean = extract_entities(nlp("Lee said at a press conference in Seoul that South Korea wants closer ties."))
    assert "Lee Jae-myung" in {e.name for e in korean if e.type == "PERSON"}
    elsewhere = extract_entities(nlp("Lee said at a press conference in Ottawa that Canada wants closer ties."))
    assert "Lee Jae-myung" not in {e.name for e in elsewhere}


def test_name_particles_and_hyphenated_given_names_stay_in_the_name(nlp: Language) -> None:
    text = (
        "Commission President Ursula von der Leyen spoke in Brussels. Brazil's envoy Andre Correa do Lago agreed. "
        "Opposition leader Kim Moon-soo won the vote in Seoul."
    )
    people = persons(entities_of(nlp, text))
    assert {"Ursula von der Leyen", "Andre Correa do Lago", "Kim Moon-soo"} <= people.keys()
    assert not {"Ursula von der", "Andre Correa", "Kim Moon"} & people.keys()


def test_departments_in_titles_and_sentence_openers_are_no_entities(nlp: Language) -> None:
    text = (
        "Learn more about the talks.\n\nU.S. Commerce Secretary Howard Lutnick met Treasury Secretary Scott "
        "Bessent in Washington on Monday. Supreme Leader Ayatollah Ali Khamenei said nothing."
    )
    entities = entities_of(nlp, text)
    names = {e.name for e in entities}
    assert not {"Commerce", "Treasury", "Supreme", "Learn"} & names
    assert persons(entities)["Ali Khamenei"].role is not None


def test_short_forms_inside_a_name_and_the_nearest_earlier_namesake(nlp: Language) -> None:
    text = (
        "Brazilian President Luiz Inacio Lula da Silva met Security Secretary Omar Garcia Harfuch. "
        "Lula said the talks went well, and Garcia Harfuch agreed.\n\n"
        "Farm minister Shinjiro Koizumi spoke on Monday. Koizumi, 44, is the son of former Prime Minister "
        "Junichiro Koizumi."
    )
    people = persons(entities_of(nlp, text))
    assert not {"Lula", "Garcia Harfuch", "Koizumi"} & people.keys()
    shinjiro = {m.text for m in people["Shinjiro Koizumi"].mentions}
    assert shinjiro == {"Shinjiro Koizumi", "Koizumi"}


def test_places_the_model_took_for_people_or_organisations(nlp: Language) -> None:
    text = (
        "BERLIN — Germany's governing parties met. Rain fell on Java, Sumatra and Sulawesi. Overnight, Russian "
        "drones and missiles struck Kharkiv and Odesa, killing at least five people. The tremor was felt in Izmir. "
        "Leaders met in The Hague."
    )
    entities = entities_of(nlp, text)
    by_name = {e.name: e.type for e in entities}
    assert by_name.get("Berlin") == "GPE"
    assert by_name.get("The Hague") == "GPE"
    assert {"Kharkiv", "Odesa"} <= by_name.keys() and "Kharkiv and Odesa" not in by_name
    assert not {name for name, kind in by_name.items() if kind in ("PERSON", "ORG")}


def test_acronym_folds_into_its_long_name(nlp: Language) -> None:
    text = (
        "The Intergovernmental Maritime Safety Council said on Monday it would meet again. "
        "The IMSC also said the vote was close."
    )
    orgs = {e.name: e for e in entities_of(nlp, text) if e.type == "ORG"}
    assert "IMSC" not in orgs
    assert {m.text for m in orgs["Intergovernmental Maritime Safety Council"].mentions} >= {"IMSC"}


def _title_and_body(nlp: Language, title: str, body: str) -> list[Entity]:
    from services.enrich.steps.casing import case_normalised

    body_doc = nlp(case_normalised(body))
    title_doc = nlp(case_normalised(title, context=body))
    return extract_entities(body_doc, body, title_doc=title_doc, title=title)


def test_an_all_caps_headline_is_tagged_with_its_own_field_and_original_text(nlp: Language) -> None:
    title = "SOCCER - SHEARER NAMED AS ENGLAND CAPTAIN ."
    body = "LONDON 1996-08-30\nAlan Shearer was named as the new England captain on Friday by coach Glenn Hoddle ."
    entities = _title_and_body(nlp, title, body)
    texts = {(m.field, m.text) for e in entities for m in e.mentions}
    assert {("title", "SHEARER"), ("title", "ENGLAND"), ("body", "LONDON"), ("body", "Alan Shearer")} <= texts
    shearer = persons(entities)["Alan Shearer"]
    assert {m.text for m in shearer.mentions} == {"SHEARER", "Alan Shearer"}
    for entity in entities:
        for m in entity.mentions:
            assert (title if m.field == "title" else body)[m.start : m.end] == m.text
    assert not any(e.name in ("Named", "Captain") for e in entities)


def test_a_title_the_body_repeats_is_not_tagged_twice() -> None:
    from services.enrich.steps.entities import title_to_tag

    assert title_to_tag("Rain stops play", False, "RAIN STOPS PLAY .\n\nLeeds - rain fell.") is None
    assert title_to_tag("Rain stops play", True, "Rain stops play at Leeds.") is None
    assert title_to_tag("Rain stops play", False, "LEEDS - Rain fell all day.") == "Rain stops play"


def test_each_removal_names_its_rule(nlp: Language) -> None:
    from services.enrich.steps.entities import REMOVAL_RULES, extract_entities_counted

    text = "Commerce Secretary Lutnick spoke. The Prime Minister left. Turnout was low."
    entities, removed = extract_entities_counted(nlp(text))
    assert {r.rule for r in removed} <= REMOVAL_RULES.keys()
    assert all(r.text in text for r in removed)
    kept = {m.text for e in entities for m in e.mentions}
    assert not kept & {r.text for r in removed}


def test_sports_and_foreign_roles_split_from_the_name(nlp: Language) -> None:
    sport = persons(entities_of(nlp, "Defender Hassan Abbas scored twice for Al Wahda on Friday."))
    assert sport["Hassan Abbas"].role == "Defender"
    assert [m.text for m in sport["Hassan Abbas"].mentions] == ["Hassan Abbas"]
    german = persons(entities_of(nlp, "Bundeskanzlerin Angela Merkel traf Trainer Joachim Löw in Berlin."))
    assert german["Angela Merkel"].role == "Bundeskanzlerin" and german["Joachim Löw"].role == "Trainer"


def test_initials_are_not_roles_and_scores_are_not_names(nlp: Language) -> None:
    names = {m.text for e in entities_of(nlp, "M. Atherton c Smith b Jones 12\nG. Kersey 63\n") for m in e.mentions}
    assert "M. Atherton" in names
    assert not any(name[-1].isdigit() for name in names)


def test_in_a_sports_report_a_county_is_its_team_and_a_country_a_place(nlp: Language) -> None:
    title = "CRICKET - SURREY BEAT KENT AT THE OVAL ."
    body = (
        "LONDON 1996-08-30\nSurrey beat Kent by an innings on Friday in London to stay top of the county "
        "championship , while England named their captain for the match against Pakistan .\n"
        "Standings :\nSurrey 12 8 2 2 180\nKent 12 7 3 2 166\nEssex 12 6 4 2 150\n"
    )
    typed = {(m.field, m.text, e.type) for e in _title_and_body(nlp, title, body) for m in e.mentions}
    assert {("title", "SURREY", "ORG"), ("body", "Surrey", "ORG"), ("body", "Essex", "ORG")} <= typed
    assert ("body", "LONDON", "GPE") in typed and ("body", "England", "GPE") in typed
    assert not any(text == "London" and kind == "ORG" for _, text, kind in typed)
