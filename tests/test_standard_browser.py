"""The standard browser in real headless Chromium: Thai text, the bundled font, navigation."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import chromium
from tests.servers import serve

pytestmark = pytest.mark.browser


def test_a_person_browses_from_the_home_page_to_a_criterion(tmp_path: Path) -> None:
    with serve(tmp_path / "instance") as server, chromium() as browser:
        page = browser.new_page()
        page.goto(server.url + "/")
        assert page.locator(".standard-title").inner_text() == (  # below what Samattha is, on the home page
            "สมรรถนะสนับสนุนการทำงานด้านดิจิทัลสำหรับข้าราชการ และบุคลากรภาครัฐ"
        )
        assert page.locator("table.units tbody tr").count() == 17
        page.get_by_role("link", name="DG-OPSR-023").click()
        page.wait_for_url("**/standards/DG-OPSR-023")
        row = page.locator("table.criteria tr", has_text="DS601.01")
        assert "กำหนดกลุ่มผู้ใช้และตัวแบบการประเมิน" in row.inner_text()
        assert "216768" in row.inner_text()
        # The bundled Sarabun must be what renders the Thai, not whatever the machine happens to have.
        page.evaluate("document.fonts.ready")
        assert page.evaluate("document.fonts.check('16px Sarabun', 'กำหนดกลุ่มผู้ใช้')")
        used = page.evaluate(
            "[...document.fonts].filter(f => f.status === 'loaded').map(f => f.family + ' ' + f.weight)"
        )
        assert any(name.strip('"').startswith("Sarabun") for name in used)
        page.screenshot(path=str(tmp_path / "unit.png"), full_page=True)
