"""The public check page over HTTP: languages, the form, errors, and what the page promises."""

from __future__ import annotations

from tests.conftest import Node
from tests.detect.test_scoring import JOB_OFFER


def test_check_sends_the_reader_to_their_language(node: Node) -> None:
    client = node.client
    spanish = client.get("/check", headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"},
                         follow_redirects=False)  # fmt: skip
    assert spanish.status_code == 307 and spanish.headers["location"] == "/check/es"
    other = client.get("/check", headers={"Accept-Language": "de-DE"}, follow_redirects=False)
    assert other.headers["location"] == "/check/en"
    assert client.get("/check/de").status_code == 404


def test_the_page_in_each_language(node: Node) -> None:
    for language, title in [
        ("en", "Check a job offer, ad or profile"),
        ("es", "Comprueba una oferta de trabajo"),
        ("fr", "Vérifier une offre d&#39;emploi"),
        ("pt", "Verifique uma oferta de emprego"),
    ]:
        page = node.client.get(f"/check/{language}")
        assert page.status_code == 200
        assert f'<html lang="{language}">' in page.text
        assert title in page.text, language
        assert "default-src 'none'" in page.headers["content-security-policy"]
        assert page.headers["cache-control"] == "no-store"


def test_submitting_the_form_shows_the_signs_and_marks_them(node: Node) -> None:
    page = node.client.post("/check/en", data={"text": JOB_OFFER, "kind": "job_offer"})
    assert page.status_code == 200
    assert "Asks you to pay a fee to get the job" in page.text
    assert "<mark>Registration fee</mark>" in page.text
    assert 'id="result" class="level-strong_signs"' in page.text
    assert "1-888-373-7888" in page.text


def test_pasted_html_is_shown_as_text(node: Node) -> None:
    page = node.client.post("/check/en", data={"text": "<script>alert(1)</script> send pics"})
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;" in page.text


def test_empty_and_too_long_texts_get_a_message_in_the_page_language(node: Node) -> None:
    empty = node.client.post("/check/fr", data={"text": "  "})
    assert empty.status_code == 422 and "Le texte est vide" in empty.text
    long = node.client.post("/check/pt", data={"text": "a" * 50_001})
    assert long.status_code == 422 and "longo demais" in long.text


def test_the_myths_are_explained_and_the_stylesheet_is_served(node: Node) -> None:
    page = node.client.get("/check/en")
    assert "New in town" in page.text
    css = node.client.get("/static/tipnet.css")
    assert css.status_code == 200 and "mark" in css.text
