from services.enrich.steps.casing import case_normalised


def test_all_caps_headline_takes_the_bodys_spellings_and_keeps_its_length() -> None:
    body = "Coach Anna Berg said on Friday that the Falcons would name a new captain for the Cup."
    headline = "HOCKEY - FALCONS NAME BERG AS CAPTAIN FOR OSLO CUP ."
    recased = case_normalised(headline, context=body)
    assert recased == "Hockey - Falcons name Berg as captain for Oslo Cup ."
    assert len(recased) == len(headline)


def test_only_all_caps_lines_change() -> None:
    text = "OSLO 2024-05-01\nThe NATO summit opened in Oslo .\nU.S. 12 3"
    assert case_normalised(text) == "Oslo 2024-05-01\nThe NATO summit opened in Oslo .\nU.S. 12 3"


def test_acronyms_the_article_writes_in_capitals_stay_capitals() -> None:
    body = "The members of the KDP and of NATO met in Arbil."
    assert case_normalised("KDP AND NATO MEMBERS MET IN ARBIL", context=body) == "KDP and NATO members met in Arbil"


def test_words_the_article_never_writes_are_capitalised_unless_function_words() -> None:
    assert case_normalised("ROVERS SINK UNITED AT THE DEATH") == "Rovers Sink United at the Death"


def test_text_without_all_caps_lines_is_returned_as_is() -> None:
    text = "Nothing here is shouted.\nNor here."
    assert case_normalised(text) is text
