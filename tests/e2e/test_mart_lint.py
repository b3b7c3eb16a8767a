"""The dbt models are clean under transform/.sqlfluff (jinja templater, our dbt stand-ins in transform/lint)."""

from __future__ import annotations

import json
import subprocess

from conftest import ROOT, needs, which

TRANSFORM = ROOT / "transform"
def model_folders() -> list[str]:
    return sorted({str(p.parent.relative_to(TRANSFORM)) for p in (TRANSFORM / "models").rglob("*.sql")})


def test_models_are_clean_under_sqlfluff() -> None:
    sqlfluff = which("sqlfluff")
    needs("sqlfluff is not installed: run scripts/setup.sh (requirements-dev.txt)", available=sqlfluff is not None)
    folders = model_folders()
    assert "models/marts/inventory" in folders
    proc = subprocess.run([sqlfluff, "lint", *folders, "--format", "json", "--processes", "2"], cwd=TRANSFORM,
                          capture_output=True, text=True, timeout=300, check=False)
    results = json.loads(proc.stdout)
    assert len(results) >= 20, "sqlfluff linted fewer files than the project has"
    problems = [f"{r['filepath']}:{v['start_line_no']} {v['code']} {v['description']}"
                for r in results for v in r["violations"]]
    assert not problems, "\n".join(problems)
