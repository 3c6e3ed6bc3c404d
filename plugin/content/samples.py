"""The sample Tin Can packages in content/packages, assembled into folders or zips a coordinator uploads.

Each package folder holds only what is its own (tincan.xml, index.html, questions.js). The player code in
content/packages/shared and the bundled Sarabun font are added when a package is assembled, so the repository
keeps one copy of each.
"""

from __future__ import annotations

import shutil
import zipfile
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

__all__ = ["assemble_sample", "sample_names", "zip_sample"]

_PACKAGES = "content.packages"
_FONTS = ("sarabun-thai-400-normal.woff2", "sarabun-latin-400-normal.woff2", "OFL.txt")


def _root() -> Traversable:
    return resources.files(_PACKAGES)


def sample_names() -> list[str]:
    return sorted(
        entry.name for entry in _root().iterdir() if entry.is_dir() and entry.joinpath("tincan.xml").is_file()
    )


def _copy_files(source: Traversable, dest: Path) -> None:
    for entry in source.iterdir():
        if entry.is_file() and not entry.name.startswith((".", "__")):
            (dest / entry.name).write_bytes(entry.read_bytes())


def assemble_sample(name: str, dest: Path) -> Path:
    """Write the package ``name`` with its shared player code and fonts into the new folder ``dest``."""
    if name not in sample_names():
        raise ValueError(f"package: no sample package is called {name!r}")
    dest.mkdir(parents=True)
    _copy_files(_root().joinpath(name), dest)
    _copy_files(_root().joinpath("shared"), dest)
    fonts = dest / "fonts"
    fonts.mkdir()
    static = resources.files("plugin").joinpath("static", "fonts")
    for font in _FONTS:
        (fonts / font).write_bytes(static.joinpath(font).read_bytes())
    return dest


def zip_sample(name: str, out: Path) -> Path:
    """The package as the zip an authoring tool would export (tincan.xml at the root)."""
    staging = out.with_suffix(".staging")
    if staging.exists():
        shutil.rmtree(staging)
    folder = assemble_sample(name, staging)
    try:
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(folder).as_posix())
    finally:
        shutil.rmtree(folder)
    return out
