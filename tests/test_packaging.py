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
        "plugin/static/fonts.css",
        "plugin/static/fonts/sarabun-thai-400-normal.woff2",
        "plugin/static/fonts/OFL.txt",
        "content/packages/dg-opsr-023-ds601/tincan.xml",
        "content/packages/dg-opsr-023-ds601/index.html",
        "content/packages/shared/xapi.js",
    }
    assert expected <= names
    assert not any(name.startswith("tests/") for name in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "samattha = plugin.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_installed_console_script_finds_its_data_from_any_directory(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "samattha"
    if not script.exists():  # pragma: no cover - only when the package is not installed at all
        import pytest

        pytest.skip("the samattha console script is not installed in this environment")
    env = {"PATH": "/usr/bin:/bin", "SAMATTHA_INSTANCE_PATH": str(tmp_path / "instance")}
    imported = subprocess.run(  # noqa: S603
        [str(script), "standards", "import"], cwd=tmp_path, env=env, capture_output=True, text=True, check=True
    )
    assert "dg-opsr-023.txt: 1 created" in imported.stdout
    shown = subprocess.run(  # noqa: S603
        [str(script), "standards", "show", "DS601.01"], cwd=tmp_path, env=env, capture_output=True, text=True,
        check=True,
    )
    assert '"system_code": "216768"' in shown.stdout
