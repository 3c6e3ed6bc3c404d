"""Make the README's pictures from ``samattha demo``: the learner's, the coordinator's and the assessor's pages
and the first page of a learner's PDF record, in Thai (or ``--language en``).

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--language th]

It starts the demo in a temporary instance on a free port, launches each person through the tour's own buttons
in Debian's Chromium (no browser download; ``apt-get install chromium``), and removes the instance afterwards.
The pictures are kept small (at most 1000 px wide, 256-colour PNG) so the repository stays light."""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pypdfium2
from PIL import Image
from playwright.sync_api import Page, ViewportSize, sync_playwright

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
VIEWPORT: ViewportSize = {"width": 1366, "height": 900}
MAX_WIDTH = 1000
# The tour's people (plugin/demo/site.py): สมชาย has a week of learning behind him, so his pages have content.
LEARNER, COORDINATOR, ASSESSOR = "3", "6", "7"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def demo_server() -> Iterator[str]:
    """The tour's URL of a demo running in a temporary instance; stopped and removed whatever happens."""
    folder = Path(tempfile.mkdtemp(prefix="samattha-screenshots-"))
    log = folder / "demo.log"
    command = [sys.executable, "-m", "plugin", "demo", "--port", str(free_port()), "--instance",
               str(folder / "instance")]
    with log.open("wb") as output:
        # Its own process group, so Ctrl+C on this script does not reach the demo before we stop it ourselves.
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT,  # noqa: S603 - our own CLI
                                   env=os.environ | {"PYTHONUNBUFFERED": "1"}, start_new_session=True)
    try:
        deadline = time.monotonic() + 180  # seeding compiles a week of learning; a loaded machine is slow
        while not (found := re.search(r"open (http://\S+) to take the tour", log.read_text(errors="replace"))):
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"samattha demo did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.5)
        yield found.group(1)
    finally:
        process.send_signal(signal.SIGINT)  # the demo's own clean stop
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(folder, ignore_errors=True)


def launch(page: Page, tour: str, user: str, language: str) -> str:
    """Press ``user``'s button on the tour; return the page Samattha landed them on, in ``language``."""
    page.goto(tour)
    page.locator(f"tr[data-user='{user}'] a.demo-launch").click()
    page.wait_for_load_state("networkidle")
    if not re.search(r"/course/\d+/", page.url):
        raise SystemExit(f"launching user {user} did not reach a course page: {page.url}")
    if language != "th":  # the demo Moodle launches in Thai; the bar's switch changes it for the session
        path = page.url.split("/", 3)[3]
        page.goto(f"{page.url.split('/course/')[0]}/language?to={language}&next=/{path}")
    return page.url


def shoot(page: Page, url: str, out: Path) -> None:
    response = page.goto(url)
    if response is None or not response.ok:  # never a picture of an error page
        raise SystemExit(f"{url} answered {response.status if response else 'nothing'}")
    page.wait_for_load_state("networkidle")
    page.evaluate("document.fonts.ready.then(() => true)")  # Sarabun drawn, not a fallback's tofu
    save(Image.open(io.BytesIO(page.screenshot())), out)


def save(image: Image.Image, out: Path) -> None:
    """At most MAX_WIDTH wide, in 256 colours: text and flat colours survive it at a fraction of the size."""
    image = image.convert("RGB")
    if image.width > MAX_WIDTH:
        image = image.resize((MAX_WIDTH, round(image.height * MAX_WIDTH / image.width)), Image.Resampling.LANCZOS)
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(out, optimize=True)
    print(f"{out}: {image.width}×{image.height}, {out.stat().st_size / 1024:.0f} KB")


def pdf_first_page(pdf: bytes, out: Path) -> None:
    document = pypdfium2.PdfDocument(pdf)
    try:
        page = document[0]
        scale = MAX_WIDTH / page.get_width()  # points to pixels, straight to the final width
        save(page.render(scale=scale).to_pil(), out)
    finally:
        document.close()


def make(out: Path, language: str) -> None:
    if not os.path.exists(CHROMIUM):
        raise SystemExit(f"{CHROMIUM} is missing: apt-get install chromium (this script downloads no browser)")
    out.mkdir(parents=True, exist_ok=True)
    # Chromium's sandbox refuses to start as root, which a container often is.
    args = ["--disable-gpu", "--no-first-run"] + (["--no-sandbox"] if os.geteuid() == 0 else [])
    with demo_server() as tour, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        try:
            def person(user: str) -> tuple[Page, str]:
                page = browser.new_context(viewport=VIEWPORT, locale=language).new_page()  # a session each
                return page, launch(page, tour, user, language)

            page, landed = person(LEARNER)
            shoot(page, landed, out / "learner.png")
            page, landed = person(COORDINATOR)
            course = landed.split("/course/")[0] + "/course/" + landed.split("/course/")[1].split("/")[0]
            shoot(page, f"{course}/coverage", out / "coordinator.png")
            page, landed = person(ASSESSOR)
            page.goto(f"{course}/portfolios")  # the caseload; สมชาย's portfolio has the most evidence to read
            page.locator("li.case a.learner", has_text="สมชาย").click()
            page.wait_for_load_state("networkidle")
            portfolio = page.url
            shoot(page, portfolio, out / "assessor.png")
            pdf = page.request.get(page.locator("a[href$='export.pdf']").first.evaluate("link => link.href"))
            if not pdf.ok or pdf.headers.get("content-type") != "application/pdf":
                raise SystemExit(f"the PDF export of {portfolio} answered {pdf.status}: {pdf.text()[:300]}")
            pdf_first_page(pdf.body(), out / "record-page.png")
        finally:
            browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"), help="folder for the PNGs")
    parser.add_argument("--language", choices=["th", "en"], default="th", help="the pages' language")
    args = parser.parse_args()
    # A plain `kill` should stop the demo and remove its instance too, as Ctrl+C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped"))
    make(args.out, args.language)


if __name__ == "__main__":
    main()
