"""POST /api/v1/check: public, explained in four languages, nothing stored, rate-limited."""

from __future__ import annotations

from sqlalchemy import text

from tests.conftest import Node
from tests.detect.test_scoring import JOB_OFFER
from tipnet.detect.routes import CHECKS_PER_MINUTE
from tipnet.detect.schemas import MAX_CHECK_CHARS


def _row_counts(node: Node) -> dict[str, int]:
    with node.session() as session:
        tables = [
            name
            for (name,) in session.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'table'")
            )
        ]
        return {
            name: session.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()
            for name in tables
        }


def test_anyone_can_check_a_text_and_nothing_is_stored(node: Node) -> None:
    before = _row_counts(node)
    response = node.client.post("/api/v1/check", json={"text": JOB_OFFER, "kind": "job_offer"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["level"] == "strong_signs"
    signs = {sign["id"]: sign for sign in body["signs"]}
    assert {"upfront_fee", "passport_retention"} <= set(signs)
    match = signs["upfront_fee"]["matches"][0]
    assert JOB_OFFER[match["start"] : match["end"]] == match["text"]
    assert signs["passport_retention"]["why"]
    assert any("1-888-373-7888" in contact["contact"] for contact in body["help"])
    assert "stored" in body["notice"]
    assert _row_counts(node) == before


def test_the_answer_comes_in_the_language_asked_for(node: Node) -> None:
    for language, word in [("es", "pasaporte"), ("fr", "passeport"), ("pt", "passaporte")]:
        response = node.client.post("/api/v1/check", json={"text": JOB_OFFER, "language": language})
        assert response.status_code == 200
        names = " ".join(sign["name"] for sign in response.json()["signs"])
        assert word in names.lower(), (language, names)


def test_a_text_without_signs_says_so_in_words(node: Node) -> None:
    response = node.client.post("/api/v1/check", json={"text": "New in town, leaving soon"})
    body = response.json()
    assert body["level"] == "no_signs" and body["signs"] == [] and body["score"] == 0
    assert "does not prove it is safe" in body["summary"]


def test_bad_input_gets_a_clear_error(node: Node) -> None:
    client = node.client
    empty = client.post("/api/v1/check", json={"text": "   "})
    assert empty.status_code == 422 and "the text is empty" in empty.text
    missing = client.post("/api/v1/check", json={})
    assert missing.status_code == 422 and missing.json()["detail"][0]["field"] == "text"
    long = client.post("/api/v1/check", json={"text": "a" * (MAX_CHECK_CHARS + 1)})
    assert long.status_code == 422 and "at most 50000 characters" in long.text
    huge = client.post("/api/v1/check", json={"text": "a" * 1_100_000})
    assert huge.status_code == 413 and "larger than" in huge.json()["detail"]
    latin1 = client.post(
        "/api/v1/check",
        content='{"text": "caf\u00e9"}'.encode("latin-1"),
        headers={"Content-Type": "application/json"},
    )
    assert latin1.status_code == 422 and "UTF-8" in latin1.text
    wrong_kind = client.post("/api/v1/check", json={"text": "hello", "kind": "spaceship"})
    assert wrong_kind.status_code == 422


def test_too_many_checks_from_one_address_get_a_429_with_retry_after(node: Node) -> None:
    statuses = [
        node.client.post("/api/v1/check", json={"text": "hello"}).status_code
        for _ in range(CHECKS_PER_MINUTE + 1)
    ]
    assert statuses[:CHECKS_PER_MINUTE] == [200] * CHECKS_PER_MINUTE
    refused = node.client.post("/api/v1/check", json={"text": "hello"})
    assert refused.status_code == 429
    assert "too many checks" in refused.json()["detail"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60


def test_the_rate_limiter_refills_and_forgets_idle_clients() -> None:
    from tipnet.detect.ratelimit import RateLimiter

    now = [0.0]
    limiter = RateLimiter(requests=2, per_seconds=10, max_clients=2, clock=lambda: now[0])
    assert [limiter.take("a"), limiter.take("a")] == [0, 0]
    assert limiter.take("a") == 5
    now[0] = 5.0
    assert limiter.take("a") == 0
    limiter.take("b")
    limiter.take("c")  # the table holds two clients: "a" idled longest and is dropped
    assert limiter.take("a") == 0
