from __future__ import annotations

import copy
from typing import Any

from tipnet.reports.examples import example_reports

SAMPLE = example_reports(1, seed=3, prefix="sample")[0]


def sample_report(report_id: str = "r-1", **changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(SAMPLE)
    body["reporter"]["report_id"] = report_id
    body["incident"]["summary"] = (
        "Job offer abroad, passport kept by the employer. Call five five five 12 34 or "
        "WhatsApp +34 612 34 56 78, mail recruit [at] jobs-abroad [dot] example"
    )
    body["internet"]["phones"] = ["612 34 56 78"]
    body["jurisdiction"] = ["ESP"]
    body["reported_persons"] = [
        {
            "name": "Fictional Recruiter",
            "date_of_birth": "1990-02-03",
            "sex": "male",
            "nationality": "ESP",
            "phones": ["+34 611 22 33 44"],
        }
    ]
    body["victims"] = [
        {
            "name": "Fictional Victim",
            "age_estimate": 17,
            "is_minor": True,
            "sex": "female",
            "country": "PHL",
        }
    ]
    body.update(changes)
    return body
