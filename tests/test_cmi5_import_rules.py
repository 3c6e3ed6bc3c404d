"""Course structures cmi5 §13 forbids and CATAPULT's invalid-package tests name, refused at import with the rule:
an objective id given twice (205-2), an AU URL with white space in it (206-1, 207-1)."""

from __future__ import annotations

import pytest

from plugin.content.manifests import ManifestError, read_cmi5_manifest

OBJECTIVE = """<objective id="https://example.test/objective/1">
  <title><langstring lang="en">Knows it</langstring></title></objective>"""


def _structure(objectives: str = OBJECTIVE, url: str = "https://content.example.org/au/index.html",
               after_url: str = "") -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd">
  <course id="https://example.test/course"><title><langstring lang="en">Course</langstring></title></course>
  <objectives>{objectives}</objectives>
  <au id="https://example.test/au"><title><langstring lang="en">AU</langstring></title>
    <objectives><objective idref="https://example.test/objective/1"/></objectives>
    <url>{url}</url>{after_url}</au>
</courseStructure>""".encode()


def test_a_course_structure_naming_one_objective_twice_is_refused() -> None:
    assert read_cmi5_manifest(_structure()).objectives[0].id == "https://example.test/objective/1"
    with pytest.raises(ManifestError, match=r"<objective> #2: id 'https://example.test/objective/1' is used twice"):
        read_cmi5_manifest(_structure(OBJECTIVE * 2))


def test_an_au_url_with_white_space_in_it_is_refused() -> None:
    with pytest.raises(ManifestError, match=r"'http://example.com index.html' is not a URL: white space"):
        read_cmi5_manifest(_structure(url="http://example.com index.html"))


def test_the_entitlement_key_and_launch_parameters_are_read_without_the_lines_around_them() -> None:
    indented = ("\n    <launchParameters>\n      mode=test\n    </launchParameters>"
                "\n    <entitlementKey>\n      licence-4711\n    </entitlementKey>\n")
    (au,) = read_cmi5_manifest(_structure(after_url=indented)).aus()
    assert (au.launch_parameters, au.entitlement_key) == ("mode=test", "licence-4711")
