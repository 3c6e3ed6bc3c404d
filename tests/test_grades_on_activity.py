"""Grades on the activity (issue 16, item 5), over real HTTP: a unit placed by deep linking carries a ``lineItem``
(Deep Linking 2.0 §3.1), so Moodle gives the activity a grade item of its own; a judgement posts there (the
launch's AGS ``lineitem`` claim, else the item found by resourceId), never to a new column. A unit never placed
gets one column, once. A link placed before keeps its column until the unit is placed again."""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin

import requests
from sqlalchemy import select

from plugin.models import AgsLineItem, ResourceLink
from plugin.portfolios.judgements import OUTCOMES
from tests.lti_platform import Link
from tests.test_judgements import Site, site
from tests.test_lti_flow import Env, csrf, env_fixture, field

assert site and env_fixture  # the `site` and `env` fixtures: Ann assesses Sam, whose portfolio is compiled

TAG = "samattha-unit"


def place(env: Env, code: str, cmid: int) -> Link:
    """The teacher's "Select content": deep-linking launch, the choice, the signed response posted to Moodle's
    contentitem_return, and the activity saved as ``cmid``."""
    browser = requests.Session()
    picker = env.launch("4", browser, message_type="LtiDeepLinkingRequest")
    returned = browser.post(env.url + "/lti/deep-link", data={"csrf": csrf(picker.text), "code": code}, timeout=10)
    action = re.search(r'<form[^>]*action="([^"]+)"', returned.text)
    assert returned.status_code == 200 and action, returned.text[:500]
    before = len(env.platform.deep_link_returns)
    browser.post(html.unescape(action.group(1)), data={"JWT": field(returned.text, "JWT")}, timeout=10)
    assert len(env.platform.deep_link_returns) == before + 1
    return env.platform.add_link(cmid, env.platform.deep_link_returns[-1]["items"][0])


def launch_link(env: Env, user_id: str, cmid: int) -> requests.Response:
    """A launch of activity ``cmid`` (Env.launch opens the course's first one)."""
    browser = requests.Session()
    form = env.platform.initiate_login(user_id, tool=env.tool, cmid=cmid)
    started = browser.post(env.url + "/lti/login", data=form, allow_redirects=False, timeout=10)
    auth = browser.get(started.headers["Location"], timeout=10)
    return browser.post(env.url + "/lti/launch", data={"id_token": field(auth.text, "id_token"),
                                                       "state": field(auth.text, "state")}, timeout=10)


def items_for(env: Env, unit: str) -> dict[int, dict[str, object]]:
    return {i: item for i, item in env.platform.line_items.items() if item.get("resourceId") == unit}


def judge(site: Site, unit: str, outcome: str = "competent") -> None:
    assert outcome in OUTCOMES
    number = site.snapshot()[0]
    done = site.judge({"snapshot": str(number), "unit": unit, "outcome": outcome, "comments": "ok"})
    assert done.status_code == 303, done.text
    shown = site.ann.get(urljoin(site.env.url, done.headers["Location"]), timeout=10).text
    assert "pf.grade_failed" not in shown, shown


def first_unit(site: Site) -> str:
    return str(site.snapshot()[2]["units"][0]["code"])


def test_a_placed_unit_carries_a_line_item_and_moodle_grades_the_activity(env: Env, standard: object) -> None:
    env.launch("4")
    link = place(env, "DG-OPSR-023", 7)
    item = env.platform.deep_link_returns[-1]["items"][0]
    assert item["lineItem"] == {"scoreMaximum": 100.0, "label": item["title"], "resourceId": "DG-OPSR-023",
                                "tag": TAG}
    assert link.grade == 100.0
    [(item_id, made)] = items_for(env, "DG-OPSR-023").items()
    assert made["resourceLinkId"] == link.id and made["tag"] == TAG
    # Its launches name the activity's line item (AGS claim), and Samattha keeps it on the resource link.
    assert launch_link(env, "3", 7).status_code == 200
    with env.db() as db:
        stored = db.scalars(select(ResourceLink).filter_by(resource_link_id=link.id)).one()
        assert stored.lineitem_url and stored.lineitem_url.split("?")[0].endswith(f"/lineitems/{item_id}/lineitem")
    # An element's placement asks for none (its grade is its unit's), nor does the same unit placed again.
    place(env, "DS601", 8)
    assert "lineItem" not in env.platform.deep_link_returns[-1]["items"][0]
    place(env, "DG-OPSR-023", 9)
    assert "lineItem" not in env.platform.deep_link_returns[-1]["items"][0]
    assert len(items_for(env, "DG-OPSR-023")) == 1


def test_a_judgement_posts_to_the_activitys_own_line_item(site: Site) -> None:
    unit = first_unit(site)
    link = place(site.env, unit, 7)
    [activity_item] = items_for(site.env, unit)
    assert launch_link(site.env, "3", 7).status_code == 200  # Sam's launch names the line item
    judge(site, unit)
    assert site.env.platform.grades[(activity_item, "3")][0] == 100.0
    judge(site, unit, "more_evidence")
    assert site.env.platform.grades[(activity_item, "3")][0] != 100.0
    assert list(items_for(site.env, unit)) == [activity_item]  # no column besides the activity's
    with site.env.db() as db:
        [row] = db.scalars(select(AgsLineItem)).all()
        assert (row.unit_code, row.kind) == (unit, "activity") and f"/lineitems/{activity_item}/" in row.lineitem_url
    assert link.grade == 100.0


def test_an_activity_never_launched_is_found_by_its_resource_id(site: Site) -> None:
    unit = first_unit(site)
    place(site.env, unit, 7)  # nobody has opened it yet: no launch has named its line item
    [activity_item] = items_for(site.env, unit)
    judge(site, unit)
    assert site.env.platform.grades[(activity_item, "3")][0] == 100.0 and list(items_for(site.env, unit)) == \
        [activity_item]


def test_a_unit_never_placed_gets_one_column_once(site: Site) -> None:
    unit = first_unit(site)
    for outcome in ("competent", "not_yet_competent", "competent"):
        judge(site, unit, outcome)
    [(column, item)] = items_for(site.env, unit).items()
    assert "resourceLinkId" not in item and item["tag"] == TAG
    assert site.env.platform.grades[(column, "3")][0] == 100.0


def test_a_link_placed_before_keeps_its_column_until_the_unit_is_placed_again(site: Site) -> None:
    unit = first_unit(site)
    # Placed by an earlier Samattha: the unit in custom, no lineItem, so Moodle gave the activity no grade item.
    old = site.env.platform.add_link(6, {"title": f"{unit} old", "custom": {"unit_code": unit}})
    assert old.grade == 0 and launch_link(site.env, "3", 6).status_code == 200
    judge(site, unit)
    [column] = items_for(site.env, unit)
    judge(site, unit, "not_yet_competent")
    assert list(items_for(site.env, unit)) == [column]  # it keeps working, in the column it has
    kept = site.env.platform.grades[(column, "3")]
    # The coordinator places the unit again: the new activity has its grade item, and grades go there from now on.
    place(site.env, unit, 7)
    assert "lineItem" in site.env.platform.deep_link_returns[-1]["items"][0]
    activity_item = next(i for i, item in items_for(site.env, unit).items() if item.get("resourceLinkId") == "7")
    judge(site, unit)
    assert site.env.platform.grades[(activity_item, "3")][0] == 100.0
    assert site.env.platform.grades[(column, "3")] == kept  # the old column is left as it was
    assert set(items_for(site.env, unit)) == {column, activity_item}  # and no third one
