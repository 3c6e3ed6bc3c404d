"""tincan.xml and cmi5.xml readers, and whole content packages, on valid and hostile inputs."""

from __future__ import annotations

import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from plugin.archives import ArchiveError
from plugin.content.manifests import (
    Cmi5Au,
    Cmi5Block,
    LaunchMethod,
    ManifestError,
    MoveOn,
    detect_package,
    read_cmi5_manifest,
    read_package,
    read_tincan_manifest,
)

TINCAN = """<?xml version="1.0" encoding="utf-8" ?>
<tincan xmlns="http://projecttincan.com/tincan.xsd">
  <activities>
    <activity id="http://example.com/course/pdpa" type="http://adlnet.gov/expapi/activities/course">
      <name lang="th">ความรู้ PDPA</name>
      <name lang="en-US">PDPA basics</name>
      <description lang="und">A short   course</description>
      <launch lang="und">story.html?lang=th</launch>
    </activity>
    <activity id="http://example.com/course/pdpa/quiz" type="http://adlnet.gov/expapi/activities/objective">
      <name><langstring lang="en-US">Quiz</langstring></name>
      <description><langstring lang="en-US">Final quiz</langstring></description>
    </activity>
  </activities>
</tincan>
"""

QUIZ_ID = "https://example.com/courses/geo/aus/quiz"
CMI5 = """<?xml version="1.0" encoding="utf-8"?>
<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"
                 xmlns:ext="https://example.com/vendor">
  <course id="https://example.com/courses/geo">
    <title><langstring lang="en-US">Geology</langstring><langstring lang="th-TH">ธรณีวิทยา</langstring></title>
    <description><langstring lang="en-US">
        Rocks and
        plates.</langstring></description>
    <ext:authoringTool>Storyline 360</ext:authoringTool>
  </course>
  <objectives>
    <objective id="https://example.com/objectives/basics">
      <title><langstring lang="en-US">Basics</langstring></title>
      <description><langstring lang="en-US">Basic terms</langstring></description>
    </objective>
  </objectives>
  <au id="https://example.com/courses/geo/aus/intro">
    <title><langstring lang="en-US">Introduction</langstring></title>
    <description><langstring lang="en-US"></langstring></description>
    <url>intro/index.html</url>
  </au>
  <block id="https://example.com/courses/geo/blocks/1">
    <title><langstring lang="en-US">Unit 1</langstring></title>
    <description><langstring lang="en-US">First unit</langstring></description>
    <objectives><objective idref="https://example.com/objectives/basics"/></objectives>
    <block id="https://example.com/courses/geo/blocks/1.1">
      <title><langstring lang="en-US">Lesson 1.1</langstring></title>
      <description><langstring lang="en-US">Nested</langstring></description>
      <au id="https://example.com/courses/geo/aus/quiz" moveOn="CompletedAndPassed" masteryScore="0.8"
          launchMethod="OwnWindow" activityType="http://adlnet.gov/expapi/activities/assessment">
        <title><langstring lang="en-US">Quiz</langstring></title>
        <description><langstring lang="en-US">Graded</langstring></description>
        <objectives><objective idref="https://example.com/objectives/basics"/></objectives>
        <url>quiz/index.html?mode=exam#start</url>
        <launchParameters>{"level": 2}</launchParameters>
        <entitlementKey>xyz-123</entitlementKey>
      </au>
    </block>
    <au id="https://example.com/courses/geo/aus/video" moveOn="Completed">
      <title><langstring lang="en-US">Video</langstring></title>
      <description><langstring lang="en-US">Hosted elsewhere</langstring></description>
      <url>https://media.example.com/geo/video.html</url>
    </au>
  </block>
</courseStructure>
"""


def make_zip(tmp_path: Path, files: dict[str, str], name: str = "package.zip") -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, text in files.items():
            archive.writestr(member, text)
    path = tmp_path / name
    path.write_bytes(buffer.getvalue())
    return path


# --- tincan.xml ----------------------------------------------------------------------------------------


def test_a_tincan_manifest_parses_both_langstring_shapes() -> None:
    package = read_tincan_manifest(TINCAN.encode())
    course, quiz = package.activities
    assert course.id == "http://example.com/course/pdpa"
    assert course.type == "http://adlnet.gov/expapi/activities/course"
    assert course.name == {"th": "ความรู้ PDPA", "en-US": "PDPA basics"}
    assert course.description == {"und": "A short course"}
    assert course.launch == "story.html?lang=th"
    assert quiz.name == {"en-US": "Quiz"} and quiz.description == {"en-US": "Final quiz"} and quiz.launch is None
    assert package.launch_activity is course


def test_a_tincan_manifest_without_namespace_is_accepted() -> None:
    xml = TINCAN.replace(' xmlns="http://projecttincan.com/tincan.xsd"', "")
    assert read_tincan_manifest(xml.encode()).launch_activity.launch == "story.html?lang=th"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('<activity id="http://example.com/course/pdpa" ', "<activity ",
         "tincan.xml: <activity> #1: missing id attribute"),
        ("story.html?lang=th", "../../etc/passwd", "tincan.xml: <activity> #1 <launch>: launch URL '../../etc/passwd' "
         "escapes the package"),
        ("story.html?lang=th", "/story.html", "launch URL '/story.html' is not relative to the package"),
        ("story.html?lang=th", "https://evil.example/x", "launch URL 'https://evil.example/x' is not relative"),
        ("story.html?lang=th", "javascript:alert(1)", "launch URL 'javascript:alert(1)' is not relative"),
        ('<launch lang="und">story.html?lang=th</launch>', "", "tincan.xml: no <activity> has a <launch>"),
        ("projecttincan.com/tincan.xsd", "example.com/other", "tincan.xml: root element is <{http://example.com/other}tin"),
    ],
)
def test_invalid_tincan_manifests_name_the_element(old: str, new: str, message: str) -> None:
    assert old in TINCAN
    with pytest.raises(ManifestError, match=re.escape(message)):
        read_tincan_manifest(TINCAN.replace(old, new, 1).encode())


def test_an_xxe_manifest_reads_no_local_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xml = TINCAN.replace('<?xml version="1.0" encoding="utf-8" ?>',
                         f'<?xml version="1.0"?><!DOCTYPE tincan [<!ENTITY s SYSTEM "file://{secret}">]>')
    xml = xml.replace("A short   course", "&s;")
    with pytest.raises(ManifestError, match="tincan.xml: DOCTYPE declarations are not allowed") as err:
        read_tincan_manifest(xml.encode())
    assert "TOP-SECRET" not in str(err.value)


def test_a_billion_laughs_manifest_is_refused_without_expansion() -> None:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10 if n > 1 else "&lol;" * 10}">' for n in range(1, 10))
    xml = f'<?xml version="1.0"?><!DOCTYPE courseStructure [{entities}]><courseStructure>&lol9;</courseStructure>'
    with pytest.raises(ManifestError, match="cmi5.xml: DOCTYPE declarations are not allowed"):
        read_cmi5_manifest(xml.encode())
    # The same in UTF-16, where the bytes "<!DOCTYPE" never appear.
    with pytest.raises(ManifestError, match="cmi5.xml: DOCTYPE declarations are not allowed"):
        read_cmi5_manifest(xml.replace('version="1.0"', 'version="1.0" encoding="UTF-16"').encode("utf-16"))


# --- cmi5.xml ------------------------------------------------------------------------------------------


def test_a_cmi5_course_with_nested_blocks_and_several_aus() -> None:
    course = read_cmi5_manifest(CMI5.encode())
    assert course.id == "https://example.com/courses/geo"
    assert course.title == {"en-US": "Geology", "th-TH": "ธรณีวิทยา"}
    assert course.description == {"en-US": "Rocks and plates."}
    assert [objective.id for objective in course.objectives] == ["https://example.com/objectives/basics"]
    intro, unit = course.children
    assert intro == Cmi5Au("https://example.com/courses/geo/aus/intro", {"en-US": "Introduction"}, {"en-US": ""},
                           "intro/index.html")
    assert intro.launch_method is LaunchMethod.ANY_WINDOW and intro.move_on is MoveOn.NOT_APPLICABLE
    assert isinstance(unit, Cmi5Block) and unit.objectives == ("https://example.com/objectives/basics",)
    lesson, video = unit.children
    assert isinstance(lesson, Cmi5Block) and lesson.title == {"en-US": "Lesson 1.1"}
    (quiz,) = lesson.children
    assert quiz == Cmi5Au(
        id="https://example.com/courses/geo/aus/quiz",
        title={"en-US": "Quiz"},
        description={"en-US": "Graded"},
        url="quiz/index.html?mode=exam#start",
        launch_method=LaunchMethod.OWN_WINDOW,
        move_on=MoveOn.COMPLETED_AND_PASSED,
        mastery_score=Decimal("0.8"),
        activity_type="http://adlnet.gov/expapi/activities/assessment",
        launch_parameters='{"level": 2}',
        entitlement_key="xyz-123",
        objectives=("https://example.com/objectives/basics",),
    )
    assert isinstance(video, Cmi5Au) and video.is_remote and video.move_on is MoveOn.COMPLETED
    assert [au.id.rsplit("/", 1)[1] for au in course.aus()] == ["intro", "quiz", "video"]


def test_the_namespace_of_the_spec_examples_is_accepted() -> None:
    xml = CMI5.replace("https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd",
                       "http://www.adlnet.gov/cmi5/CourseStructure.xsd")
    assert len(read_cmi5_manifest(xml.encode()).aus()) == 3


QUIZ = f'<au id="{QUIZ_ID}"'


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('masteryScore="0.8"', 'masteryScore="1.5"',
         f"cmi5.xml: <au id='{QUIZ_ID}'>: masteryScore '1.5' is not a decimal from 0 to 1"),
        ('masteryScore="0.8"', 'masteryScore="8e-1"', "masteryScore '8e-1' is not a decimal from 0 to 1"),
        ('moveOn="CompletedAndPassed"', 'moveOn="Sometimes"', "moveOn 'Sometimes' is not one of Passed, Completed"),
        ('launchMethod="OwnWindow"', 'launchMethod="Popup"', "launchMethod 'Popup' is not one of AnyWindow, OwnWindow"),
        (QUIZ, "<au", "cmi5.xml: <block id='https://example.com/courses/geo/blocks/1.1'> <au> #1: missing id"),
        ('<course id="https://example.com/courses/geo">', "<course>", "cmi5.xml: <course>: missing id attribute"),
        ("<url>intro/index.html</url>", "<url>../../x.html</url>", "launch URL '../../x.html' escapes the package"),
        ("<url>intro/index.html</url>", "<url>file:///etc/passwd</url>", "'file:///etc/passwd' is not relative"),
        ("<url>intro/index.html</url>", "",
         "cmi5.xml: <au id='https://example.com/courses/geo/aus/intro'>: missing <url>"),
        ("aus/video", "aus/intro", "id 'https://example.com/courses/geo/aus/intro' is used twice"),
        ('<title><langstring lang="en-US">Unit 1</langstring></title>', "",
         "cmi5.xml: <block id='https://example.com/courses/geo/blocks/1'>: missing <title>"),
        ("CourseStructure.xsd\"\n", "CourseStructure2.xsd\"\n", "cmi5.xml: root element is"),
    ],
)
def test_invalid_cmi5_manifests_name_the_element(old: str, new: str, message: str) -> None:
    assert old in CMI5
    with pytest.raises(ManifestError, match=re.escape(message)):
        read_cmi5_manifest(CMI5.replace(old, new, 1).encode())


def test_a_course_or_block_without_aus_is_refused() -> None:
    empty = CMI5.split("  <au id")[0] + "</courseStructure>"
    with pytest.raises(ManifestError, match=re.escape("cmi5.xml: <courseStructure>: contains no <au> or <block>")):
        read_cmi5_manifest(empty.encode())


# --- packages ------------------------------------------------------------------------------------------


def test_detect_package_finds_the_manifest_at_the_root_or_in_one_wrapping_folder() -> None:
    assert detect_package(["tincan.xml", "story.html"]) == "tincan"
    assert detect_package(["Course/", "Course/cmi5.xml", "__MACOSX/Course/._cmi5.xml", ".DS_Store"]) == "cmi5"
    assert detect_package(["cmi5.xml", "tincan.xml"]) == "cmi5"
    with pytest.raises(ManifestError, match="no cmi5.xml or tincan.xml at its root"):
        detect_package(["a/tincan.xml", "b/index.html"])


def test_a_wrapped_cmi5_package_reads_with_its_prefix(tmp_path: Path) -> None:
    path = make_zip(tmp_path, {"Geology Export/cmi5.xml": CMI5, "Geology Export/intro/index.html": "<p>",
                               "Geology Export/quiz/index.html": "<p>", "__MACOSX/Geology Export/._cmi5.xml": ""})
    package = read_package(path)
    assert package.kind == "cmi5" and package.prefix == "Geology Export/"
    assert [au.url for au in package.manifest.aus()] == [  # type: ignore[union-attr]
        "intro/index.html", "quiz/index.html?mode=exam#start", "https://media.example.com/geo/video.html"]


def test_a_tincan_package_at_the_root(tmp_path: Path) -> None:
    package = read_package(make_zip(tmp_path, {"tincan.xml": TINCAN, "story.html": "<html>"}))
    assert (package.kind, package.prefix) == ("tincan", "")


def test_a_launch_target_missing_from_the_package_is_refused(tmp_path: Path) -> None:
    path = make_zip(tmp_path, {"pkg/cmi5.xml": CMI5, "pkg/intro/index.html": "<p>"})
    message = f"pkg/cmi5.xml: <au id='{QUIZ_ID}'> <url>: 'quiz/index.html?mode=exam#start' names no file in the package"
    with pytest.raises(ManifestError, match=re.escape(message)):
        read_package(path)


def test_hostile_package_archives_are_refused_before_the_manifest_is_read(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match=re.escape("member '../tincan.xml': path escapes the archive")):
        read_package(make_zip(tmp_path, {"tincan.xml": TINCAN, "../tincan.xml": TINCAN}))
    (tmp_path / "notzip.zip").write_bytes(b"\x1f\x8b\x08\x00 not really")
    with pytest.raises(ArchiveError, match="content packages are zip files"):
        read_package(tmp_path / "notzip.zip")
    with pytest.raises(ManifestError, match="no cmi5.xml or tincan.xml"):
        read_package(make_zip(tmp_path, {"imsmanifest.xml": "<manifest/>"}, "scorm.zip"))
