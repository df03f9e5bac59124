"""Check the installed dependencies against the PyPI advisory database (pip-audit).

Run by `make test`. It fails only on a known vulnerability that has a fixed release (so an
upgrade is possible); a vulnerability without a fix is reported and left to a person. Without
network access to the advisory database it says so and passes: tests must run offline.

    python scripts/audit_dependencies.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

TIMEOUT_SECONDS = 300


def main() -> int:
    with tempfile.TemporaryDirectory() as directory:
        output = Path(directory) / "audit.json"
        command = [
            sys.executable,
            "-m",
            "pip_audit",
            "--skip-editable",
            "--progress-spinner",
            "off",
            "--timeout",
            "30",
            "--format",
            "json",
            "--output",
            str(output),
        ]
        try:
            finished = subprocess.run(
                command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS
            )
        except subprocess.TimeoutExpired:
            print("dependency audit: advisory database did not answer in time; not checked")
            return 0
        if not output.exists() or not output.read_text().strip():
            reason = (finished.stderr.strip().splitlines() or ["no output"])[-1]
            print(f"dependency audit: not checked (offline or service unavailable): {reason}")
            return 0
        report = json.loads(output.read_text())
    return _judge(report)


def _judge(report: dict[str, object]) -> int:
    dependencies = report.get("dependencies", [])
    assert isinstance(dependencies, list)
    fixable: list[str] = []
    unfixed: list[str] = []
    for dependency in dependencies:
        for vulnerability in dependency.get("vulns", []):
            line = (
                f"{dependency['name']} {dependency['version']}: {vulnerability['id']}"
                f" (fixed in {', '.join(vulnerability['fix_versions']) or 'no release yet'})"
            )
            (fixable if vulnerability["fix_versions"] else unfixed).append(line)
    for line in unfixed:
        print(f"dependency audit: known vulnerability without a fix: {line}")
    for line in fixable:
        print(f"dependency audit: FIX AVAILABLE, upgrade: {line}")
    print(
        f"dependency audit: {len(dependencies)} packages, {len(fixable)} fixable and "
        f"{len(unfixed)} unfixed known vulnerabilities"
    )
    return 1 if fixable else 0


if __name__ == "__main__":
    sys.exit(main())
