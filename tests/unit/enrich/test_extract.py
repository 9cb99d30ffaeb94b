import json

import pytest

from services.enrich.steps.dates import resolve_published
from services.enrich.steps.extract import ExtractionError, extract_articles
from tests.unit.enrich.conftest import DELIVERED_AT, shared_path


def plain(text: str):
    return extract_articles(text, content_type="text/plain")


def test_seed_000_splits_into_four_articles(seed_text) -> None:
    articles = plain(seed_text("000"))
    assert [a.title for a in articles] == [
        "South Korean leader seeks early visit to Japan, stresses cooperation",
        "U.S. military apologizes over Okinawa sexual assault by serviceman",
        "South Korean leader seeks early visit to Japan",
        "Japan seeks 8th round of tariff talks next week in U.S.",
    ]
    assert [a.item for a in articles] == [0, 1, 2, 3]
    assert [a.published_text for a in articles] == [None, "27 minutes ago", "32 minutes ago", "32 minutes ago"]
    assert all(a.source_name == "Japan Today" and a.source_agency == "Kyodo" for a in articles[1:])
    for article in articles:
        assert "Try Our AI Features" not in article.body
        assert "Related Articles" not in article.body
        assert "©" not in article.body
        assert not article.title_derived


def test_seed_000_teaser_published_relative_to_delivery(seed_text) -> None:
    teaser = plain(seed_text("000"))[1]
    published, precision = resolve_published(teaser.published_text, DELIVERED_AT)
    assert precision == "relative"
    assert published is not None and (DELIVERED_AT - published).total_seconds() == 27 * 60


def test_seed_001_date_and_no_photo_credit(seed_text) -> None:
    (article,) = plain(seed_text("001"))
    assert article.title == "Japanese and Russian FM discuss possible visa-free travel"
    assert article.published_text == "Friday, 31 May, 2019 - 12:46"
    published, precision = resolve_published(article.published_text, DELIVERED_AT)
    assert published is not None and published.isoformat() == "2019-05-31T12:46:00+00:00"
    assert precision == "minute"
    assert "Wikimedia" not in article.body
    assert article.body.startswith("Japanese Foreign Minister Taro Kono")


def test_seed_002_dateline_and_agency_notice(seed_text) -> None:
    (article,) = plain(seed_text("002"))
    assert article.dateline == "Istanbul"
    assert article.source_agency == "Anadolu Agency"
    assert "Anadolu Agency website" not in article.body
    assert "\nISTANBUL\n" not in article.body
    assert article.title == "Tokyo urges stable ties as Chinese military delegation pays rare trip to Japan"


def test_seed_003_boilerplate_and_link_list_removed(seed_text) -> None:
    (article,) = plain(seed_text("003"))
    assert article.title == "China, Japan to discuss resuming ruling party talks after 6-year hiatus"
    assert article.dateline == "Tokyo"
    assert article.source_agency == "Reuters"
    assert resolve_published(article.published_text, DELIVERED_AT)[1] == "day"
    assert resolve_published(article.published_text, DELIVERED_AT)[0].date().isoformat() == "2024-05-22"
    for junk in ("GaijinPot", "Savvy Tokyo", "NordVPN", "Login", "Facebook", "user survey", "FILE PHOTO", "politics\n"):
        assert junk not in article.body
    assert article.body.startswith("A senior Chinese Communist Party official")
    assert article.body.endswith("being groomed to be China's next foreign minister.")


def test_seed_004_title_derived_and_date_at_the_end(seed_text) -> None:
    (article,) = plain(seed_text("004"))
    assert article.title_derived
    assert article.title and article.title.startswith("Economic Revitalization Minister Akazawa")
    assert len(article.title) <= 120
    assert article.published_text == "2025/06/29 21:31 KST"
    published, _ = resolve_published(article.published_text, DELIVERED_AT)
    assert published is not None and published.isoformat() == "2025-06-29T12:31:00+00:00"
    assert "Copyrights" not in article.body and "2025/06/29" not in article.body


def test_paragraphs_are_separated_by_blank_lines(seed_text) -> None:
    (article,) = plain(seed_text("002"))
    assert "\n\n" in article.body and "\n\n\n" not in article.body


def test_inline_wire_dateline_and_byline() -> None:
    text = (
        "Ministers agree on new fisheries quota\n"
        "By Jane Doe, Reuters\n"
        "OSLO (Reuters) - Norway and Russia agreed on Tuesday on next year's cod quota in the Barents Sea.\n"
        "The deal follows weeks of talks.\n"
    )
    (article,) = plain(text)
    assert article.byline == "Jane Doe"
    assert article.dateline == "Oslo"
    assert article.source_agency == "Reuters"
    assert article.body.startswith("OSLO (Reuters) - Norway")


def test_page_with_only_boilerplate_has_no_article() -> None:
    assert plain("Comments\nNo comments yet...\nRelated Articles\nLogin to comment\n") == []


@pytest.mark.parametrize("content", ["", "   \n\n  "])
def test_empty_content_is_rejected_with_a_reason(content: str) -> None:
    with pytest.raises(ExtractionError, match="empty"):
        extract_articles(content, content_type="text/plain")


def test_unknown_content_type_is_rejected() -> None:
    with pytest.raises(ExtractionError, match="unsupported content type"):
        extract_articles("x", content_type="application/pdf")


def test_invalid_json_is_rejected() -> None:
    with pytest.raises(ExtractionError, match="invalid JSON"):
        extract_articles("{not json", content_type="application/json")


def test_simple_json_shape() -> None:
    payload = {
        "title": "Seoul and Tokyo hold talks",
        "body": "SEOUL -- The two foreign ministers met on Monday.\n\nThey agreed to meet again.",
        "published": "2025-08-26T03:15:00Z",
        "url": "https://example.org/a",
        "source": "Example Wire",
    }
    (article,) = extract_articles(json.dumps(payload), content_type="application/json")
    assert article.title == "Seoul and Tokyo hold talks"
    assert article.body == "SEOUL -- The two foreign ministers met on Monday.\n\nThey agreed to meet again."
    assert article.dateline == "Seoul"
    assert article.url == "https://example.org/a"
    assert article.published_text == "2025-08-26T03:15:00Z"


def test_html_through_trafilatura() -> None:
    paragraph = "Officials from both governments met in the capital on Tuesday to discuss the new trade agreement. "
    html = (
        "<html><head><title>Trade talks resume | Example News</title>"
        '<meta property="og:site_name" content="Example News"></head><body>'
        "<nav><a href='/'>Home</a><a href='/world'>World</a></nav>"
        "<article><h1>Trade talks resume</h1>"
        f"<p>BERLIN (AP) -- {paragraph * 3}</p><p>{paragraph * 2}</p></article>"
        "<footer>Subscribe to our newsletter</footer></body></html>"
    )
    (article,) = extract_articles(html, content_type="text/html")
    assert article.title and article.title.startswith("Trade talks resume")
    assert article.body.startswith("BERLIN (AP) --")
    assert "Subscribe" not in article.body and "Home" not in article.body
    assert article.dateline == "Berlin"
    assert article.source_agency == "Associated Press"


def test_ninjs_text_items_from_shared_formats() -> None:
    folder = shared_path("formats", "ninjs")
    ninjs1 = json.loads((folder / "1.4" / "ninjsExComplex1.json").read_text(encoding="utf-8"))
    (article,) = extract_articles(json.dumps(ninjs1), content_type="application/json")
    assert article.title == ninjs1["headline"]
    assert article.body and "<" not in article.body
    assert article.published_text == ninjs1["versioncreated"]
    dpa = (folder / "3.0" / "dpa_text.json").read_text(encoding="utf-8")
    (article,) = extract_articles(dpa, content_type="application/json")
    assert article.title and article.body and article.source_agency == "dpa"


def test_ninjs_pictures_are_not_articles() -> None:
    picture = shared_path("formats", "ninjs", "2.1", "ap_image.json").read_text(encoding="utf-8")
    assert extract_articles(picture, content_type="application/json") == []


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("guardian_us_2018-01-31.rss.xml", "application/rss+xml"),
        ("techcrunch_feedburner.rss.xml", "application/rss+xml"),
        ("heise_developer_2016-02-01.atom.xml", "application/atom+xml"),
    ],
)
def test_feeds_from_shared_formats(name: str, content_type: str) -> None:
    content = shared_path("formats", "feeds", name).read_text(encoding="utf-8")
    articles = extract_articles(content, content_type=content_type)
    assert len(articles) >= 2
    assert [a.item for a in articles] == list(range(len(articles)))
    assert all(a.title and a.body and a.url and a.published_text for a in articles)
    assert all("<p>" not in a.body for a in articles)


def test_newsml_g2_from_shared_formats() -> None:
    content = shared_path("formats", "newsml_g2", "agency_samples", "TT_newsmlg2_sample.xml").read_text(
        encoding="utf-8"
    )
    (article,) = extract_articles(content, content_type="application/xml")
    assert article.title and article.body and article.published_text


def test_header_and_footer_furniture() -> None:
    text = (
        "Ministers meet on fisheries in the north\n"
        "Officials hope to settle quotas before winter\n"
        "Photo: Fisheries Agency\n"
        "Fisheries Agency\n"
        "13/03/2025 10:32 CET | Politics | 4 min read\n"
        "Agencia EFE\n"
        "We value your privacy. We use cookies to store information on your device. [Accept all]\n"
        "MADRID\n"
        "Ministers met on Thursday to discuss the quotas for the coming season in detail.\n"
        "They will meet again next month.\n"
        "Related news\n"
        "- Prices of fish rise\n"
        "- Port handles record volume\n"
        "© EFE 2025. All rights reserved.\n"
    )
    (article,) = plain(text)
    assert article.title == "Ministers meet on fisheries in the north"
    assert article.published_text == "13/03/2025 10:32 CET"
    assert article.source_agency == "EFE"
    assert article.dateline == "Madrid"
    assert article.body == (
        "Officials hope to settle quotas before winter\n\n"
        "Ministers met on Thursday to discuss the quotas for the coming season in detail.\n\n"
        "They will meet again next month."
    )
    published, precision = resolve_published(article.published_text, DELIVERED_AT)
    assert published is not None and published.isoformat() == "2025-03-13T09:32:00+00:00"
    assert precision == "exact"


def test_bare_agency_after_the_last_sentence() -> None:
    (article,) = plain("Prices rise again\nGas prices in Asia rose for a third straight week on strong demand. AFP\n")
    assert article.source_agency == "AFP"
    assert article.body == "Gas prices in Asia rose for a third straight week on strong demand."
