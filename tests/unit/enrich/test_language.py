import pytest

from services.enrich.steps.language import DEFAULT_LANGUAGE, detect_language


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("The Japanese government wants to send its chief tariff negotiator to the United States.", "en"),
        ("Los productores de aceite de oliva piden a Bruselas una respuesta firme a los aranceles.", "es"),
        ("Der Trainer von Borussia Dortmund regte sich nach dem Revierderby furchtbar auf.", "de"),
        ("Le gouvernement japonais veut envoyer son négociateur en chef aux États-Unis.", "fr"),
    ],
)
def test_detects_language(text: str, code: str) -> None:
    assert detect_language(text) == code


def test_too_short_gets_the_default() -> None:
    assert detect_language("OK") == DEFAULT_LANGUAGE
