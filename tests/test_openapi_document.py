"""The OpenAPI document is whole: every reference resolves, so client generators and the docs
page can read every operation, the signed federation ones included."""

from __future__ import annotations

import json
import re

from tests.conftest import Node


def test_every_schema_reference_resolves(node: Node) -> None:
    document = node.client.get("/openapi.json").json()
    named = set(document["components"]["schemas"])
    referenced = set(re.findall(r"#/components/schemas/([A-Za-z0-9_.-]+)", json.dumps(document)))
    assert referenced - named == set()
    assert {"EvaluateRequest", "CooperationRequestMessage", "ReportCreate"} <= named
