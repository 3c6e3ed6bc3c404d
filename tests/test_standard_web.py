"""The standard as a user sees it: home page, browser pages and the JSON API."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient

from plugin.app import create_app
from plugin.config import load_config

ALL_UNITS = [
    "DG100", "DG600", "DL100", "DL200", "DL300", "Dlit100", "Dlit400", "DS100", "DS200", "DS400", "DT300",
    "DT600", "DTR100", "DTR200", "SPM100", "SPM300", "DG-OPSR-023",
]
TITLE = "สมรรถนะสนับสนุนการทำงานด้านดิจิทัลสำหรับข้าราชการ และบุคลากรภาครัฐ"


def test_home_page_lists_every_unit_and_how_to_connect_moodle(client: FlaskClient, standard: object) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.content_type == "text/html; charset=utf-8"
    page = response.get_data(as_text=True)
    assert TITLE in page
    for code in ALL_UNITS:
        assert f">{code}</a>" in page
    assert "http://tool.test/lti/register" in page
    assert "http://tool.test/.well-known/jwks.json" in page
    assert "http://tool.test/xapi/" in page
    # The typo of the printed title ("รร") is the standard's text and stays.
    assert "ปรับปรุงงานบริการรดิจิทัลเพื่อยกระดับอย่างต่อเนื่อง" in page


def test_home_page_without_a_standard_says_how_to_load_it(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert "samattha standards import" in page


def test_unit_page_shows_elements_criteria_system_codes_and_evidence(client: FlaskClient, standard: object) -> None:
    page = client.get("/standards/DG-OPSR-023").get_data(as_text=True)
    assert "กำหนดกลุ่มผู้ใช้และตัวแบบการประเมิน" in page
    for code, system in [("DS601.01", "216768"), ("DS603.03", "216775")]:
        assert code in page and system in page
    assert "DG-OPSR-023.KE1" in page
    assert "ถ่ายทอดองค์ความรู้" in page


def test_standards_browser_lists_criteria_of_every_unit(client: FlaskClient, standard: object) -> None:
    page = client.get("/standards").get_data(as_text=True)
    for code in ALL_UNITS:
        assert f'id="{code}"' in page
    assert "DG102.01" in page


def test_unknown_unit_page_is_a_404_naming_the_code(client: FlaskClient, standard: object) -> None:
    response = client.get("/standards/XX999")
    assert response.status_code == 404
    assert "XX999" in response.get_data(as_text=True)


def test_api_lists_all_units_with_counts(client: FlaskClient, standard: object) -> None:
    body = client.get("/api/standards").get_json()
    assert [unit["code"] for unit in body["units"]] == ALL_UNITS
    by_code = {unit["code"]: unit for unit in body["units"]}
    assert by_code["DG-OPSR-023"]["elements"] == 3
    assert by_code["DG-OPSR-023"]["criteria"] == 8
    assert by_code["DG100"]["elements"] == 2
    assert by_code["DG100"]["criteria"] == 4
    # 167 performance criteria in all: the number coordinators plan coverage against.
    assert sum(unit["criteria"] for unit in body["units"]) == 167


def test_api_unit_is_the_canonical_unit(client: FlaskClient, standard: list[dict[str, object]]) -> None:
    response = client.get("/api/standards/DG-OPSR-023")
    assert response.status_code == 200
    shipped = next(u for doc in standard for u in doc["units"] if u["code"] == "DG-OPSR-023")  # type: ignore[attr-defined]
    assert response.get_json() == shipped
    # UTF-8 JSON, not \u escapes: Thai is readable on the wire.
    assert "ประเมินความคิดเห็นของผู้ใช้บริการ".encode() in response.data


def test_api_unknown_unit_is_a_json_404_naming_the_field(client: FlaskClient, standard: object) -> None:
    response = client.get("/api/standards/NOPE1")
    assert response.status_code == 404
    body = response.get_json()
    assert body["message"].startswith("code:")
    assert "NOPE1" in body["message"]


def test_healthz(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_unknown_api_route_is_json(client: FlaskClient) -> None:
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"] == "Not Found"


def test_home_page_says_what_samattha_is_and_how_to_try_it(client: FlaskClient, standard: object) -> None:
    page = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Samattha is a tool that Moodle launches" in page and "It is for course coordinators" in page
    assert "<code class=\"wrap\">samattha demo</code>" in page
    # The registration steps, in the order a Moodle administrator takes them.
    steps = [page.index(text) for text in ("Add LTI Advantage", "“Activate”", "logstore_xapi", "Select content")]
    assert steps == sorted(steps)
    thai = client.get("/", headers={"Accept-Language": "th"}).get_data(as_text=True)
    assert '<html lang="th">' in thai and "เครื่องมือที่เปิดจาก Moodle" in thai


def test_every_page_names_its_icon_and_the_conventional_address_finds_it(client: FlaskClient) -> None:
    page = client.get("/standards").get_data(as_text=True)
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    moved = client.get("/favicon.ico")
    assert moved.status_code == 301 and moved.headers["Location"] == "/static/favicon.svg"
    with client.get("/static/favicon.svg") as icon:  # a file response: closed, not left to the collector
        assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and b"<svg" in icon.data


def test_an_error_page_leads_back(client: FlaskClient) -> None:
    response = client.get("/standards/XX999", headers={"Referer": "http://localhost/standards"})
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    back = page[page.index('<nav class="ways-back"'):]
    assert 'href="http://localhost/standards"' in back and 'href="/"' in back


def test_an_error_page_offers_the_page_you_came_from_behind_a_tls_proxy(database_url: str, tmp_path: Path) -> None:
    app = create_app(load_config(env={}, instance_path=tmp_path / "proxied", database_url=database_url,
                                 base_url="https://samattha.example.go.th", testing=True))
    try:
        # The proxy speaks http to Samattha; the browser's referrer is the public https address.
        missing = app.test_client().get("/no-such-page",
                                        headers={"Referer": "https://samattha.example.go.th/standards"})
        assert missing.status_code == 404
        assert 'href="https://samattha.example.go.th/standards"' in missing.get_data(as_text=True)
        elsewhere = app.test_client().get("/no-such-page", headers={"Referer": "https://evil.example/x"})
        assert "evil.example" not in elsewhere.get_data(as_text=True)
    finally:
        app.extensions["samattha.engine"].dispose()  # its pooled connections closed, not left to the collector
