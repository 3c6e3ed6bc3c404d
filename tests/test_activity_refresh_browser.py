"""The Refresh button and the administrator's Web Services page, as people use them in Chromium, in Thai and
English, at a desktop's and a phone's width."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import expect

from plugin.demo.moodle import Module
from tests.browser import chromium
from tests.test_staff_roles_browser import _launch, _shot, _site

TEXTS = {"en": ("Refresh activities", "Activities refreshed:", "Moodle Web Services {n} (1 new)", "Check and save",
                "The token works with this course and is saved.", "A token is set"),
         "th": ("ค้นหากิจกรรมอีกครั้ง", "ค้นหากิจกรรมแล้ว:", "Moodle Web Services {n} รายการ (ใหม่ 1)",
                "ตรวจสอบและบันทึก", "โทเค็นใช้งานได้กับรายวิชานี้ และบันทึกแล้ว", "ตั้งค่าโทเค็นไว้แล้ว")}


@pytest.mark.browser
@pytest.mark.parametrize("locale", ["th", "en"])
def test_an_administrator_sets_the_token_and_a_coordinator_refreshes(app: Flask, locale: str) -> None:
    button, refreshed, from_moodle, save, saved, is_set = TEXTS[locale]
    with _site(app, locale) as (platform, _), chromium() as browser:
        platform.modules[6] = Module(6, "quiz", "แบบทดสอบ DS601")
        platform.enrolled.append("2")  # the site administrator opens Samattha from the course
        for width in (1366, 390):
            admin = _launch(browser, platform, "2", width)
            admin.locator("#webservice-settings").click()
            expect(admin.get_by_role("button", name=save)).to_be_visible()
            admin.locator("input[name=token]").fill("not the token")
            admin.get_by_role("button", name=save).click()
            expect(admin.locator("#ws-error")).to_contain_text("invalidtoken")
            admin.locator("input[name=token]").fill(platform.webservice_token)
            admin.get_by_role("button", name=save).click()
            expect(admin.locator(".flash").first).to_have_text(saved)
            expect(admin.locator("#ws-state")).to_contain_text(is_set)
            assert platform.webservice_token not in admin.content()
            assert admin.evaluate("document.documentElement.scrollWidth") <= width
            _shot(admin, f"webservice-{locale}-{width}.png")
            admin.close()

            teacher = _launch(browser, platform, "4", width)
            teacher.get_by_role("link", name="Mapping editor" if locale == "en" else "การจับคู่กิจกรรมกับเกณฑ์").click()
            expect(teacher.locator('section.activity[data-activity="cmid:6"]')).to_be_visible()
            added = 7 if width == 1366 else 8
            platform.modules[added] = Module(added, "assign", "งานมอบหมาย")  # added in Moodle while the page is open
            teacher.get_by_role("button", name=button).click()
            seen = 3 if width == 1366 else 4  # the quiz, the Samattha link and the assignments so far
            expect(teacher.locator(".flash", has_text=refreshed)).to_contain_text(from_moodle.format(n=seen))
            expect(teacher.locator(f'section.activity[data-activity="cmid:{added}"] h2')).to_contain_text("งานมอบหมาย")
            width_used = teacher.evaluate("document.documentElement.scrollWidth")
            assert width_used <= width, f"the page is {width_used} px wide in a {width} px window"
            _shot(teacher, f"mapping-refresh-{locale}-{width}.png")
            teacher.close()
