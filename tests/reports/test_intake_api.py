from __future__ import annotations

import hashlib
import threading
import uuid

import pytest
import rfc8785
from sqlalchemy import func, select

from tests.conftest import Node
from tests.reports.helpers import sample_report
from tipnet.audit.models import AuditEvent
from tipnet.auth.permissions import Role
from tipnet.reports.models import Report, ReportPerson


@pytest.fixture
def platform(node: Node) -> Node:
    node.user("platform", Role.REPORTER, org="Platform A")
    node.user("other-platform", Role.REPORTER, org="Platform B")
    node.user("police", Role.INVESTIGATOR, org="Police")
    return node


def _count_reports(node: Node) -> int:
    with node.session() as session:
        return int(session.scalar(select(func.count()).select_from(Report)) or 0)


def test_receipt_proves_what_was_sent(platform: Node, backend: str) -> None:
    body = sample_report()
    response = platform.client.post(
        "/api/v1/reports", json=body, headers=platform.headers("platform")
    )
    assert response.status_code == 201, response.text
    receipt = response.json()
    assert receipt["body_sha256"] == hashlib.sha256(rfc8785.dumps(body)).hexdigest()
    assert receipt["duplicate"] is False
    assert response.headers["Location"] == f"/api/v1/reports/{receipt['report_id']}"
    again = platform.client.get(
        f"/api/v1/reports/{receipt['report_id']}/receipt", headers=platform.headers("platform")
    )
    assert again.json()["body_sha256"] == receipt["body_sha256"]


def test_reporter_cannot_see_another_platforms_receipt(platform: Node, backend: str) -> None:
    receipt = platform.client.post(
        "/api/v1/reports", json=sample_report(), headers=platform.headers("platform")
    ).json()
    response = platform.client.get(
        f"/api/v1/reports/{receipt['report_id']}/receipt",
        headers=platform.headers("other-platform"),
    )
    assert response.status_code == 404


def test_same_reporter_report_id_never_creates_a_second_report(
    platform: Node, backend: str
) -> None:
    first = platform.client.post(
        "/api/v1/reports", json=sample_report("dup-1"), headers=platform.headers("platform")
    )
    second = platform.client.post(
        "/api/v1/reports", json=sample_report("dup-1"), headers=platform.headers("platform")
    )
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["report_id"] == first.json()["report_id"]
    assert second.json()["duplicate"] is True
    # another platform may use the same id of its own
    other = platform.client.post(
        "/api/v1/reports", json=sample_report("dup-1"), headers=platform.headers("other-platform")
    )
    assert other.status_code == 201 and other.json()["report_id"] != first.json()["report_id"]
    assert _count_reports(platform) == 2


def test_same_id_with_different_body_is_a_conflict(platform: Node, backend: str) -> None:
    platform.client.post(
        "/api/v1/reports", json=sample_report("c-1"), headers=platform.headers("platform")
    )
    changed = sample_report("c-1", jurisdiction=["FRA"])
    response = platform.client.post(
        "/api/v1/reports", json=changed, headers=platform.headers("platform")
    )
    assert response.status_code == 409
    assert "different body" in response.json()["detail"]
    assert _count_reports(platform) == 1


def test_idempotency_key_deduplicates_reports_without_an_id(platform: Node, backend: str) -> None:
    body = sample_report()
    del body["reporter"]["report_id"]
    headers = {**platform.headers("platform"), "Idempotency-Key": "retry-abc"}
    first = platform.client.post("/api/v1/reports", json=body, headers=headers)
    second = platform.client.post("/api/v1/reports", json=body, headers=headers)
    assert first.json()["report_id"] == second.json()["report_id"]
    third = platform.client.post("/api/v1/reports", json=body, headers=platform.headers("platform"))
    assert third.status_code == 201  # no key, no id: a new report
    assert _count_reports(platform) == 2


def test_concurrent_retries_make_one_report(platform: Node, backend: str) -> None:
    body = sample_report("race-1")
    results: list[tuple[int, str]] = []

    def post() -> None:
        response = platform.client.post(
            "/api/v1/reports", json=body, headers=platform.headers("platform")
        )
        results.append((response.status_code, response.json().get("report_id", response.text)))

    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(status for status, _ in results) == [200] * 7 + [201]
    assert len({report_id for _, report_id in results}) == 1
    assert _count_reports(platform) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {"incident": {"type": "bogus", "time": "2026-01-01T00:00:00Z", "summary": "x"}},
            "incident.type",
        ),
        (
            {"incident": {"type": "other", "time": "2026-01-01T00:00:00", "summary": "x"}},
            "incident.time",
        ),
        (
            {"incident": {"type": "other", "time": "2999-01-01T00:00:00Z", "summary": "x"}},
            "incident",
        ),
        ({"jurisdiction": ["XXX"]}, "jurisdiction.0"),
        ({"surprise": 1}, "surprise"),
        ({"files": [{"sha256": "not-hex", "content": "AAAA"}]}, "files.0.sha256"),
        ({"victims": [{"age_estimate": 300}]}, "victims.0.age_estimate"),
        ({"internet": {"platform": "insta\u0000gram"}}, "internet.platform"),
        ({"jurisdiction": ["E\u0000SP"]}, "jurisdiction.0"),
    ],
)
def test_bad_fields_get_422_naming_the_field(
    platform: Node, backend: str, change: dict[str, object], field: str
) -> None:
    body = sample_report(**change)
    response = platform.client.post(
        "/api/v1/reports", json=body, headers=platform.headers("platform")
    )
    assert response.status_code == 422, response.text
    fields = [item["field"] for item in response.json()["detail"]]
    assert field in fields, fields
    assert all(item["message"] for item in response.json()["detail"])
    assert _count_reports(platform) == 0


def test_oversized_body_gets_413(platform: Node) -> None:
    body = sample_report(padding="x" * 2_000_000)
    response = platform.client.post(
        "/api/v1/reports", json=body, headers=platform.headers("platform")
    )
    assert response.status_code == 413
    assert _count_reports(platform) == 0


def test_not_json_gets_422(platform: Node) -> None:
    response = platform.client.post(
        "/api/v1/reports",
        content=b"{not json",
        headers={**platform.headers("platform"), "Content-Type": "application/json"},
    )
    assert response.status_code == 422


def test_selectors_are_extracted_and_normalised(platform: Node, backend: str) -> None:
    receipt = platform.client.post(
        "/api/v1/reports", json=sample_report(), headers=platform.headers("platform")
    ).json()
    report = platform.client.get(
        f"/api/v1/reports/{receipt['report_id']}", headers=platform.headers("police")
    ).json()
    values = {(item["kind"], item["value"]) for item in report["selectors"]}
    assert ("phone", "+34612345678") in values  # national form read with the ESP hint
    assert ("phone", "+34611223344") in values  # a reported person's phone
    assert ("email", "recruit@jobs-abroad.example") in values  # obfuscated in free text
    assert receipt["selectors"] == len(report["selectors"])


def test_personal_fields_are_encrypted_at_rest(platform: Node, backend: str) -> None:
    platform.client.post(
        "/api/v1/reports", json=sample_report(), headers=platform.headers("platform")
    )
    with platform.session() as session:
        report = session.scalars(select(Report)).one()
        persons = session.scalars(select(ReportPerson)).all()
    assert b"Fictional" not in report.body_enc
    assert all(b"Fictional" not in (person.name_enc or b"") for person in persons)
    assert {person.role for person in persons} == {"reported", "victim"}


def test_reading_a_report_is_audited(platform: Node, backend: str) -> None:
    receipt = platform.client.post(
        "/api/v1/reports", json=sample_report(), headers=platform.headers("platform")
    ).json()
    platform.client.get(
        f"/api/v1/reports/{receipt['report_id']}", headers=platform.headers("police")
    )
    with platform.session() as session:
        reads = session.scalars(select(AuditEvent).where(AuditEvent.action == "report.read")).all()
    assert [(event.actor, event.object_id) for event in reads] == [
        ("user:police", receipt["report_id"])
    ]
    assert reads[0].remote_addr is not None


def test_triage_queue_orders_by_urgency_then_age(platform: Node, backend: str) -> None:
    times = {"low": "2026-01-03", "immediate": "2026-01-02", "normal": "2026-01-01"}
    for index, (urgency, day) in enumerate(times.items()):
        body = sample_report(f"t-{index}")
        body["incident"].update(urgency=urgency, time=f"{day}T00:00:00Z")
        platform.client.post("/api/v1/reports", json=body, headers=platform.headers("platform"))
    late_immediate = sample_report("t-9")
    late_immediate["incident"].update(urgency="immediate", time="2026-01-05T00:00:00Z")
    platform.client.post(
        "/api/v1/reports", json=late_immediate, headers=platform.headers("platform")
    )
    queue = platform.client.get("/api/v1/triage", headers=platform.headers("police")).json()
    assert [item["urgency"] for item in queue] == ["immediate", "immediate", "normal", "low"]
    report_id = queue[0]["id"]
    moved = platform.client.post(
        f"/api/v1/reports/{report_id}/status",
        json={"status": "triaged"},
        headers=platform.headers("police"),
    )
    assert moved.status_code == 200
    queue = platform.client.get("/api/v1/triage", headers=platform.headers("police")).json()
    assert report_id not in [item["id"] for item in queue]


def test_unknown_report_is_404(platform: Node) -> None:
    response = platform.client.get(
        f"/api/v1/reports/{uuid.uuid4()}", headers=platform.headers("police")
    )
    assert response.status_code == 404


def test_search_finds_reports_by_selector_however_written(platform: Node, backend: str) -> None:
    receipt = platform.client.post(
        "/api/v1/reports", json=sample_report(), headers=platform.headers("platform")
    ).json()
    platform.client.post(
        "/api/v1/reports",
        json=sample_report("other", internet={"phones": []}),
        headers=platform.headers("platform"),
    )
    for query in (
        {"kind": "phone", "value": "612 34 56 78", "country": "ESP"},
        {"kind": "phone", "value": "+34 612-345-678"},
        {"kind": "email", "value": "Recruit@Jobs-Abroad.example"},
    ):
        found = platform.client.post(
            "/api/v1/reports/search", json=query, headers=platform.headers("police")
        )
        assert found.status_code == 200, found.text
        ids = [report["id"] for report in found.json()["reports"]]
        assert receipt["report_id"] in ids
    phone = platform.client.post(
        "/api/v1/reports/search",
        headers=platform.headers("police"),
        json={"kind": "phone", "value": "+34612345678"},
    ).json()
    assert phone["normalised"] == "+34612345678" and len(phone["reports"]) == 2
    bad = platform.client.post(
        "/api/v1/reports/search",
        headers=platform.headers("police"),
        json={"kind": "phone", "value": "12"},
    )
    assert bad.status_code == 422
    with platform.session() as session:
        searches = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "report.search")
        ).all()
    # The index is a keyed hex digest, which may hold "612" by chance; the plaintext may not.
    plaintext = ("612345678", "612 34", "jobs-abroad")
    assert len(searches) == 4
    assert not any(text in event.details.lower() for event in searches for text in plaintext)


def test_batch_files_many_reports_and_is_safe_to_retry(platform: Node, backend: str) -> None:
    reports = [sample_report(f"batch-{index}") for index in range(30)]
    response = platform.client.post(
        "/api/v1/reports/batch", json={"reports": reports}, headers=platform.headers("platform")
    )
    assert response.status_code == 200, response.text
    first = response.json()
    assert (first["created"], first["duplicates"], first["conflicts"]) == (30, 0, 0)
    for index, item in enumerate(first["results"]):
        assert item["index"] == index and item["status"] == 201
        assert (
            item["receipt"]["body_sha256"]
            == hashlib.sha256(rfc8785.dumps(reports[index])).hexdigest()
        )
    reports[3]["jurisdiction"] = ["FRA"]  # a changed body under a known id
    again = platform.client.post(
        "/api/v1/reports/batch", json={"reports": reports}, headers=platform.headers("platform")
    ).json()
    assert (again["created"], again["duplicates"], again["conflicts"]) == (0, 29, 1)
    assert again["results"][3]["status"] == 409 and "different body" in again["results"][3]["error"]
    assert (
        again["results"][0]["receipt"]["report_id"] == first["results"][0]["receipt"]["report_id"]
    )
    assert _count_reports(platform) == 30


def test_batch_is_validated_as_a_whole(platform: Node) -> None:
    reports = [sample_report("ok-1"), sample_report("ok-2", jurisdiction=["ZZZ"])]
    response = platform.client.post(
        "/api/v1/reports/batch", json={"reports": reports}, headers=platform.headers("platform")
    )
    assert response.status_code == 422
    assert "reports.1.jurisdiction.0" in [item["field"] for item in response.json()["detail"]]
    no_id = sample_report("x")
    del no_id["reporter"]["report_id"]
    response = platform.client.post(
        "/api/v1/reports/batch", json={"reports": [no_id]}, headers=platform.headers("platform")
    )
    assert response.status_code == 422 and "report_id" in response.text
    too_many = {"reports": [sample_report(f"m-{i}") for i in range(501)]}
    response = platform.client.post(
        "/api/v1/reports/batch", json=too_many, headers=platform.headers("platform")
    )
    assert response.status_code in (413, 422)
    assert _count_reports(platform) == 0


def test_every_report_is_scored_and_explained_at_intake(platform: Node, backend: str) -> None:
    body = sample_report("scored")
    body["incident"].update(
        type="recruitment_fraudulent_job_offer",
        summary="Hotel work abroad. Registration fee required; the employer keeps your passport.",
    )
    receipt = platform.client.post(
        "/api/v1/reports", json=body, headers=platform.headers("platform")
    ).json()
    report = platform.client.get(
        f"/api/v1/reports/{receipt['report_id']}", headers=platform.headers("police")
    ).json()
    summary = body["incident"]["summary"]
    found = {sign["id"]: sign for sign in report["risk"]["indicators"]}
    assert {"upfront_fee", "passport_retention"} <= set(found)
    assert report["risk_score"] == report["risk"]["score"] > 0.5
    for span in found["upfront_fee"]["spans"]:
        assert summary[span["start"] : span["end"]] == span["text"]
        assert span["text"].lower() == "registration fee"


def test_stored_explanation_keeps_offsets_not_text(platform: Node, backend: str) -> None:
    body = sample_report("no-clear-text")
    body["incident"]["summary"] = "Contact only on WhatsApp, the registration fee is 300 euros."
    platform.client.post("/api/v1/reports", json=body, headers=platform.headers("platform"))
    with platform.session() as session:
        stored = session.scalars(select(Report.risk_explanation)).one()
    assert stored is not None and "registration fee" not in stored.lower()
    assert '"spans":[[' in stored


def test_triage_puts_the_riskier_report_first_within_an_urgency(
    platform: Node, backend: str
) -> None:
    bland = sample_report("bland")
    bland["incident"].update(summary="A profile posted spam links.", time="2026-01-01T00:00:00Z")
    risky = sample_report("risky")
    risky["incident"].update(
        summary="Pay the visa fee upfront, we keep your passport, talk only on WhatsApp.",
        time="2026-01-02T00:00:00Z",
    )
    for body in (bland, risky):
        body["incident"]["urgency"] = "normal"
        platform.client.post("/api/v1/reports", json=body, headers=platform.headers("platform"))
    queue = platform.client.get("/api/v1/triage", headers=platform.headers("police")).json()
    scores = [item["risk_score"] for item in queue]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[1]
