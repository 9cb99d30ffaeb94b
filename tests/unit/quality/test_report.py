import pytest

from quality.generate import generated_cases
from quality.labels import SHARED, labelled_cases
from quality.report import body_scores, evaluate, render


def test_shingle_scores_count_multisets() -> None:
    text = "one two three four five six"
    assert body_scores(text, text) == (1.0, 1.0, 1.0)
    precision, recall, _ = body_scores(text, text + " " + text)
    assert recall == 1.0 and precision < 0.5
    assert body_scores(text, "") == (0.0, 0.0, 0.0)


def test_generated_cases_cover_every_input_kind() -> None:
    cases = list(generated_cases())
    assert {c.kind for c in cases} >= {"text", "html", "json", "rss", "text-multi"}
    assert sum(len(c.expected) for c in cases) >= 40


def test_report_meets_the_targets_on_the_labelled_set() -> None:
    if not SHARED.exists():
        pytest.skip(f"{SHARED} not found: ../shared is not beside this clone")
    tally = evaluate([*labelled_cases(), *generated_cases()])
    text, passed = render(tally)
    assert passed, text
    assert tally.lost == 0 and tally.merged == 0
