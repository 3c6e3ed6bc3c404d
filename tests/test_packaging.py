"""`pip install .` (not only -e) must carry the data the app reads through importlib.resources."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_ships_sources_clean_data_migrations_templates_and_font(tmp_path: Path) -> None:
    subprocess.run(  # noqa: S603
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path),
         str(ROOT)],
        check=True, capture_output=True,
    )
    wheel = next(tmp_path.glob("samattha-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        "content/standards/sources/dg-executive-developing.txt",
        "content/standards/sources/dg-opsr-023.txt",
        "content/standards/dg-executive-developing.json",
        "content/standards/dg-opsr-023.json",
        "plugin/migrations/env.py",
        "plugin/migrations/script.py.mako",
        "plugin/migrations/versions/0001_standard_tables.py",
        "plugin/templates/base.html",
        "plugin/static/style.css",
        "plugin/static/fonts/sarabun-thai-400-normal.woff2",
        "plugin/static/fonts/OFL.txt",
    }
    assert expected <= names
    assert not any(name.startswith("tests/") for name in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "samattha = plugin.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
