"""Sarabun for the PDF, with SARA AM kept as one glyph, so text copied or extracted from the PDF is the
standard's exact text.

Why: HarfBuzz's Thai shaper always splits SARA AM (U+0E33) into NIKHAHIT + SARA AA and puts them in one
cluster; WeasyPrint then maps each glyph to text once per font (a PDF ToUnicode map), giving the whole
cluster to the SARA AA glyph and nothing to the NIKHAHIT. So "ทำ" came out of the PDF as "ท" + junk + "า",
and every later "า" as whatever the first cluster was. Adding a ligature lookup that joins the split pair
(with the tone mark the font already joins to NIKHAHIT, as in "น้ำ") back into one glyph gives each such
cluster a glyph of its own, which maps to exactly that cluster's text. The outlines are the font's own,
placed as they are in the split form, so the page looks the same.
"""

from __future__ import annotations

import base64
import functools
import io
from pathlib import Path

from fontTools.ttLib import TTFont
from fontTools.ttLib.tables import otTables
from fontTools.ttLib.tables._g_l_y_f import Glyph, GlyphComponent

__all__ = ["pdf_font_data_uri"]

_SARA_AA = "uni0E32"
_NIKHAHIT_FORMS = [f"uni0E4D{tone}{narrow}" for tone in ("", "0E48", "0E49", "0E4A", "0E4B")
                   for narrow in ("", ".narrow")]


def _composite(parts: list[str]) -> Glyph:
    glyph = Glyph()
    glyph.numberOfContours = -1
    glyph.components = []
    for name in parts:
        component = GlyphComponent()
        component.glyphName, component.x, component.y, component.flags = name, 0, 0, 0
        glyph.components.append(component)
    return glyph


def _with_sara_am_ligatures(font: TTFont) -> None:
    glyf, hmtx = font["glyf"], font["hmtx"]
    order = list(font.getGlyphOrder())
    ligatures: dict[str, list[otTables.Ligature]] = {}
    for nikhahit in (n for n in _NIKHAHIT_FORMS if n in glyf.glyphs):
        name = f"{nikhahit}_{_SARA_AA}.am"
        order.append(name)
        glyf.glyphs[name] = _composite([nikhahit, _SARA_AA])
        ligature = otTables.Ligature()
        ligature.LigGlyph, ligature.Component, ligature.CompCount = name, [_SARA_AA], 2
        ligatures[nikhahit] = [ligature]
    font.setGlyphOrder(order)
    glyf.setGlyphOrder(order)
    for (ligature,) in ligatures.values():
        glyph = glyf[ligature.LigGlyph]
        glyph.recalcBounds(glyf)
        hmtx.metrics[ligature.LigGlyph] = (hmtx[_SARA_AA][0], glyph.xMin)
    font["GDEF"].table.GlyphClassDef.classDefs.update({lig.LigGlyph: 1 for (lig,) in ligatures.values()})
    substitution = otTables.LigatureSubst()
    substitution.Format, substitution.ligatures = 1, ligatures
    lookup = otTables.Lookup()
    lookup.LookupType, lookup.LookupFlag, lookup.SubTable, lookup.SubTableCount = 4, 0, [substitution], 1
    gsub = font["GSUB"].table
    gsub.LookupList.Lookup.append(lookup)
    gsub.LookupList.LookupCount = len(gsub.LookupList.Lookup)
    index = gsub.LookupList.LookupCount - 1  # last: after the font's own NIKHAHIT + tone ligatures
    for record in gsub.FeatureList.FeatureRecord:
        if record.FeatureTag == "ccmp":
            record.Feature.LookupListIndex.append(index)
            record.Feature.LookupCount = len(record.Feature.LookupListIndex)


@functools.cache
def pdf_font_data_uri(path: Path) -> str:
    """The bundled Sarabun .woff at ``path`` as TrueType in a ``data:`` URI; the Thai files with the ligatures."""
    font = TTFont(str(path))
    if "GSUB" in font and "uni0E32" in font["glyf"].glyphs:
        _with_sara_am_ligatures(font)
    font.flavor = None
    out = io.BytesIO()
    font.save(out)
    return "data:font/ttf;base64," + base64.b64encode(out.getvalue()).decode("ascii")
