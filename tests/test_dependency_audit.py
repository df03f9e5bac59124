"""scripts/audit_dependencies.py fails only on a known vulnerability that has a fix."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "audit_dependencies.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("audit_dependencies", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _report(*vulns: dict[str, object]) -> dict[str, object]:
    return {
        "dependencies": [
            {"name": "clean", "version": "1.0", "vulns": []},
            {"name": "shaky", "version": "2.0", "vulns": list(vulns)},
        ]
    }


def test_a_vulnerability_with_a_fix_fails_the_audit(capsys: object) -> None:
    judged = _script()._judge(_report({"id": "PYSEC-1", "fix_versions": ["2.1"]}))
    assert judged == 1


def test_a_vulnerability_without_a_fix_is_reported_but_passes(capsys: object) -> None:
    judged = _script()._judge(_report({"id": "GHSA-x", "fix_versions": []}))
    assert judged == 0


def test_no_vulnerabilities_pass() -> None:
    assert _script()._judge(_report()) == 0
