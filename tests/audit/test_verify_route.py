"""GET /api/v1/audit/verify: the administrator's verify, with a checkpoint kept from before."""

from __future__ import annotations

from tests.conftest import Node
from tipnet.auth.permissions import Role


def test_verify_returns_a_checkpoint_that_a_later_verify_accepts(node: Node) -> None:
    node.user("root", Role.ADMIN)
    first = node.client.get("/api/v1/audit/verify", headers=node.headers("root"))
    assert first.status_code == 200, first.text
    checkpoint = first.json()["checkpoint"]
    assert first.json()["ok"] and checkpoint.startswith(f"{first.json()['head_seq']}:")
    node.user("later", Role.INVESTIGATOR)  # the log grows
    later = node.client.get(
        "/api/v1/audit/verify", params={"checkpoint": checkpoint}, headers=node.headers("root")
    )
    assert later.status_code == 200
    assert later.json()["ok"] and later.json()["head_seq"] > first.json()["head_seq"]


def test_a_checkpoint_the_log_does_not_hold_fails_and_a_malformed_one_is_422(node: Node) -> None:
    node.user("root", Role.ADMIN)
    unknown = node.client.get(
        "/api/v1/audit/verify",
        params={"checkpoint": f"999999:{'ab' * 32}"},
        headers=node.headers("root"),
    )
    assert unknown.status_code == 200
    assert not unknown.json()["ok"] and unknown.json()["problems"]
    malformed = node.client.get(
        "/api/v1/audit/verify", params={"checkpoint": "yesterday"}, headers=node.headers("root")
    )
    assert malformed.status_code == 422
