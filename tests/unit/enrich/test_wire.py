"""Plain-text agency wires: reflow, datelines, dates from datelines, furniture, agate, bylines, bad shapes.

Every text here is written by us in the shapes agencies use; the dev sets in ../shared measure the same on real copy.
"""

import time
from datetime import UTC, datetime

import pytest

from services.enrich.steps.dates import resolve_published
from services.enrich.steps.extract import extract_articles
from services.enrich.steps.extract.wire import is_furniture, is_table_row, logical_lines, parse_dateline

DELIVERED = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)

HARD_WRAPPED = """\
ASIAN EXPORTERS FEAR DAMAGE FROM U.S.-JAPAN RIFT
    HONG KONG, April 8 - Mounting trade friction between the
U.S. And Japan has raised fears among many of Asia's exporting
nations that the row could inflict far-reaching economic
damage, businessmen and officials said.
    They told reporters in Hong Kong, Seoul and Taipei that the
dispute over semiconductors could spread to other products and
hurt the region's fragile recovery.
    "We are worried," a senior trade official in Seoul said.
 REUTER
"""


def plain(text: str):
    return extract_articles(text, content_type="text/plain")


def test_hard_wrapped_wire_is_reflowed_into_its_paragraphs() -> None:
    (article,) = plain(HARD_WRAPPED)
    assert article.title == "ASIAN EXPORTERS FEAR DAMAGE FROM U.S.-JAPAN RIFT"
    assert article.dateline == "Hong Kong"
    assert article.source_agency == "Reuters"  # from the "REUTER" sign-off, which is not body text
    paragraphs = article.body.split("\n\n")
    assert len(paragraphs) == 3
    assert paragraphs[0].startswith("HONG KONG, April 8 - Mounting trade friction between the U.S. And Japan has")
    assert paragraphs[0].endswith("businessmen and officials said.")
    assert "REUTER" not in article.body and "ASIAN EXPORTERS" not in article.body


def test_dateline_month_day_resolves_against_delivery_and_says_it_is_a_day() -> None:
    (article,) = plain(HARD_WRAPPED)
    published, precision = resolve_published(article.published_text, DELIVERED)
    assert published == datetime(2026, 4, 8, tzinfo=UTC)
    assert precision == "inferred_year"  # a day: midnight, never shown to the minute


@pytest.mark.parametrize(
    ("opening", "place", "month_day", "agency"),
    [
        ("HONG KONG, April 8 - ", "Hong Kong", "April 8", None),
        ("TOKYO, Dec 1 (Reuters) - ", "Tokyo", "December 1", "Reuters"),
        ("WASHINGTON (AP) — ", "Washington", None, "AP"),
        ("PARIS, 1 déc (AFP) - ", "Paris", "December 1", "AFP"),
        ("SEOUL, June 29 (Yonhap) -- ", "Seoul", "June 29", "Yonhap"),
        ("ISTANBUL/TOKYO (Kyodo) -- ", "Istanbul/Tokyo", None, "Kyodo"),
        ("LONDON, 12/01 (dpa) - ", "London", "12/01", "dpa"),
        ("Tokyo, Dec 1 (Reuters) - ", "Tokyo", "December 1", "Reuters"),
        ("MADRID, 3 dic (EFE) - ", "Madrid", "December 3", "EFE"),
        ("RIO DE JANEIRO, Feb. 26 - ", "Rio de Janeiro", "February 26", None),
        ("ROCHESTER, N.Y., Feb 26 - ", "Rochester, N.Y.", "February 26", None),
        ("GROSSETO, Italy (AP) -- ", "Grosseto, Italy", None, "AP"),
    ],
)
def test_datelines_in_every_common_agency_form(
    opening: str, place: str, month_day: str | None, agency: str | None
) -> None:
    dateline = parse_dateline(opening + "Officials met on Monday to discuss the plan.")
    assert dateline is not None
    assert (dateline.place, dateline.date_text, dateline.agency) == (place, month_day, agency)
    assert (opening + "Officials")[dateline.end :] == "Officials"


@pytest.mark.parametrize(
    "sentence",
    ["Apple - the company said on Monday it would grow.", "U.S. - China talks resume.", "The plan: cut costs."],
)
def test_ordinary_sentences_are_not_datelines(sentence: str) -> None:
    assert parse_dateline(sentence) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("December 1", datetime(2026, 12, 1, tzinfo=UTC)),
        ("December 5", datetime(2026, 12, 5, tzinfo=UTC)),  # a day ahead: already the 5th in Tokyo
        ("December 6", datetime(2025, 12, 6, tzinfo=UTC)),  # never further into the future
        ("12/01", datetime(2026, 12, 1, tzinfo=UTC)),  # month/day or day/month: the nearer reading
        ("01/12", datetime(2026, 12, 1, tzinfo=UTC)),
    ],
)
def test_dates_without_a_year_stay_within_a_day_of_delivery(text: str, expected: datetime) -> None:
    assert resolve_published(text, DELIVERED) == (expected, "inferred_year")


def test_french_and_spanish_dateline_months_give_the_date() -> None:
    wires = (("PARIS, 1 déc (AFP) - Le gouvernement a annoncé un plan.", 1), ("MADRID, 3 dic (EFE) - El plan.", 3))
    for wire, day in wires:
        (article,) = plain(wire)
        assert resolve_published(article.published_text, DELIVERED)[0] == datetime(2026, 12, day, tzinfo=UTC)
        assert article.source_agency in ("AFP", "EFE")


def test_a_date_the_feed_states_wins_over_the_datelines_month_day() -> None:
    payload = '{"title": "Talks", "body": "TOKYO, Dec 1 (Reuters) - Talks began.", "published": "2026-12-01T05:10:00Z"}'
    (article,) = extract_articles(payload, content_type="application/json")
    assert article.published_text == "2026-12-01T05:10:00Z"
    assert article.dateline == "Tokyo" and article.source_agency == "Reuters"


AGATE = """\
ATHLETICS - BERLIN GRAND PRIX RESULTS .
BERLIN 1996-08-30
Leading results at the Berlin Grand Prix meeting on Friday :
Women 's 100 metres hurdles
1. Anna Keller ( Germany ) 12.71 seconds
2. Maria Lind ( Sweden ) 12.74
3. Rosa Prieto ( Spain ) 12.92
4. Ines Duarte ( Portugal ) 13.01
Standings
CSKA Moscow ( Russia ) 9 6 3 15
Red Star ( Serbia ) 9 5 4 14
"""


def test_agate_results_and_standings_stay_in_the_body_as_lines() -> None:
    (article,) = plain(AGATE)
    assert article.title == "ATHLETICS - BERLIN GRAND PRIX RESULTS ."
    assert article.dateline == "Berlin"
    assert "1. Anna Keller ( Germany ) 12.71 seconds\n2. Maria Lind ( Sweden ) 12.74" in article.body
    assert "CSKA Moscow ( Russia ) 9 6 3 15\nRed Star ( Serbia ) 9 5 4 14" in article.body
    assert resolve_published(article.published_text, DELIVERED)[0] == datetime(1996, 8, 30, tzinfo=UTC)


def test_a_list_of_fixtures_is_content_but_a_list_of_links_is_not() -> None:
    fixtures = (
        "Draw for the cup , as conducted on Saturday :\n"
        "United States at Netherlands\nCzech Republic at Germany\nFrance at Japan\nSpain at Belgium\n"
        "The first round is played in March .\n"
    )
    assert "France at Japan" in plain(fixtures)[0].body
    links = (
        "Minister resigns over budget row in the capital.\n"
        "The finance minister stepped down on Tuesday after weeks of criticism.\n"
        "Most Popular Stories\nWeather Forecast For Tokyo\nBest Ramen In Osaka\nTravel Deals This Week\n"
    )
    body = plain(links)[0].body
    assert "Best Ramen In Osaka" not in body and "stepped down on Tuesday" in body


def test_market_table_with_column_gaps_is_a_table() -> None:
    assert is_table_row(" Wheat   2.55   2.40       IV     4.65     --")
    assert is_table_row("Bradford 1 Tranmere 0")
    assert not is_table_row("The bank said net profit rose 5.2 pct to 1.2 billion dlrs in 1986 from a year ago.")


@pytest.mark.parametrize(
    "line",
    ["(MORE)", "AP-NY-12-01-26 1530EST", "BC-Japan-Economy,1st Ld-Writethru,650", "-- New York Newsdesk 212-859-1610"],
)
def test_iptc7901_furniture_is_metadata(line: str) -> None:
    assert is_furniture(line)


def test_slug_line_stamp_and_sign_off_leave_the_body() -> None:
    wire = (
        "BC-Japan-Economy,1st Ld-Writethru,420\n"
        "Japan's economy shrinks for second quarter\n"
        "TOKYO, Dec 1 (AP) — Japan's economy contracted in the July-September quarter, the government said.\n"
        "(MORE)\n"
        "Economists had expected a smaller decline.\n"
        "AP-NY-12-01-26 1530EST\n"
    )
    (article,) = plain(wire)
    assert article.title == "Japan's economy shrinks for second quarter"
    assert article.source_agency == "Associated Press"
    for furniture in ("BC-Japan", "(MORE)", "1530EST"):
        assert furniture not in article.body and furniture not in (article.title or "")


def test_byline_alone_between_headline_and_dateline() -> None:
    wire = (
        "Iraq 's Saddam meets Russia 's Zhirinovsky .\n"
        "Nadim Ladki\n"
        "BAGHDAD 1996-08-30\n"
        "Iraqi President Saddam Hussein has told visiting Russian ultra-nationalist Vladimir Zhirinovsky that ...\n"
    )
    (article,) = plain(wire)
    assert article.byline == "Nadim Ladki"
    assert article.title == "Iraq 's Saddam meets Russia 's Zhirinovsky ."
    assert "Nadim Ladki" not in article.body


def test_a_dateline_looking_line_in_the_middle_of_the_body_is_body() -> None:
    wire = (
        "Leaders meet in Tokyo\n"
        "TOKYO, Dec 1 (Reuters) - Leaders met on Monday.\n"
        "They agreed to meet again next year.\n"
        "SEOUL, Dec 2 (Reuters) - A second meeting was set for Seoul.\n"
    )
    (article,) = plain(wire)
    assert article.dateline == "Tokyo"
    assert "SEOUL, Dec 2 (Reuters) - A second meeting" in article.body


def test_a_wire_without_any_line_break_is_one_article() -> None:
    wire = "TOKYO, Dec 1 (Reuters) - " + "Officials met on Monday to discuss trade and security. " * 300
    (article,) = plain(wire)
    assert article.dateline == "Tokyo" and article.source_agency == "Reuters"
    assert article.title_derived and len(article.body) > 10_000


def test_a_50000_line_agate_dump_is_kept_quickly() -> None:
    rows = "\n".join(f"{n}. Runner Number{n % 97} ( Sweden ) {n * 0.37:.2f} points" for n in range(1, 50_001))
    started = time.perf_counter()
    (article,) = plain("ATHLETICS - RESULTS\nLONDON, Dec 1 (Reuters) - Results of the meeting :\n" + rows)
    assert time.perf_counter() - started < 30  # linear in the lines: a stall would take minutes
    assert article.body.count("\n") >= 50_000 - 1


def test_latin1_wire_is_decoded() -> None:
    from services.ingest.reader import decode_input

    data = "ZÜRICH, 3. März (dpa) - Die Schweizer Nationalbank hält den Leitzins bei null Prozent.\n".encode("latin-1")
    decoded = decode_input(data * 3, name="wire.txt", max_bytes=1_000_000)
    (article,) = plain(decoded.text)
    assert article.dateline == "Zürich"
    assert resolve_published(article.published_text, DELIVERED)[0] == datetime(2026, 3, 3, tzinfo=UTC)


def test_reflow_keeps_text_that_is_not_hard_wrapped() -> None:
    page = "A first paragraph of a scraped page that runs on and on well past any wire column width at all.\nA second."
    assert logical_lines(page) == [
        "A first paragraph of a scraped page that runs on and on well past any wire column width at all.",
        "A second.",
    ]


def test_a_multibyte_asian_encoding_is_not_taken_for_latin1() -> None:
    from services.ingest.reader import decode_input

    text = "東京、12月1日（共同）政府は1日、経済対策を発表した。首相は記者会見で説明した。\n" * 4
    for encoding in ("shift_jis", "euc_jp"):
        decoded = decode_input(text.encode(encoding), name="wire.txt", max_bytes=1_000_000)
        assert "経済対策" in decoded.text, encoding


def test_a_body_past_spacys_length_limit_is_tagged_in_pieces(nlp) -> None:
    from services.enrich.nlp import pipe_texts

    paragraph = "Shigeru Ishiba met Lee Jae-myung in Tokyo on Monday.\n\n"
    long_text = paragraph * 60
    short_doc, long_doc = pipe_texts(nlp, ["Ishiba spoke in Seoul.", long_text], batch_size=4, chunk_chars=500)
    assert long_doc.text == long_text  # offsets are into the whole body
    assert [e.text for e in short_doc.ents if e.label_ == "GPE"] == ["Seoul"]
    people = [e for e in long_doc.ents if e.label_ == "PERSON"]
    assert len(people) >= 100
    assert all(long_text[e.start_char : e.end_char] == e.text for e in long_doc.ents)


AP_WIRE = """\
AP-Japan-Economy
Japan's economy shrinks as exports slump
By MARI YAMAGUCHI
Associated Press

TOKYO (AP) — Japan's economy contracted at an annual rate of 1.8% in
the July-September quarter as exports slumped and consumers held back,
the government reported Monday.

The decline followed two quarters of modest growth, the Cabinet Office
said. Economists had expected a smaller contraction.

AP-NY-12-01-26 1530EST
"""


def test_wrapped_copy_with_blank_line_paragraphs_and_a_header_block() -> None:
    (article,) = plain(AP_WIRE)
    assert article.title == "Japan's economy shrinks as exports slump"
    assert article.byline == "MARI YAMAGUCHI"
    assert (article.dateline, article.source_agency) == ("Tokyo", "Associated Press")
    first, second = article.body.split("\n\n")
    assert first.endswith("consumers held back, the government reported Monday.")
    assert second.startswith("The decline followed two quarters of modest growth, the Cabinet Office said.")
    assert second.endswith("said. Economists had expected a smaller contraction.")
    assert "AP-" not in article.body
