"""The one direction of imports: plugin may import lti and xapi; lti and xapi import neither plugin nor
each other."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {"lti": {"plugin", "xapi"}, "xapi": {"plugin", "lti"}}


def _imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_lti_and_xapi_never_reach_back() -> None:
    offences = []
    for package, forbidden in FORBIDDEN.items():
        for path in (ROOT / package).rglob("*.py"):
            bad = _imported_packages(path) & forbidden
            if bad:
                offences.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert offences == []


def test_the_checker_sees_a_reaching_import(tmp_path: Path) -> None:
    sample = tmp_path / "m.py"
    sample.write_text("from plugin.db import get_session\nimport xapi.validation\n")
    assert _imported_packages(sample) == {"plugin", "xapi"}
